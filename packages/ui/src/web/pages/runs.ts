// The runs table of an experiment: server-side filter (the CLI's filter language) and sort (several
// keys), keyset pages fetched as the table scrolls, only the rows in view rendered.
import { html } from "htm/preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { enc, getJson, type RunsPage as RunsPageData, type Value, withQuery } from "../api.js";
import { formatCount, formatTime, formatValue } from "../format.js";
import { useLiveVersion } from "../live.js";
import { compareUrl, navigate, onLinkClick, runsUrl, runUrl } from "../router.js";
import { ErrorBox, StateBadge } from "./common.js";

const ROW_HEIGHT = 30;
const OVERSCAN = 12;
const FIRST_PAGE = 100;
const MAX_PAGE = 1000;
const DEFAULT_SORT = "created:desc";

type Row = (Value | null)[];

interface SortKey {
  field: string;
  descending: boolean;
}

/** The sort parameter as keys (the server checks it; this only draws the arrows). */
export function parseSortText(text: string): SortKey[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      let field = part;
      let descending = false;
      const suffix = /(?::|\s+)(asc|desc)$/i.exec(field);
      if (suffix) {
        descending = suffix[1]!.toLowerCase() === "desc";
        field = field.slice(0, suffix.index);
      } else if (field.startsWith("-")) {
        descending = true;
        field = field.slice(1);
      }
      return { field: field.replace(/`/g, ""), descending };
    });
}

/** A column as a sort field of the filter language (keys that are not plain words are quoted). */
export function sortField(column: string): string {
  if (column === "name") return "run_name";
  if (column === "state" || column === "created" || column === "updated") return column;
  const dot = column.indexOf(".");
  const key = column.slice(dot + 1);
  return /^[A-Za-z_][A-Za-z0-9_.\-/:]*$/.test(key)
    ? column
    : `${column.slice(0, dot)}.\`${key.replace(/`/g, "")}\``;
}

function sortText(keys: SortKey[]): string {
  return keys.map((k) => `${k.field}${k.descending ? ":desc" : ""}`).join(",");
}

const fixedColumns = [
  { id: "name", label: "Run", width: 240 },
  { id: "state", label: "State", width: 110 },
  { id: "created", label: "Created", width: 160 },
  { id: "updated", label: "Updated", width: 160 },
];
const VALUE_WIDTH = 130;

