import { html } from "htm/preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getJson, type StoreInfo } from "./api.js";
import { ExperimentsPage } from "./pages/experiments.js";
import { RunsPage } from "./pages/runs.js";
import { onLinkClick, runsUrl, useRoute } from "./router.js";

// The chart pages (and uPlot) load when first opened: the runs table, where most visits start, does
// not parse them.
type Page = (props: Record<string, unknown>) => ReturnType<typeof html>;
const pages: { run?: Page; compare?: Page } = {};
const loaders = {
  run: () => import("./pages/run.js").then((m) => m.RunPage as unknown as Page),
  compare: () => import("./pages/compare.js").then((m) => m.ComparePage as unknown as Page),
};

function Lazy(props: { page: "run" | "compare"; props: Record<string, unknown> }) {
  const [, setLoaded] = useState(0);
  const Component = pages[props.page];
  useEffect(() => {
    if (Component) return;
    loaders[props.page]().then((loaded) => {
      pages[props.page] = loaded;
      setLoaded((n) => n + 1);
    });
  }, [props.page, Component]);
  return Component
    ? html`<${Component} ...${props.props} />`
    : html`<main class="page"><p class="muted">Loading…</p></main>`;
}

function Header(props: { store: StoreInfo | null; crumbs: { label: string; href?: string }[] }) {
  return html`<header class="top">
    <a class="brand" href="/" onClick=${onLinkClick}>exprun</a>
    <nav class="crumbs" aria-label="breadcrumb">
      ${props.crumbs.map(
        (c) =>
          html`<span class="crumb">/ ${c.href ? html`<a href=${c.href} onClick=${onLinkClick}>${c.label}</a>` : html`<span>${c.label}</span>`}</span>`,
      )}
    </nav>
    <span class="store" title="the store this UI reads (read-only)">${props.store ? `${props.store.label} · read-only` : ""}</span>
  </header>`;
}

function App() {
  const route = useRoute();
  const [store, setStore] = useState<StoreInfo | null>(null);
  useEffect(() => {
    getJson<StoreInfo>("/api/store").then(setStore, () => undefined);
  }, []);
  const crumbs: { label: string; href?: string }[] = [{ label: "Experiments", href: "/" }];
  if (route.page !== "experiments" && route.page !== "missing")
    crumbs.push({ label: route.experiment, href: runsUrl(route.experiment) });
  if (route.page === "run") crumbs.push({ label: route.run });
  if (route.page === "compare") crumbs.push({ label: "Compare" });
  useEffect(() => {
    const parts = crumbs.slice(1).map((c) => c.label);
    document.title = parts.length ? `${parts.reverse().join(" · ")} — exprun` : "Experiments — exprun";
  });
  let page: ReturnType<typeof html>;
  switch (route.page) {
    case "experiments":
      page = html`<${ExperimentsPage} query=${route.query} />`;
      break;
    case "runs":
      page = html`<${RunsPage} key=${route.experiment} experiment=${route.experiment} query=${route.query} />`;
      break;
    case "run":
      page = html`<${Lazy} key=${`${route.experiment}/${route.run}`} page="run" props=${{ experiment: route.experiment, run: route.run }} />`;
      break;
    case "compare":
      page = html`<${Lazy} key=${route.experiment} page="compare" props=${{ experiment: route.experiment, query: route.query }} />`;
      break;
    default:
      page = html`<main class="page"><h1>Not found</h1><p>Nothing lives at ${route.path}. <a href="/" onClick=${onLinkClick}>See the experiments.</a></p></main>`;
  }
  return html`<${Header} store=${store} crumbs=${crumbs} />${page}`;
}

const root = document.getElementById("app")!;
root.textContent = "";
render(html`<${App} />`, root);
