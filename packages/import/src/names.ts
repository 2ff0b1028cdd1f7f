import {
  MAX_NAME_LENGTH,
  MAX_RUN_RESOURCE_ID_LENGTH,
  MIN_EXPERIMENT_NAME_LENGTH,
  NAME_PATTERN,
} from "@exprun/core";

/**
 * Imported experiment names are capped so that every run name still has room: Vertex limits
 * `{experiment}-{run}` to 121 characters.
 */
export const MAX_IMPORTED_EXPERIMENT_LENGTH = 64;

/**
 * The rule that turns a foreign name into an exprun name: letters lose their accents and become
 * lowercase, every run of other characters becomes one hyphen, and leading and trailing hyphens go
 * ("Test Sktime" → "test-sktime", "May02_18-42-06_macbook.local" → "may02-18-42-06-macbook-local",
 * "Café/β" → "cafe"). Returns "" when nothing is left.
 */
export function slug(raw: string, maxLength: number = MAX_NAME_LENGTH): string {
  const ascii = raw.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  const name = ascii
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return trimTo(name, maxLength);
}

function trimTo(name: string, maxLength: number): string {
  return name.length <= maxLength ? name : name.slice(0, maxLength).replace(/-+$/, "");
}

/**
 * A valid experiment name for `raw`: {@link slug}, then "-exp" appended while shorter than exprun's
 * 4-character minimum ("cv" → "cv-exp"); `fallback` (already valid) when the slug is empty.
 */
export function experimentNameFor(raw: string, fallback: string): string {
  let name = slug(raw, MAX_IMPORTED_EXPERIMENT_LENGTH);
  if (name === "") name = slug(fallback, MAX_IMPORTED_EXPERIMENT_LENGTH);
  while (name.length < MIN_EXPERIMENT_NAME_LENGTH) name = `${name}-exp`.replace(/^-/, "");
  return name;
}

/**
 * Hands out names unique within one scope (the experiments of an import, or the runs of one
 * experiment). Asking again for the same key returns the same name; a name already taken by
 * another key gets "-2", "-3", … (cut to fit `maxLength`).
 */
export class NameBook {
  readonly #byKey = new Map<string, string>();
  readonly #taken = new Set<string>();
  readonly #maxLength: number;

  constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  /** The name for `key`, made from `base` (already a valid name, or "" to use `fallback`). */
  name(key: string, base: string, fallback: string): string {
    const known = this.#byKey.get(key);
    if (known !== undefined) return known;
    let stem = trimTo(base, this.#maxLength) || trimTo(fallback, this.#maxLength) || "run";
    if (!NAME_PATTERN.test(stem)) stem = slug(stem, this.#maxLength) || "run";
    let name = stem;
    for (let n = 2; this.#taken.has(name); n++) {
      const suffix = `-${n}`;
      name = `${trimTo(stem, this.#maxLength - suffix.length)}${suffix}`;
    }
    this.#taken.add(name);
    this.#byKey.set(key, name);
    return name;
  }
}

/** The longest run name that fits beside `experiment` in Vertex's `{experiment}-{run}` id. */
export function maxRunNameLength(experiment: string): number {
  return Math.min(MAX_NAME_LENGTH, MAX_RUN_RESOURCE_ID_LENGTH - experiment.length - 1);
}

/** Names for one import: experiments unique among themselves, runs unique within their experiment. */
export class ImportNames {
  readonly #experiments = new NameBook(MAX_IMPORTED_EXPERIMENT_LENGTH);
  readonly #runs = new Map<string, NameBook>();

  /** The exprun name of the source experiment `sourceId` called `sourceName` (`fallback` when that leaves nothing). */
  experiment(sourceId: string, sourceName: string, fallback: string): string {
    return this.#experiments.name(sourceId, experimentNameFor(sourceName, fallback), fallback);
  }

  /** The exprun name of run `sourceId` in `experiment`, made from `displayName` (else `fallback`). */
  run(experiment: string, sourceId: string, displayName: string, fallback: string): string {
    let book = this.#runs.get(experiment);
    if (!book) {
      book = new NameBook(maxRunNameLength(experiment));
      this.#runs.set(experiment, book);
    }
    return book.name(sourceId, slug(displayName), slug(fallback));
  }
}
