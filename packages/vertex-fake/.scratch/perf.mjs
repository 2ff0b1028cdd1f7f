import { startVertexFake, toStruct } from "@exprun/vertex-fake";
import { v1 } from "@google-cloud/aiplatform";

const fake = await startVertexFake();
const client = new v1.MetadataServiceClient(fake.clientOptions());
const MS = "projects/p/locations/us-central1/metadataStores/default";
fake.store.putContext({ name: `${MS}/contexts/exp`, schemaTitle: "system.Experiment" });
const runs = [];
for (let i = 0; i < 10000; i++) {
  const name = `${MS}/contexts/exp-run-${i}`;
  fake.store.putContext({
    name,
    displayName: `run-${i}`,
    schemaTitle: "system.ExperimentRun",
    metadata: toStruct({
      _params: { lr: 0.1, a: "x", b: 2 },
      _metrics: { acc: 0.9, loss: 0.1 },
      _state: "COMPLETE",
    }),
  });
  runs.push(name);
}
fake.store.addContextChildren(`${MS}/contexts/exp`, runs);
await client.listContexts({ parent: MS, filter: 'display_name="none"' });
const t = Date.now();
const [all] = await client.listContexts(
  {
    parent: MS,
    filter: `schema_title="system.ExperimentRun" AND parent_contexts:"${MS}/contexts/exp"`,
    pageSize: 1000,
  },
  { autoPaginate: true },
);
console.log("handler ms", Math.round(globalThis.__handlerMs));
console.log("list 10k", all.length, Date.now() - t, "ms", fake.rpcCounts());
await client.close();
await fake.close();
