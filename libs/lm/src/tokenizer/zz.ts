import { loadTokenizer } from './index.ts';
import { readFileSync } from 'node:fs';
const tok = await loadTokenizer(process.argv[2]!);
const samples = JSON.parse(readFileSync(process.argv[3]!, 'utf8')) as string[];
console.log(JSON.stringify(samples.map((s) => ({ ids: tok.encode(s), roundTrip: tok.decode(tok.encode(s)) === s }))));
