/**
 * The only module of the UI that touches the filter language (`metric.acc > 0.9 and param.lr = 0.1`),
 * so that the UI and the CLI read filters and sort keys by one implementation.
 *
 * PENDING (issue 14): `./pending-filter/` is a verbatim copy of `apps/cli/src/filter` (main), kept only
 * until the language lands in `@exprun/core` (`packages/core/src/filter`, branch wt/cli, commit
 * c3cf3d0 "core: the run filter language lives in core"). Then: delete `./pending-filter/` and this
 * file's re-exports, import `parseFilter`, `evaluate`, `parseSort`, `compareRows`, `fieldValue` and
 * `FilterSyntaxError` from `@exprun/core` in `run-order.ts`, `runs-table.ts` and `reads.ts`; core's
 * `FilterRow` is a `RunRecord` (so `toOrderRow` goes), and its sort keys include `created`/`updated`
 * (so `run-order.ts`'s own time keys go).
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
