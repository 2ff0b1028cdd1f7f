import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { type ExperimentSummary, getJson, withQuery } from "../api.js";
import { formatCount, formatTime, timeAgo } from "../format.js";
import { navigate, onLinkClick, runsUrl } from "../router.js";
import { ErrorBox } from "./common.js";

export function ExperimentsPage(props: { query: URLSearchParams }) {
  const q = props.query.get("q") ?? "";
  const [text, setText] = useState(q);
  const [items, setItems] = useState<ExperimentSummary[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    setItems(null);
    getJson<{ items: ExperimentSummary[]; nextPageToken?: string }>(
      withQuery("/api/experiments", { q, pageSize: 50 }),
      controller.signal,
    )
      .then((page) => {
        setItems(page.items);
        setNext(page.nextPageToken);
        setError(null);
      })
      .catch((e: unknown) => (e as Error).name !== "AbortError" && setError(e));
    return () => controller.abort();
  }, [q]);

  // Filter as you type (debounced), keeping the filter in the URL.
  useEffect(() => {
    if (text === q) return;
    const timer = setTimeout(() => navigate(withQuery("/", { q: text }), { replace: true }), 250);
    return () => clearTimeout(timer);
  }, [text]);

  const more = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await getJson<{ items: ExperimentSummary[]; nextPageToken?: string }>(
        withQuery("/api/experiments", { q, pageSize: 50, pageToken: next }),
      );
      setItems((old) => [...(old ?? []), ...page.items]);
      setNext(page.nextPageToken);
    } catch (e) {
      setError(e);
    } finally {
      setLoadingMore(false);
    }
  };

  return html`<main class="page">
    <div class="page-head">
      <h1>Experiments</h1>
      <input
        class="search"
        type="search"
        placeholder="Filter by name or description"
        aria-label="Filter experiments"
        value=${text}
        onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)}
      />
    </div>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${items === null && !error ? html`<p class="muted">Loading…</p>` : null}
    ${
      items && items.length === 0
        ? html`<p class="muted">${q ? `No experiment matches “${q}”.` : "No experiments in this store yet. Log a run (for instance: exprun demo), then reload."}</p>`
        : null
    }
    ${
      items && items.length > 0
        ? html`<table class="list">
          <thead><tr><th>Experiment</th><th>Description</th><th class="num">Runs</th><th>Last update</th></tr></thead>
          <tbody>
            ${items.map(
              (e) => html`<tr>
                <td><a href=${runsUrl(e.name)} onClick=${onLinkClick}>${e.name}</a></td>
                <td class="desc">${e.description}</td>
                <td class="num" title=${Object.entries(e.runsByState)
                  .map(([s, n]) => `${s} ${n}`)
                  .join(", ")}>${formatCount(e.runs)}</td>
                <td title=${formatTime(e.lastUpdate)}>${timeAgo(e.lastUpdate)}</td>
              </tr>`,
            )}
          </tbody>
        </table>`
        : null
    }
    ${next ? html`<button class="more" disabled=${loadingMore} onClick=${more}>${loadingMore ? "Loading…" : "Show more experiments"}</button>` : null}
  </main>`;
}
