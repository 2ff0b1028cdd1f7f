import { createMemoryBackend } from "@exprun/backend-memory";
import { type Backend, BackendError, parseJson, ValidationError } from "@exprun/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUiApp, startUiServer, type UiApp } from "../src/index.js";
import { CONTENT_SECURITY_POLICY } from "../src/server/security.js";
import { decodeSeriesResponse } from "./decode-series.js";
import { EXPERIMENT, SPIKE_STEP, seedStore, XSS_VALUE } from "./fixtures.js";

let backend: Backend;
let ui: UiApp;

beforeAll(async () => {
  backend = createMemoryBackend({ pageSize: 2 }); // small store pages: every listing crosses pages
  await seedStore(backend);
  ui = createUiApp({ backend, onError: () => undefined });
});
afterAll(() => ui.close());

async function get(path: string, headers: Record<string, string> = {}) {
  return ui.app.request(path, { headers: { host: "127.0.0.1:5130", ...headers } });
}
async function getJson<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }> {
  const response = await get(path);
  return { status: response.status, body: parseJson<T>(await response.text()) };
}
async function expectError(path: string, status: number, code: string, parameter?: string) {
  const { status: actual, body } = await getJson<{
    error: { code: string; message: string; parameter?: string };
  }>(path);
  expect({ status: actual, code: body.error.code }).toEqual({ status, code });
  if (parameter) expect(body.error.parameter).toBe(parameter);
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error;
}

interface RunsPage {
  total: number;
  columns: string[];
  rows: unknown[][];
  next?: string;
  allColumns?: { params: string[]; metrics: string[]; series: string[]; tags: string[] };
}
const runsPath = (query = "") => `/api/experiments/${EXPERIMENT}/runs${query ? `?${query}` : ""}`;

describe("GET /api/store", () => {
  it("names the backend and the limits, and never its credentials", async () => {
    const secretive = Object.create(backend, {
      credentials: { value: { token: "s3cr3t-token" } },
    }) as Backend;
    const app = createUiApp({ backend: secretive, storeLabel: "memory:" });
    const response = await app.app.request("/api/store", { headers: { host: "localhost:1" } });
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ backend: "memory", label: "memory:", readOnly: true });
    expect(text).not.toContain("s3cr3t");
    app.close();
  });
  it("refuses query parameters it does not take", async () => {
    await expectError("/api/store?x=1", 400, "UNKNOWN_PARAMETER", "x");
  });
});

describe("GET /api/experiments", () => {
  it("lists experiments with run counts and last update", async () => {
    const { body } = await getJson<{
      items: { name: string; runs: number; runsByState: Record<string, number>; description: string }[];
    }>("/api/experiments");
    const exp = body.items.find((e) => e.name === EXPERIMENT)!;
    expect(exp).toMatchObject({
      runs: 4,
      runsByState: { COMPLETE: 3, FAILED: 1 },
      description: "image classifiers, <b>not bold</b>",
    });
    expect(body.items.map((e) => e.name).sort()).toEqual(["empty-exp", EXPERIMENT].sort());
  });
  it("filters by name or description, case-insensitively", async () => {
    const { body } = await getJson<{ items: { name: string }[] }>("/api/experiments?q=NOTHING");
    expect(body.items.map((e) => e.name)).toEqual(["empty-exp"]);
  });
  it("pages with a token, every experiment exactly once", async () => {
    const first = await getJson<{ items: { name: string }[]; nextPageToken?: string }>(
      "/api/experiments?pageSize=1",
    );
    expect(first.body.items).toHaveLength(1);
    const second = await getJson<{ items: { name: string }[]; nextPageToken?: string }>(
      `/api/experiments?pageSize=1&pageToken=${first.body.nextPageToken}`,
    );
    expect(second.body.nextPageToken).toBeUndefined();
    expect([...first.body.items, ...second.body.items].map((e) => e.name).sort()).toEqual(
      ["empty-exp", EXPERIMENT].sort(),
    );
  });
  it.each([
    ["pageSize=0", "pageSize"],
    ["pageSize=101", "pageSize"],
    ["pageSize=ten", "pageSize"],
    ["pageSize=1&pageSize=2", "pageSize"],
    [`q=${"x".repeat(201)}`, "q"],
  ])("answers 400 INVALID_PARAMETER to ?%s", async (query, parameter) => {
    await expectError(`/api/experiments?${query}`, 400, "INVALID_PARAMETER", parameter);
  });
  it("answers 400 BAD_CURSOR to a page token it did not issue", async () => {
    await expectError("/api/experiments?pageToken=garbage", 400, "BAD_CURSOR", "pageToken");
  });
});

