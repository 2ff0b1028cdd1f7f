export { createVertexBackend, type VertexBackend } from "./backend.js";
export { VertexCredentials } from "./inspect.js";
export {
  type GapicClientOptions,
  type MetadataServiceClient,
  type TensorboardServiceClient,
  VERTEX_BACKEND_NAME,
  type VertexBackendOptions,
  type VertexRetryOptions,
} from "./options.js";
