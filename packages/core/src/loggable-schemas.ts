import { ValidationError } from "./errors.js";
import { PipelineJob } from "./resources.js";
import { type Metadata, type RunChild, SCHEMA } from "./types.js";

/**
 * A kind of resource a run can log as its child, the TypeScript form of Python's
 * `__init_subclass__(experiment_loggable_schemas=…)`. `key` is the option name of `run.log({ [key]: … })`.
 */
export interface LoggableSchema<T = unknown> {
  key: string;
  schemaTitle: string;
  /** How a resource becomes a run child. */
  toChild(resource: T): { resourceName: string; displayName: string; metadata?: Metadata };
  /** How a stored child becomes a resource again. */
  fromChild(child: RunChild): T;
}

const byKey = new Map<string, LoggableSchema>();

/** Registers a loggable kind. Registering the same key twice is an error unless it is the same schema title. */
export function registerLoggableSchema<T>(schema: LoggableSchema<T>): void {
  if (!/^[A-Za-z_$][\w$]*$/.test(schema.key)) {
    throw new ValidationError(
      `A loggable schema key must be an identifier; got ${JSON.stringify(schema.key)}.`,
    );
  }
  if (typeof schema.schemaTitle !== "string" || !/^[\w.-]+$/.test(schema.schemaTitle)) {
    throw new ValidationError(
      `Invalid schema title ${JSON.stringify(schema.schemaTitle)}, e.g. "system.PipelineRun".`,
    );
  }
  const existing = byKey.get(schema.key);
  if (existing && existing.schemaTitle !== schema.schemaTitle) {
    throw new ValidationError(
      `The loggable key ${schema.key} is already registered for ${existing.schemaTitle}; choose another key.`,
    );
  }
  byKey.set(schema.key, schema as LoggableSchema);
}

export function getLoggableSchema(key: string): LoggableSchema {
  const schema = byKey.get(key);
  if (!schema) {
    const known = [...byKey.keys()].join(", ");
    throw new ValidationError(`Nothing is registered to log as ${JSON.stringify(key)}. Known: ${known}.`);
  }
  return schema;
}

export function listLoggableSchemas(): LoggableSchema[] {
  return [...byKey.values()];
}

registerLoggableSchema<PipelineJob>({
  key: "pipelineJob",
  schemaTitle: SCHEMA.pipelineRun,
  toChild: (job) => ({ resourceName: job.resourceName, displayName: job.displayName }),
  fromChild: (child) => new PipelineJob({ resourceName: child.resourceName, displayName: child.displayName }),
});
