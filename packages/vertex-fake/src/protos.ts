import { createRequire } from "node:module";
import path from "node:path";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";

/**
 * The service definitions, loaded from the protos that `@google-cloud/aiplatform` ships (and the
 * `google/api`, `google/longrunning` protos of the google-gax it depends on), so the fake speaks
 * exactly the wire format of the client it is tested with.
 */
export interface Protos {
  metadataService: ServiceDefinition;
  tensorboardService: ServiceDefinition;
  pipelineService: ServiceDefinition;
  operations: ServiceDefinition;
  /** Serializes a message of the named type (for packing `google.protobuf.Any`). */
  encode(type: "MetadataStore" | "Tensorboard", message: object): Buffer;
}

/** How request messages reach the handlers: camelCase fields, enum names, int64 as numbers, defaults filled. */
export const LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: false,
} as const;

let cached: Protos | undefined;

export function loadProtos(): Protos {
  cached ??= load();
  return cached;
}

function packageDir(require: NodeJS.Require, name: string): string {
  // Neither package exports ./package.json, so walk up from the entry point.
  let dir = path.dirname(require.resolve(name));
  while (path.basename(dir) !== name.split("/").pop()) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`[exprun] [vertex-fake] Cannot locate the ${name} package directory.`);
    dir = up;
  }
  return dir;
}

function load(): Protos {
  const require = createRequire(import.meta.url);
  const aiplatformDir = packageDir(require, "@google-cloud/aiplatform");
  const gaxDir = packageDir(createRequire(path.join(aiplatformDir, "package.json")), "google-gax");
  const definition: PackageDefinition = loadSync(
    [
      "google/cloud/aiplatform/v1/metadata_service.proto",
      "google/cloud/aiplatform/v1/tensorboard_service.proto",
      "google/cloud/aiplatform/v1/pipeline_service.proto",
      "google/longrunning/operations.proto",
    ],
    {
      ...LOADER_OPTIONS,
      includeDirs: [path.join(aiplatformDir, "build/protos"), path.join(gaxDir, "build/protos")],
    },
  );
  const service = (name: string) => definition[name] as ServiceDefinition;
  const metadataService = service("google.cloud.aiplatform.v1.MetadataService");
  const tensorboardService = service("google.cloud.aiplatform.v1.TensorboardService");
  const serializers = {
    MetadataStore: metadataService.GetMetadataStore!.responseSerialize,
    Tensorboard: tensorboardService.GetTensorboard!.responseSerialize,
  };
  return {
    metadataService,
    tensorboardService,
    pipelineService: service("google.cloud.aiplatform.v1.PipelineService"),
    operations: service("google.longrunning.Operations"),
    encode: (type, message) => serializers[type](message),
  };
}
