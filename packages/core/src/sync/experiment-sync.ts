import type { CheckedBackend } from "../checked-backend.js";
import type { ExperimentRecord } from "../types.js";

/** What {@link syncExperiment} did (or, with `dryRun`, would do). */
export type ExperimentSyncOutcome = "created" | "updated" | "unchanged";

/**
 * Creates the experiment in the target, or brings its description and backing TensorBoard up to the
 * source's (a TensorBoard the target already has is kept). Resolves with what it did and the target's
 * record (`undefined` for a dry run that would create it).
 */
export async function syncExperiment(
  target: CheckedBackend,
  source: Pick<ExperimentRecord, "name" | "description" | "backingTensorboard">,
  options: { dryRun?: boolean } = {},
): Promise<{ outcome: ExperimentSyncOutcome; record: ExperimentRecord | undefined }> {
  const dryRun = options.dryRun === true;
  const existing = await target.getExperiment(source.name);
  if (!existing) {
    if (dryRun) return { outcome: "created", record: undefined };
    const record = await target.createExperiment({
      name: source.name,
      description: source.description,
      ...(source.backingTensorboard ? { backingTensorboard: source.backingTensorboard } : {}),
    });
    return { outcome: "created", record };
  }
  const patch: { description?: string; backingTensorboard?: string } = {};
  if (existing.description !== source.description) patch.description = source.description;
  if (source.backingTensorboard && !existing.backingTensorboard)
    patch.backingTensorboard = source.backingTensorboard;
  if (!Object.keys(patch).length) return { outcome: "unchanged", record: existing };
  const record = dryRun ? { ...existing, ...patch } : await target.updateExperiment(source.name, patch);
  return { outcome: "updated", record };
}
