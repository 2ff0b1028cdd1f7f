import { describe, expect, it } from "vitest";
import { RpcError } from "../src/errors.js";
import { compileFilter, type FilterSchema } from "../src/filter.js";

interface Item {
  name: string;
  title: string;
  n: number;
  ok: boolean;
  parents: string[];
}

const schema: FilterSchema<Item> = {
  fields: (path) => {
    const field = path.join(".");
    if (field === "name") return { type: "string", get: (i) => i.name };
    if (field === "schema_title") return { type: "string", get: (i) => i.title };
    if (field === "metadata.n.number_value") return { type: "number", get: (i) => i.n };
    if (field === "metadata.ok.bool_value") return { type: "bool", get: (i) => i.ok };
    if (field === "parent_contexts") return { type: "names", get: (i) => i.parents };
    return undefined;
  },
  functions: { in_context: (args) => (item) => item.parents.some((p) => args.includes(p)) },
  canonical: (name) => name.replace("projects/my-project/", "projects/42/"),
};

const items: Item[] = [
  { name: "a", title: "system.ExperimentRun", n: 1, ok: true, parents: ["projects/42/e1"] },
  { name: "b", title: "system.PipelineRun", n: 2, ok: false, parents: ["projects/42/e1"] },
  { name: "c", title: "system.ExperimentRun", n: 3, ok: true, parents: ["projects/42/e2"] },
];

const matching = (filter: string) =>
  items
    .filter(compileFilter(filter, schema))
    .map((i) => i.name)
    .join("");

describe("the filter language", () => {
  it("matches everything when empty", () => {
    expect(matching("")).toBe("abc");
  });

  it("compares strings, numbers and booleans", () => {
    expect(matching('schema_title="system.ExperimentRun"')).toBe("ac");
    expect(matching("metadata.n.number_value > 1.5")).toBe("bc");
    expect(matching("metadata.n.number_value<=2 AND metadata.ok.bool_value=true")).toBe("a");
    expect(matching('schema_title != "system.PipelineRun"')).toBe("ac");
  });

  it("binds OR tighter than AND, as AIP-160 says", () => {
    expect(matching('name="a" AND name="b" OR name="a"')).toBe("a");
    expect(matching('(name="a" AND name="b") OR name="c"')).toBe("c");
  });

  it("supports NOT, parentheses and juxtaposition as AND", () => {
    expect(matching('NOT name="a"')).toBe("bc");
    expect(matching('NOT (name="a" OR name="b")')).toBe("c");
    expect(matching('schema_title="system.ExperimentRun" metadata.n.number_value=3')).toBe("c");
  });

  it("matches names by membership, after making them canonical", () => {
    expect(matching('parent_contexts:"projects/my-project/e1"')).toBe("ab");
    expect(matching('parent_contexts:"projects/42/e2","projects/42/e1"')).toBe("abc");
    expect(matching('in_context("projects/my-project/e2")')).toBe("c");
  });

  it("accepts single-quoted strings and escaped quotes", () => {
    expect(matching("schema_title='system.PipelineRun'")).toBe("b");
    expect(matching('name="a\\"x" OR name="b"')).toBe("b");
  });

  it.each([
    ['colour="red"', "unsupported field"],
    ['name="a" AND', "unexpected end"],
    ['name=="a"', "expected a value"],
    ['name="a', "unterminated string"],
    ["metadata.n.number_value > ten", "needs a number"],
    ['parent_contexts="x"', 'supports only ":"'],
    ['unknown_fn("x")', "unsupported function"],
    ['((((((name="a"))))))', "nesting deeper than 5"],
    ['name="a")', 'unexpected ")"'],
  ])("rejects %s with INVALID_ARGUMENT (%s)", (filter, why) => {
    let error: unknown;
    try {
      compileFilter(filter, schema);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(3);
    expect((error as RpcError).message).toContain(why);
  });
});
