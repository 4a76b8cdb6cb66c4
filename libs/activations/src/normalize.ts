/**
 * Scales each row of x [rows*d] to unit L2 norm in place (../shared/SPEC.md section 2: no mean subtraction).
 * An all-zero row stays zero rather than becoming NaN.
 */
export function unitNormRows(x: Float32Array, rows: number, d: number): Float32Array {
  if (x.length !== rows * d)
    throw new RangeError(`unitNormRows: x has ${x.length} values, expected rows*d = ${rows * d}`);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let ss = 0;
    for (let j = 0; j < d; j++) ss += x[o + j]! * x[o + j]!;
    if (ss === 0) continue;
    const inv = 1 / Math.sqrt(ss);
    for (let j = 0; j < d; j++) x[o + j]! *= inv;
  }
  return x;
}
