/**
 * `smbwatch.yaml`: what `smbwatch watch` watches, which rules it runs, and where alerts go. Validated with zod;
 * every problem names the file, the line and column, the key path and what is wrong. Relative paths are taken
 * from the config file's directory, so the file means the same wherever the watcher is started.
 *
 * Secrets: a header value may be `${ENV_NAME}`, read from the environment, so tokens need not sit in the file.
 * Header values are never printed (see describeSinkConfig and the webhook sink's description).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { formatProblem, type LocatedProblem } from '../rules/load.js';
import { parseSentinelDuration } from '../rules/duration.js';
import { isoToMicros } from '../util/time.js';
import { maskedUrl } from '../alerts/sinks/webhook.js';
import type { SinkSpec } from '../alerts/sinks/create.js';
import { isClickHouseUrl, parseClickHouseUrl } from '../store/clickhouse/url.js';

export interface RuleSelection {
  /** `builtin`: a built-in rule id (or `default`, the seed rule); `path`: a rule file or directory of them. */
  readonly kind: 'builtin' | 'path';
  readonly ref: string;
  readonly params: Readonly<Record<string, string>>;
}

/** A sink as configured (names given or derived, paths resolved, header values expanded). */
export type SinkConfig = SinkSpec;

export interface WatchConfig {
  readonly file: string;
  /** The store: a DuckDB file's absolute path, or a clickhouse:// URL as written (it may hold a password). */
  readonly db: string;
  readonly inputs: readonly string[];
  readonly timezone?: string;
  readonly pollIntervalMs: number;
  readonly schedule: {
    /** Runs happen at anchor + k·queryFrequency. */
    readonly anchor: Date;
    /** Without a recorded last run, the first run is the first scheduled time at or after this; else the latest due one. */
    readonly start?: Date;
    /** No run after this time: a bounded replay of past logs (with start), or a schedule that stops. */
    readonly end?: Date;
    /** A run at T happens once the clock reaches T + delay (time for late log lines to arrive). */
    readonly delayMs: number;
  };
  readonly rules: readonly RuleSelection[];
  readonly sinks: readonly SinkConfig[];
  /**
   * Which built-in summary rules (src/summaries) the watcher keeps up: `auto` those whose table a configured rule
   * reads, `all` every one (for hunting queries run later with `smbwatch hunt`), `none`.
   */
  readonly summaries: SummariesChoice;
}

export const SUMMARIES_CHOICES = ['auto', 'all', 'none'] as const;
export type SummariesChoice = (typeof SUMMARIES_CHOICES)[number];

export class ConfigError extends Error {
  constructor(readonly problems: readonly LocatedProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Values

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `5m`, `1h`, `1d`, or any Sentinel duration (`PT5M`, `00:05:00`); undefined otherwise. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (match) return Number(match[1]) * DURATION_UNITS[match[2]!]!;
  return parseSentinelDuration(text);
}

const duration = (what: string, minMs = 0) =>
  z
    .union([z.string(), z.number()], { error: `must be a duration such as 30s, 5m, 1h or 1d (${what})` })
    .transform((value, context) => {
      const ms = typeof value === 'number' ? value * 1000 : parseDuration(value);
      if (ms === undefined || !Number.isFinite(ms)) {
        context.addIssue({ code: 'custom', message: `"${value}" is not a duration; write e.g. 30s, 5m, 1h or 1d (${what})` });
        return z.NEVER;
      }
      if (ms < minMs) {
        context.addIssue({ code: 'custom', message: `must be at least ${minMs} ms (${what})` });
        return z.NEVER;
      }
      return ms;
    });

const isoTime = z.string({ error: 'must be an ISO 8601 time, e.g. 2024-05-01T00:00:00Z' }).transform((value, context) => {
  const micros = isoToMicros(value);
  if (micros === null) {
    context.addIssue({ code: 'custom', message: `"${value}" is not an ISO 8601 time (e.g. 2024-05-01T00:00:00Z)` });
    return z.NEVER;
  }
  return new Date(micros / 1000);
});

const timezone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: (issue) => `"${String(issue.input)}" is not an IANA time zone (e.g. UTC, Europe/Berlin)` },
);

const nonEmpty = (what: string) => z.string({ error: `must be ${what}` }).min(1, `must be ${what}`);

