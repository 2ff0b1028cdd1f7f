// A `node --import` hook for tests: records the URL of every module the process loads (ESM and
// CommonJS alike go through the resolve hook) into $EXPRUN_MODULE_LOG, one per line.
import { register } from "node:module";

register("./module-log-hooks.mjs", import.meta.url, { data: { log: process.env.EXPRUN_MODULE_LOG } });
