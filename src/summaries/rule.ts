/**
 * Sentinel summary rules (`Summary rules/*.yaml` of a solution): a KQL query run once per bin of `binSize` minutes,
 * `binDelay` minutes after the bin ends, its rows appended to `destinationTable`. smbwatch ships the Network Session
 * Essentials rule whose table its analytic rules read (NetworkSummary_Protocol_CL) and runs it in `smbwatch watch`
 * and `smbwatch summarize` (run.ts).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { GUID } from '../rules/schema.js';

export interface SummaryRule {
  readonly id: string;
  readonly displayName: string;
  readonly description: string;
  readonly destinationTable: string;
  readonly query: string;
  /** Minutes. */
  readonly binSize: number;
  /** Minutes after a bin ends before it is summarized (late records have arrived). */
  readonly binDelay: number;
  readonly version: string;
  readonly source: string;
}

/** The bin sizes Sentinel offers (minutes). */
export const BIN_SIZES = [20, 30, 60, 120, 180, 360, 720, 1440] as const;

const shape = z.looseObject({
  id: z.string().regex(GUID, 'must be a GUID'),
  displayName: z.string().min(1),
  description: z.string().default(''),
  destinationTable: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*_CL$/, 'must be a custom table name ending in _CL'),
  query: z.string().min(1),
  binSize: z.number().refine((n) => (BIN_SIZES as readonly number[]).includes(n), `must be one of ${BIN_SIZES.join(', ')} (minutes)`),
  binDelay: z.number().int().min(0).default(0),
  version: z.union([z.string(), z.number()]).transform(String).default(''),
});

export function parseSummaryRule(text: string, source: string): SummaryRule {
  const parsed = shape.safeParse(parse(text));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
    throw new Error(`${source}: not a summary rule (${problems})`);
  }
  const { id, displayName, description, destinationTable, query, binSize, binDelay, version } = parsed.data;
  return { id, displayName, description, destinationTable, query, binSize, binDelay, version, source };
}

function builtinDirectory(): string {
  const beside = fileURLToPath(new URL('./builtin/', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../src/summaries/builtin/', import.meta.url));
}

/**
 * The built-in summary rules a watcher keeps up: every one (`all`), none, or (`auto`) those whose destination table
 * one of the given queries names — a summary table nobody reads is work for nothing on every tick.
 */
export function summaryRulesFor(choice: 'auto' | 'all' | 'none', queries: readonly string[]): readonly SummaryRule[] {
  if (choice === 'none') return [];
  const rules = builtinSummaryRules();
  if (choice === 'all') return rules;
  return rules.filter((rule) => {
    const name = new RegExp(`\\b${rule.destinationTable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
    return queries.some((query) => name.test(query));
  });
}

let builtinMemo: readonly SummaryRule[] | undefined;

/** The summary rules shipped with smbwatch. */
export function builtinSummaryRules(): readonly SummaryRule[] {
  // Shipped files that never change: read and parsed once (every catalog asks for them, per table).
  builtinMemo ??= readdirSync(builtinDirectory())
    .filter((name) => /\.ya?ml$/i.test(name))
    .sort()
    .map((name) => parseSummaryRule(readFileSync(join(builtinDirectory(), name), 'utf8'), `builtin:${basename(name)}`));
  return builtinMemo;
}
