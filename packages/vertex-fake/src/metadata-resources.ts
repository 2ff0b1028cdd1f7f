import { randomUUID } from "node:crypto";
import type { Clock } from "./clock.js";
import { aborted, alreadyExists, failedPrecondition, invalidArgument, notFound, shown } from "./errors.js";
import type { FilterSchema } from "./filter.js";
import { type ListRequest, listPage } from "./listing.js";
import type { Operation, Operations } from "./lro.js";
import { idOf, type NameKind, parentOf, requireName } from "./names.js";
import type { Struct, Timestamp } from "./types.js";

/** What contexts, artifacts and executions share: the CRUD rules of ML Metadata resources. */
export interface MetadataResource {
  name: string;
  etag: string;
  createTime: Timestamp | null;
  updateTime: Timestamp | null;
  metadata: Struct | null;
}

/** How one kind of resource is stored, and which of its fields a client may write. */
export interface ResourceKind<T extends MetadataResource> {
  /** `Context`, `Artifact`, `Execution`: used in method names and messages. */
  label: string;
  nameKind: NameKind;
  /** Collection segment in names: `contexts`. */
  collection: string;
  /** Writable fields (camelCase) copied on create and on an update without a mask. */
  mutable: readonly (keyof T & string)[];
  get(name: string): T | undefined;
  put(resource: T): T;
  remove(name: string): void;
  /** The live stored resources under a store, unfiltered (not copied; MUST NOT be changed). */
  scan(parent: string): readonly T[];
  /** A stored resource as a response carries it: a shallow copy with output-only fields filled. */
  view(stored: T): T;
  schema: FilterSchema<T>;
  canonical(name: string): string;
  ensureStore(parent: string): void;
}

/** Python and the service use 4–128 chars of [a-z0-9-]; the fake accepts 1–128 (see README). */
const ID_PATTERN = /^[a-z0-9-]{1,128}$/;
/** The service's limit on a resource's metadata. */
const MAX_METADATA_BYTES = 200 * 1024;

interface FieldMask {
  paths: string[];
}

const camel = (path: string) => path.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The CRUD handlers of one ML Metadata resource kind, with the service's rules. */
export class MetadataResources<T extends MetadataResource> {
  readonly #kind: ResourceKind<T>;
  readonly #clock: Clock;
  readonly #operations: Operations;

  constructor(kind: ResourceKind<T>, clock: Clock, operations: Operations) {
    this.#kind = kind;
    this.#clock = clock;
    this.#operations = operations;
  }

  create(parentName: string, given: Partial<T> | null, requestedId: string): T {
    const kind = this.#kind;
    requireName(parentName, "metadataStore", "parent");
    const parent = kind.canonical(parentName);
    kind.ensureStore(parent);
    if (requestedId !== "" && !ID_PATTERN.test(requestedId)) {
      throw invalidArgument(
        `Invalid ${kind.label.toLowerCase()}_id ${shown(requestedId)}: valid characters are /[a-z][0-9]-/, at most 128 characters.`,
      );
    }
    const name = `${parent}/${kind.collection}/${requestedId || randomUUID()}`;
    if (kind.get(name)) throw alreadyExists(`${kind.label} with name ${name} already exists`);
    const now = this.#clock.now();
    const resource = {
      ...this.#writable(given ?? {}),
      name,
      etag: this.#clock.nextEtag(),
      createTime: now,
      updateTime: now,
    };
    checkMetadata(resource.metadata);
    return kind.put(resource as T);
  }

  get(name: string): T {
    const resource = this.#kind.get(name);
    if (!resource) throw this.#notFound(`Get${this.#kind.label}`, name);
    return resource;
  }

