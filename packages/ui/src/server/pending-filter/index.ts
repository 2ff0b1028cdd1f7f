export { evaluate, type FilterRow, fieldValue } from "./evaluate.js";
export { FilterSyntaxError, type Token, tokenize } from "./lexer.js";
export { type Expr, type Field, type Literal, type Operator, parseFilter } from "./parser.js";
export { compareRows, parseSortKey, type SortKey, SortKeyError } from "./sort.js";
