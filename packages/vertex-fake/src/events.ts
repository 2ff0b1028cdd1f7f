import type { Clock } from "./clock.js";
import { invalidArgument, notFound } from "./errors.js";
import { requireName } from "./names.js";
import type { VertexStore } from "./store.js";
import type { Event } from "./types.js";

/** AddExecutionEvents: links input/output artifacts to an execution (repeated events are skipped). */
export function addExecutionEvents(
  store: VertexStore,
  clock: Clock,
  execution: string,
  events: Event[],
): object {
  requireName(execution, "execution", "execution");
  const target = store.getExecution(execution);
  if (!target) throw notFound(`Execution ${store.canonical(execution)} not found.`);
  const now = clock.now();
  const checked = events.map((event) => {
    requireName(event.artifact, "artifact", "events.artifact");
    if (!store.getArtifact(event.artifact))
      throw notFound(`Artifact ${store.canonical(event.artifact)} not found.`);
    if (event.type !== "INPUT" && event.type !== "OUTPUT") {
      throw invalidArgument(`Event type must be INPUT or OUTPUT, got ${event.type}.`);
    }
    return { ...event, execution: target.name, eventTime: now, labels: event.labels ?? {} };
  });
  store.addEvents(checked);
  return {};
}

/** QueryExecutionInputsAndOutputs: the execution, its events and the artifacts they name. */
export function queryExecutionInputsAndOutputs(store: VertexStore, execution: string): object {
  requireName(execution, "execution", "execution");
  const target = store.getExecution(execution);
  if (!target) throw notFound(`Execution ${store.canonical(execution)} not found.`);
  const events = store.listEvents(target.name);
  const artifactNames = [...new Set(events.map((event) => event.artifact))];
  const artifacts = artifactNames.flatMap((name) => store.getArtifact(name) ?? []);
  return { artifacts, executions: [target], events };
}