  list(request: ListRequest & { parent: string }, field: string): Record<string, unknown> {
    requireName(request.parent, "metadataStore", "parent");
    const parent = this.#kind.canonical(request.parent);
    const page = listPage([...this.#kind.scan(parent)], request, parent, this.#kind.schema, {
      defaultPageSize: 100,
      maxPageSize: 1000,
    });
    // Stored objects are never changed in place (an update stores a new object), and the
    // response is serialized at once, so a shallow view is enough.
    return { [field]: page.items.map((item) => this.#kind.view(item)), nextPageToken: page.nextPageToken };
  }

  update(given: Partial<T> | null, updateMask: FieldMask | null, allowMissing: boolean): T {
    const kind = this.#kind;
    const requested = given?.name ?? "";
    requireName(requested, kind.nameKind, `${kind.label.toLowerCase()}.name`);
    const existing = kind.get(requested);
    if (!existing) {
      if (!allowMissing) throw this.#notFound(`Update${kind.label}`, requested);
      return this.create(parentOf(requested), given, idOf(requested));
    }
    const etag = given?.etag ?? "";
    if (etag !== "" && etag !== existing.etag) {
      throw aborted(
        `Specified ${kind.label} \`etag\`: \`${etag}\` does not match server \`etag\`: \`${existing.etag}\``,
      );
    }
    const paths = updateMask?.paths ?? [];
    // Without a mask, every populated field is written (AIP-134's implied mask); Python sends
    // the whole resource, so for it this is a full replace.
    const updated: T =
      paths.length === 0 ? { ...existing, ...this.#writable(given ?? {}, isPopulated) } : { ...existing };
    for (const path of paths) this.#applyPath(updated, given ?? {}, path);
    checkMetadata(updated.metadata);
    updated.etag = this.#clock.nextEtag();
    updated.updateTime = this.#clock.now();
    return kind.put(updated);
  }

  delete(name: string, etag: string): Operation {
    const existing = this.#kind.get(name);
    if (!existing) throw this.#notFound(`Delete${this.#kind.label}`, name);
    if (etag !== "" && etag !== existing.etag) {
      throw failedPrecondition(
        `Specified ${this.#kind.label} \`etag\`: \`${etag}\` does not match server \`etag\`: \`${existing.etag}\``,
      );
    }
    this.#kind.remove(existing.name);
    return this.#operations.deleted(existing.name);
  }

  #notFound(method: string, name: string) {
    return notFound(
      `${method} is unable to find ${this.#kind.label.toLowerCase()} resource with name: ${name}`,
    );
  }

  /** The writable fields of `given` (those `keep` accepts), metadata keys trimmed as the service does. */
  #writable(given: Partial<T>, keep: (value: unknown) => boolean = (v) => v !== undefined): Partial<T> {
    const out: Partial<T> = {};
    for (const field of this.#kind.mutable) {
      if (keep(given[field])) out[field] = structuredClone(given[field]);
    }
    if ("metadata" in out) out.metadata = trimKeys(out.metadata ?? null) as T["metadata"];
    return out;
  }

  #applyPath(target: T, given: Partial<T>, path: string): void {
    const [head, ...rest] = path.split(".");
    const field = camel(head ?? "") as keyof T & string;
    if (!this.#kind.mutable.includes(field)) {
      throw invalidArgument(`Invalid update_mask path "${path}" for ${this.#kind.label}.`);
    }
    if (field === "metadata" && rest.length > 0) {
      // `metadata.<key>`: replace (or remove) one top-level key.
      const key = rest.join(".");
      const fields = { ...(target.metadata?.fields ?? {}) };
      const value = given.metadata?.fields?.[key];
      if (value === undefined) delete fields[key];
      else fields[key] = structuredClone(value);
      target.metadata = { fields };
      return;
    }
    if (rest.length > 0) throw invalidArgument(`Invalid update_mask path "${path}" for ${this.#kind.label}.`);
    const value = given[field];
    (target as Record<string, unknown>)[field] = structuredClone(value);
    if (field === "metadata") target.metadata = trimKeys(target.metadata);
  }
}

/** Whether a decoded field holds a value (proto3: not its default; a message counts when present). */
function isPopulated(value: unknown): boolean {
  if (value === undefined || value === null || value === "" || value === "STATE_UNSPECIFIED") return false;
  if (typeof value === "object" && !("fields" in value) && Object.keys(value).length === 0) return false;
  return true;
}

function trimKeys(metadata: Struct | null): Struct | null {
  if (!metadata) return metadata;
  const fields: Struct["fields"] = {};
  for (const [key, value] of Object.entries(metadata.fields ?? {})) fields[key.trim()] = value;
  return { fields };
}

function checkMetadata(metadata: Struct | null | undefined): void {
  if (!metadata) return;
  const size = Buffer.byteLength(JSON.stringify(metadata));
  if (size > MAX_METADATA_BYTES) {
    throw invalidArgument(`Metadata is too large: ${size} bytes; the limit is ${MAX_METADATA_BYTES} bytes.`);
  }
}
