import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { createFileBackend } from "./dist/index.js";
const base = fs.mkdtempSync("/tmp/a10/p1-");
// 1. runs/ is a symlink to a directory outside the store; delete a run
{
  const root = path.join(base, "s1");
  const b = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
  await b.createExperiment({ name: "exp1" });
  const r = await b.createRun("exp1", { name: "run1", state: "RUNNING" });
  await b.appendTimeSeries({ experiment: "exp1", run: "run1" }, [{ step: 1, wallTime: 1, values: { a: 1 } }]);
  await b.flush();
  const runs = path.join(root, "experiments/exp1/runs");
  const outside = path.join(base, "outside-runs");
  fs.renameSync(runs, outside);
  fs.symlinkSync(outside, runs);
  console.log("outside before:", fs.readdirSync(outside));
  try { await b.deleteRun({ experiment: "exp1", run: "run1" }); console.log("delete resolved"); } catch (e) { console.log("delete:", e.message); }
  console.log("outside after:", fs.readdirSync(outside));
  await b.close().catch(e => console.log("close", e.message));
}
// 2. FIFO as experiment.jsonl / runs.jsonl
for (const f of ["experiment.jsonl", "runs.jsonl"]) {
  const root = path.join(base, "s2" + f);
  const b = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
  await b.createExperiment({ name: "exp1" });
  await b.createRun("exp1", { name: "run1", state: "RUNNING" });
  await b.close();
  const p = path.join(root, "experiments/exp1", f);
  fs.rmSync(p); execFileSync("mkfifo", [p]);
  const out = execFileSync("timeout", ["5", "node", "-e", `import("${process.cwd()}/dist/index.js").then(async m => { const b = m.createFileBackend({ root: "${root}" }); try { console.log(JSON.stringify(await b.listRuns("exp1"))); } catch (e) { console.log("err", e.message) } await b.close().catch(()=>{}); })`], { encoding: "utf8" }).toString();
  console.log("fifo", f, out.trim().slice(0, 300));
}
