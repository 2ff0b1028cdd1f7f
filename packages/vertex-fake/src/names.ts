import { invalidArgument, shown } from "./errors.js";

/**
 * Resource names. The real service accepts a project id or number in a request and answers with
 * the project NUMBER in every resource name it returns; the fake does the same. Every name that
 * enters the fake is made canonical (project number) before it is used as a key, so both spellings
 * reach the same resource.
 */
export class ProjectNumbers {
  readonly #primary: string;
  readonly #byId = new Map<string, string>();

  constructor(primaryNumber: string) {
    if (!/^[0-9]+$/.test(primaryNumber)) {
      throw new Error(`[exprun] [vertex-fake] projectNumber must be digits, got "${primaryNumber}".`);
    }
    this.#primary = primaryNumber;
  }

  /** The number of a project given by id or number: the first id seen gets the configured number. */
  numberOf(project: string): string {
    if (/^[0-9]+$/.test(project)) return project;
    let number = this.#byId.get(project);
    if (number === undefined) {
      number = (BigInt(this.#primary) + BigInt(this.#byId.size)).toString();
      this.#byId.set(project, number);
    }
    return number;
  }

  /** The same name with the project number in place of a project id. */
  canonical(name: string): string {
    if (!name.startsWith("projects/")) return name;
    const end = name.indexOf("/", "projects/".length);
    const project = end === -1 ? name.slice(9) : name.slice(9, end);
    const number = this.numberOf(project);
    return end === -1 ? `projects/${number}` : `projects/${number}${name.slice(end)}`;
  }
}

/**
 * Name patterns, as collection segments between ids: `["locations", "metadataStores", "contexts"]`
 * describes `projects/{p}/locations/{l}/metadataStores/{s}/contexts/{c}`.
 */
export const PATTERNS = {
  location: ["locations"],
  metadataStore: ["locations", "metadataStores"],
  context: ["locations", "metadataStores", "contexts"],
  artifact: ["locations", "metadataStores", "artifacts"],
  execution: ["locations", "metadataStores", "executions"],
  pipelineJob: ["locations", "pipelineJobs"],
  tensorboard: ["locations", "tensorboards"],
  tensorboardExperiment: ["locations", "tensorboards", "experiments"],
  tensorboardRun: ["locations", "tensorboards", "experiments", "runs"],
  tensorboardTimeSeries: ["locations", "tensorboards", "experiments", "runs", "timeSeries"],
} as const;

export type NameKind = keyof typeof PATTERNS;

/** Whether `name` has the shape of `kind` (every id non-empty and free of `/`). */
export function isName(name: string, kind: NameKind): boolean {
  const parts = name.split("/");
  const collections = PATTERNS[kind];
  if (parts.length !== 2 + collections.length * 2 || parts[0] !== "projects") return false;
  for (let i = 0; i < collections.length; i++) {
    if (parts[2 + i * 2] !== collections[i]) return false;
  }
  return parts.every((part) => part.length > 0);
}

/** Throws INVALID_ARGUMENT naming the field when `name` is not a `kind` name. */
export function requireName(name: string, kind: NameKind, field: string): void {
  if (!isName(name, kind)) {
    const pattern = ["projects/{project}", ...PATTERNS[kind].map((c) => `${c}/{${singular(c)}}`)].join("/");
    throw invalidArgument(`Invalid ${field}: ${shown(name)}. Expected the format ${pattern}.`);
  }
}

function singular(collection: string): string {
  if (collection === "timeSeries") return "time_series";
  if (collection === "metadataStores") return "metadata_store";
  return collection.replace(/s$/, "");
}

/** The last segment of a resource name. */
export function idOf(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}

/** The name of the resource that holds `name` (drops the last collection and id). */
export function parentOf(name: string): string {
  const parts = name.split("/");
  return parts.slice(0, -2).join("/");
}
