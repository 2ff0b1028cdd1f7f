import { assertSafeSegment, ValidationError } from "@exprun/core";
import { S3_BACKEND_NAME } from "./options.js";

/**
 * Every key the backend reads or writes is built here, under the store's prefix:
 *
 * ```
 * <prefix>experiments/<experiment>/experiment.json             marker, so delimiter listings find the folder
 * <prefix>experiments/<experiment>/meta/d/<version>[.<run>].json delta: one write (named for its run if it touches one)
 * <prefix>experiments/<experiment>/meta/s/<version>.json        snapshot: deltas folded by compaction
 * <prefix>experiments/<experiment>/series/<run>/<version>.json  time-series chunk
 * <prefix>resources/meta/d/<version>.json                       delta: artifacts and executions
 * <prefix>resources/meta/s/<version>.json                       snapshot of those
 * ```
 *
 * Names pass `assertSafeSegment` before they become part of a key, so no name can address a key
 * outside its own folder, let alone outside the prefix.
 */

/** `"a/b"`, `"/a/b/"` → `"a/b/"`; `""` → `""`. Dot segments are refused. */
export function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === "") return "";
  if (typeof prefix !== "string") {
    throw new ValidationError(`The option "prefix" must be a string; got ${typeof prefix}.`, {
      backend: S3_BACKEND_NAME,
    });
  }
  const parts = prefix.split("/").filter((part) => part !== "");
  for (const part of parts) {
    if (part === "." || part === "..") {
      throw new ValidationError(
        `Invalid prefix ${JSON.stringify(prefix)}: "." and ".." segments are not allowed. Use a plain path such as "team/exprun".`,
        { backend: S3_BACKEND_NAME },
      );
    }
  }
  return parts.length === 0 ? "" : `${parts.join("/")}/`;
}

export class Keys {
  constructor(readonly prefix: string) {}

  experimentsRoot(): string {
    return `${this.prefix}experiments/`;
  }

  experiment(experiment: string): string {
    assertSafeSegment(experiment, S3_BACKEND_NAME);
    return `${this.prefix}experiments/${experiment}/`;
  }

  experimentMeta(experiment: string): string {
    return `${this.experiment(experiment)}meta/`;
  }

  /**
   * A small object directly in the experiment's folder. S3 lists the folder as a common prefix
   * without it; some S3-compatible servers (s3rver) only find common prefixes that hold an object.
   */
  experimentMarker(experiment: string): string {
    return `${this.experiment(experiment)}experiment.json`;
  }

  experimentSeries(experiment: string): string {
    return `${this.experiment(experiment)}series/`;
  }

  runSeries(experiment: string, run: string): string {
    assertSafeSegment(run, S3_BACKEND_NAME);
    return `${this.experimentSeries(experiment)}${run}/`;
  }

  resourcesMeta(): string {
    return `${this.prefix}resources/meta/`;
  }

  /** The experiment name of a common prefix returned by listing `experimentsRoot()` with delimiter `/`. */
  experimentFromPrefix(commonPrefix: string): string | undefined {
    const root = this.experimentsRoot();
    if (!commonPrefix.startsWith(root)) return undefined;
    const name = commonPrefix.slice(root.length).replace(/\/$/, "");
    return /^[a-z0-9][a-z0-9-]*$/.test(name) ? name : undefined;
  }
}

const VERSIONED = /^(d|s)\/(\d{13}-[0-9a-f]{8}-\d{8})(?:\.([A-Za-z0-9][A-Za-z0-9._-]*))?\.json$/;

/**
 * Parses a key below a `meta/` folder: kind (delta or snapshot), version, and the run a delta only
 * touches (`d/<version>.<run>.json`), or undefined for foreign keys.
 */
export function parseMetaKey(
  metaPrefix: string,
  key: string,
): { kind: "d" | "s"; version: string; tag: string | undefined } | undefined {
  if (!key.startsWith(metaPrefix)) return undefined;
  const match = VERSIONED.exec(key.slice(metaPrefix.length));
  if (!match) return undefined;
  return { kind: match[1] as "d" | "s", version: match[2] as string, tag: match[3] };
}

/** The key of a delta; a delta that only touches one run carries its name, so reads of other runs skip it. */
export function deltaKey(metaPrefix: string, version: string, tag: string | undefined): string {
  return tag === undefined ? `${metaPrefix}d/${version}.json` : `${metaPrefix}d/${version}.${tag}.json`;
}

const CHUNK = /^(\d{13}-[0-9a-f]{8}-\d{8})\.json$/;

/** The version of a chunk key below a run's series folder, or undefined for foreign keys. */
export function parseChunkKey(seriesPrefix: string, key: string): string | undefined {
  if (!key.startsWith(seriesPrefix)) return undefined;
  return CHUNK.exec(key.slice(seriesPrefix.length))?.[1];
}
