/**
 * `smbwatch ui`: a local web app over the store (Hono on Node's HTTP server). Read-only: the store is opened
 * read-only for each request (so `smbwatch run` or `ingest` may write between requests), nothing is stored, plans
 * are compiled in memory. It serves fixed routes only — no file path and no SQL or KQL text ever comes from a
 * request: ids are checked against the id alphabet, times parsed, parameters must be numeric parameters of a
 * loaded rule. Bound to 127.0.0.1 by default, answering only requests addressed to a loopback name (no DNS
 * rebinding); on any other address every request must carry a random access token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { Alert } from '../alerts/types.js';
import { liveFigures } from '../catalog/live.js';
import { catalogPage } from '../catalog/page.js';
import { explainAlert } from '../explain/explain.js';
import { AlertLookupError, findAlert, storedAlerts } from '../explain/find.js';
import { DIALECTS } from '../kql/compile.js';
import { applyParameters } from '../rules/parameters.js';
import type { Rule } from '../rules/rule.js';
import { SEVERITIES } from '../rules/rule.js';
import type { Store } from '../store/engine.js';
import { openStore, type StoreAddress } from '../store/engines.js';
import { isoToMicros, microsToIso } from '../util/time.js';
import { CHARTS_CLIENT, echartsScript, type MultiChart } from '../web/charts.js';
import { count } from '../web/html.js';
import { numericParameters, sweep, SweepError, type Sweep } from './backtest.js';
import { alertPage, alertsPage, backtestPage, errorPage, ingestPage, rulePage, rulesPage, type BacktestForm } from './pages.js';

export interface UiContext {
  readonly address: StoreAddress;
  readonly rules: readonly Rule[];
  /** When set, every request must carry it (cookie, `?token=` or `Authorization: Bearer`). */
  readonly token?: string;
}

const TOKEN_COOKIE = 'smbwatch_token';
const ID = /^[0-9a-f-]{1,36}$/i;
const RULE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class BadRequest extends Error {}
class NotFound extends Error {}

/** Empty form fields are absent. */
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const isoTime = z.string().max(40).refine((s) => isoToMicros(s) !== null, 'an ISO 8601 time, e.g. 2025-02-19T00:00:00Z');

const alertFilters = z.object({
  rule: optional(z.string().regex(RULE_ID, 'a rule id')),
  severity: optional(z.enum(SEVERITIES)),
  from: optional(isoTime),
  to: optional(isoTime),
  entity: optional(z.string().max(200)),
});

const backtestQuery = z.object({
  rule: optional(z.string().regex(RULE_ID, 'a rule id')),
  from: optional(isoTime),
  to: optional(isoTime),
  param: optional(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a parameter name')),
  values: optional(z.string().max(200)),
});

function parseQuery<T extends z.ZodTypeAny>(c: Context, schema: T): z.infer<T> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) throw new BadRequest(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return result.data;
}

const toDate = (iso: string | undefined): Date | undefined => (iso === undefined ? undefined : new Date(Math.floor(isoToMicros(iso)! / 1000)));

