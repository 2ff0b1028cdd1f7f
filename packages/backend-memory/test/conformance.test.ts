import { describeBackend } from "@exprun/conformance";
import { type CheckedBackend, checkBackend, type RunRef } from "@exprun/core";
import { createMemoryBackend } from "../src/index.js";

/**
 * A memory store cannot fail to write, so the suite's fault hook needs a switch in front of it: the
 * backend under test is the memory backend with appends that fail, for the runs the hook names, as a
 * full disk would. Every other call goes straight to the memory backend.
 */
const faulty = new WeakMap<CheckedBackend, { inner: CheckedBackend; failing: Set<string> }>();
const keyOf = (ref: RunRef) => `${ref.experiment}/${ref.run}`;

function withFaultSwitch(inner: CheckedBackend): CheckedBackend {
  const failing = new Set<string>();
  const backend = checkBackend({
    ...inner,
    appendTimeSeries: (ref, writes) =>
      failing.has(keyOf(ref))
        ? Promise.reject(new Error("ENOSPC: no space left on device (injected by the test)"))
        : inner.appendTimeSeries(ref, writes),
  });
  faulty.set(backend, { inner, failing });
  return backend;
}

const switchOf = (backend: CheckedBackend) => {
  const found = faulty.get(backend);
  if (!found) throw new Error("not a backend of this test's factory");
  return found;
};

describeBackend("memory", () => withFaultSwitch(createMemoryBackend({ pageSize: 100 })), {
  openSecond: (backend) => createMemoryBackend({ sameStoreAs: switchOf(backend).inner }),
  faults: {
    failWrites(backend, run) {
      const { failing } = switchOf(backend);
      failing.add(keyOf(run));
      return () => {
        failing.delete(keyOf(run));
      };
    },
  },
});
