import { invalidArgument } from "./errors.js";

/**
 * The AIP-160 subset the Vertex list methods accept and Python / exprun send:
 * comparisons `field op value` (`=`, `!=`, `<`, `<=`, `>`, `>=`, `:`), `AND`, `OR`, `NOT`,
 * parentheses (nesting depth ≤ 5, as the service), and calls such as `in_context("<name>")`.
 * As in AIP-160, `OR` binds tighter than `AND`: `a AND b OR c` is `a AND (b OR c)`.
 * Anything else is INVALID_ARGUMENT, so a client cannot rely on syntax the fake silently ignores.
 */

export type FieldType = "string" | "number" | "bool" | "time" | "names";

export type FieldValue = string | number | boolean | string[] | null;

export interface FieldSpec<T> {
  type: FieldType;
  get(item: T): FieldValue;
}

/** Resolves a field path (`["metadata", "accuracy", "number_value"]`) or says it is unknown. */
export type FieldResolver<T> = (path: string[]) => FieldSpec<T> | undefined;

export interface FilterSchema<T> {
  fields: FieldResolver<T>;
  /** Functions such as `in_context`: given the literal arguments, a predicate. */
  functions?: Record<string, (args: string[]) => (item: T) => boolean>;
  /** Turns a resource-name literal into its canonical form (project number). */
  canonical?: (name: string) => string;
}

export type Predicate<T> = (item: T) => boolean;

type Token =
  | { kind: "string"; text: string }
  | { kind: "word"; text: string }
  | { kind: "op"; text: string }
  | { kind: "punct"; text: "(" | ")" | "," | "." };

const MAX_DEPTH = 5;

/** Compiles `filter` against `schema`; an empty filter matches everything. */
export function compileFilter<T>(filter: string, schema: FilterSchema<T>): Predicate<T> {
  if (filter.trim() === "") return () => true;
  const parser = new Parser(tokenize(filter), schema, filter);
  const predicate = parser.expression(0);
  parser.expectEnd();
  return predicate;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      let value = "";
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (i >= text.length) throw bad(text, "unterminated string");
      i++;
      tokens.push({ kind: "string", text: value });
    } else if (c === "(" || c === ")" || c === "," || c === ".") {
      tokens.push({ kind: "punct", text: c });
      i++;
    } else if ("=!<>:".includes(c)) {
      const two = text.slice(i, i + 2);
      if (two === "!=" || two === "<=" || two === ">=") {
        tokens.push({ kind: "op", text: two });
        i += 2;
      } else if (c === "!") {
        throw bad(text, `unexpected "!" at ${i}`);
      } else {
        tokens.push({ kind: "op", text: c });
        i++;
      }
    } else {
      const match = /^[A-Za-z0-9_\-+*]+/.exec(text.slice(i));
      if (!match) throw bad(text, `unexpected "${c}" at ${i}`);
      // A number may carry a decimal point and exponent: 0.5, 1e-3.
      const number = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i));
      const word = number && number[0].length >= match[0].length ? number[0] : match[0];
      tokens.push({ kind: "word", text: word });
      i += word.length;
    }
  }
  return tokens;
}

function bad(filter: string, why: string) {
  return invalidArgument(`Invalid filter: ${why}. Filter: ${filter}`);
}

class Parser<T> {
  #pos = 0;
  readonly #tokens: Token[];
  readonly #schema: FilterSchema<T>;
  readonly #text: string;

  constructor(tokens: Token[], schema: FilterSchema<T>, text: string) {
    this.#tokens = tokens;
    this.#schema = schema;
    this.#text = text;
  }

