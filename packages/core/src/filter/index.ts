export { evaluate, type FilterRow, fieldValue, likeRegExp } from "./evaluate.js";
export { BARE_FIELDS, FilterSyntaxError, type Token, type TokenKind, tokenize } from "./lexer.js";
export { type Expr, type Field, type Literal, type Operator, parseFilter, parseIsoTime } from "./parser.js";
export { checkSortKeys, compareRows, parseSort, type SortKey, sortKeyCheck } from "./sort.js";
