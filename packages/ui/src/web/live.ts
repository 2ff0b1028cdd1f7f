// Live updates for pages: a version number that goes up when runs the page shows change in the store.
import { useEffect, useRef, useState } from "preact/hooks";
import { type RunsChanged, watchExperiment } from "./api.js";

/** At most one reload per this many ms while runs keep changing (a page never starves). */
export const LIVE_THROTTLE_MS = 1000;

/**
 * Bumps the returned version when an event matches `affects` (a baseline or truncated event always
 * does), at most once per {@link LIVE_THROTTLE_MS}: the first change at once, later ones at the end of
 * the interval.
 */
export function useLiveVersion(
  experiment: string,
  affects: (event: RunsChanged) => boolean,
): { version: number; live: boolean } {
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState(false);
  const predicate = useRef(affects);
  predicate.current = affects;
  useEffect(() => {
    let last = 0;
    let timer: number | undefined;
    const bump = () => {
      timer = undefined;
      last = performance.now();
      setVersion((v) => v + 1);
    };
    const stop = watchExperiment(experiment, (event) => {
      setLive(true);
      if (event.kind === "change" && !event.truncated && !predicate.current(event)) return;
      if (timer !== undefined) return;
      const wait = LIVE_THROTTLE_MS - (performance.now() - last);
      if (wait <= 0) bump();
      else timer = window.setTimeout(bump, wait);
    });
    window.addEventListener("pagehide", stop);
    return () => {
      clearTimeout(timer);
      window.removeEventListener("pagehide", stop);
      stop();
    };
  }, [experiment]);
  return { version, live };
}

/**
 * Turns version bumps into reload ticks without cancelling a reload in flight: a bump during a load
 * waits for it to finish, then loads once more. `start` and `done` bracket each load.
 */
export function useCoalescedReload(version: number): { tick: number; start: () => void; done: () => void } {
  const [tick, setTick] = useState(0);
  const inflight = useRef(false);
  const pending = useRef(false);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (inflight.current) pending.current = true;
    else setTick((t) => t + 1);
  }, [version]);
  return {
    tick,
    start: () => {
      inflight.current = true;
    },
    done: () => {
      inflight.current = false;
      if (pending.current) {
        pending.current = false;
        setTick((t) => t + 1);
      }
    },
  };
}