describe("GET /api/experiments/:experiment", () => {
  it("summarises the experiment", async () => {
    const { body } = await getJson(`/api/experiments/${EXPERIMENT}`);
    expect(body).toMatchObject({ name: EXPERIMENT, runs: 4, backingTensorboard: null });
  });
  it("answers 404 for a missing experiment and 400 for an invalid name", async () => {
    await expectError("/api/experiments/no-such-exp", 404, "NOT_FOUND");
    await expectError("/api/experiments/Bad_Name", 400, "INVALID_PARAMETER", "experiment");
  });
});

describe("GET /api/experiments/:experiment/runs", () => {
  it("returns rows newest first with every param and metric column and NaN kept", async () => {
    const { body } = await getJson<RunsPage>(runsPath("withColumns=1"));
    expect(body.total).toBe(4);
    expect(body.rows.map((r) => r[0])).toEqual(["html-run", "gamma", "beta", "alpha"]);
    expect(body.columns).toContain("param.learning_rate");
    expect(body.columns).toContain("metric.accuracy");
    const gamma = body.rows[1]!;
    expect(gamma[1]).toBe("FAILED");
    expect(Number.isNaN(gamma[4 + body.columns.indexOf("metric.accuracy")])).toBe(true);
    expect(body.allColumns?.params).toEqual(["augment", "batch_size", "learning_rate", "model", "note"]);
    expect(body.rows[0]![4 + body.columns.indexOf("param.note")]).toBe(XSS_VALUE);
  });
  it("sorts on the server by several keys; missing values last", async () => {
    const byAccuracy = await getJson<RunsPage>(runsPath("sort=metric.accuracy&columns=metric.accuracy"));
    expect(byAccuracy.body.rows.map((r) => r[0])).toEqual(["beta", "alpha", "gamma", "html-run"]);
    const twoKeys = await getJson<RunsPage>(
      runsPath(`sort=${encodeURIComponent("param.model,-param.learning_rate")}`),
    );
    expect(twoKeys.body.rows.map((r) => r[0])).toEqual(["alpha", "beta", "html-run", "gamma"]);
    const byName = await getJson<RunsPage>(runsPath("sort=run_name"));
    expect(byName.body.rows.map((r) => r[0])).toEqual(["alpha", "beta", "gamma", "html-run"]);
  });
  it("filters in the CLI's filter language", async () => {
    const { body } = await getJson<RunsPage>(
      runsPath(`filter=${encodeURIComponent("param.model = cnn and metric.accuracy > 0.9")}`),
    );
    expect(body.rows.map((r) => r[0])).toEqual(["alpha"]);
    expect(body.total).toBe(1);
    const series = await getJson<RunsPage>(
      runsPath(`filter=${encodeURIComponent("time_series_metric.loss < 0.019")}&columns=series.loss`),
    );
    expect(series.body.rows.map((r) => r[0]).sort()).toEqual(["alpha", "gamma"]);
    expect(series.body.rows[0]![4]).toBeLessThan(0.019);
  });
  it("reads core's whole language: tags, IN, LIKE and the run's times", async () => {
    const byTag = await getJson<RunsPage>(
      runsPath(`filter=${encodeURIComponent("tag.team = vision")}&columns=tag.team,tag.owner&withColumns=1`),
    );
    expect(byTag.body.rows).toEqual([
      ["alpha", "COMPLETE", expect.any(Number), expect.any(Number), "vision", "ana"],
    ]);
    expect(byTag.body.allColumns?.tags).toEqual(["owner", "team"]);
    const inList = await getJson<RunsPage>(
      runsPath(`filter=${encodeURIComponent("param.model IN ('mlp') or run_name LIKE 'be%'")}&sort=run_name`),
    );
    expect(inList.body.rows.map((r) => r[0])).toEqual(["beta", "gamma"]);
    const oldest = await getJson<RunsPage>(runsPath("sort=created&limit=1"));
    expect(oldest.body.rows.map((r) => r[0])).toEqual(["alpha"]);
  });
  it("walks every run exactly once with keyset cursors", async () => {
    for (const sort of ["created:desc", "metric.accuracy", "-param.model,run_name", "tag.team,-updated"]) {
      const seen: string[] = [];
      let after: string | undefined;
      for (let i = 0; i < 10; i++) {
        const { body } = await getJson<RunsPage>(
          runsPath(`limit=1&sort=${encodeURIComponent(sort)}${after ? `&after=${after}` : ""}`),
        );
        seen.push(...body.rows.map((r) => String(r[0])));
        after = body.next;
        if (!after) break;
      }
      expect(seen.sort()).toEqual(["alpha", "beta", "gamma", "html-run"]);
    }
  });
  it("pages from the end with reverse=1, in exactly the reverse order", async () => {
    const sort = encodeURIComponent("param.model,-param.batch_size");
    const forward = await getJson<RunsPage>(runsPath(`sort=${sort}`));
    const backward: string[] = [];
    let after: string | undefined;
    do {
      const { body } = await getJson<RunsPage>(
        runsPath(`sort=${sort}&reverse=1&limit=1${after ? `&after=${after}` : ""}`),
      );
      backward.push(...body.rows.map((r) => String(r[0])));
      after = body.next;
    } while (after);
    expect(backward).toEqual(forward.body.rows.map((r) => String(r[0])).reverse());
    const { body } = await getJson<RunsPage>(runsPath(`sort=${sort}&limit=1`));
    await expectError(runsPath(`sort=${sort}&reverse=1&after=${body.next}`), 400, "BAD_CURSOR", "after");
  });
  it("answers 400 BAD_FILTER pointing at the column of the mistake", async () => {
    const error = await expectError(
      runsPath(`filter=${encodeURIComponent("metric.accuracy >")}`),
      400,
      "BAD_FILTER",
      "filter",
    );
    expect(error.message).toContain("column 18");
  });
  it("answers 400 BAD_CURSOR to a forged cursor or one of another sort", async () => {
    await expectError(runsPath("after=bm90LWEtY3Vyc29y"), 400, "BAD_CURSOR", "after");
    const { body } = await getJson<RunsPage>(runsPath("limit=1"));
    await expectError(runsPath(`limit=1&sort=run_name&after=${body.next}`), 400, "BAD_CURSOR", "after");
  });
  it.each([
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["limit=1.5", "limit"],
    ["sort=metric.", "sort"],
    ["sort=nonsense", "sort"],
    ["sort=a,b,c,d,e,f", "sort"],
    ["columns=accuracy", "columns"],
    ["columns=param.a,,param.b", "columns"],
    ["withColumns=maybe", "withColumns"],
    ["reverse=yes", "reverse"],
  ])("answers 400 INVALID_PARAMETER to ?%s", async (query, parameter) => {
    await expectError(runsPath(query), 400, "INVALID_PARAMETER", parameter);
  });
  // Guards against a sort on a typo (a column no run has) silently ordering nothing, where the CLI's
  // --sort refuses it with the same words (core's sortKeyCheck).
  it("answers 400 to a sort on a param or metric no matching run has, naming the known ones", async () => {
    const error = await expectError(runsPath("sort=metric.acuracy"), 400, "INVALID_PARAMETER", "sort");
    expect(error.message).toContain(
      "Bad sort at column 1: no run has metric.acuracy, so it cannot order them.",
    );
    expect(error.message).toMatch(/Known: .*metric\.accuracy/);
    await expectError(
      runsPath(`sort=${encodeURIComponent("run_name,-param.nope")}`),
      400,
      "INVALID_PARAMETER",
      "sort",
    );
    const none = await getJson<RunsPage>(
      runsPath(`filter=${encodeURIComponent("run_name = 'nobody'")}&sort=param.nope`),
    );
    expect(none.status).toBe(200);
    expect(none.body.total).toBe(0);
  });
  it("bounds the filter's length and refuses unknown parameters", async () => {
    await expectError(runsPath(`filter=${"a".repeat(2001)}`), 400, "INVALID_PARAMETER", "filter");
    await expectError(runsPath("pageSize=10"), 400, "UNKNOWN_PARAMETER", "pageSize");
  });
  it("answers 404 for a missing experiment", async () => {
    await expectError("/api/experiments/no-such-exp/runs", 404, "NOT_FOUND");
  });
});

