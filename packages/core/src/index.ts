export * from "./backend.js";
export * from "./codec.js";
export * from "./errors.js";
export * from "./names.js";
export * from "./series.js";
export * from "./types.js";
