import type { Command } from "commander";
import type { CliIo } from "../../context.js";
import { examples } from "../action.js";
import { registerRunsCreate } from "./create.js";
import { registerRunsDelete } from "./delete.js";
import { registerRunsEnd } from "./end.js";
import { registerRunsList } from "./list.js";
import { registerRunsNote } from "./note.js";
import { registerRunsShow } from "./show.js";
import { registerRunsState } from "./state.js";
import { registerRunsTag } from "./tag.js";

/** `exprun runs …`: one file per subcommand. */
export function registerRuns(program: Command, io: CliIo): void {
  const group = program
    .command("runs")
    .description("list, show, create, end, tag, annotate and delete runs")
    .addHelpText(
      "after",
      examples("exprun runs list --experiment demo", "exprun runs show demo/logreg-lr0-5"),
    );
  registerRunsList(group, io);
  registerRunsShow(group, io);
  registerRunsCreate(group, io);
  registerRunsEnd(group, io);
  registerRunsState(group, io);
  registerRunsTag(group, io);
  registerRunsNote(group, io);
  registerRunsDelete(group, io);
}
