/**
 * HTML for the report and the UI, written as template strings: every value from the store or a rule goes through
 * `esc` (text), `attr` or `json` (data for the charts, safe inside a <script> element).
 */
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** JSON that cannot close its <script> element. */
export function json(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export interface TableOptions {
  /** Columns aligned right (numbers). */
  readonly numeric?: readonly number[];
  /** Cells that are already HTML (links), by column. */
  readonly html?: readonly number[];
  readonly className?: string;
}

export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, options: TableOptions = {}): string {
  const numeric = new Set(options.numeric ?? []);
  const html = new Set(options.html ?? []);
  const cls = (i: number): string => (numeric.has(i) ? ' class="num"' : '');
  const head = headers.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((v, i) => `<td${cls(i)}>${html.has(i) ? v : esc(v)}</td>`).join('')}</tr>`).join('');
  return `<table${options.className ? ` class="${esc(options.className)}"` : ''}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export const count = (n: number): string => n.toLocaleString('en-US');
