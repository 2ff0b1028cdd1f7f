export {
  createMemoryBackend,
  MEMORY_BACKEND_NAME,
  MEMORY_CAPABILITIES,
  type MemoryBackendOptions,
} from "./memory-backend.js";
