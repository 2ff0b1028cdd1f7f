import {
  type BackendCapabilities,
  fitTagsToLabels,
  isReservedKey,
  labelKey,
  MAX_DESCRIPTION_LENGTH,
  MAX_LABELS,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  type Value,
} from "@exprun/core";
import type { ImportReport } from "../model.js";

/**
 * Tag keys on stores that keep labels become label keys by core's rule (`labelKey`: `mlflow.user` →
 * `mlflow_user`), the rule `exprun copy` applies too.
 */
export { labelKey } from "@exprun/core";

/** What one run can hold in the target, after {@link TargetFit.run}. */
export interface FittedRun {
  params: Record<string, Value>;
  metrics: Record<string, Value>;
  tags: Record<string, string>;
  /** `undefined`: leave the target's note alone (the source has none, or one the target cannot keep). */
  description: string | undefined;
  /** Time series not written: keys core refuses (`__proto__`, `constructor`, `prototype`). */
  droppedSeries: ReadonlySet<string>;
}

/** One kind of thing the target cannot keep, gathered over the runs so that one warning says it all. */
interface Omission {
  runs: number;
  firstRun: string;
  example?: string;
}

/**
 * Fits imported runs to what the target store can keep, counting (in the report's `skipped`) and
 * warning about everything left out — never failing the whole import on one value, never dropping
 * one silently:
 * - NaN and ±Infinity in params and summary metrics, on stores without `nonFiniteValues` (Vertex):
 *   left out (`nonFiniteParams`, `nonFiniteMetrics`); time series keep them on every store.
 * - tags on stores with `tagsAsLabels` (Vertex): keys renamed by {@link labelKey}; a value that is not
 *   a valid label value (uppercase, `.`, `/`, spaces, over 63 characters: `mlflow.source.name`'s path)
 *   is left out (`tagsNotLabels`), as are tags whose key renames to nothing or to the key of an
 *   earlier tag (`tagsNotLabels`) and tags past the 64-label limit (`tagsOverLabelLimit`).
 * - on every store: keys core refuses (`__proto__`, `constructor`, `prototype`; empty or over-long tag
 *   keys, over-long tag values) are left out (`invalidKeys`, `invalidTags`), and a note over 65,536
 *   characters is not imported (`longNotes`).
 * Warnings are gathered per kind and key and issued by {@link TargetFit.finish}: 1,000 runs with the
 * same unkeepable tag give one warning, not 1,000.
 */
export class TargetFit {
  readonly #capabilities: BackendCapabilities;
  readonly #store: string;
  readonly #report: ImportReport;
  readonly #omissions = new Map<string, Omission>();
  readonly #renamed = new Map<string, string>();

  constructor(target: { name: string; capabilities: BackendCapabilities }, report: ImportReport) {
    this.#capabilities = target.capabilities;
    this.#store = target.name;
    this.#report = report;
  }

  /**
   * The parts of a run the target can keep. `targetTags` are the tags the target's run already has
   * (they count towards the label limit).
   */
  run(
    label: string,
    run: {
      params: Readonly<Record<string, Value>>;
      metrics: Readonly<Record<string, Value>>;
      tags: Readonly<Record<string, string>>;
      description: string;
      seriesKeys: readonly string[];
    },
    targetTags: Readonly<Record<string, string>> = {},
  ): FittedRun {
    const description =
      run.description === ""
        ? undefined
        : run.description.length > MAX_DESCRIPTION_LENGTH &&
            [...run.description].length > MAX_DESCRIPTION_LENGTH
          ? this.#omit("longNotes", "note", label)
          : run.description;
    return {
      params: this.#values("param", run.params, label),
      metrics: this.#values("metric", run.metrics, label),
      tags: this.#tags(run.tags, targetTags, label),
      description,
      droppedSeries: this.#series(run.seriesKeys, label),
    };
  }

  /** Issues the gathered warnings (one per kind and key). */
  finish(): void {
    const store = this.#store;
    for (const [id, o] of this.#omissions) {
      const [kind, what] = splitId(id);
      const where = `${o.runs === 1 ? "in run" : `in ${o.runs.toLocaleString("en-US")} runs, first`} ${o.firstRun}`;
      const example = o.example === undefined ? "" : ` (${o.example})`;
      this.#report.warn(`${what}${example} ${where}: ${REASONS[kind]!(store)}; not imported`);
    }
    if (this.#renamed.size > 0) {
      const shown = [...this.#renamed].slice(0, 8).map(([from, to]) => `${from} → ${to}`);
      const more = this.#renamed.size > shown.length ? `, … (${this.#renamed.size} keys)` : "";
      this.#report.warn(
        `tag keys renamed to fit the ${store} store's label rules (lowercase letters, digits, _ and -): ${shown.join(", ")}${more}`,
      );
    }
    this.#omissions.clear();
    this.#renamed.clear();
  }

