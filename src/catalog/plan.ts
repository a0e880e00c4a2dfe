/**
 * A rule's compiled plan as the catalog reads it: the IR with `now` left symbolic (the plan cache's template,
 * rules/cache/template.ts), shown with `ago(14d)` where the builder folded an instant, and the same IR at a time T
 * for live figures. The two trees have the same shape, so a node is addressed by its path from the root.
 *
 * Templates are kept per process (compiling loads Kusto.Language once); nothing is written to the store, so the
 * catalog, `explain`, the report and the UI stay read-only.
 */
import { buildQuery } from '../kql/build.js';
import { call, lit, type Expr, type Rel } from '../kql/ir.js';
import { inputsOf } from '../kql/ir-walk.js';
import { buildTemplate, instantiateIr, isNowMarker, NotTemplatableError, type Json, type QueryTemplate } from '../rules/cache/template.js';

const MICROS_PER_MS = 1000;

export interface RulePlan {
  readonly text: string;
  readonly lookback: number;
  /** The IR with `now`-relative instants as `ago(…)`/`now(…)` calls (display only). */
  readonly symbolic: Rel;
  /** The IR at an instant (microseconds), literal instants restored: what SQL is generated from. */
  at(now: number): Rel;
}

const plans = new Map<string, RulePlan>();

/** The plan of a query text run with a look-back (milliseconds). Throws KqlError for a query that does not compile. */
export function rulePlan(text: string, lookbackMs: number): RulePlan {
  const key = `${lookbackMs}\n${text}`;
  const known = plans.get(key);
  if (known) return known;
  const lookback = lookbackMs * MICROS_PER_MS;
  const plan = makePlan(text, lookback);
  plans.set(key, plan);
  return plan;
}

function makePlan(text: string, lookback: number): RulePlan {
  const probe = Date.now() * MICROS_PER_MS;
  let template: QueryTemplate;
  try {
    template = buildTemplate(text, probe, lookback);
  } catch (error) {
    if (!(error instanceof NotTemplatableError)) throw error;
    // A plan that depends on now() non-linearly: rebuilt at each instant; shown as built now.
    return { text, lookback, symbolic: buildQuery(text, { now: probe, lookback }).rel, at: (now) => buildQuery(text, { now, lookback }).rel };
  }
  return { text, lookback, symbolic: symbolicIr(template.ir), at: (now) => instantiateIr(template, now) };
}

/** `now + offset` markers as the calls a person would write: `now()`, `ago(14d)`, `now(2h)`. */
function symbolicIr(node: Json): Rel {
  return replaceMarkers(node) as unknown as Rel;
}

function replaceMarkers(node: Json): Json {
  if (isNowMarker(node)) return nowCall(node.offset) as unknown as Json;
  if (Array.isArray(node)) return node.map(replaceMarkers);
  if (typeof node === 'object' && node !== null) return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, replaceMarkers(child)]));
  return node;
}

/** `now + offset` as a person writes it. */
export function nowCall(offset: number): Expr {
  if (offset === 0) return call('now', 'datetime');
  return offset < 0 ? call('ago', 'datetime', lit(-offset, 'timespan')) : call('now', 'datetime', lit(offset, 'timespan'));
}

/** The offset from now (microseconds) of a `now`-relative expression of the symbolic IR, or undefined. */
export function nowOffset(e: Expr | undefined): number | undefined {
  if (e?.k !== 'call' || (e.fn !== 'ago' && e.fn !== 'now')) return undefined;
  const [arg] = e.args;
  if (!arg) return 0;
  if (arg.k !== 'lit' || typeof arg.value !== 'number') return undefined;
  return e.fn === 'ago' ? -arg.value : arg.value;
}

/** The node at a path of input indexes (see `inputsOf`). */
export function nodeAt(root: Rel, path: readonly number[]): Rel {
  let node = root;
  for (const index of path) {
    const next = inputsOf(node)[index];
    if (!next) throw new Error(`no input ${index} at ${path.join('.')}`);
    node = next;
  }
  return node;
}

export { inputsOf };
