import { eastAsianWidth } from "get-east-asian-width";

/**
 * Terminal columns of text that is not plain ASCII: by grapheme cluster, CJK and other wide
 * characters and emoji two columns, combining marks, joiners and other invisible characters none,
 * ANSI colour codes none. The rules are string-width's; it is not used because importing it builds an
 * `Intl.Segmenter` at once, which costs ~27 ms of every `exprun` start (measured on Node 20) even when
 * every cell is ASCII. Here the segmenter is built on the first non-ASCII cell.
 */
export function displayWidth(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI sequences start with ESC.
  const plain = text.includes("\u001b") ? text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "") : text;
  // Most non-ASCII cells (accents, CJK, Cyrillic) have one character per column group: no marks,
  // joiners, variation selectors, surrogate pairs or Hangul jamo, so no grapheme has two parts.
  if (!CLUSTERED.test(plain)) {
    let width = 0;
    for (let i = 0; i < plain.length; i++) {
      const code = plain.charCodeAt(i);
      width +=
        code >= 0x20 && code < 0x7f
          ? 1
          : code < 0x20 || (code >= 0x7f && code < 0xa0)
            ? 0
            : eastAsianWidth(code);
    }
    return width;
  }
  let width = 0;
  for (const { segment } of graphemes().segment(plain)) width += clusterWidth(segment);
  return width;
}

/**
 * Characters that combine with their neighbours into one grapheme (marks, variation selectors, ZWJ,
 * Hangul jamo) or take two code units (astral characters, emoji among them; a lone surrogate too).
 */
const CLUSTERED = /[\p{M}\p{Cf}\u1100-\u11ff\u{10000}-\u{10ffff}\ud800-\udfff]/u;

let segmenter: Intl.Segmenter | undefined;
/** The shared grapheme segmenter, built on first use. */
export function graphemes(): Intl.Segmenter {
  segmenter ??= new Intl.Segmenter();
  return segmenter;
}

// Built on first use too: constructing the RGI_Emoji pattern alone takes tens of ms. The `v` flag
// (Unicode sets, Node 20) is given as a string because TypeScript's es2022 target rejects the literal.
let patterns: { visible: RegExp; rgiEmoji: RegExp } | undefined;
const UNICODE_SETS = "v";
function unicodePatterns() {
  patterns ??= {
    visible: new RegExp(
      "[^\\p{Default_Ignorable_Code_Point}\\p{Control}\\p{Format}\\p{Nonspacing_Mark}\\p{Enclosing_Mark}\\p{Surrogate}]",
      UNICODE_SETS,
    ),
    rgiEmoji: new RegExp("^\\p{RGI_Emoji}$", UNICODE_SETS),
  };
  return patterns;
}
const PICTOGRAPHIC = /\p{Extended_Pictographic}/gu;
const KEYCAP = /^[\d#*]\u20e3$/;

function clusterWidth(cluster: string): number {
  const code = cluster.codePointAt(0)!;
  // Printable ASCII, the common case inside mixed text.
  if (cluster.length === 1 && code >= 0x20 && code < 0x7f) return 1;
  const { visible, rgiEmoji } = unicodePatterns();
  const start = cluster.search(visible);
  if (start === -1) return 0;
  if (rgiEmoji.test(cluster) || KEYCAP.test(cluster)) return 2;
  // Emoji joined with ZWJ but not in the RGI list still render as one wide glyph.
  if (cluster.length <= 50 && cluster.includes("\u200d") && (cluster.match(PICTOGRAPHIC)?.length ?? 0) >= 2)
    return 2;
  return eastAsianWidth(cluster.codePointAt(start)!);
}