  #series(keys: readonly string[], label: string): Set<string> {
    const dropped = new Set<string>();
    for (const key of keys) {
      if (!isReservedKey(key)) continue;
      this.#omit("invalidKeys", `time series ${JSON.stringify(key)}`, label);
      dropped.add(key);
    }
    return dropped;
  }

  #values(
    kind: "param" | "metric",
    values: Readonly<Record<string, Value>>,
    label: string,
  ): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const [key, value] of Object.entries(values)) {
      if (isReservedKey(key)) this.#omit("invalidKeys", `${kind} ${JSON.stringify(key)}`, label);
      else if (typeof value === "number" && !Number.isFinite(value) && !this.#capabilities.nonFiniteValues)
        this.#omit(
          kind === "param" ? "nonFiniteParams" : "nonFiniteMetrics",
          `${kind} ${JSON.stringify(key)}`,
          label,
          String(value),
        );
      else out[key] = value;
    }
    return out;
  }

  #tags(
    tags: Readonly<Record<string, string>>,
    targetTags: Readonly<Record<string, string>>,
    label: string,
  ): Record<string, string> {
    const out: Record<string, string> = {};
    const kept: Record<string, string> = {};
    for (const [key, value] of Object.entries(tags)) {
      const what = `tag ${JSON.stringify(key)}`;
      if (key === "" || key.length > MAX_TAG_KEY_LENGTH || isReservedKey(key)) {
        this.#omit("invalidTags", what, label);
      } else if (value.length > MAX_TAG_VALUE_LENGTH) {
        this.#omit("invalidTags", what, label, `${value.length.toLocaleString("en-US")} characters`);
      } else if (!this.#capabilities.tagsAsLabels) {
        out[key] = value;
      } else {
        kept[key] = value;
      }
    }
    if (!this.#capabilities.tagsAsLabels) return out;
    const fit = fitTagsToLabels(kept, targetTags);
    for (const { key, value, reason } of fit.left) {
      const what = `tag ${JSON.stringify(key)}`;
      if (reason === "value") this.#omit("labelValues", what, label, JSON.stringify(clip(value)));
      else if (reason === "limit") this.#omit("labelLimit", what, label);
      else this.#omit("labelKeys", what, label, labelKey(key) === "" ? undefined : `as ${labelKey(key)}`);
    }
    for (const [from, to] of fit.renamed) this.#renamed.set(from, to);
    return fit.tags;
  }

  #omit(kind: keyof typeof REASONS, what: string, label: string, example?: string): undefined {
    this.#report.skip(SKIP_KIND[kind]);
    const id = `${kind}\u0000${what}`;
    const known = this.#omissions.get(id);
    if (known) known.runs++;
    else this.#omissions.set(id, { runs: 1, firstRun: label, ...(example !== undefined ? { example } : {}) });
    return undefined;
  }
}

const REASONS = {
  nonFiniteParams: (store: string) => `the ${store} store cannot keep NaN or ±Infinity in params`,
  nonFiniteMetrics: (store: string) => `the ${store} store cannot keep NaN or ±Infinity in summary metrics`,
  labelValues: (store: string) =>
    `the ${store} store keeps tags as labels, whose values are at most 63 lowercase letters, digits, _ or -`,
  labelKeys: (store: string) =>
    `the ${store} store keeps tags as labels, and this key renames to nothing or to the key of another tag`,
  labelLimit: (store: string) => `the ${store} store keeps at most ${MAX_LABELS} labels (tags) per run`,
  invalidKeys: () => "exprun does not allow this key (JavaScript objects treat it specially)",
  invalidTags: () =>
    `exprun tags have non-empty keys of at most ${MAX_TAG_KEY_LENGTH} characters and values of at most ${MAX_TAG_VALUE_LENGTH.toLocaleString("en-US")}`,
  longNotes: () => `exprun notes are at most ${MAX_DESCRIPTION_LENGTH.toLocaleString("en-US")} characters`,
} as const;

/** The `skipped` kind each omission is counted under. */
const SKIP_KIND: Record<keyof typeof REASONS, string> = {
  nonFiniteParams: "nonFiniteParams",
  nonFiniteMetrics: "nonFiniteMetrics",
  labelValues: "tagsNotLabels",
  labelKeys: "tagsNotLabels",
  labelLimit: "tagsOverLabelLimit",
  invalidKeys: "invalidKeys",
  invalidTags: "invalidTags",
  longNotes: "longNotes",
};

function splitId(id: string): [keyof typeof REASONS, string] {
  const at = id.indexOf("\u0000");
  return [id.slice(0, at) as keyof typeof REASONS, id.slice(at + 1)];
}

function clip(text: string): string {
  return text.length <= 40 ? text : `${text.slice(0, 37)}…`;
}