  expectEnd(): void {
    const token = this.#tokens[this.#pos];
    if (token) throw bad(this.#text, `unexpected "${token.text}"`);
  }

  /** expression := factor { AND factor } (juxtaposed factors are ANDed too). */
  expression(depth: number): Predicate<T> {
    if (depth > MAX_DEPTH) throw bad(this.#text, `nesting deeper than ${MAX_DEPTH}`);
    const parts = [this.#factor(depth)];
    for (;;) {
      const token = this.#peek();
      if (!token || (token.kind === "punct" && token.text === ")")) break;
      if (token.kind === "word" && token.text === "AND") this.#pos++;
      parts.push(this.#factor(depth));
    }
    return parts.length === 1 ? parts[0]! : (item) => parts.every((p) => p(item));
  }

  /** factor := term { OR term } */
  #factor(depth: number): Predicate<T> {
    const parts = [this.#term(depth)];
    while (this.#isWord("OR")) {
      this.#pos++;
      parts.push(this.#term(depth));
    }
    return parts.length === 1 ? parts[0]! : (item) => parts.some((p) => p(item));
  }

  /** term := [NOT] ( "(" expression ")" | call | comparison ) */
  #term(depth: number): Predicate<T> {
    if (this.#isWord("NOT")) {
      this.#pos++;
      const inner = this.#term(depth);
      return (item) => !inner(item);
    }
    const token = this.#peek();
    if (!token) throw bad(this.#text, "unexpected end");
    if (token.kind === "punct" && token.text === "(") {
      this.#pos++;
      const inner = this.expression(depth + 1);
      this.#expectPunct(")");
      return inner;
    }
    if (token.kind === "word" && this.#tokens[this.#pos + 1]?.text === "(") return this.#call();
    return this.#comparison();
  }

  #call(): Predicate<T> {
    const name = this.#next().text;
    const fn = this.#schema.functions?.[name];
    if (!fn) throw bad(this.#text, `unsupported function ${name}()`);
    this.#expectPunct("(");
    const args: string[] = [];
    while (!this.#isPunct(")")) {
      const arg = this.#next();
      if (arg.kind !== "string") throw bad(this.#text, `${name}() takes quoted strings`);
      args.push(this.#schema.canonical ? this.#schema.canonical(arg.text) : arg.text);
      if (!this.#isPunct(")")) this.#expectPunct(",");
    }
    this.#expectPunct(")");
    if (args.length === 0) throw bad(this.#text, `${name}() needs an argument`);
    return fn(args);
  }

  #comparison(): Predicate<T> {
    const path = [this.#pathSegment()];
    while (this.#isPunct(".")) {
      this.#pos++;
      path.push(this.#pathSegment());
    }
    const spec = this.#schema.fields(path);
    if (!spec) throw bad(this.#text, `unsupported field "${path.join(".")}"`);
    const opToken = this.#next();
    if (opToken?.kind !== "op") throw bad(this.#text, `expected a comparison after "${path.join(".")}"`);
    const op = opToken.text;
    const literals = [this.#literal()];
    while (op === ":" && this.#isPunct(",")) {
      this.#pos++;
      literals.push(this.#literal());
    }
    return this.#compare(spec, op, literals, path.join("."));
  }

  #compare(spec: FieldSpec<T>, op: string, literals: string[], field: string): Predicate<T> {
    if (spec.type === "names") {
      if (op !== ":") throw bad(this.#text, `${field} supports only ":"`);
      const wanted = literals.map((l) => (this.#schema.canonical ? this.#schema.canonical(l) : l));
      return (item) => {
        const values = spec.get(item);
        return Array.isArray(values) && values.some((v) => wanted.includes(v));
      };
    }
    const literal = literals[0]!;
    let expected: number | string | boolean;
    if (spec.type === "number") {
      expected = Number(literal);
      if (literal === "" || Number.isNaN(expected)) throw bad(this.#text, `${field} needs a number`);
    } else if (spec.type === "bool") {
      if (literal !== "true" && literal !== "false") throw bad(this.#text, `${field} needs true or false`);
      expected = literal === "true";
    } else if (spec.type === "time") {
      expected = Date.parse(literal);
      if (Number.isNaN(expected)) throw bad(this.#text, `${field} needs an RFC 3339 time`);
    } else {
      expected = field === "name" && this.#schema.canonical ? this.#schema.canonical(literal) : literal;
    }
    const test = comparator(op, this.#text);
    return (item) => {
      const actual = spec.get(item);
      if (actual === null || Array.isArray(actual)) return false;
      return test(actual, expected);
    };
  }

  #literal(): string {
    const token = this.#next();
    if (!token || (token.kind !== "string" && token.kind !== "word")) {
      throw bad(this.#text, "expected a value");
    }
    return token.text;
  }

  #pathSegment(): string {
    const token = this.#next();
    if (!token || (token.kind !== "word" && token.kind !== "string"))
      throw bad(this.#text, "expected a field");
    return token.text;
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#pos];
  }

  #next(): Token {
    const token = this.#tokens[this.#pos++];
    if (!token) throw bad(this.#text, "unexpected end");
    return token;
  }

  #isWord(word: string): boolean {
    const token = this.#peek();
    return token?.kind === "word" && token.text === word;
  }

  #isPunct(p: string): boolean {
    const token = this.#peek();
    return token?.kind === "punct" && token.text === p;
  }

  #expectPunct(p: string): void {
    if (!this.#isPunct(p)) throw bad(this.#text, `expected "${p}"`);
    this.#pos++;
  }
}

function comparator(
  op: string,
  text: string,
): (a: string | number | boolean, b: string | number | boolean) => boolean {
  switch (op) {
    case "=":
    case ":":
      return (a, b) => a === b;
    case "!=":
      return (a, b) => a !== b;
    case "<":
      return (a, b) => a < b;
    case "<=":
      return (a, b) => a <= b;
    case ">":
      return (a, b) => a > b;
    case ">=":
      return (a, b) => a >= b;
    default:
      throw bad(text, `unsupported operator "${op}"`);
  }
}
