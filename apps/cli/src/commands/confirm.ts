import type { Context } from "../context.js";
import { UsageError } from "../errors.js";

/** Asks on a terminal; elsewhere requires `--yes`, so that scripts never delete by accident. */
export async function confirm(ctx: Context, yes: boolean, question: string): Promise<void> {
  if (yes) return;
  if (!ctx.io.stdin.isTTY || !ctx.io.stderr.isTTY) {
    throw new UsageError(
      `${question} Pass --yes to confirm (stdin is not a terminal, so exprun cannot ask).`,
    );
  }
  // Loaded here: only deleting commands ask, and every command's start-up pays for what it imports.
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr as NodeJS.WritableStream });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError("Cancelled; nothing was deleted.");
  } finally {
    rl.close();
  }
}
