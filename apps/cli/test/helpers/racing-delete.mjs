// A `node --import` hook for tests: registers the URI scheme `racing:<dir>`, a file store at <dir> in
// which, the first time a run is deleted, another writer deletes that run and creates it again just
// before the delete arrives — the race between `exprun runs delete` looking a run up and deleting it.
import { createFileBackend } from "@exprun/backend-file";
import { registerBackendScheme } from "@exprun/core";

registerBackendScheme("racing", ({ uri }) => {
  const root = uri.slice("racing:".length);
  const backend = createFileBackend({ root });
  const other = createFileBackend({ root });
  let raced = false;
  return {
    ...backend,
    deleteRun: async (ref, options) => {
      if (!raced) {
        raced = true;
        const name = { experiment: ref.experiment, run: ref.run };
        await other.deleteRun(name, { deleteBackingTensorboardRun: false });
        await other.createRun(ref.experiment, { name: ref.run, state: "RUNNING" });
        await other.close();
      }
      return backend.deleteRun(ref, options);
    },
  };
});