const paramValue = z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }).transform(String);
const params = z.record(z.string(), paramValue).default({});

const ruleEntry = z.union(
  [
    z.strictObject({ builtin: nonEmpty('a built-in rule id, or "default"'), params }),
    z.strictObject({ path: nonEmpty('a rule file or a directory of rule files'), params }),
  ],
  { error: 'must be {builtin: ID|default} or {path: FILE|DIR}, each with optional params' },
);

const sinkName = z.string().min(1, 'must not be empty').optional();

const httpUrl = z.string({ error: 'is required (http:// or https:// URL)' }).refine(
  (value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { error: 'must be an http:// or https:// URL' },
);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const sink = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('stdout'), name: sinkName }),
    z.strictObject({ type: z.literal('jsonl'), name: sinkName, path: nonEmpty('the path of the JSON-lines file') }),
    z.strictObject({
      type: z.literal('webhook'),
      name: sinkName,
      url: httpUrl,
      headers: z
        .record(z.string().regex(HEADER_NAME, 'is not a valid HTTP header name'), z.string({ error: 'must be a string' }))
        .default({}),
      timeout: duration('timeout of one request', 1).default(10_000),
      retries: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must be 0 or more').max(20, 'must be at most 20').default(3),
      backoff: duration('delay before the first retry', 1).default(1_000),
      maxBackoff: duration('longest delay between retries', 1).default(3_600_000),
    }),
  ],
  { error: 'type must be one of: stdout, jsonl, webhook' },
);

const schema = z.strictObject({
  db: nonEmpty('the store: a DuckDB database file, or a clickhouse:// URL').optional(),
  inputs: z.array(nonEmpty('a directory, file or glob'), { error: 'must be a list of directories, files or globs' }).min(1, 'must list at least one directory, file or glob'),
  timezone: timezone.optional(),
  pollInterval: duration('time between ticks', 100).default(60_000),
  schedule: z
    .strictObject({
      anchor: isoTime.optional(),
      start: isoTime.optional(),
      end: isoTime.optional(),
      delay: duration('wait after each scheduled time').default(0),
    })
    .default({ delay: 0 }),
  rules: z.array(ruleEntry, { error: 'must be a list of rules' }).min(1, 'must list at least one rule').default([{ builtin: 'default', params: {} }]),
  sinks: z.array(sink, { error: 'must be a list of sinks' }).default([{ type: 'stdout' }]),
  summaries: z.enum(SUMMARIES_CHOICES, { error: `must be one of ${SUMMARIES_CHOICES.join(', ')}` }).default('auto'),
});

type ParsedConfig = z.output<typeof schema>;

// ---------------------------------------------------------------------------------------------------------------
// Loading

export function loadWatchConfig(file: string, env: NodeJS.ProcessEnv = process.env): WatchConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([{ file, path: [], message: `cannot read: ${(error as Error).message}` }]);
  }
  return parseWatchConfig(text, file, env);
}

export function parseWatchConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): WatchConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return { file, path: [], message: `YAML: ${error.message.split('\n')[0]}`, line: position.line, column: position.col };
      }),
    );
  }
  const raw: unknown = document.toJS() ?? {};
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => locate({ path: issue.path.map(pathPart), message: issueMessage(issue) }, document, lineCounter, file)));
  }
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  const config = resolveConfig(parsed.data, file, env, problems);
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => locate(problem, document, lineCounter, file)));
  return config;
}

function pathPart(part: PropertyKey): string | number {
  return typeof part === 'number' ? part : String(part);
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}

