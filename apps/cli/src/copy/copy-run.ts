import {
  type ArtifactRecord,
  type Backend,
  collectPages,
  type ExecutionRecord,
  type RunPatch,
  type RunRecord,
  type RunRef,
  readSeriesPoints,
  type SeriesPoint,
  settlePoints,
  type TimeSeriesWrite,
  type Value,
} from "@exprun/core";
import { deepEqual } from "./equal.js";
import type { ResourceMapper } from "./resources.js";
import type { CopySummary } from "./summary.js";

/** The artifacts and executions attributed to a run in the source, in the source's order. */
export interface RunLinks {
  artifacts: ArtifactRecord[];
  executions: ExecutionRecord[];
}

/**
 * Brings one run of the target up to date with the source: params, metrics, state, TensorBoard
 * assignment, time-series points (step and wall time kept), attributed artifacts and executions, and
 * children such as pipeline jobs. Writes only what is missing or different; resolves whether it wrote.
 */
export async function copyRun(
  source: Backend,
  target: Backend,
  run: RunRecord,
  existing: { record: RunRecord; fresh: boolean; dryRun?: boolean; backingTensorboard?: string | undefined },
  links: RunLinks,
  mapper: ResourceMapper,
  summary: CopySummary,
): Promise<boolean> {
  const ref: RunRef = { experiment: run.experiment, run: run.name };
  // A run just created has nothing in it yet, so its data need not be read back from the target.
  const fresh = existing.fresh;
  let current = existing.record;
  // With dryRun, everything is compared and counted but nothing is written.
  const write = existing.dryRun !== true;
  let wrote = fresh;

  const patch: RunPatch = {};
  const params = changedKeys(run.params, current.params);
  const metrics = changedKeys(run.metrics, current.metrics);
  if (params) patch.params = params;
  if (metrics) patch.metrics = metrics;
  if (run.state !== current.state) patch.state = run.state;
  if (Object.keys(patch).length) {
    if (write) current = await target.updateRun(ref, patch);
    summary.copied.params += Object.keys(params ?? {}).length;
    summary.copied.metrics += Object.keys(metrics ?? {}).length;
    if (patch.state && !fresh) summary.copied.states++;
    wrote = true;
  }

  const points = await missingPoints(source, target, ref, fresh);
  // A store whose time series need a TensorBoard (Vertex) gets the source's, else the target
  // experiment's backing TensorBoard, as core does when a run is created there.
  const tensorboard =
    run.tensorboardRun !== undefined
      ? tensorboardOf(run.tensorboardRun)
      : target.capabilities.requiresTensorboard && points.length
        ? existing.backingTensorboard
        : undefined;
  let hasTensorboard = current.tensorboardRun !== undefined;
  if (tensorboard && !hasTensorboard) {
    if (write) await target.assignRunTensorboard(ref, tensorboard);
    summary.copied.tensorboards++;
    hasTensorboard = true;
    wrote = true;
  }
  if (points.length && target.capabilities.requiresTensorboard && !hasTensorboard) {
    summary.warnings.push(
      `Time series of ${ref.experiment}/${ref.run} were not copied: the target needs a TensorBoard for them. ` +
        `Give the experiment a backing TensorBoard in the target (exprun experiments create … --tensorboard) and copy again.`,
    );
  } else if (points.length) {
    if (write) await target.appendTimeSeries(ref, toWrites(points));
    summary.copied.points += points.length;
    wrote = true;
  }

  const artifactIds: string[] = [];
  for (const a of links.artifacts) {
    const id = await mapper.artifact(a);
    if (id !== undefined) artifactIds.push(id);
  }
  const executionIds: string[] = [];
  for (const e of links.executions) executionIds.push(await mapper.execution(e));
  const attributed = fresh
    ? { artifacts: new Set<string>(), executions: new Set<string>() }
    : {
        artifacts: new Set(
          (await collectPages((page) => target.listArtifacts({ ...page, run: ref }))).map((a) => a.id),
        ),
        executions: new Set(
          (await collectPages((page) => target.listExecutions({ ...page, run: ref }))).map((e) => e.id),
        ),
      };
  const missing = {
    artifacts: artifactIds.filter((id) => !attributed.artifacts.has(id)),
    executions: executionIds.filter((id) => !attributed.executions.has(id)),
  };
  if (missing.artifacts.length || missing.executions.length) {
    if (write) await target.attributeToRun(ref, missing);
    summary.copied.attributions += missing.artifacts.length + missing.executions.length;
    wrote = true;
  }

  const children = await source.listRunChildren(ref);
  if (children.length) {
    const have = new Set(fresh ? [] : (await target.listRunChildren(ref)).map((c) => c.resourceName));
    const missing = children.filter((c) => !have.has(c.resourceName));
    if (missing.length) {
      if (write) await target.addRunChildren(ref, missing);
      summary.copied.children += missing.length;
      wrote = true;
    }
  }
  return wrote;
}

function changedKeys(
  source: Record<string, Value>,
  target: Record<string, Value>,
): Record<string, Value> | undefined {
  const out: Record<string, Value> = {};
  for (const [k, v] of Object.entries(source)) {
    if (!(k in target) || !deepEqual(target[k], v) || typeof target[k] !== typeof v) out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Settled source points the target lacks or holds with another value or wall time. */
async function missingPoints(
  source: Backend,
  target: Backend,
  ref: RunRef,
  fresh: boolean,
): Promise<SeriesPoint[]> {
  const wanted = settlePoints(await readSeriesPoints(source, ref));
  if (fresh || wanted.length === 0) return wanted;
  const have = new Map<string, SeriesPoint>();
  for (const p of settlePoints(await readSeriesPoints(target, ref)))
    have.set(`${p.metric}\u0000${p.step}`, p);
  return wanted.filter((p) => {
    const t = have.get(`${p.metric}\u0000${p.step}`);
    return !t || !Object.is(t.value, p.value) || t.wallTime !== p.wallTime;
  });
}

/** Points grouped back into writes of one (step, wall time), so DataFrame rows come out as in the source. */
function toWrites(points: SeriesPoint[]): TimeSeriesWrite[] {
  const writes = new Map<string, TimeSeriesWrite>();
  for (const p of points) {
    const key = `${p.step}\u0000${p.wallTime}`;
    let write = writes.get(key);
    if (!write) {
      write = { step: p.step, wallTime: p.wallTime, values: {} };
      writes.set(key, write);
    }
    write.values[p.metric] = p.value;
  }
  return [...writes.values()];
}

/** `…/tensorboards/T/experiments/E/runs/R` → `…/tensorboards/T`, the TensorBoard to assign. */
export function tensorboardOf(tensorboardRun: string): string {
  const at = tensorboardRun.indexOf("/experiments/");
  return at === -1 ? tensorboardRun : tensorboardRun.slice(0, at);
}
