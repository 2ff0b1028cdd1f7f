import path from "node:path";
import { assertSafeSegment, ValidationError } from "@exprun/core";
import { BACKEND } from "./fsio.js";

/** What `assertSafeSegment` accepts, as a test (for skipping foreign directory entries). */
export function isSafeSegment(segment: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(segment) && !segment.includes("..") && segment.length <= 255;
}

/** Incarnation ids are this store's own (`uid()`): base64url, never a path. */
function checkedIncarnation(incarnation: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(incarnation)) {
    throw new ValidationError(`Invalid run incarnation ${JSON.stringify(incarnation)}.`, {
      backend: BACKEND,
    });
  }
  return incarnation;
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
  /**
   * Layout 1 kept a run's data in `runs/<run>/`, shared by every incarnation of the name. Set only to
   * read a layout-1 store that cannot be upgraded (a read-only filesystem).
   */
  legacy = false;

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

  /**
   * The data directory of one incarnation of a run, `runs/<run>.<incarnation>/`: a delete, a kill or a
   * late write addressed to one incarnation can never touch another's files.
   */
  runDir(experiment: string, run: string, incarnation: string): string {
    const dir = this.legacy ? this.checked(run) : `${this.checked(run)}.${checkedIncarnation(incarnation)}`;
    return path.join(this.inside(experiment), "runs", dir);
  }

  seriesFile(experiment: string, run: string, incarnation: string): string {
    return path.join(this.runDir(experiment, run, incarnation), "timeseries.jsonl");
  }

  /** Refuses unsafe names before any path is built from them. */
  checkRun(experiment: string, run: string): void {
    this.inside(experiment);
    this.checked(run);
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