export function RunsPage(props: { experiment: string; query: URLSearchParams }) {
  const { experiment } = props;
  const filter = props.query.get("filter") ?? "";
  const sort = props.query.get("sort") || DEFAULT_SORT;
  const colsParam = props.query.get("cols");
  const chosenColumns =
    colsParam === null ? undefined : colsParam === "none" ? [] : colsParam.split(",").filter(Boolean);

  const [description, setDescription] = useState("");
  const [scanned, setScanned] = useState<number | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [columns, setColumns] = useState<string[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [next, setNext] = useState<string | undefined>();
  // Rows from the end of the order (last first), fetched when the table jumps far past the loaded
  // rows; `tailNext` is null before the first tail page and undefined once the tail is exhausted.
  const [tail, setTail] = useState<Row[]>([]);
  const [tailNext, setTailNext] = useState<string | undefined | null>(null);
  const [allColumns, setAllColumns] = useState<RunsPageData["allColumns"] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [filterText, setFilterText] = useState(filter);
  const [selected, setSelected] = useState<string[]>([]);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [pickerOpen, setPickerOpen] = useState(false);
  const { version, live } = useLiveVersion(experiment, () => true);
  const scroller = useRef<HTMLDivElement>(null);
  const loading = useRef(false);
  const [settled, setSettled] = useState(0);
  const generation = useRef(0);
  const state = useRef({ rows, next, scrollTop, viewport });
  state.current = { rows, next, scrollTop, viewport };

  const query = useCallback(
    (limit: number, after?: string, withColumns = false, reverse = false) => {
      const url = withQuery(`/api/experiments/${enc(experiment)}/runs`, {
        filter,
        sort,
        limit,
        after,
        reverse: reverse ? 1 : undefined,
        columns: chosenColumns ? chosenColumns.join(",") : undefined,
        withColumns: withColumns ? 1 : undefined,
      });
      return chosenColumns?.length === 0 ? `${url}&columns=` : url;
    },
    [experiment, filter, sort, colsParam],
  );

  /** Loads from the top, `limit` rows (a reload keeps as many rows as the table shows). */
  const reload = useCallback(
    async (limit: number, withColumns: boolean) => {
      const gen = ++generation.current;
      loading.current = true;
      try {
        const page = await getJson<RunsPageData>(query(limit, undefined, withColumns));
        if (gen !== generation.current) return;
        setRows(page.rows);
        setTail([]);
        setTailNext(null);
        setColumns(page.columns);
        setTotal(page.total);
        setScanned(page.scanned);
        setDescription(page.experiment.description);
        setNext(page.next);
        if (page.allColumns) setAllColumns(page.allColumns);
        setError(null);
      } catch (e) {
        if (gen === generation.current) setError(e);
      } finally {
        if (gen === generation.current) loading.current = false;
        setSettled((n) => n + 1);
      }
    },
    [query],
  );

  useEffect(() => {
    setFilterText(filter);
    setTotal(null);
    void reload(FIRST_PAGE, allColumns === null);
    scroller.current?.scrollTo({ top: 0 });
  }, [reload]);

  // Fetch further pages while the rows in view are not loaded yet.
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(total ?? rows.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
  const tailStart = (total ?? 0) - tail.length;
  useEffect(() => {
    if (loading.current || total === null) return;
    const headEnd = rows.length;
    if (Math.max(first, headEnd) >= Math.min(last, tailStart)) return; // every row in view is loaded
    // Page forward from the loaded rows, or backward from the end when that is closer.
    const fromTail = tailNext !== undefined && tailStart - last < first - headEnd;
    if (!fromTail && !next) return;
    const gen = generation.current;
    loading.current = true;
    const missing = fromTail ? tailStart - first : last - headEnd;
    const limit = Math.min(MAX_PAGE, Math.max(FIRST_PAGE * 2, missing + FIRST_PAGE));
    getJson<RunsPageData>(fromTail ? query(limit, tailNext ?? undefined, false, true) : query(limit, next))
      .then((page) => {
        if (gen !== generation.current) return;
        if (fromTail) {
          setTail((old) => [...old, ...page.rows]);
          setTailNext(page.next);
        } else {
          setRows((old) => [...old, ...page.rows]);
          setNext(page.next);
        }
        setTotal(page.total);
      })
      .catch((e: unknown) => gen === generation.current && setError(e))
      .finally(() => {
        if (gen === generation.current) loading.current = false;
        // Look again once any load ended: a page dropped by a newer reload leaves nothing else changed.
        setSettled((n) => n + 1);
      });
  }, [first, last, rows.length, tailStart, next, tailNext, total, query, settled]);

  // Live: reload what the table shows when runs change (a newer reload supersedes an older one).
  useEffect(() => {
    if (version === 0) return;
    const s = state.current;
    const shown = Math.ceil((s.scrollTop + s.viewport) / ROW_HEIGHT) + OVERSCAN;
    void reload(Math.min(MAX_PAGE, Math.max(FIRST_PAGE, shown, Math.min(s.rows.length, MAX_PAGE))), false);
  }, [version]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setViewport(el.clientHeight);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const onScroll = useMemo(() => {
    let frame = 0;
    return (e: Event) => {
      const top = (e.currentTarget as HTMLElement).scrollTop;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setScrollTop(top));
    };
  }, []);

  const setParam = (name: string, value: string | undefined) => {
    const params = new URLSearchParams(props.query);
    if (value === undefined || value === "") params.delete(name);
    else params.set(name, value);
    navigate(runsUrl(experiment, params), { replace: true });
  };

  const sortKeys = parseSortText(sort);
  const onSort = (column: string, event: MouseEvent) => {
    const field = sortField(column);
    const existing = sortKeys.findIndex((k) => k.field === field.replace(/`/g, ""));
    let keys: SortKey[];
    if (event.shiftKey) {
      keys = [...sortKeys];
      if (existing >= 0) keys[existing] = { field, descending: !keys[existing]!.descending };
      else keys.push({ field, descending: false });
      keys = keys.slice(0, 5);
    } else if (existing === 0 && sortKeys.length === 1) {
      keys = [{ field, descending: !sortKeys[0]!.descending }];
    } else {
      keys = [
        { field, descending: column === "created" || column === "updated" || column.startsWith("metric.") },
      ];
    }
    setParam("sort", sortText(keys) === DEFAULT_SORT ? undefined : sortText(keys));
  };

  const sortMark = (column: string) => {
    const field = sortField(column).replace(/`/g, "");
    const i = sortKeys.findIndex((k) => k.field === field);
    if (i < 0) return null;
    return html`<span class="sort-mark" aria-label=${sortKeys[i]!.descending ? "sorted descending" : "sorted ascending"}>${sortKeys[i]!.descending ? "▼" : "▲"}${sortKeys.length > 1 ? i + 1 : ""}</span>`;
  };

  const toggle = (name: string) =>
    setSelected((old) => (old.includes(name) ? old.filter((n) => n !== name) : [...old, name]));

  const width = 36 + fixedColumns.reduce((w, c) => w + c.width, 0) + columns.length * VALUE_WIDTH;
  const visibleRows: { index: number; row: Row | undefined }[] = [];
  for (let i = first; i < last; i++) {
    visibleRows.push({
      index: i,
      row: i < rows.length ? rows[i] : i >= tailStart ? tail[(total ?? 0) - 1 - i] : undefined,
    });
  }

  const header = html`<div class="trow thead" style=${{ width: `${width}px` }}>
    <div class="cell check sticky" style=${{ left: "0px" }}></div>
    ${fixedColumns.map(
      (c, i) => html`<div
        class=${`cell th${i === 0 ? " sticky name" : ""}`}
        style=${{ width: `${c.width}px`, ...(i === 0 ? { left: "36px" } : {}) }}
        role="columnheader"
        title="Click to sort, shift-click to add a sort key"
        onClick=${(e: MouseEvent) => onSort(c.id, e)}
      ><span class="th-name">${c.label}${sortMark(c.id)}</span></div>`,
    )}
    ${columns.map(
      (
        c,
        k,
      ) => html`<div class=${`cell th value${typeof rows[0]?.[4 + k] === "number" ? " num" : ""}`} style=${{ width: `${VALUE_WIDTH}px` }} title=${`${c} — click to sort, shift-click to add a sort key`} role="columnheader" onClick=${(e: MouseEvent) => onSort(c, e)}>
        <span class="col-kind">${c.slice(0, c.indexOf("."))}</span><span class="th-name">${c.slice(c.indexOf(".") + 1)}${sortMark(c)}</span>
      </div>`,
    )}
  </div>`;

  return html`<main class="page page-wide runs-page">
    <div class="page-head">
      <div>
        <h1>${experiment}</h1>
        ${description ? html`<p class="desc">${description}</p>` : null}
      </div>
      <div class="counts">
        ${total !== null ? html`<span class="count" data-total=${total}>${filter ? `${formatCount(total)} of ${formatCount(scanned ?? total)} runs match` : `${formatCount(total)} runs`}</span>` : null}
        ${live ? html`<span class="live" title="This page updates as runs change">● live</span>` : null}
      </div>
    </div>
    <form
      class="filter-bar"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        setParam("filter", filterText.trim());
      }}
    >
      <input
        class="filter"
        name="filter"
        aria-label="Filter runs"
        placeholder="Filter, e.g. metric.val_accuracy > 0.9 and param.model = mlp   (Enter to apply)"
        value=${filterText}
        spellcheck=${false}
        onInput=${(e: Event) => setFilterText((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Filter</button>
      ${filter ? html`<button type="button" onClick=${() => setParam("filter", undefined)}>Clear</button>` : null}
      <button type="button" class=${pickerOpen ? "active" : ""} onClick=${() => setPickerOpen(!pickerOpen)}>Columns (${columns.length})</button>
      <button
        type="button"
        class="primary"
        disabled=${selected.length < 2}
        title=${selected.length < 2 ? "Tick two or more runs to compare them" : ""}
        onClick=${() => navigate(compareUrl(experiment, selected))}
      >
        Compare${selected.length ? ` ${selected.length}` : ""} runs
      </button>
      ${selected.length ? html`<button type="button" onClick=${() => setSelected([])}>Clear selection</button>` : null}
    </form>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${
      pickerOpen && allColumns
        ? html`<${ColumnPicker}
          all=${allColumns}
          shown=${chosenColumns ?? columns}
          onChange=${(cols: string[]) => setParam("cols", cols.join(",") || "none")}
          onReset=${() => setParam("cols", undefined)}
        />`
        : null
    }
    <div class="table-scroll" ref=${scroller} onScroll=${onScroll} role="table" aria-rowcount=${total ?? 0}>
      ${header}
      <div class="tbody" style=${{ height: `${(total ?? 0) * ROW_HEIGHT}px`, width: `${width}px` }}>
        ${visibleRows.map(({ index, row }) => {
          const name = row ? String(row[0]) : "";
          return html`<div
            key=${row ? name : `pending-${index}`}
            class=${`trow${index % 2 ? " odd" : ""}${selected.includes(name) ? " selected" : ""}`}
            style=${{ top: `${index * ROW_HEIGHT}px`, width: `${width}px` }}
            role="row"
          >
            ${
              row
                ? html`<div class="cell check sticky" style=${{ left: "0px" }}>
                    <input type="checkbox" aria-label=${`select ${name}`} checked=${selected.includes(name)} onChange=${() => toggle(name)} />
                  </div>
                  <div class="cell sticky name" style=${{ width: "240px", left: "36px" }}>
                    <a href=${runUrl(experiment, name)} onClick=${onLinkClick} title=${name}>${name}</a>
                  </div>
                  <div class="cell" style=${{ width: "110px" }}><${StateBadge} state=${String(row[1])} /></div>
                  <div class="cell" style=${{ width: "160px" }}>${formatTime(Number(row[2]))}</div>
                  <div class="cell" style=${{ width: "160px" }}>${formatTime(Number(row[3]))}</div>
                  ${columns.map((_c, k) => {
                    const v = row[4 + k] ?? null;
                    return html`<div class=${`cell value${typeof v === "number" ? " num" : ""}`} style=${{ width: `${VALUE_WIDTH}px` }} title=${formatValue(v, true)}>${formatValue(v)}</div>`;
                  })}`
                : html`<div class="cell pending">…</div>`
            }
          </div>`;
        })}
      </div>
      ${total === 0 ? html`<p class="muted empty">${filter ? "No run matches the filter." : "No runs in this experiment yet."}</p>` : null}
    </div>
    <details class="help">
      <summary>Filter language</summary>
      <p>Comparisons <code>FIELD OP VALUE</code> joined with <code>and</code>, <code>or</code>, <code>not</code> and grouped with parentheses — the same language as <code>exprun runs list --filter</code>.</p>
      <p>FIELD: <code>param.KEY</code>, <code>metric.KEY</code>, <code>time_series_metric.KEY</code>, <code>tag.KEY</code>, <code>state</code>, <code>run_name</code>, <code>created</code>, <code>updated</code>. OP: <code>= != &lt; &lt;= &gt; &gt;=</code>, <code>IN ('a', 'b')</code>, <code>LIKE 'res%'</code>, <code>ILIKE</code>. VALUE: a number, <code>'a string'</code>, <code>true</code>, <code>false</code>, a date such as <code>2024-05-01</code> for the times. A run without the field never matches.</p>
    </details>
  </main>`;
}

function ColumnPicker(props: {
  all: { params: string[]; metrics: string[]; series: string[]; tags: string[] };
  shown: string[];
  onChange: (columns: string[]) => void;
  onReset: () => void;
}) {
  const [search, setSearch] = useState("");
  const everything = [
    ...props.all.params.map((k) => `param.${k}`),
    ...props.all.metrics.map((k) => `metric.${k}`),
    ...props.all.series.map((k) => `series.${k}`),
    ...props.all.tags.map((k) => `tag.${k}`),
  ];
  const needle = search.toLowerCase();
  const matching = everything.filter((c) => c.toLowerCase().includes(needle)).slice(0, 500);
  const shown = new Set(props.shown);
  const toggle = (c: string) =>
    props.onChange(shown.has(c) ? props.shown.filter((x) => x !== c) : [...props.shown, c].slice(0, 300));
  return html`<div class="picker" role="dialog" aria-label="Choose columns">
    <div class="picker-head">
      <input type="search" placeholder="Find a column" aria-label="Find a column" value=${search} onInput=${(e: Event) => setSearch((e.target as HTMLInputElement).value)} />
      <button type="button" onClick=${() => props.onChange(matching.slice(0, 300))}>Show ${search ? "matching" : "all"}</button>
      <button type="button" onClick=${() => props.onChange(props.shown.filter((c) => !matching.includes(c)))}>Hide ${search ? "matching" : "all"}</button>
      <button type="button" onClick=${props.onReset}>Default</button>
    </div>
    <div class="picker-list">
      ${matching.map(
        (c) =>
          html`<label class="picker-item"><input type="checkbox" checked=${shown.has(c)} onChange=${() => toggle(c)} /> ${c}</label>`,
      )}
    </div>
  </div>`;
}
