import type { Backend } from "@exprun/core";

export interface RunSnapshot {
  name: string;
  runType: string;
  state: string;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
  tensorboardRun: string | null;
  timeSeries: Record<string, unknown>[];
  classificationMetrics: Record<string, unknown>[];
  artifacts: Record<string, unknown>[];
  executions: Record<string, unknown>[];
  pipelineJobs: { resourceName: string; displayName: string }[];
}

export interface ExperimentSnapshot {
  name: string;
  description: string;
  backingTensorboard: string | null;
  runs: RunSnapshot[];
}

export function snapshotStore(backend: Backend): Promise<ExperimentSnapshot[]>;