describe("GET /api/experiments/:experiment/runs/:run", () => {
  it("returns everything the run page shows", async () => {
    const { body } = await getJson<{
      run: {
        params: Record<string, unknown>;
        state: string;
        tags: Record<string, string>;
        description: string;
      };
      series: {
        metric: string;
        count: number;
        max: number;
        first: { step: number };
        last: { step: number };
      }[];
      classification: { displayName: string; labels: string[]; auc: number }[];
      executions: {
        displayName: string;
        inputs: { displayName: string }[];
        outputs: { displayName: string }[];
      }[];
      artifacts: { displayName: string }[];
      pipelineJobs: { displayName: string }[];
    }>(`/api/experiments/${EXPERIMENT}/runs/alpha`);
    expect(body.run).toMatchObject({
      state: "COMPLETE",
      params: { learning_rate: 0.1, model: "cnn", augment: true },
      tags: { team: "vision", owner: "ana" },
      description: "baseline CNN, augmentation on",
    });
    const grad = body.series.find((s) => s.metric === "grad_norm")!;
    expect(grad).toMatchObject({ count: 5000, max: 1000, first: { step: 1 }, last: { step: 5000 } });
    expect(body.series.map((s) => s.metric)).toEqual(["loss", "val_accuracy", "grad_norm"]); // creation order
    expect(body.classification[0]).toMatchObject({ displayName: "test-set", labels: ["cat", "dog", "bird"] });
    expect(body.classification[0]!.auc).toBeCloseTo(0.05 * 0.3 + 0.05 * 0.7 + 0.2 * 0.875 + 0.7 * 0.975, 10);
    expect(body.executions[0]).toMatchObject({
      displayName: "train-job",
      inputs: [{ displayName: "train-images" }],
      outputs: [{ displayName: "cnn-model" }],
    });
    expect(body.artifacts.map((a) => a.displayName)).toContain("test-set");
    expect(body.pipelineJobs).toEqual([
      {
        resourceName: "projects/p/locations/l/pipelineJobs/train-pipeline-1",
        displayName: "train-pipeline-1",
      },
    ]);
  });
  it("answers 404 for a missing run and 400 for an invalid name", async () => {
    await expectError(`/api/experiments/${EXPERIMENT}/runs/nope`, 404, "NOT_FOUND");
    await expectError(`/api/experiments/${EXPERIMENT}/runs/NOPE`, 400, "INVALID_PARAMETER", "run");
    await expectError(`/api/experiments/${EXPERIMENT}/runs/alpha?full=1`, 400, "UNKNOWN_PARAMETER", "full");
  });
});

