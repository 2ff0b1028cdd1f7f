import path from "node:path";
import { assertSafeSegment, ValidationError } from "@exprun/core";
import { BACKEND } from "./fsio.js";

/** What `assertSafeSegment` accepts, as a test (for skipping foreign directory entries). */
export function isSafeSegment(segment: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(segment) && !segment.includes("..") && segment.length <= 255;
}

/**
 * Every path of the store, built only from checked segments: a name can never address anything
 * outside `root`, even when the backend is called directly without core's validation.
 */
export class StorePaths {
  readonly root: string;
  readonly experiments: string;
  readonly resources: string;
  readonly trash: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.experiments = path.join(this.root, "experiments");
    this.resources = path.join(this.root, "resources");
    this.trash = path.join(this.root, ".trash");
  }

  private inside(...segments: string[]): string {
    for (const segment of segments) assertSafeSegment(segment, BACKEND);
    const full = path.join(this.experiments, ...segments);
    if (!full.startsWith(this.experiments + path.sep)) {
      throw new ValidationError(`Refusing a name that resolves outside the store: ${segments.join("/")}.`, {
        backend: BACKEND,
      });
    }
    return full;
  }

  experimentDir(experiment: string): string {
    return this.inside(experiment);
  }

  experimentLog(experiment: string): string {
    return path.join(this.inside(experiment), "experiment.jsonl");
  }

  runsLog(experiment: string): string {
    return path.join(this.inside(experiment), "runs.jsonl");
  }

  runsSnapshot(experiment: string): string {
    return path.join(this.inside(experiment), "runs.snapshot.json");
  }

  runsDir(experiment: string): string {
    return path.join(this.inside(experiment), "runs");
  }

  runDir(experiment: string, run: string): string {
    return path.join(this.inside(experiment), "runs", this.checked(run));
  }

  seriesFile(experiment: string, run: string): string {
    return path.join(this.runDir(experiment, run), "timeseries.jsonl");
  }

  artifactsLog(): string {
    return path.join(this.resources, "artifacts.jsonl");
  }

  executionsLog(): string {
    return path.join(this.resources, "executions.jsonl");
  }

  private checked(segment: string): string {
    assertSafeSegment(segment, BACKEND);
    return segment;
  }
}
