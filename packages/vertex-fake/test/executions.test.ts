import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { toStruct } from "../src/index.js";
import { codeOf, type Harness, STORE, startHarness } from "./setup.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 30_000);
afterAll(() => h.close());
beforeEach(() => h.fake.reset());

async function artifact(id: string) {
  const [created] = await h.metadata.createArtifact({
    parent: STORE,
    artifactId: id,
    artifact: { schemaTitle: "system.Dataset", uri: `gs://bucket/${id}` },
  });
  return created.name!;
}

describe("executions and events", () => {
  it("creates, updates the state of, lists and deletes an execution", async () => {
    const [created] = await h.metadata.createExecution({
      parent: STORE,
      executionId: "train-1",
      execution: {
        schemaTitle: "system.ContainerExecution",
        state: "RUNNING",
        metadata: toStruct({ epochs: 3 }),
      },
    });
    expect(created.state).toBe("RUNNING");
    const [updated] = await h.metadata.updateExecution({ execution: { ...created, state: "COMPLETE" } });
    expect(updated.state).toBe("COMPLETE");
    const [listed] = await h.metadata.listExecutions({ parent: STORE, filter: 'state="COMPLETE"' });
    expect(listed.map((e) => e.name)).toEqual([created.name]);
    const [operation] = await h.metadata.deleteExecution({ name: created.name });
    await operation.promise();
    expect((await codeOf(h.metadata.getExecution({ name: created.name }))).code).toBe(status.NOT_FOUND);
  });

  it("records input and output events and answers QueryExecutionInputsAndOutputs", async () => {
    const [execution] = await h.metadata.createExecution({
      parent: STORE,
      execution: { schemaTitle: "system.Run" },
    });
    const input = await artifact("data-in");
    const output = await artifact("model-out");
    const events = [
      { artifact: input, type: "INPUT" as const },
      { artifact: output, type: "OUTPUT" as const },
    ];
    await h.metadata.addExecutionEvents({ execution: execution.name, events });
    await h.metadata.addExecutionEvents({ execution: execution.name, events: events.slice(0, 1) });
    const [graph] = await h.metadata.queryExecutionInputsAndOutputs({ execution: execution.name });
    expect(graph.executions?.map((e) => e.name)).toEqual([execution.name]);
    expect(graph.artifacts?.map((a) => a.name)).toEqual([input, output]);
    expect(graph.events?.map((e) => [e.artifact, e.type])).toEqual([
      [input, "INPUT"],
      [output, "OUTPUT"],
    ]);
    expect(h.fake.store.listEvents(execution.name!)).toHaveLength(2);
  });

  it("rejects an event naming an artifact that does not exist", async () => {
    const [execution] = await h.metadata.createExecution({
      parent: STORE,
      execution: { schemaTitle: "system.Run" },
    });
    const error = await codeOf(
      h.metadata.addExecutionEvents({
        execution: execution.name,
        events: [{ artifact: `${STORE}/artifacts/none`, type: "INPUT" }],
      }),
    );
    expect(error.code).toBe(status.NOT_FOUND);
  });

  it("lists the legacy runs of an experiment: executions associated with it, via in_context", async () => {
    const [experiment] = await h.metadata.createContext({
      parent: STORE,
      contextId: "exp",
      context: { schemaTitle: "system.Experiment" },
    });
    const names: string[] = [];
    for (const title of ["system.Run", "system.Run", "system.ContainerExecution"]) {
      const [e] = await h.metadata.createExecution({ parent: STORE, execution: { schemaTitle: title } });
      names.push(e.name!);
    }
    await h.metadata.createExecution({ parent: STORE, execution: { schemaTitle: "system.Run" } });
    await h.metadata.addContextArtifactsAndExecutions({ context: experiment.name, executions: names });
    const [found] = await h.metadata.listExecutions({
      parent: STORE,
      filter: `schema_title="system.Run" AND in_context("${experiment.name}")`,
    });
    expect(found.map((e) => e.name)).toEqual(names.slice(0, 2));
    expect(h.fake.store.contextExecutions(experiment.name!)).toEqual(names);
  });

  it("drops an execution's associations and events when it is deleted", async () => {
    const [context] = await h.metadata.createContext({ parent: STORE, contextId: "ctx1", context: {} });
    const [execution] = await h.metadata.createExecution({ parent: STORE, execution: {} });
    const input = await artifact("data-in");
    await h.metadata.addContextArtifactsAndExecutions({
      context: context.name,
      executions: [execution.name!],
    });
    await h.metadata.addExecutionEvents({
      execution: execution.name,
      events: [{ artifact: input, type: "INPUT" }],
    });
    const [operation] = await h.metadata.deleteExecution({ name: execution.name });
    await operation.promise();
    expect(h.fake.store.contextExecutions(context.name!)).toEqual([]);
    expect(h.fake.store.listEvents()).toEqual([]);
  });
});