describe("GET /api/experiments/:experiment/compare", () => {
  it("returns the runs in the order asked, the params that differ and the series metrics", async () => {
    const { body } = await getJson<{
      runs: { name: string }[];
      missing: string[];
      params: { differing: string[]; same: number };
      seriesMetrics: string[];
    }>(`/api/experiments/${EXPERIMENT}/compare?runs=beta,alpha,ghost`);
    expect(body.runs.map((r) => r.name)).toEqual(["beta", "alpha"]);
    expect(body.missing).toEqual(["ghost"]);
    expect(body.params).toEqual({ differing: ["augment", "learning_rate"], same: 2 });
    expect(body.seriesMetrics).toEqual(["grad_norm", "loss", "val_accuracy"]);
  });
  it("needs runs, at most 200, with valid names", async () => {
    await expectError(`/api/experiments/${EXPERIMENT}/compare`, 400, "INVALID_PARAMETER", "runs");
    const many = Array.from({ length: 201 }, (_, i) => `r${i}`).join(",");
    await expectError(
      `/api/experiments/${EXPERIMENT}/compare?runs=${many}`,
      400,
      "INVALID_PARAMETER",
      "runs",
    );
    await expectError(
      `/api/experiments/${EXPERIMENT}/compare?runs=alpha,Bad`,
      400,
      "INVALID_PARAMETER",
      "runs",
    );
  });
});

