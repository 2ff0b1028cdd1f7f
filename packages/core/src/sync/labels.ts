import { LABEL_PATTERN, MAX_LABELS } from "../fields.js";
import { isReservedKey } from "../validation.js";

/** The longest label key or value (`LABEL_PATTERN`). */
const MAX_LABEL_LENGTH = 63;

/**
 * The label key a tag key becomes on a store whose tags are Vertex labels (`capabilities.tagsAsLabels`),
 * when copies and imports bring tags from stores that keep any string: accents dropped, lowercase,
 * every character other than a letter, digit, `_` or `-` becomes `_`, cut to 63 characters —
 * `mlflow.user` → `mlflow_user`, `mlflow.source.git.commit` → `mlflow_source_git_commit`, `My Tag` →
 * `my_tag`. Keys are names, so they are renamed; values are data, so they are never changed.
 */
export function labelKey(key: string): string {
  return key
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "_")
    .slice(0, MAX_LABEL_LENGTH);
}

/** Why a tag has no place among a run's labels. */
export type LabelMiss =
  /** Its value is not a label value (uppercase, `.`, `/`, spaces, over 63 characters). */
  | "value"
  /** Its key renames to nothing, or to the key of another tag of the run. */
  | "key"
  /** The run would have more than 64 labels. */
  | "limit";

/** What {@link fitTagsToLabels} kept, renamed and left out. */
export interface LabelFit {
  tags: Record<string, string>;
  /** Source keys that were renamed, with their label key. */
  renamed: [from: string, to: string][];
  left: { key: string; value: string; reason: LabelMiss }[];
}

/**
 * Fits tags to Vertex label rules, the same way for `exprun copy` and the importers: keys are renamed
 * by {@link labelKey} (a key that is already a label key first, so it never loses its place to a
 * renamed one); a tag whose value is not a label value, whose key renames to nothing or onto another
 * tag's, or that would pass the 64-label limit (counting `existing`, the labels the run already has)
 * is left out and returned in `left`, for the caller to report.
 */
export function fitTagsToLabels(
  tags: Readonly<Record<string, string>>,
  existing: Readonly<Record<string, string>> = {},
): LabelFit {
  const out: LabelFit = { tags: {}, renamed: [], left: [] };
  const entries = Object.entries(tags);
  const labels = new Set(Object.keys(existing));
  for (const [key, value] of [
    ...entries.filter(([k]) => LABEL_PATTERN.test(k)),
    ...entries.filter(([k]) => !LABEL_PATTERN.test(k)),
  ]) {
    const to = labelKey(key);
    if (to === "" || isReservedKey(to) || Object.hasOwn(out.tags, to)) {
      out.left.push({ key, value, reason: "key" });
    } else if (!LABEL_PATTERN.test(value)) {
      out.left.push({ key, value, reason: "value" });
    } else if (!labels.has(to) && labels.size >= MAX_LABELS) {
      out.left.push({ key, value, reason: "limit" });
    } else {
      if (to !== key) out.renamed.push([key, to]);
      labels.add(to);
      out.tags[to] = value;
    }
  }
  return out;
}
