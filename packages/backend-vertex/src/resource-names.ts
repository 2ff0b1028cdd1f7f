import type { RunRef } from "@exprun/core";
import type { Session } from "./session.js";

/** `MS/contexts/{E}-{R}` (VERTEX.md §1.4). */
export function runContextName(session: Session, ref: RunRef): string {
  return `${session.store}/contexts/${ref.experiment}-${ref.run}`;
}