describe("GET /api/experiments/:experiment/parallel", () => {
  it("returns one column per field over the matching runs", async () => {
    const { body } = await getJson<{
      runs: string[];
      columns: unknown[][];
      total: number;
      truncated: boolean;
    }>(
      `/api/experiments/${EXPERIMENT}/parallel?fields=param.learning_rate,metric.accuracy&filter=${encodeURIComponent("param.model = cnn")}&limit=2`,
    );
    expect(body).toMatchObject({ runs: ["alpha", "beta"], total: 3, truncated: true });
    expect(body.columns[0]).toEqual([0.1, 0.01]);
  });
  it("needs two to thirty valid fields and a bounded limit", async () => {
    await expectError(
      `/api/experiments/${EXPERIMENT}/parallel?fields=param.a`,
      400,
      "INVALID_PARAMETER",
      "fields",
    );
    await expectError(
      `/api/experiments/${EXPERIMENT}/parallel?fields=param.a,b`,
      400,
      "INVALID_PARAMETER",
      "fields",
    );
    const many = Array.from({ length: 31 }, (_, i) => `param.p${i}`).join(",");
    await expectError(
      `/api/experiments/${EXPERIMENT}/parallel?fields=${many}`,
      400,
      "INVALID_PARAMETER",
      "fields",
    );
    await expectError(
      `/api/experiments/${EXPERIMENT}/parallel?fields=param.a,param.b&limit=20001`,
      400,
      "INVALID_PARAMETER",
      "limit",
    );
  });
});

describe("GET /api/experiments/:experiment/series", () => {
  const seriesPath = (query: string) => `/api/experiments/${EXPERIMENT}/series?${query}`;
  async function series(query: string) {
    const response = await get(seriesPath(query));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/vnd.exprun.series");
    expect(response.headers.get("server-timing")).toMatch(/^read;dur=\d/);
    return decodeSeriesResponse(new Uint8Array(await response.arrayBuffer()));
  }
  it("returns a short series raw and exactly", async () => {
    const {
      series: [loss],
    } = await series("runs=beta&metric=loss");
    expect(loss).toMatchObject({
      run: "beta",
      kind: "raw",
      count: 50,
      n: 50,
      first: { step: 1 },
      last: { step: 50 },
    });
    expect([...loss!.arrays[0]!].slice(0, 3)).toEqual([1, 2, 3]);
    expect(loss!.arrays[1]![0]).toBe(1 / 1.01);
  });
  it("downsamples a long series to a min/max envelope that keeps the spike and the exact ends", async () => {
    const {
      series: [grad],
    } = await series("runs=alpha&metric=grad_norm&buckets=100");
    expect(grad).toMatchObject({
      kind: "buckets",
      count: 5000,
      dtype: "f32",
      first: { step: 1 },
      last: { step: 5000 },
    });
    const [min, max] = grad!.arrays;
    expect(Math.max(...max!)).toBe(1000);
    expect(grad!.n).toBeGreaterThan(50);
    expect(grad!.n).toBeLessThanOrEqual(100);
    const width = (grad!.to! - grad!.from!) / grad!.n;
    expect(max![Math.floor((SPIKE_STEP - grad!.from!) / width)]).toBe(1000);
    expect(Math.min(...min!)).toBeCloseTo(-1, 3);
    expect(grad!.last!.value).toBe(Math.sin(5000 / 300));
  });
  it("re-reads a zoomed range at full resolution", async () => {
    const {
      series: [grad],
    } = await series(`runs=alpha&metric=grad_norm&from=${SPIKE_STEP - 10}&to=${SPIKE_STEP + 10}&buckets=100`);
    expect(grad).toMatchObject({
      kind: "raw",
      count: 21,
      first: { step: SPIKE_STEP - 10 },
      last: { step: SPIKE_STEP + 10 },
    });
    expect(grad!.arrays[1]![10]).toBe(1000);
  });
  it("reads several runs in one response, on the wall-time axis too, and lists missing runs", async () => {
    const { series: list, missing } = await series("runs=alpha,beta,ghost&metric=loss&x=wallTime");
    expect(list.map((s) => s.run)).toEqual(["alpha", "beta"]);
    expect(missing).toEqual(["ghost"]);
    expect(list[0]!.arrays[0]![0]).toBe(1_700_000_001_000);
  });
  it("answers a run without the metric with an empty series", async () => {
    const {
      series: [none],
    } = await series("runs=beta&metric=grad_norm");
    expect(none).toMatchObject({ count: 0, n: 0, first: null, last: null });
  });
  it.each([
    ["metric=loss", "runs"],
    ["runs=alpha", "metric"],
    ["runs=alpha&metric=loss&x=epoch", "x"],
    ["runs=alpha&metric=loss&buckets=1", "buckets"],
    ["runs=alpha&metric=loss&buckets=4001", "buckets"],
    ["runs=alpha&metric=loss&from=abc", "from"],
    ["runs=alpha&metric=loss&from=10&to=5", "from"],
    ["runs=alpha&metric=loss&to=Infinity", "to"],
  ])("answers 400 INVALID_PARAMETER to ?%s", async (query, parameter) => {
    await expectError(seriesPath(query), 400, "INVALID_PARAMETER", parameter);
  });
});

