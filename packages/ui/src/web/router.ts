// History-API routing: every view has a URL that can be shared and survives a reload.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "experiments"; query: URLSearchParams }
  | { page: "runs"; experiment: string; query: URLSearchParams }
  | { page: "run"; experiment: string; run: string; query: URLSearchParams }
  | { page: "compare"; experiment: string; query: URLSearchParams }
  | { page: "missing"; path: string; query: URLSearchParams };

export function parseRoute(location: { pathname: string; search: string }): Route {
  const query = new URLSearchParams(location.search);
  const parts = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: "experiments", query };
  if (parts[0] === "experiments" && parts.length === 2) return { page: "runs", experiment: parts[1]!, query };
  if (parts[0] === "experiments" && parts.length === 3 && parts[2] === "compare")
    return { page: "compare", experiment: parts[1]!, query };
  if (parts[0] === "experiments" && parts.length === 4 && parts[2] === "runs")
    return { page: "run", experiment: parts[1]!, run: parts[3]!, query };
  return { page: "missing", path: location.pathname, query };
}

const listeners = new Set<() => void>();
window.addEventListener("popstate", () => {
  for (const l of listeners) l();
});

/** Goes to `url` (same origin). `replace` keeps the history entry (for filter edits, sort clicks). */
export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  if (!options.replace) window.scrollTo(0, 0);
  for (const l of listeners) l();
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location));
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return route;
}

/** Click handler for in-app links: plain left clicks navigate without reloading; others behave as links. */
export function onLinkClick(event: MouseEvent): void {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  )
    return;
  const anchor = (event.currentTarget as HTMLElement).closest("a");
  if (!anchor || anchor.target || anchor.origin !== window.location.origin) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}

export const runsUrl = (experiment: string, query?: URLSearchParams) =>
  `/experiments/${encodeURIComponent(experiment)}${query && [...query].length ? `?${query}` : ""}`;
export const runUrl = (experiment: string, run: string) =>
  `/experiments/${encodeURIComponent(experiment)}/runs/${encodeURIComponent(run)}`;
export const compareUrl = (experiment: string, runs: string[]) =>
  `/experiments/${encodeURIComponent(experiment)}/compare?runs=${runs.map(encodeURIComponent).join(",")}`;
