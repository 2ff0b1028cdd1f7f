import type { Command } from "commander";
import { type CliIo, Context, type GlobalOptions } from "../context.js";

/**
 * Wraps a command body: builds the {@link Context} from the global and local options, and closes
 * (flushes) every store it opened, also when the body throws.
 */
export function action<A extends unknown[]>(
  io: CliIo,
  body: (ctx: Context, opts: Record<string, unknown>, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...all: unknown[]) => {
    const command = all[all.length - 1] as Command;
    const opts = mergedOptions(command);
    const ctx = new Context(io, opts);
    const args = all.slice(0, -2) as A;
    try {
      await body(ctx, opts, ...args);
    } finally {
      await ctx.close();
    }
  };
}

/** The "Examples:" block every command's help ends with. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}`;
}

/**
 * Options of the command and its ancestors; a value given nearer the command wins, and colour is
 * off when any level says `--no-color`.
 */
function mergedOptions(command: Command): Record<string, unknown> & GlobalOptions {
  const chain: Command[] = [];
  for (let c: Command | null = command; c; c = c.parent) chain.unshift(c);
  const merged: Record<string, unknown> = {};
  let color = true;
  for (const c of chain) {
    for (const [key, value] of Object.entries(c.opts())) {
      if (key === "color") {
        if (value === false) color = false;
      } else if (value !== undefined) {
        merged[key] = value;
      }
    }
  }
  merged.color = color;
  return merged as Record<string, unknown> & GlobalOptions;
}
