import { numericId } from "./clock.js";
import { notFound } from "./errors.js";

/**
 * `google.longrunning.Operation` as proto-loader serializes it. Note `type_url`: protobufjs reads
 * `google.protobuf.Any` through a wrapper that only knows the snake_case name.
 */
export interface Operation {
  name: string;
  done: boolean;
  response: { type_url: string; value: Buffer } | null;
}

const TYPE_PREFIX = "type.googleapis.com/";

/**
 * Every operation the fake answers is already finished: the GAPIC client then resolves
 * `op.promise()` at once, decoding `response`, without polling. The operations are kept so that a
 * client that polls anyway gets them from `google.longrunning.Operations/GetOperation`.
 */
export class Operations {
  readonly #operations = new Map<string, Operation>();

  /** A finished operation on `resource` whose result is `type` encoded as `value` (empty for Empty). */
  finished(resource: string, type: string, value: Buffer = Buffer.alloc(0)): Operation {
    const operation: Operation = {
      name: `${resource}/operations/${numericId()}`,
      done: true,
      response: { type_url: TYPE_PREFIX + type, value },
    };
    this.#operations.set(operation.name, operation);
    return operation;
  }

  /** A finished delete: its result is `google.protobuf.Empty`. */
  deleted(resource: string): Operation {
    return this.finished(resource, "google.protobuf.Empty");
  }

  get(name: string): Operation {
    const operation = this.#operations.get(name);
    if (!operation) throw notFound(`Operation ${name} not found.`);
    return operation;
  }

  delete(name: string): void {
    this.get(name);
    this.#operations.delete(name);
  }

  clear(): void {
    this.#operations.clear();
  }
}
