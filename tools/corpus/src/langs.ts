/** Per-language settings: which letters count as the language's script, and where its documentation lives. */
export interface LangProfile {
  /** The language code in pair names and corpus file names (e.g. `zh` in `en-zh`). */
  readonly code: string;
  /** Debian's locale directory (`usr/share/locale/<locale>`), e.g. `zh_CN` for Simplified Chinese. */
  readonly locale: string;
  /** Matches one letter of the language's own script. */
  readonly script: RegExp;
  /** Minimum characters for a document of at least ~64 tokens (CJK scripts pack more per character). */
  readonly minDocChars: number;
  /** Default documentation packages (man pages, help manuals). */
  readonly docPackages: readonly string[];
  /** Paths inside documentation packages to extract (tar wildcards). */
  readonly docPatterns: readonly string[];
}

const CJK_DOC_CHARS = 128;

export const LANGS: Readonly<Record<string, LangProfile>> = {
  en: {
    code: 'en',
    locale: 'en',
    script: /\p{Script=Latin}/u,
    minDocChars: 320,
    docPackages: ['manpages', 'manpages-dev', 'libreoffice-help-en-us', 'gimp-help-en'],
    docPatterns: [
      './usr/share/man/man*/*',
      './usr/share/libreoffice/help/en-US/text/*',
      './usr/share/gimp/2.0/help/en/*.html',
    ],
  },
  ja: {
    code: 'ja',
    locale: 'ja',
    script: /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u,
    minDocChars: CJK_DOC_CHARS,
    docPackages: ['manpages-ja', 'manpages-ja-dev', 'libreoffice-help-ja', 'gimp-help-ja'],
    docPatterns: [
      './usr/share/man/ja/man*/*',
      './usr/share/libreoffice/help/ja/text/*',
      './usr/share/gimp/2.0/help/ja/*.html',
    ],
  },
  ko: {
    code: 'ko',
    locale: 'ko',
    script: /\p{Script=Hangul}/u,
    minDocChars: CJK_DOC_CHARS,
    docPackages: ['libreoffice-help-ko', 'gimp-help-ko'],
    docPatterns: [
      './usr/share/man/ko/man*/*',
      './usr/share/libreoffice/help/ko/text/*',
      './usr/share/gimp/2.0/help/ko/*.html',
    ],
  },
  zh: {
    code: 'zh',
    locale: 'zh_CN',
    script: /\p{Script=Han}/u,
    minDocChars: CJK_DOC_CHARS,
    docPackages: ['manpages-zh', 'libreoffice-help-zh-cn', 'gimp-help-zh-cn'],
    docPatterns: [
      './usr/share/man/zh_CN/man*/*',
      './usr/share/libreoffice/help/zh-CN/text/*',
      './usr/share/gimp/2.0/help/zh_CN/*.html',
    ],
  },
};

/** Share of letters in text that belong to the language's script (0 when there are no letters). */
export function scriptShare(text: string, lang: LangProfile): number {
  let letters = 0;
  let own = 0;
  for (const ch of text) {
    if (!/\p{L}/u.test(ch)) continue;
    letters++;
    if (lang.script.test(ch)) own++;
  }
  return letters === 0 ? 0 : own / letters;
}

export function langProfile(code: string): LangProfile {
  // A Debian locale (zh_CN) names its language too.
  const p = LANGS[code] ?? Object.values(LANGS).find((l) => l.locale === code);
  if (!p)
    throw new Error(
      `unsupported language '${code}' (supported: ${Object.values(LANGS)
        .map((l) => (l.locale === l.code ? l.code : `${l.code} (${l.locale})`))
        .join(', ')})`,
    );
  return p;
}