/** One store access at a time, each on a fresh read-only open, closed afterwards. */
function storeAccess(address: StoreAddress): <T>(body: (store: Store) => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(body: (store: Store) => Promise<T>): Promise<T> => {
    const next = queue.then(async () => {
      const store = await openStore(address, { readOnly: true });
      try {
        return await body(store);
      } finally {
        await store.close();
      }
    });
    queue = next.catch(() => undefined);
    return next;
  };
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createApp(ctx: UiContext): Hono {
  const app = new Hono();
  const withStore = storeAccess(ctx.address);
  const rulesById = new Map(ctx.rules.map((r) => [r.id, r]));
  const ruleOf = (id: string): Rule => {
    const rule = rulesById.get(id.toLowerCase());
    if (!rule) throw new NotFound(`no rule ${id}`);
    return rule;
  };

  app.use('*', async (c, next) => {
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
    if (!ctx.token && !isLoopback(hostOf(c.req.header('host')))) {
      // Without a token only loopback names reach us: a web page that rebinds its own name to 127.0.0.1 (DNS
      // rebinding) sends its name as Host, and gets nothing.
      return c.text('smbwatch ui: open it as http://127.0.0.1:PORT/ (or localhost); other host names are refused without --host and its token.\n', 403);
    }
    if (ctx.token) {
      const bearer = c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
      const fromQuery = c.req.query('token');
      if (sameToken(fromQuery, ctx.token)) {
        // Trade the token in the address for a cookie, and drop it from the address.
        setCookie(c, TOKEN_COOKIE, ctx.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
        const url = new URL(c.req.url);
        url.searchParams.delete('token');
        return c.redirect(`${url.pathname}${url.search}`, 303);
      }
      if (!sameToken(getCookie(c, TOKEN_COOKIE), ctx.token) && !sameToken(bearer, ctx.token)) {
        return c.text('smbwatch ui: this server needs its access token (printed when it started): open the address it printed.\n', 401);
      }
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return c.text('read-only\n', 405);
    await next();
  });

  app.get('/assets/echarts.js', (c) => {
    c.header('Cache-Control', 'max-age=3600');
    return c.body(echartsScript(), 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });
  app.get('/assets/charts.js', (c) => c.body(CHARTS_CLIENT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));

  app.get('/', async (c) => {
    const f = parseQuery(c, alertFilters);
    const { alerts, total } = await withStore(async (store) => {
      const all = await storedAlerts(store, { ...(f.from ? { from: toDate(f.from)! } : {}), ...(f.to ? { to: toDate(f.to)! } : {}), ...(f.rule ? { ruleId: f.rule } : {}) });
      const everything = await storedAlerts(store);
      return { alerts: all, total: everything.length };
    });
    const entity = f.entity?.toLowerCase();
    const shown = alerts
      .filter((a: Alert) => f.severity === undefined || a.severity === f.severity)
      .filter((a: Alert) => entity === undefined || a.entities.some(({ type, ...ids }) => Object.values(ids).some((v) => String(v).toLowerCase().includes(entity)) || type === entity))
      .reverse();
    return c.html(alertsPage(shown, ctx.rules, f, total));
  });

  // The nav says "Alerts"; the list is the home page.
  app.get('/alerts', (c) => c.redirect(`/${new URL(c.req.url).search}`, 302));

  app.get('/alerts/:id', async (c) => {
    const id = c.req.param('id');
    if (!ID.test(id)) throw new NotFound(`no alert ${id}`);
    const explanation = await withStore(async (store) => {
      let alert: Alert;
      try {
        alert = await findAlert(store, id);
      } catch (error) {
        if (error instanceof AlertLookupError) throw new NotFound(error.message);
        throw error;
      }
      return explainAlert(store, ruleOf(alert.ruleId), alert);
    });
    return c.html(alertPage(explanation));
  });

  app.get('/rules', (c) => c.html(rulesPage(ctx.rules)));

  app.get('/rules/:id', async (c) => {
    const id = c.req.param('id');
    if (!RULE_ID.test(id)) throw new NotFound(`no rule ${id}`);
    const rule = ruleOf(id);
    const { at } = parseQuery(c, z.object({ at: optional(isoTime) }));
    const page = catalogPage(rule);
    const live = at === undefined ? undefined : await withStore((store) => liveFigures(store, applyParameters(rule, {}), rule.queryPeriodMs, page.pipeline, toDate(at)!));
    return c.html(rulePage(page, live, at));
  });

  app.get('/backtest', async (c) => {
    const q = parseQuery(c, backtestQuery);
    const numeric = new Map(ctx.rules.map((r) => [r.id, numericParameters(r)]));
    const form: BacktestForm = q;
    if (!q.rule || !q.from || !q.to || !q.param || !q.values) {
      const given = [q.rule, q.from, q.to, q.param, q.values].some((v) => v !== undefined);
      return c.html(backtestPage(ctx.rules, numeric, form, undefined, given ? 'give a rule, from, to, a parameter and its values' : undefined), given ? 400 : 200);
    }
    const rule = ruleOf(q.rule);
    const values = q.values.split(',').map((v: string) => v.trim()).filter((v: string) => v !== '');
    let result: Sweep;
    try {
      result = await withStore((store) => sweep(store, rule, q.param!, values, toDate(q.from)!, toDate(q.to)!));
    } catch (error) {
      if (error instanceof SweepError) return c.html(backtestPage(ctx.rules, numeric, form, undefined, error.message), 400);
      throw error;
    }
    return c.html(backtestPage(ctx.rules, numeric, form, result, undefined));
  });

  app.get('/ingest', async (c) => {
    const data = await withStore(async (store) => {
      const summary = await store.summary();
      const rejects = await store.rejects({ limit: 50 });
      const d = DIALECTS[store.engine];
      const day = `CAST(floor(${d.datetimeToMicros(d.ident('TimeGenerated'))} / 86400000000) AS BIGINT)`;
      const rows = (await store.query(`SELECT ${day} AS d, ${d.ident('EventProduct')} AS p, count(*) AS n FROM ${d.ident('ASimNetworkSessionLogs')} GROUP BY d, p ORDER BY d, p`)).rows;
      return { summary, rejects, rows };
    });
    const days = [...new Set(data.rows.map((r) => Number(r[0])))].sort((a, b) => a - b);
    const products = [...new Set(data.rows.map((r) => String(r[1] ?? '')))].sort();
    const perDay: MultiChart = {
      kind: 'stacked',
      title: 'Records per day (TimeGenerated, UTC) per source product',
      labels: days.map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10)),
      series: products.map((p) => ({ name: p || '(none)', values: days.map((d) => Number(data.rows.find((r) => Number(r[0]) === d && String(r[1] ?? '') === p)?.[2] ?? 0)) })),
    };
    const s = data.summary;
    return c.html(
      ingestPage({
        records: s.records,
        ...(s.firstMicros === undefined ? {} : { first: microsToIso(s.firstMicros) }),
        ...(s.lastMicros === undefined ? {} : { last: microsToIso(s.lastMicros) }),
        inputs: s.inputs,
        rejects: s.rejects,
        perDay,
        products: s.products.map((p) => [p.vendor, p.product, p.eventType, count(p.records), microsToIso(p.firstMicros), microsToIso(p.lastMicros)]),
        rejectRows: data.rejects.map((r) => [r.input, String(r.line), r.field, r.reason]),
      }),
    );
  });

  app.notFound((c) => c.html(errorPage(404, `nothing at ${c.req.path}`), 404));
  app.onError((error, c) => {
    if (error instanceof NotFound) return c.html(errorPage(404, error.message), 404);
    if (error instanceof BadRequest) return c.html(errorPage(400, error.message), 400);
    process.stderr.write(`smbwatch ui: ${c.req.method} ${c.req.path}: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    return c.html(errorPage(500, 'the server failed on this request (details on its standard error)'), 500);
  });
  return app;
}

export interface RunningUi {
  readonly url: string;
  readonly port: number;
  readonly token?: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The host name of a Host header (`[::1]:8787` → `::1`). */
function hostOf(header: string | undefined): string {
  if (header === undefined) return '';
  if (header.startsWith('[')) return header.slice(1, Math.max(header.indexOf(']'), 1));
  return header.split(':')[0]!.toLowerCase();
}

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Starts the server; `port` 0 picks a free one. A non-loopback host always gets a token. */
export async function startUi(options: { address: StoreAddress; rules: readonly Rule[]; host: string; port: number; token?: string }): Promise<RunningUi> {
  const token = options.token ?? (isLoopback(options.host) ? undefined : newToken());
  const app = createApp({ address: options.address, rules: options.rules, ...(token ? { token } : {}) });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, () => resolve(s));
    s.once('error', reject);
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/`,
    port,
    ...(token ? { token } : {}),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
