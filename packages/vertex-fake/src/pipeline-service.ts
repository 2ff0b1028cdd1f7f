import { type Clock, toMillis } from "./clock.js";
import { alreadyExists, invalidArgument, notFound, shown } from "./errors.js";
import type { FilterSchema } from "./filter.js";
import { listPage } from "./listing.js";
import type { Operations } from "./lro.js";
import { requireName } from "./names.js";
import type { Handlers, Request } from "./rpc.js";
import type { VertexStore } from "./store.js";
import type { PipelineJob, Struct, Value } from "./types.js";

/** Pipeline job ids: fewer than 128 characters of `[a-z0-9-]`, starting with a letter (the proto's rule). */
const ID_PATTERN = /^[a-z][a-z0-9-]{0,126}$/;

const SCHEMA: FilterSchema<PipelineJob> = {
  fields: (path) => {
    const [head, key, ...rest] = path;
    if (head === "labels" && key !== undefined && rest.length === 0) {
      return { type: "string", get: (job) => job.labels[key] ?? null };
    }
    if (path.length !== 1) return undefined;
    switch (head) {
      case "display_name":
        return { type: "string", get: (job) => job.displayName };
      case "state":
        return { type: "string", get: (job) => job.state };
      case "template_uri":
        return { type: "string", get: (job) => job.templateUri };
      case "create_time":
        return { type: "time", get: (job) => toMillis(job.createTime) };
      case "update_time":
        return { type: "time", get: (job) => toMillis(job.updateTime) };
      case "start_time":
        return { type: "time", get: (job) => toMillis(job.startTime) };
      case "end_time":
        return { type: "time", get: (job) => toMillis(job.endTime) };
      default:
        return undefined;
    }
  },
};

export interface PipelineServiceOptions {
  /** Whether the `default` metadata store springs into being on first use. */
  autoCreateDefaultStore: boolean;
}

/**
 * The PipelineJob methods of `google.cloud.aiplatform.v1.PipelineService`: enough for Python's
 * `run.get_logged_pipeline_jobs()` (GetPipelineJob) and for tests to make a job the way
 * `PipelineJob.submit()` does. No pipeline ever runs. CreatePipelineJob makes what Vertex makes
 * when a job starts: its `system.PipelineRun` context (id = job id, named in
 * `job_detail.pipeline_run_context`, which is what `submit(experiment=…)` waits for) and the
 * run's `system.Run` execution in it, whose metadata holds each runtime parameter as
 * `input:<name>` (what Python's experiment DataFrame shows as the run's params).
 */
export function pipelineService(
  store: VertexStore,
  clock: Clock,
  operations: Operations,
  options: PipelineServiceOptions,
): Handlers {
  const canonical = (name: string) => store.canonical(name);
  const requireJob = (name: string): PipelineJob => {
    requireName(name, "pipelineJob", "name");
    const job = store.getPipelineJob(name);
    if (!job) throw notFound(`PipelineJob ${canonical(name)} not found.`);
    return job;
  };

  function createRunMetadata(location: string, id: string, job: PipelineJob) {
    const metadataStore = `${location}/metadataStores/default`;
    if (!store.getMetadataStore(metadataStore)) {
      if (!options.autoCreateDefaultStore) throw notFound(`MetadataStore ${metadataStore} not found.`);
      store.putMetadataStore({ name: metadataStore });
    }
    const contextName = `${metadataStore}/contexts/${id}`;
    if (store.getContext(contextName)) throw alreadyExists(`Context with name ${contextName} already exists`);
    const context = store.putContext({
      name: contextName,
      displayName: id,
      schemaTitle: "system.PipelineRun",
      schemaVersion: "0.0.1",
    });
    const fields: Record<string, Value> = {};
    for (const [key, value] of Object.entries(job.runtimeConfig?.parameterValues ?? {})) {
      fields[`input:${key}`] = value;
    }
    const execution = store.putExecution({
      name: `${metadataStore}/executions/${id}`,
      displayName: job.displayName,
      schemaTitle: "system.Run",
      schemaVersion: "0.0.1",
      state: "RUNNING",
      metadata: { fields } satisfies Struct,
    });
    store.addContextArtifactsAndExecutions(context.name, [], [execution.name]);
    return context;
  }

  return {
    CreatePipelineJob: (r: Request) => {
      requireName(r.parent, "location", "parent");
      const location = canonical(r.parent);
      const given: Partial<PipelineJob> = r.pipelineJob ?? {};
      const id: string = r.pipelineJobId || `pipeline-job-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
      if (!ID_PATTERN.test(id)) {
        throw invalidArgument(
          `Invalid pipeline_job_id ${shown(id)}: valid characters are /[a-z][0-9]-/, starting with a letter, fewer than 128 characters.`,
        );
      }
      const name = `${location}/pipelineJobs/${id}`;
      if (store.getPipelineJob(name)) throw alreadyExists(`PipelineJob ${name} already exists.`);
      const now = clock.now();
      const job: PipelineJob = {
        ...given,
        name,
        displayName: given.displayName || id,
        createTime: now,
        startTime: now,
        endTime: null,
        updateTime: now,
        pipelineSpec: given.pipelineSpec ?? null,
        state: "PIPELINE_STATE_RUNNING",
        jobDetail: null,
        labels: given.labels ?? {},
        runtimeConfig: given.runtimeConfig ?? null,
        serviceAccount: given.serviceAccount ?? "",
        network: given.network ?? "",
        templateUri: given.templateUri ?? "",
      };
      job.jobDetail = {
        pipelineContext: null,
        pipelineRunContext: createRunMetadata(location, id, job),
        taskDetails: [],
      };
      return store.putPipelineJob(job);
    },
    GetPipelineJob: (r: Request) => requireJob(r.name),
    ListPipelineJobs: (r: Request) => {
      requireName(r.parent, "location", "parent");
      // Without order_by the service lists the newest first.
      const jobs = store.listPipelineJobs(r.parent);
      const items = (r.orderBy ?? "").trim() === "" ? jobs.reverse() : jobs;
      const page = listPage(items, r, canonical(r.parent), SCHEMA, {
        defaultPageSize: 100,
        maxPageSize: 100,
      });
      return { pipelineJobs: page.items, nextPageToken: page.nextPageToken };
    },
    DeletePipelineJob: (r: Request) => {
      const job = requireJob(r.name);
      store.deletePipelineJob(job.name);
      return operations.deleted(job.name);
    },
    CancelPipelineJob: (r: Request) => {
      const job = requireJob(r.name);
      const now = clock.now();
      store.putPipelineJob({ ...job, state: "PIPELINE_STATE_CANCELLED", endTime: now, updateTime: now });
      return {};
    },
  };
}
