/** Tokens of the `--filter` language (see README, "Filter grammar"). */
export type TokenKind =
  | "field"
  | "number"
  | "string"
  | "word"
  | "op"
  | "and"
  | "or"
  | "not"
  | "("
  | ")"
  | "end";

export interface Token {
  kind: TokenKind;
  /** The text as written (strings without their quotes, escapes resolved). */
  text: string;
  /** 0-based offset of the token in the expression. */
  pos: number;
}

/** A syntax error in a filter, with the 0-based position it was found at. */
export class FilterSyntaxError extends Error {
  readonly position: number;
  readonly expression: string;

  constructor(message: string, expression: string, position: number) {
    const caret = `${" ".repeat(position)}^`;
    super(`Bad filter at column ${position + 1}: ${message}\n  ${expression}\n  ${caret}`);
    this.name = "FilterSyntaxError";
    this.position = position;
    this.expression = expression;
  }
}

const OPERATORS = ["<=", ">=", "!=", "==", "<>", "=", "<", ">"];
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const WORD = /^[A-Za-z_][A-Za-z0-9_.\-/:]*/;

/** Splits a filter into tokens. Fields may quote a key with backticks: param.`learning rate`. */
export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "(" || c === ")") {
      tokens.push({ kind: c, text: c, pos: i });
      i++;
      continue;
    }
    if (c === "&" && expression[i + 1] === "&") {
      tokens.push({ kind: "and", text: "&&", pos: i });
      i += 2;
      continue;
    }
    if (c === "|" && expression[i + 1] === "|") {
      tokens.push({ kind: "or", text: "||", pos: i });
      i += 2;
      continue;
    }
    const op = OPERATORS.find((o) => expression.startsWith(o, i));
    if (op) {
      tokens.push({ kind: "op", text: op === "==" ? "=" : op === "<>" ? "!=" : op, pos: i });
      i += op.length;
      continue;
    }
    if (c === "'" || c === '"') {
      const { text, end } = readQuoted(expression, i, c);
      tokens.push({ kind: "string", text, pos: i });
      i = end;
      continue;
    }
    const rest = expression.slice(i);
    const number = NUMBER.exec(rest);
    if (number && !/^[A-Za-z_]/.test(rest.slice(number[0].length))) {
      tokens.push({ kind: "number", text: number[0], pos: i });
      i += number[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      let text = word[0];
      let end = i + text.length;
      // A field written with a backtick-quoted key: metric.`val loss`
      if (expression[end] === "`" && text.endsWith(".")) {
        const quoted = readQuoted(expression, end, "`");
        text += quoted.text;
        end = quoted.end;
        tokens.push({ kind: "field", text, pos: i });
        i = end;
        continue;
      }
      const lower = text.toLowerCase();
      if (lower === "and" || lower === "or" || lower === "not") {
        tokens.push({ kind: lower, text, pos: i });
      } else {
        tokens.push({ kind: text.includes(".") || isBareField(lower) ? "field" : "word", text, pos: i });
      }
      i = end;
      continue;
    }
    throw new FilterSyntaxError(`unexpected character ${JSON.stringify(c)}.`, expression, i);
  }
  tokens.push({ kind: "end", text: "", pos: expression.length });
  return tokens;
}

/** Fields that need no prefix. */
export const BARE_FIELDS = ["state", "run_name", "run", "experiment", "experiment_name", "run_type"] as const;

function isBareField(word: string): boolean {
  return (BARE_FIELDS as readonly string[]).includes(word);
}

function readQuoted(expression: string, start: number, quote: string): { text: string; end: number } {
  let text = "";
  let i = start + 1;
  while (i < expression.length) {
    const c = expression[i]!;
    if (c === "\\" && i + 1 < expression.length) {
      text += expression[i + 1];
      i += 2;
      continue;
    }
    if (c === quote) return { text, end: i + 1 };
    text += c;
    i++;
  }
  throw new FilterSyntaxError(`unterminated ${quote} quote; close it with ${quote}.`, expression, start);
}
