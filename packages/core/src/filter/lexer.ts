import { ValidationError } from "../errors.js";

/** Tokens of the run filter language (see core's README, "Filtering runs"). */
export type TokenKind =
  | "field"
  | "number"
  | "string"
  | "word"
  | "op"
  | "and"
  | "or"
  | "not"
  | "in"
  | "like"
  | "ilike"
  | "("
  | ")"
  | ","
  | "end";

export interface Token {
  kind: TokenKind;
  /** The text as written (strings without their quotes, escapes resolved). */
  text: string;
  /** 0-based offset of the token in the expression. */
  pos: number;
}

/**
 * A filter or sort key that does not parse, with the 0-based position of the problem: the message
 * says `Bad filter at column N: …` (or `Bad sort …`) and repeats the expression with a caret under it.
 */
export class FilterSyntaxError extends ValidationError {
  readonly position: number;
  readonly expression: string;

  constructor(message: string, expression: string, position: number, what: "filter" | "sort" = "filter") {
    // The caret counts code points, so that it stays under the character in most terminals.
    const caret = `${" ".repeat([...expression.slice(0, position)].length)}^`;
    super(`Bad ${what} at column ${position + 1}: ${message}\n  ${expression}\n  ${caret}`);
    this.name = "FilterSyntaxError";
    this.position = position;
    this.expression = expression;
  }
}

const OPERATORS = ["<=", ">=", "!=", "==", "<>", "=", "<", ">"];
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
/** An unquoted date or date-time (`2024-01-31`, `2024-01-31T12:00:00Z`) is one word, not arithmetic. */
const DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w.:-])/;
const WORD = /^[A-Za-z_][A-Za-z0-9_.\-/:]*/;
const KEYWORDS: Record<string, TokenKind> = {
  and: "and",
  or: "or",
  not: "not",
  in: "in",
  like: "like",
  ilike: "ilike",
};

/** Fields that need no prefix. */
export const BARE_FIELDS = [
  "state",
  "run_name",
  "run",
  "experiment",
  "experiment_name",
  "run_type",
  "created",
  "updated",
  "create_time",
  "update_time",
] as const;

/**
 * Splits a filter into tokens. Fields may quote a key with backticks: param.`learning rate`.
 * `offset` shifts every position (and error column), for a piece of a longer text such as one key of
 * a comma-separated sort.
 */
export function tokenize(
  expression: string,
  options: { what?: "filter" | "sort"; offset?: number; source?: string } = {},
): Token[] {
  const offset = options.offset ?? 0;
  const source = options.source ?? expression;
  const fail = (message: string, at: number): never => {
    throw new FilterSyntaxError(message, source, at + offset, options.what);
  };
  const tokens: Token[] = [];
  const push = (kind: TokenKind, text: string, pos: number) => tokens.push({ kind, text, pos: pos + offset });
  let i = 0;
  while (i < expression.length) {
    const c = expression[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "(" || c === ")" || c === ",") {
      push(c, c, i);
      i++;
      continue;
    }
    if (c === "&" && expression[i + 1] === "&") {
      push("and", "&&", i);
      i += 2;
      continue;
    }
    if (c === "|" && expression[i + 1] === "|") {
      push("or", "||", i);
      i += 2;
      continue;
    }
    const op = OPERATORS.find((o) => expression.startsWith(o, i));
    if (op) {
      push("op", op === "==" ? "=" : op === "<>" ? "!=" : op, i);
      i += op.length;
      continue;
    }
    if (c === "'" || c === '"') {
      const { text, end } = readQuoted(expression, i, c, fail);
      push("string", text, i);
      i = end;
      continue;
    }
    const rest = expression.slice(i);
    const date = DATE.exec(rest);
    if (date) {
      push("string", date[0], i);
      i += date[0].length;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number && !/^[A-Za-z_]/.test(rest.slice(number[0].length))) {
      push("number", number[0], i);
      i += number[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      let text = word[0];
      let end = i + text.length;
      // A field written with a backtick-quoted key: metric.`val loss`
      if (expression[end] === "`" && text.endsWith(".")) {
        const quoted = readQuoted(expression, end, "`", fail);
        text += quoted.text;
        end = quoted.end;
        push("field", text, i);
        i = end;
        continue;
      }
      const lower = text.toLowerCase();
      const keyword = KEYWORDS[lower];
      if (keyword) push(keyword, text, i);
      else push(text.includes(".") || isBareField(lower) ? "field" : "word", text, i);
      i = end;
      continue;
    }
    fail(`unexpected character ${JSON.stringify(c)}.`, i);
  }
  push("end", "", expression.length);
  return tokens;
}

function isBareField(word: string): boolean {
  return (BARE_FIELDS as readonly string[]).includes(word);
}

function readQuoted(
  expression: string,
  start: number,
  quote: string,
  fail: (message: string, at: number) => never,
): { text: string; end: number } {
  let text = "";
  let i = start + 1;
  while (i < expression.length) {
    const c = expression[i]!;
    // \' (the quote) and \\ are escapes; other backslashes stay, so LIKE sees \% and \_.
    if (c === "\\" && (expression[i + 1] === quote || expression[i + 1] === "\\")) {
      text += expression[i + 1];
      i += 2;
      continue;
    }
    if (c === quote) return { text, end: i + 1 };
    text += c;
    i++;
  }
  return fail(`unterminated ${quote} quote; close it with ${quote}.`, start);
}
