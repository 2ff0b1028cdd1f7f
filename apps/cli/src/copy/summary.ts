/** What `exprun copy` did; `--json` prints it as is. */
export interface CopySummary {
  from: string;
  to: string;
  /** True when nothing was written (`--dry-run`): the counts say what a copy would write. */
  dryRun: boolean;
  experiments: { created: number; updated: number; unchanged: number };
  runs: { created: number; updated: number; unchanged: number };
  copied: {
    params: number;
    metrics: number;
    states: number;
    points: number;
    artifacts: number;
    executions: number;
    executionUpdates: number;
    attributions: number;
    children: number;
    tensorboards: number;
    tags: number;
    notes: number;
    /** Runs whose update time was set to the source's (stores that keep times). */
    times: number;
  };
  /** Things the target keeps that the source does not have (copy never deletes). */
  warnings: string[];
}

export function emptySummary(from: string, to: string, dryRun = false): CopySummary {
  return {
    from,
    to,
    dryRun,
    experiments: { created: 0, updated: 0, unchanged: 0 },
    runs: { created: 0, updated: 0, unchanged: 0 },
    copied: {
      params: 0,
      metrics: 0,
      states: 0,
      points: 0,
      artifacts: 0,
      executions: 0,
      executionUpdates: 0,
      attributions: 0,
      children: 0,
      tensorboards: 0,
      tags: 0,
      notes: 0,
      times: 0,
    },
    warnings: [],
  };
}
