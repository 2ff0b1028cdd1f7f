import picocolors from "picocolors";

export type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * Colour only when writing to a terminal, never with `NO_COLOR` (any value, per no-color.org) or
 * `TERM=dumb`; `FORCE_COLOR` (not "0") turns it on for pipes. `--no-color` wins over everything.
 */
export function colorEnabled(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  flag: boolean | undefined,
): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

export function makeColors(enabled: boolean): Colors {
  return picocolors.createColors(enabled);
}

/** Colour for a run state. */
export function stateColor(colors: Colors, state: string): string {
  switch (state) {
    case "COMPLETE":
      return colors.green(state);
    case "FAILED":
      return colors.red(state);
    case "RUNNING":
      return colors.cyan(state);
    case "CANCELLED":
      return colors.yellow(state);
    default:
      return colors.dim(state);
  }
}
