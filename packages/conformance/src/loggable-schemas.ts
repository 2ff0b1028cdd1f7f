import { type LoggableSchema, registerLoggableSchema } from "@exprun/core";
import { expect } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";

interface CustomJob {
  name: string;
  label: string;
}

const customJob: LoggableSchema<CustomJob> = {
  key: "conformanceCustomJob",
  schemaTitle: "test.ConformanceCustomJob",
  toChild: (job) => ({ resourceName: job.name, displayName: job.label }),
  fromChild: (child) => ({ name: child.resourceName, label: child.displayName }),
};

export function loggableSchemaTests(ctx: SuiteContext): void {
  ctx.it("a registered kind is logged and listed, apart from pipeline jobs", async () => {
    registerLoggableSchema(customJob);
    const run = await ctx.run();
    const job = { name: `customJobs/${ctx.unique("cj")}`, label: "tuning" };
    await run.log({ conformanceCustomJob: job });
    expect(await run.getLogged<CustomJob>("conformanceCustomJob")).toEqual([job]);
    expect(await run.getLoggedPipelineJobs()).toEqual([]);
  });

  ctx.it("several kinds logged in one call each land under their kind", async () => {
    registerLoggableSchema(customJob);
    const run = await ctx.run();
    const { PipelineJob } = await import("@exprun/core");
    await run.log({
      conformanceCustomJob: { name: `customJobs/${ctx.unique("cj")}`, label: "x" },
      pipelineJob: new PipelineJob({ resourceName: `pipelineJobs/${ctx.unique("pj")}` }),
    });
    expect(await run.getLogged("conformanceCustomJob")).toHaveLength(1);
    expect(await run.getLoggedPipelineJobs()).toHaveLength(1);
  });

  ctx.it("logging an unregistered kind is a VALIDATION error and writes nothing", async () => {
    const run = await ctx.run();
    await expectCode(run.log({ unknownThing: { id: 1 } }), "VALIDATION", /unknownThing/);
    expect(await run.getLoggedPipelineJobs()).toEqual([]);
  });
}
