import { html } from "htm/preact";

export function StateBadge(props: { state: string }) {
  return html`<span class=${`state state-${props.state.toLowerCase()}`}>${props.state}</span>`;
}

export function ErrorBox(props: { error: unknown }) {
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return html`<div class="error" role="alert">${message}</div>`;
}

export function KeyValues(props: { entries: [string, string][]; empty: string }) {
  if (props.entries.length === 0) return html`<p class="muted">${props.empty}</p>`;
  return html`<table class="kv">
    <tbody>
      ${props.entries.map(([k, v]) => html`<tr><th scope="row">${k}</th><td><div class="kv-value">${v}</div></td></tr>`)}
    </tbody>
  </table>`;
}
