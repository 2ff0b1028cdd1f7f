import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exprun, tempDir } from "./helpers/cli.js";

// Python with pandas, when this machine has it (Debian: apt-get install python3-pandas).
const python = ["/usr/bin/python3", "python3"].find(
  (exe) => spawnSync(exe, ["-c", "import pandas"], { stdio: "ignore" }).status === 0,
);
const tmp = tempDir();
afterAll(() => tmp.remove());

// The frame Python's get_experiment_df would build from the same runs (numbers are doubles in
// Vertex metadata), written with pandas' own to_csv.
const PYTHON_CSV = `
import json, sys, pandas as pd
def value(v):
    if isinstance(v, dict): return float(v["$float"].replace("Infinity", "inf"))
    if v is None or isinstance(v, (bool, str)): return v
    return float(v)
rows = json.load(sys.stdin)
sys.stdout.write(pd.DataFrame([{k: value(v) for k, v in r.items()} for r in rows]).to_csv(index=False))
`;

describe.skipIf(!python)("export --format csv, checked against pandas", () => {
  it("writes exactly the text pandas' DataFrame.to_csv writes for the same frame", async () => {
    const store = ["--backend", `file:${path.join(tmp.dir, "store")}`];
    const run = (args: string[]) => exprun([...args, ...store]);
    await run([
      "log",
      "params",
      "-r",
      "expo/r1",
      "--create",
      "lr=0.1",
      "n=3",
      "flag=true",
      'name=a, "quoted" thing',
      "big=1e16",
      "small=0.00001",
    ]);
    await run([
      "log",
      "params",
      "-r",
      "expo/r2",
      "--create",
      "lr=NaN",
      "n=4",
      "flag=false",
      "name=plain",
      "big=-Infinity",
      "small=inf",
    ]);
    await run(["log", "metrics", "-r", "expo/r1", "acc=0.30000000000000004"]);
    await run(["runs", "create", "r3", "-e", "expo"]);
    const csv = await run(["export", "-e", "expo"]);
    const json = await run(["export", "-e", "expo", "--format", "json"]);
    expect(csv.code).toBe(0);
    const pandas = spawnSync(python!, ["-c", PYTHON_CSV], { input: json.stdout, encoding: "utf8" });
    expect(pandas.stderr).toBe("");
    expect(csv.stdout).toBe(pandas.stdout);
  });
});
