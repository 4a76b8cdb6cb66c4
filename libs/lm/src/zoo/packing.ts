/**
 * Packs tokenised documents into fixed-length training windows: each document becomes BOS + tokens + EOS,
 * documents are concatenated in the given order and the stream is cut into windows of `seqLen` tokens
 * (the remainder is dropped). Returns the windows row-major, [count * seqLen].
 */
export function packWindows(
  docs: Iterable<readonly number[]>,
  seqLen: number,
  bosId: number,
  eosId: number,
): { windows: Int32Array; count: number; tokens: number } {
  if (!Number.isInteger(seqLen) || seqLen < 2)
    throw new RangeError(`packWindows: seqLen must be an integer >= 2, got ${seqLen}`);
  const stream: number[] = [];
  for (const d of docs) {
    stream.push(bosId);
    for (const t of d) stream.push(t);
    stream.push(eosId);
  }
  const count = Math.floor(stream.length / seqLen);
  return { windows: Int32Array.from(stream.slice(0, count * seqLen)), count, tokens: stream.length };
}

/** A parallel pair as one bilingual training document: the two sides joined by a newline, order chosen by `flip`. */
export function bilingualDocument(first: string, second: string, flip: boolean): string {
  return flip ? `${second}\n${first}` : `${first}\n${second}`;
}
