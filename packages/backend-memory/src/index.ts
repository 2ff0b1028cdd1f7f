export { createMemoryBackend, MEMORY_BACKEND_NAME, type MemoryBackendOptions } from "./memory-backend.js";
