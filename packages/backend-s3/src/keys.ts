import { assertSafeSegment, ValidationError } from "@exprun/core";
import { S3_BACKEND_NAME } from "./options.js";

/**
 * Every key the backend reads or writes is built here, under the store's prefix:
 *
 * ```
 * <prefix>exprun-probe.json                                       conditional-write probe ("auto")
 * <prefix>experiments/<experiment>/experiment.json                 marker, so delimiter listings find the folder
 * <prefix>experiments/<experiment>/claims/<g>.json                 creation g of the experiment (conditional writes)
 * <prefix>experiments/<experiment>/claims/<g>/<run>/<h>.json       creation h of a run in creation g
 * <prefix>experiments/<experiment>/meta/d/<version>[.<run>].json   delta: one write (named for its run if it touches one)
 * <prefix>experiments/<experiment>/meta/s/<version>.json           snapshot: deltas folded by compaction
 * <prefix>experiments/<experiment>/meta/t/<version>.json           tombstone of one creation of the experiment
 * <prefix>experiments/<experiment>/meta/x/<version>.<run>.json     delta deleting a creation of a run
 * <prefix>experiments/<experiment>/series/<run>/<incarnation>/<version>[.<version>].bin  time-series chunk
 * <prefix>resources/claims/<artifacts|executions>/<id>.json        creation of an explicit id (conditional writes)
 * <prefix>resources/meta/d|s/<version>.json                        deltas and snapshots of artifacts and executions
 * ```
 *
 * Names pass `assertSafeSegment` before they become part of a key, so no name can address a key
 * outside its own folder, let alone outside the prefix; resource ids are percent-encoded.
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

function generation(g: number): string {
  return String(g).padStart(10, "0");
}

export class Keys {
  constructor(readonly prefix: string) {}

  probe(): string {
    return `${this.prefix}exprun-probe.json`;
  }

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

  experimentClaim(experiment: string, g: number): string {
    return `${this.experiment(experiment)}claims/${generation(g)}.json`;
  }

  runClaim(experiment: string, g: number, run: string, h: number): string {
    assertSafeSegment(run, S3_BACKEND_NAME);
    return `${this.experiment(experiment)}claims/${generation(g)}/${run}/${generation(h)}.json`;
  }

  experimentSeries(experiment: string): string {
    return `${this.experiment(experiment)}series/`;
  }

  runSeries(experiment: string, run: string): string {
    assertSafeSegment(run, S3_BACKEND_NAME);
    return `${this.experimentSeries(experiment)}${run}/`;
  }

  /** The chunks of one incarnation of a run: a late flush to a deleted run can never land beside a newer one's. */
  incarnationSeries(experiment: string, run: string, incarnation: string): string {
    return `${this.runSeries(experiment, run)}${incarnation}/`;
  }

  resourcesMeta(): string {
    return `${this.prefix}resources/meta/`;
  }

  resourceClaim(kind: "artifacts" | "executions", id: string): string {
    return `${this.prefix}resources/claims/${kind}/${encodeURIComponent(id).replace(/\./g, "%2E")}.json`;
  }

  /** The experiment name of a common prefix returned by listing `experimentsRoot()` with delimiter `/`. */
  experimentFromPrefix(commonPrefix: string): string | undefined {
    const root = this.experimentsRoot();
    if (!commonPrefix.startsWith(root)) return undefined;
    const name = commonPrefix.slice(root.length).replace(/\/$/, "");
    return /^[a-z0-9][a-z0-9-]*$/.test(name) ? name : undefined;
  }
}

/** Delta, snapshot, tombstone (experiment deletion), run deletion. */
export type MetaKind = "d" | "s" | "t" | "x";

const META = /^(d|s|t|x)\/(\d{13}-[0-9a-f]{8}-\d{8})(?:\.([A-Za-z0-9][A-Za-z0-9._-]*))?\.json$/;

/**
 * Parses a key below a `meta/` folder: kind, version, and the run a delta only touches
 * (`d/<version>.<run>.json`, `x/<version>.<run>.json`), or undefined for keys that are not the store's.
 * Deletions have keys of their own kind so that a write's barrier can find them by listing alone.
 */
export function parseMetaKey(
  metaPrefix: string,
  key: string,
): { kind: MetaKind; version: string; tag: string | undefined } | undefined {
  if (!key.startsWith(metaPrefix)) return undefined;
  const match = META.exec(key.slice(metaPrefix.length));
  if (!match) return undefined;
  const kind = match[1] as MetaKind;
  if ((kind === "s" || kind === "t") && match[3] !== undefined) return undefined;
  return { kind, version: match[2] as string, tag: match[3] };
}

/** The key of a delta; a delta that only touches one run carries its name, so reads of other runs skip it. */
export function deltaKey(
  metaPrefix: string,
  version: string,
  tag: string | undefined,
  kind: "d" | "x" = "d",
): string {
  return tag === undefined
    ? `${metaPrefix}${kind}/${version}.json`
    : `${metaPrefix}${kind}/${version}.${tag}.json`;
}

export function snapshotKey(metaPrefix: string, version: string): string {
  return `${metaPrefix}s/${version}.json`;
}

export function tombstoneKey(metaPrefix: string, version: string): string {
  return `${metaPrefix}t/${version}.json`;
}

const CHUNK = /^(\d{13}-[0-9a-f]{8}-\d{8})(?:\.(\d{13}-[0-9a-f]{8}-\d{8}))?\.bin$/;

/**
 * A chunk key below an incarnation's series folder: the smallest and largest version of the
 * segments it holds (equal for a chunk written by one flush), or undefined for foreign keys.
 */
export function parseChunkKey(seriesPrefix: string, key: string): { min: string; max: string } | undefined {
  if (!key.startsWith(seriesPrefix)) return undefined;
  const match = CHUNK.exec(key.slice(seriesPrefix.length));
  if (!match) return undefined;
  return { min: match[1] as string, max: (match[2] ?? match[1]) as string };
}

export function chunkKey(seriesPrefix: string, min: string, max: string = min): string {
  return min === max ? `${seriesPrefix}${min}.bin` : `${seriesPrefix}${min}.${max}.bin`;
}
