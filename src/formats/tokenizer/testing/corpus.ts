// Test support: text that exercises pre-tokenizer regexes and merges. Every string is NFC (Qwen's HF
// tokenizer normalizes to NFC, llama.cpp does not; on NFC text the two agree).

export const CORPUS: readonly string[] = [
  // English prose and punctuation
  'Hello world',
  'Once upon a time, there was a little robot who wanted to learn how to paint.',
  'The quick brown fox jumps over the lazy dog!? (Really...) "Yes" — she said; \'no\'.',
  'e.g. i.e. U.S.A. Mr. Smith\'s dog; an ellipsis… and a dash–between',
  // contractions, in upper and mixed case (Llama-3/Qwen match them case-insensitively)
  "I'm sure you'll see they're fine, we've done it, he'd say it's John's.",
  "DON'T SHOUT. I'M HERE. YOU'LL SEE. THEY'RE OK. WE'VE WON. HE'D GO. IT'S MINE.",
  "rock 'n' roll, 'tis the season, can't won't shouldn't've",
  // code
  'function add(a, b) {\n  return a + b;\n}\n',
  'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n',
  'const x = arr.map((v) => v * 2).filter(Boolean); // comment\n\tif (x?.length >= 10) { console.log(`${x}`); }',
  '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); return 0; }',
  '<div class="a-b_c">&nbsp;&amp;</div><br/>',
  // numbers
  '1 12 123 1234 12345 123456 1234567 12345678901234567890',
  'π ≈ 3.14159265, e = 2.718; 1,000,000.00 and -42 or +7e-10 at 12:30:45 on 2024-07-26',
  'Version 1.2.3-beta.4 costs $19.99 (or €20,50) for 3x 4K monitors ¹²³ ½ ⅓',
  // whitespace runs, newlines, tabs, CRLF
  'two  spaces,   three,    four,     five and a tab\there',
  '  leading spaces and trailing spaces   ',
  'line one\nline two\n\nline four\n\n\n\nline eight\r\nwindows line\r\n',
  '\n\n  \n\t\t\n indented\n    more indented',
  ' ',
  '   ',
  '\n',
  'word\u00a0nbsp and\u3000ideographic space',
  // emoji (multi-byte, ZWJ sequences, flags, skin tones, variation selectors)
  'I love emoji 😀🎉👍🏽 and 👨‍👩‍👧‍👦 family, 🇯🇵 flag, ❤️ heart',
  '🤖🦙🧠💡🚀',
  // CJK, other scripts
  '你好，世界！这是一个测试。我们今天去北京。',
  '日本語のテキストとカタカナ、ひらがなを混ぜた文章です。',
  '한국어 문장도 잘 처리되어야 합니다.',
  'Привет, мир! Съешь же ещё этих мягких французских булок.',
  'مرحبا بالعالم — שלום עולם',
  'नमस्ते दुनिया, यह एक परीक्षण है।',
  'ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ',
  // accented Latin (precomposed)
  'Café crème brûlée, naïve façade, Ångström, Straße, Łódź, São Paulo, Mañana, øre',
  'ÀÉÎÕÜ àéîõü ÇÑ çñ œ Æ',
  // odd characters
  'tab\u0009vt\u000bff\u000cnul-free control chars \u0001\u007f done',
  'Zero\u200bwidth space and soft\u00adhyphen and BOM\ufeffinside',
  'math: ∑_{i=1}^{n} x_i² ≤ ∫₀^∞ f(x) dx → ∞; ∀x∃y: x≠y',
  'mixedCaseIdentifiers snake_case_names kebab-case-names SCREAMING_CASE',
  'https://example.com/path?q=1&r=two#frag user@example.org',
  '"quoted" \'single\' `back` «guillemets» „low“ ‘curly’',
];

/** A long prompt (about 2,000+ tokens) for the timing checks. */
export function longPrompt(): string {
  return Array.from({ length: 6 }, (_, i) => `Section ${i + 1}.\n` + CORPUS.join('\n')).join('\n\n');
}
