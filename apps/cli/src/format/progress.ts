import type { Context } from "../context.js";

export interface Progress {
  tick(label?: string): void;
  stop(): void;
}

const silent: Progress = { tick() {}, stop() {} };

/**
 * A progress bar on stderr when it is a terminal; nothing otherwise (pipes, CI logs, tests).
 * cli-progress is loaded only when a bar is shown.
 */
export async function startProgress(ctx: Context, total: number, title: string): Promise<Progress> {
  if (!ctx.progressEnabled || total <= 1) return silent;
  const { SingleBar } = (await import("cli-progress")).default;
  const bar = new SingleBar({
    stream: ctx.io.stderr as unknown as NodeJS.WritableStream,
    format: `${title} {bar} {value}/{total} {label}`,
    barsize: 30,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(total, 0, { label: "" });
  // Ctrl-C: stop the bar so the terminal gets its cursor back, then exit as interrupted.
  const interrupted = () => {
    bar.stop();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  return {
    tick(label = "") {
      bar.increment(1, { label });
    },
    stop() {
      process.removeListener("SIGINT", interrupted);
      bar.stop();
    },
  };
}
