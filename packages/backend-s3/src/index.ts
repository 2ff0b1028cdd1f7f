export { createS3Backend, S3_CAPABILITIES, type S3Backend } from "./backend.js";
export { S3_BACKEND_NAME, type S3BackendOptions } from "./options.js";