describe("GET /api/experiments/:experiment/events", () => {
  it("opens an event stream that starts with a ready event", async () => {
    const response = await get(`/api/experiments/${EXPERIMENT}/events`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("event: ready");
    await reader.cancel();
  });
  it("answers 404 for a missing experiment", async () => {
    await expectError("/api/experiments/no-such-exp/events", 404, "NOT_FOUND");
  });
});

describe("security", () => {
  it("refuses a foreign Host header (DNS rebinding) on the API and on pages", async () => {
    for (const path of ["/api/experiments", "/", `/experiments/${EXPERIMENT}`]) {
      const response = await get(path, { host: "evil.example:5130" });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain("FORBIDDEN_HOST");
    }
  });
  it("answers only the hosts it was given when it has a list", async () => {
    const app = createUiApp({ backend, allowedHosts: ["127.0.0.1:4000"] });
    expect((await app.app.request("/api/store", { headers: { host: "127.0.0.1:4000" } })).status).toBe(200);
    expect((await app.app.request("/api/store", { headers: { host: "127.0.0.1:4001" } })).status).toBe(403);
    expect((await app.app.request("/api/store", { headers: { host: "localhost:4000" } })).status).toBe(403);
    app.close();
  });
  it("is read-only: other methods than GET and HEAD get 405", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const response = await ui.app.request("/api/experiments", {
        method,
        headers: { host: "127.0.0.1:5130" },
      });
      expect(response.status).toBe(405);
    }
  });
  it("sends the strict Content-Security-Policy and no-sniff on every response", async () => {
    for (const path of ["/", "/api/experiments", "/api/nope", "/nope"]) {
      const response = await get(path);
      expect(response.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe");
  });
  it("answers unknown API routes with a JSON 404 and unknown pages with 404", async () => {
    await expectError("/api/nope", 404, "NOT_FOUND");
    expect((await get("/nope/deeper")).status).toBe(404);
    expect((await get("/assets/nope.js")).status).toBe(404);
  });
  it("reports a store failure as 502 with core's message, and an unexpected error without details", async () => {
    const failing = Object.create(backend, {
      listRuns: {
        value: () => Promise.reject(new BackendError("the bucket is unreachable", { backend: "memory" })),
      },
      getExperiment: { value: () => Promise.reject(new Error("secret internal detail")) },
    }) as Backend;
    const errors: unknown[] = [];
    const app = createUiApp({ backend: failing, onError: (e) => errors.push(e) });
    const storeFailure = await app.app.request("/api/experiments", { headers: { host: "localhost" } });
    expect(storeFailure.status).toBe(502);
    expect(await storeFailure.text()).toContain("the bucket is unreachable");
    const unexpected = await app.app.request(`/api/experiments/${EXPERIMENT}`, {
      headers: { host: "localhost" },
    });
    expect(unexpected.status).toBe(500);
    const text = await unexpected.text();
    expect(text).not.toContain("secret internal detail");
    expect(text).toContain("STORE_ERROR");
    expect(errors).toHaveLength(2);
    app.close();
  });
});

describe("shutting down", () => {
  // Guards against a read still running at shutdown (its store closed by the owner after the server)
  // logging a BackendClosedError stack as if the store had failed.
  it("answers a read that meets the closed store after close() with 503, and logs nothing", async () => {
    const store = createMemoryBackend();
    await store.createExperiment({ name: "late-exp" });
    const errors: unknown[] = [];
    const app = createUiApp({ backend: store, onError: (e) => errors.push(e) });
    app.close();
    await store.close();
    const late = await app.app.request("/api/experiments/late-exp/runs", { headers: { host: "localhost" } });
    expect(late.status).toBe(503);
    expect(await late.text()).toContain("SHUTTING_DOWN");
    expect(errors).toEqual([]);
  });

  it("still logs a closed store while the server is running (the owner closed it too early)", async () => {
    const store = createMemoryBackend();
    const errors: unknown[] = [];
    const app = createUiApp({ backend: store, onError: (e) => errors.push(e) });
    await store.close();
    const early = await app.app.request("/api/experiments", { headers: { host: "localhost" } });
    expect(early.status).toBe(500);
    expect(errors).toHaveLength(1);
    app.close();
  });
});

describe("the page", () => {
  it("preloads the runs table's first page with the page, for the page's filter, sort and columns", async () => {
    const response = await get(
      `/experiments/${EXPERIMENT}?filter=${encodeURIComponent("param.model = cnn")}&sort=run_name&cols=param.model`,
    );
    const link = response.headers.get("link")!;
    expect(link).toMatch(
      /^<\/api\/experiments\/vision-exp\/runs\?[^>]+>; rel=preload; as=fetch; crossorigin$/,
    );
    const preloaded = await getJson<RunsPage>(link.slice(1, link.indexOf(">")));
    expect(preloaded.body.rows.map((r) => r[0])).toEqual(["alpha", "beta", "html-run"]);
    expect(preloaded.body.columns).toEqual(["param.model"]);
    expect(preloaded.body.allColumns).toBeDefined();
    expect((await get("/")).headers.get("link")).toBeNull();
  });

  it("serves index.html on every page route and the hashed assets, gzipped when asked", async () => {
    for (const path of [
      "/",
      `/experiments/${EXPERIMENT}`,
      `/experiments/${EXPERIMENT}/runs/alpha`,
      `/experiments/${EXPERIMENT}/compare?runs=a,b`,
    ]) {
      const response = await get(path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    }
    const html = await (await get("/")).text();
    const script = /src="(\/assets\/app-[^"]+\.js)"/.exec(html)![1]!;
    const style = /href="(\/assets\/style-[^"]+\.css)"/.exec(html)![1]!;
    expect(html).not.toMatch(/<script>|<style>|https?:\/\//);
    const js = await get(script, { "accept-encoding": "gzip" });
    expect(js.headers.get("content-encoding")).toBe("gzip");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await get(style)).headers.get("content-type")).toBe("text/css; charset=utf-8");
  });
});

describe("startUiServer", () => {
  // A port in use or an address that is not this machine's is the user's to fix (--port, --host):
  // a typed ValidationError saying how, which the CLI reports as bad input (exit 1), not "unexpected".
  it("says why it cannot listen, as a ValidationError naming the fix", async () => {
    const first = await startUiServer({ backend: createMemoryBackend(), port: 0, onError: () => undefined });
    try {
      const taken = startUiServer({
        backend: createMemoryBackend(),
        port: first.port,
        onError: () => undefined,
      });
      await expect(taken).rejects.toThrow(ValidationError);
      await expect(taken).rejects.toThrow(
        `[exprun] [ui] Port ${first.port} on 127.0.0.1 is in use. Pick another with --port N`,
      );
    } finally {
      await first.close();
    }
    const unknown = startUiServer({ backend: createMemoryBackend(), host: "no-such-host.invalid", port: 0 });
    await expect(unknown).rejects.toThrow(ValidationError);
    // ENOTFOUND, or EAI_AGAIN where no resolver answers (offline): both name the host and the fix.
    await expect(unknown).rejects.toThrow(/host name "no-such-host\.invalid".*Use --host 127\.0\.0\.1/);
  });
});
