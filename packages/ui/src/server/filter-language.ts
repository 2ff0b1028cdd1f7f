/**
 * The only module of the UI that touches the filter language (`metric.acc > 0.9 and param.lr = 0.1`),
 * so that the UI and the CLI read filters and sort keys by one implementation.
 *
 * PENDING (issue 14, waits for the move of the language to `packages/core/src/filter` by the cli
 * engineer): `./pending-filter/` is a verbatim copy of `apps/cli/src/filter` and is deleted when the
 * language lands in `@exprun/core`; this file then re-exports core's.
 */
export {
  compareRows,
  type Expr,
  evaluate,
  type Field,
  type FilterRow,
  FilterSyntaxError,
  fieldValue,
  parseFilter,
  parseSortKey,
  type SortKey,
  SortKeyError,
} from "./pending-filter/index.js";
