import { goldenTable, type GoldenRow } from '../golden.ts';

/** Every report ends with the golden failures (if any) and the run's provenance. */
export function reportFooter(rows: readonly GoldenRow[], prov: Record<string, unknown>, findings = ''): string[] {
  return [
    findings,
    rows.some((x) => !x.ok) ? `## Golden comparison failures\n\n${goldenTable(rows)}\n` : '',
    '## Provenance',
    '',
    '```json',
    JSON.stringify(prov, null, 2),
    '```',
    '',
  ];
}
