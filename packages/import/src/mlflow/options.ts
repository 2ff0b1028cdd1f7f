import type { SettleOptions } from "../settle.js";

export interface MlflowOptions extends SettleOptions {
  /** Also import experiments and runs whose lifecycle stage is `deleted` (and `.trash`). @default false */
  includeDeleted?: boolean;
  /**
   * MLflow keeps params as text. When true, text in Python's number notation becomes a number and
   * "True"/"False" a boolean (see `inferParamValue`); when false every param stays text. @default true
   */
  inferParamTypes?: boolean;
  /** Sees each warning as it happens (the CLI prints them). */
  onWarning?: (message: string) => void;
}
