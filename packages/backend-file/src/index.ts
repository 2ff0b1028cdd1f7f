export {
  createFileBackend,
  FILE_BACKEND_NAME,
  type FileBackend,
  type FileBackendOptions,
} from "./file-backend.js";
export { FORMAT_FILE, FORMAT_VERSION, STORE_FORMAT } from "./store-format.js";
