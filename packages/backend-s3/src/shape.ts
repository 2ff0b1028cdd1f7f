import { isVersion } from "./clock.js";

/**
 * Shape checks of the objects the store reads back. Every object under `meta/` is parsed and then
 * checked here, so that a foreign JSON document at one of the store's keys (valid JSON, wrong shape)
 * is reported as what it is instead of being joined as an empty state and hiding what it replaced.
 */

type Check = (value: unknown, path: string) => void;

export class ShapeError extends Error {
  constructor(path: string, expected: string, value: unknown) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    super(`${path || "the object"} should be ${expected}, but is ${got}`);
    this.name = "ShapeError";
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const str: Check = (value, path) => {
  if (typeof value !== "string") throw new ShapeError(path, "a string", value);
};
const num: Check = (value, path) => {
  if (typeof value !== "number") throw new ShapeError(path, "a number", value);
};
const int: Check = (value, path) => {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw new ShapeError(path, "a positive integer", value);
};
const version: Check = (value, path) => {
  if (!isVersion(value)) throw new ShapeError(path, "a version", value);
};
const scalar: Check = (value, path) => {
  if (typeof value !== "number" && typeof value !== "string" && typeof value !== "boolean")
    throw new ShapeError(path, "a number, string or boolean", value);
};
const json: Check = () => {};
const nullable =
  (check: Check): Check =>
  (value, path) => {
    if (value !== null) check(value, path);
  };

/** An object with only these keys, each optional unless listed in `required`. */
function obj(fields: Record<string, Check>, required: string[] = []): Check {
  return (value, path) => {
    if (!isPlainObject(value)) throw new ShapeError(path, "an object", value);
    for (const key of required)
      if (!(key in value)) throw new ShapeError(`${path}.${key}`, "present", undefined);
    for (const [key, field] of Object.entries(value)) {
      const check = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (!check)
        throw new ShapeError(`${path}.${key}`, "absent (not a field of the store's objects)", field);
      if (field !== undefined) check(field, `${path}.${key}`);
    }
  };
}

/** An object used as a map: any keys, values of one shape; `key` checks the keys. */
function map(check: Check, key?: Check): Check {
  return (value, path) => {
    if (!isPlainObject(value)) throw new ShapeError(path, "an object", value);
    for (const [k, field] of Object.entries(value)) {
      key?.(k, `${path} key ${JSON.stringify(k)}`);
      check(field, `${path}[${JSON.stringify(k)}]`);
    }
  };
}

const stamped = (check: Check): Check => obj({ v: version, x: check }, ["v", "x"]);
const stampedSub = (check: Check): Check => obj({ v: str, x: check }, ["v", "x"]);

const latestPoint = obj({ step: num, wallTime: num, value: num, o: str }, ["step", "wallTime", "value", "o"]);
const runChild = obj({ schemaTitle: str, resourceName: str, displayName: str, metadata: json }, [
  "schemaTitle",
  "resourceName",
  "displayName",
]);

const experimentClaim = obj({ g: int, description: str, backingTensorboard: str, createTime: num }, [
  "g",
  "description",
  "createTime",
]);
const experimentFields = obj({
  description: stamped(str),
  backingTensorboard: stamped(nullable(str)),
  updateTime: stamped(num),
});
const runClaim = obj({ g: int, e: version, state: str, runType: str, createTime: num, updateTime: num }, [
  "g",
  "e",
  "state",
  "runType",
  "createTime",
]);
const runFields = obj({
  state: stamped(str),
  params: map(stamped(scalar)),
  metrics: map(stamped(scalar)),
  tags: map(stamped(nullable(str))),
  description: stamped(str),
  tensorboardRun: stamped(str),
  latest: map(latestPoint),
  artifacts: map(str),
  executions: map(str),
  children: map(stampedSub(runChild)),
  updateTime: stamped(num),
});
const runData = obj({
  claims: map(runClaim, version),
  deleted: map(version, version),
  incs: map(runFields, version),
});

/** The body of an experiment log's delta or tombstone. */
export const checkExperimentData: Check = obj({
  claims: map(experimentClaim, version),
  deleted: map(version, version),
  incs: map(experimentFields, version),
  runs: map(runData),
});

const artifactClaim = obj(
  {
    g: int,
    schemaTitle: str,
    schemaVersion: str,
    displayName: str,
    uri: str,
    description: str,
    state: str,
    metadata: json,
    createTime: num,
    updateTime: num,
  },
  ["g", "schemaTitle", "createTime"],
);
const executionClaim = obj(
  {
    g: int,
    schemaTitle: str,
    schemaVersion: str,
    displayName: str,
    description: str,
    state: str,
    metadata: json,
    createTime: num,
    updateTime: num,
  },
  ["g", "schemaTitle", "createTime"],
);

/** The body of a resource log's delta. */
export const checkResourceData: Check = obj({
  artifacts: map(obj({ claims: map(artifactClaim, version) })),
  executions: map(
    obj({
      claims: map(executionClaim, version),
      state: stamped(str),
      metadata: map(stamped(json)),
      inputs: map(str),
      outputs: map(str),
      updateTime: stamped(num),
    }),
  ),
});

/**
 * A snapshot: the folded state and the keys (relative to the log's folder) it replaced. Compaction
 * only runs on logs that hold at least one creation, so a snapshot without one is foreign.
 */
export function snapshotCheck(data: Check, holdsCreation: (data: unknown) => boolean): Check {
  const shape = obj(
    {
      folded: (value, path) => {
        if (!Array.isArray(value)) throw new ShapeError(path, "an array", value);
        for (const [index, item] of value.entries()) str(item, `${path}[${index}]`);
      },
      data,
    },
    ["folded", "data"],
  );
  return (value, path) => {
    shape(value, path);
    const state = (value as { data: unknown }).data;
    if (!holdsCreation(state))
      throw new ShapeError(`${path}.data`, "a state holding at least one creation", state);
  };
}

const nonEmpty = (value: unknown) =>
  typeof value === "object" && value !== null && Object.keys(value as object).length > 0;

/** Whether an experiment log's state holds a creation of the experiment. */
export const holdsExperiment = (data: unknown) => nonEmpty((data as { claims?: unknown }).claims);

/** Whether a resource log's state holds an artifact or an execution. */
export const holdsResource = (data: unknown) =>
  nonEmpty((data as { artifacts?: unknown }).artifacts) ||
  nonEmpty((data as { executions?: unknown }).executions);

/** A creation claim written with a conditional PUT: the claim and the version it was made under. */
export function claimObjectCheck(claim: "experiment" | "run" | "artifact" | "execution"): Check {
  const shapes = {
    experiment: experimentClaim,
    run: runClaim,
    artifact: artifactClaim,
    execution: executionClaim,
  };
  return obj({ v: version, claim: shapes[claim] }, ["v", "claim"]);
}
