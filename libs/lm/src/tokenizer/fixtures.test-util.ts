// Small bilingual fixture texts shared by the tokenizer tests.
export const EN = [
  'The quick brown fox jumps over the lazy dog.',
  'It is 2024, and the weather is fine! Tokenizers split text into pieces.',
  'A language model reads tokens, not characters; the tokenizer decides what a token is.',
  'She said: "Reading the manual helps." Then she closed the window.',
];
export const JA = [
  '私は東京大学で日本語を勉強しています。',
  '今日は天気がいいですね。明日も晴れるでしょう。',
  'カタカナのコンピューターを使います。ソフトウェアの設定を確認してください。',
  'ファイルを開けませんでした。もう一度試してください。',
];
/** A repeated mixed corpus (about 20 KB). */
export function corpus(repeat = 40): string[] {
  const out: string[] = [];
  for (let i = 0; i < repeat; i++) for (let j = 0; j < EN.length; j++) out.push(EN[j]!, JA[j]!);
  return out;
}
