/**
 * A compiled rule query with `now` left symbolic, so that it can be run at any instant without Kusto.Language.
 *
 * The IR builder folds `now()`, `ago(x)`, `now(x)` and the look-back bounds into datetime literals (so the engines
 * can prune on them). All of that folding is `now + constant` (build.ts `foldTime` only adds and subtracts
 * timespan constants). So a literal in the IR is either independent of `now` or exactly `now + c`.
 *
 * We find which by building the query twice, at `now` and at `now − Δ`, and comparing the two IR trees: they must
 * be identical except for datetime literals that differ by exactly Δ, which become `{ k: 'now', offset: c }`
 * markers. Anything else that changes with `now` (a datetime turned into text inside a `dynamic`, a fold added to
 * the builder some day that is not linear) makes the query not templatable: it is then compiled on every run,
 * never answered from a template that might be wrong. Δ is an odd, irregular span (a year and a bit, down to the
 * microsecond) so that no rounding function could map both instants to values that differ by exactly Δ or not at
 * all by accident.
 *
 * The template is plain JSON: it is what the plan cache stores.
 */
import { isDeepStrictEqual } from 'node:util';
import { buildQuery } from '../../kql/build.js';
import type { Catalog } from '../../kql/catalog.js';
import { defaultCatalog } from '../../summaries/catalog.js';
import { dialectFor, type CompiledQuery, type DialectChoice } from '../../kql/compile.js';
import type { Expr, Rel } from '../../kql/ir.js';
import { resultSql } from '../../kql/sql/generate.js';
import type { Column } from '../../kql/types.js';

const MICROS_PER_DAY = 86_400_000_000;
/** 366 d + 1 h + 1 min + 1 s + 1 ms + 1 µs, in microseconds. */
export const TEMPLATE_PROBE_SHIFT = 366 * MICROS_PER_DAY + 3_600_000_000 + 60_000_000 + 1_000_000 + 1_000 + 1;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Where a `now`-relative literal stood: the instant is `now + offset` (microseconds). */
export interface NowMarker {
  readonly k: 'now';
  readonly type: 'datetime';
  readonly offset: number;
}

export interface QueryTemplate {
  /** The query text (after parameters): for error positions when SQL is generated. */
  readonly text: string;
  /** The look-back the template was built with (microseconds), part of the IR's scan filters. */
  readonly lookback: number;
  /** The IR, with `NowMarker` objects in place of the `now`-relative literals. */
  readonly ir: Json;
  readonly columns: readonly Column[];
}

export class NotTemplatableError extends Error {
  constructor(detail: string) {
    super(`the query's plan depends on now() in a way that cannot be cached (${detail})`);
    this.name = 'NotTemplatableError';
  }
}

/**
 * Builds the template (this loads Kusto.Language). `at` is any instant; the template does not depend on it.
 * Throws KqlError for a broken query and NotTemplatableError as explained above.
 */
export function buildTemplate(text: string, at: number, lookback: number, catalog: Catalog = defaultCatalog()): QueryTemplate {
  const first = buildQuery(text, { now: at, lookback, catalog }).rel;
  const second = buildQuery(text, { now: at - TEMPLATE_PROBE_SHIFT, lookback, catalog }).rel;
  return { text, lookback, ir: templateIr(first, second, at), columns: first.columns };
}

/** The IR at `now` (microseconds): markers become datetime literals again. */
export function instantiateIr(template: Pick<QueryTemplate, 'ir'>, now: number): Rel {
  return substituteNow(template.ir, now) as unknown as Rel;
}

/** SQL for an engine at `now`: IR → SQL only, no Kusto.Language. */
export function instantiate(template: QueryTemplate, now: number, engine: DialectChoice): CompiledQuery {
  const ir = instantiateIr(template, now);
  return { sql: resultSql(ir, { dialect: dialectFor(engine), text: template.text }), columns: template.columns, ir };
}

export function isNowMarker(value: Json | undefined): value is Json & NowMarker {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.k === 'now' && typeof value.offset === 'number';
}

/** True when a template subtree (an expression) contains a `now`-relative literal. */
export function dependsOnNow(node: Json | Expr | undefined): boolean {
  const value = node as Json | undefined;
  if (isNowMarker(value)) return true;
  if (Array.isArray(value)) return value.some(dependsOnNow);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(dependsOnNow);
  return false;
}

function substituteNow(node: Json, now: number): Json {
  if (isNowMarker(node)) return { k: 'lit', type: 'datetime', value: now + node.offset };
  if (Array.isArray(node)) return node.map((child) => substituteNow(child, now));
  if (typeof node === 'object' && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, substituteNow(child, now)]));
  }
  return node;
}

/**
 * The template IR from two builds of one query, at `at` and at `at − TEMPLATE_PROBE_SHIFT`. Throws
 * NotTemplatableError when they differ in anything but `now`-relative datetimes, or hold a value JSON cannot keep.
 */
export function templateIr(first: Rel, second: Rel, at: number): Json {
  const ir = abstractNow(first as unknown as Json, second as unknown as Json, at, []);
  // The template is kept as JSON text: a value JSON cannot hold (NaN, -0, a bigint, undefined) must not be cached.
  if (!jsonRoundTrips(ir)) throw new NotTemplatableError('the plan holds a value JSON cannot represent');
  return ir;
}

/** Walks two builds of the same query in step; see the module comment. */
function abstractNow(a: Json, b: Json, at: number, path: readonly string[]): Json {
  if (isDatetimeLiteral(a) && isDatetimeLiteral(b) && a.value !== b.value) {
    if (typeof a.value === 'number' && typeof b.value === 'number' && a.value - b.value === TEMPLATE_PROBE_SHIFT) {
      const marker: NowMarker = { k: 'now', type: 'datetime', offset: a.value - at };
      return { ...marker };
    }
    throw new NotTemplatableError(`a datetime at ${path.join('.')} is not now() plus a constant`);
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) throw new NotTemplatableError(`the plan's shape at ${path.join('.')} changes with now()`);
    return a.map((child, i) => abstractNow(child, b[i] as Json, at, [...path, String(i)]));
  }
  if (typeof a === 'object' && a !== null) {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new NotTemplatableError(`the plan's shape at ${path.join('.')} changes with now()`);
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) throw new NotTemplatableError(`the plan's shape at ${path.join('.')} changes with now()`);
    return Object.fromEntries(keys.map((key) => [key, abstractNow(a[key] as Json, b[key] as Json, at, [...path, key])]));
  }
  if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) {
    throw new NotTemplatableError(`a value at ${path.join('.')} changes with now()`);
  }
  return a;
}

function jsonRoundTrips(value: Json): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(JSON.stringify(value)), value);
  } catch {
    return false; // a bigint
  }
}

function isDatetimeLiteral(node: Json): node is { k: 'lit'; type: 'datetime'; value: Json } {
  return typeof node === 'object' && node !== null && !Array.isArray(node) && node.k === 'lit' && node.type === 'datetime';
}