function resolveConfig(parsed: ParsedConfig, file: string, env: NodeJS.ProcessEnv, problems: Array<{ path: Array<string | number>; message: string }>): WatchConfig {
  const base = dirname(resolve(file));
  const fromConfig = (path: string): string => (isAbsolute(path) ? path : resolve(base, path));
  const sinks = parsed.sinks.map((entry, index) => resolveSink(entry, index, fromConfig, env, problems));
  const seen = new Map<string, number>();
  sinks.forEach((entry, index) => {
    const first = seen.get(entry.name);
    if (first !== undefined) problems.push({ path: ['sinks', index], message: `two sinks are named "${entry.name}" (also sinks[${first}]); give one a distinct name` });
    else seen.set(entry.name, index);
  });
  const dbText = parsed.db ?? env.SMBWATCH_DB;
  if (dbText !== undefined && isClickHouseUrl(dbText)) {
    try {
      parseClickHouseUrl(dbText);
    } catch (error) {
      problems.push({ path: ['db'], message: error instanceof Error ? error.message : String(error) });
    }
  }
  // A ClickHouse URL is kept as written (printed only through addressText, which drops its password).
  const db = dbText !== undefined && isClickHouseUrl(dbText) ? dbText : parsed.db !== undefined ? fromConfig(parsed.db) : resolve(env.SMBWATCH_DB ?? './smbwatch.duckdb');
  return {
    file: resolve(file),
    db,
    // Globs are kept as written, but anchored at the config's directory when relative.
    inputs: parsed.inputs.map(fromConfig),
    ...(parsed.timezone === undefined ? {} : { timezone: parsed.timezone }),
    pollIntervalMs: parsed.pollInterval,
    schedule: {
      anchor: parsed.schedule.anchor ?? new Date(0),
      ...(parsed.schedule.start === undefined ? {} : { start: parsed.schedule.start }),
      ...(parsed.schedule.end === undefined ? {} : { end: parsed.schedule.end }),
      delayMs: parsed.schedule.delay,
    },
    rules: parsed.rules.map((entry) =>
      'builtin' in entry ? { kind: 'builtin', ref: entry.builtin, params: entry.params } : { kind: 'path', ref: fromConfig(entry.path), params: entry.params },
    ),
    sinks,
    summaries: parsed.summaries,
  };
}

function resolveSink(
  entry: ParsedConfig['sinks'][number],
  index: number,
  fromConfig: (path: string) => string,
  env: NodeJS.ProcessEnv,
  problems: Array<{ path: Array<string | number>; message: string }>,
): SinkConfig {
  switch (entry.type) {
    case 'stdout':
      return { type: 'stdout', name: entry.name ?? 'stdout' };
    case 'jsonl': {
      const path = fromConfig(entry.path);
      return { type: 'jsonl', name: entry.name ?? `jsonl:${path}`, path };
    }
    case 'webhook': {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(entry.headers)) {
        const expanded = expandEnv(value, env);
        if (typeof expanded === 'string') headers[name] = expanded;
        // The message names the variable, never the value.
        else problems.push({ path: ['sinks', index, 'headers', name], message: `environment variable ${expanded.missing} is not set` });
      }
      const url = new URL(entry.url);
      return {
        type: 'webhook',
        name: entry.name ?? `webhook:${url.host}${url.pathname}`,
        url: entry.url,
        headers,
        timeoutMs: entry.timeout,
        retries: entry.retries,
        backoffMs: entry.backoff,
        maxBackoffMs: Math.max(entry.maxBackoff, entry.backoff),
      };
    }
  }
}

/** `${NAME}` references replaced from the environment; `$${` stays a literal `${`. */
function expandEnv(value: string, env: NodeJS.ProcessEnv): string | { missing: string } {
  let missing: string | undefined;
  const expanded = value.replace(/\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, escape: string, name: string) => {
    if (escape) return whole.slice(1);
    const found = env[name];
    if (found === undefined) missing ??= name;
    return found ?? '';
  });
  return missing === undefined ? expanded : { missing };
}

/** The position of the nearest node on the problem's path that exists in the document. */
function locate(problem: { path: ReadonlyArray<string | number>; message: string }, document: Document, lineCounter: LineCounter, file: string): LocatedProblem {
  for (let length = problem.path.length; length >= 0; length--) {
    const node = length === 0 ? document.contents : document.getIn(problem.path.slice(0, length), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      const position = lineCounter.linePos(range[0]);
      return { ...problem, file, line: position.line, column: position.col };
    }
  }
  return { ...problem, file };
}

/** A sink as it can be shown: paths and URLs, but header values masked. */
export function describeSinkConfig(sink: SinkConfig): string {
  switch (sink.type) {
    case 'stdout':
      return `${sink.name}: stdout`;
    case 'jsonl':
      return `${sink.name}: JSON lines to ${sink.path}`;
    case 'webhook': {
      const headers = Object.keys(sink.headers).map((name) => `${name}: ***`);
      return `${sink.name}: POST ${maskedUrl(sink.url)}${headers.length > 0 ? ` [${headers.join(', ')}]` : ''}, ${sink.retries} retries`;
    }
  }
}
