import { createHash } from "node:crypto";
import { stringifyJson } from "../codec.js";

/** A short, stable hash of a value (NaN-safe JSON). */
export function fingerprint(value: unknown): string {
  return createHash("sha256").update(stringifyJson(value)).digest("hex").slice(0, 10);
}

/**
 * The id a resource gets in the target store: the source id when it is a plain name, else its last
 * path segment made safe (lowercase letters, digits, hyphens), so a Vertex resource name like
 * `projects/p/…/artifacts/abc` becomes `abc`.
 */
export function targetId(sourceId: string): string {
  if (/^[a-z0-9][a-z0-9-]{0,127}$/.test(sourceId)) return sourceId;
  const last = sourceId.split("/").filter(Boolean).pop() ?? sourceId;
  const safe = last
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 100);
  return safe === ""
    ? `r-${fingerprint(sourceId)}`
    : safe === sourceId
      ? safe
      : `${safe}-${fingerprint(sourceId).slice(0, 6)}`;
}

/** The id used when the natural target id is taken by a different resource. */
export function alternateId(base: string, identity: unknown): string {
  return `${base.slice(0, 100)}-${fingerprint(identity)}`;
}
