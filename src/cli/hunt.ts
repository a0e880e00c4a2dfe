/**
 * `smbwatch hunt`: runs a hunting query — Sentinel's on-demand queries, such as the seven of Network Session
 * Essentials — over the store at a time T and prints its rows. Nothing is stored: hunting results are for an
 * analyst to read, not alerts.
 */
import { Option, type Command } from 'commander';
import { builtinHuntingQueries, loadHuntingQueries, selectHuntingQuery } from '../hunting/load.js';
import type { HuntingQuery } from '../hunting/query.js';
import { compileKql, type CompiledQuery } from '../kql/compile.js';
import type { DialectChoice } from '../kql/compile.js';
import { isStoreError, type QueryEngine } from '../store/engines.js';
import { KqlError } from '../kql/errors.js';
import { parseTimespan } from '../kql/timespan.js';
import { RuleLoadError } from '../rules/load.js';
import { renderTable } from '../util/table.js';
import { dbOption, engineOption, watchlistsOption } from './options.js';
import type { Catalog } from '../kql/catalog.js';
import { DEFAULT_MAX_ROWS, execute, print } from './query.js';
import { CommandError, EXIT_FAILED, EXIT_USAGE, isoSeconds, parseTimeOption, reportErrors } from './run.js';

interface HuntOptions {
  db?: string;
  at?: string;
  lookback?: string;
  hunting?: string;
  output: 'table' | 'json' | 'jsonl' | 'csv';
  engine?: QueryEngine;
  showSql?: boolean;
  watchlists?: string;
}

export function register(program: Command): void {
  program
    .command('hunt')
    .description('Run a hunting query (built-in: Network Session Essentials) at --at and print its rows; without an id, list them')
    .argument('[id|file]', 'a hunting query id (see `smbwatch rules`) or a hunting query YAML file')
    .addOption(dbOption())
    .option('--at <time>', 'the instant now() and ago() refer to (ISO 8601, UTC unless a zone is given); default: now')
    .option('--lookback <timespan>', 'also limit reads of the ASIM table to [now - lookback, now] (as the time range of Sentinel\'s hunting page)')
    .option('--hunting <path>', 'also load the hunting queries in this YAML file or directory')
    .addOption(new Option('--output <format>', 'output format').choices(['table', 'json', 'jsonl', 'csv']).default('table'))
    .addOption(engineOption())
    .option('--show-sql', 'print the generated SQL (to stderr)')
    .addOption(watchlistsOption())
    .addHelpText(
      'after',
      `
Examples:
  npx smbwatch hunt 5dca6047-24ed-4eb7-b44e-ec7f1bf42621 --at 2024-03-15T00:00:00Z   # outbound LDAP failures

The query's own time filters decide what it reads (most read the last day: ago(1d) is --at minus one day);
--lookback adds the time range Sentinel's hunting page would apply. Exit status 0 when the query ran (rows or
none), 1 when it failed, 2 for a wrong command line.`,
    )
    .action(async (id: string | undefined, options: HuntOptions) => {
      process.exitCode = await reportErrors('hunt', async () => {
        try {
          return await hunt(id, options);
        } catch (error) {
          if (isStoreError(error)) throw new CommandError(error.message, EXIT_FAILED);
          throw error;
        }
      });
    });
}

function huntingQueries(path: string | undefined): HuntingQuery[] {
  try {
    const builtin = builtinHuntingQueries();
    if (path === undefined) return builtin;
    const own = loadHuntingQueries(path);
    const ids = new Set(own.map((q) => q.id));
    return [...builtin.filter((q) => !ids.has(q.id)), ...own];
  } catch (error) {
    if (error instanceof RuleLoadError) throw new CommandError(`invalid hunting queries\n${error.message}`, EXIT_FAILED);
    throw error;
  }
}

async function hunt(id: string | undefined, options: HuntOptions): Promise<number> {
  const queries = huntingQueries(options.hunting);
  // A malformed option is a wrong command line whatever else it asks (listing included).
  const at = options.at === undefined ? new Date() : parseTimeOption('--at', options.at);
  const lookback = options.lookback === undefined ? undefined : parseTimespan(options.lookback);
  if (options.lookback !== undefined && lookback === undefined) throw new CommandError(`--lookback: not a timespan (e.g. 14d, 12h): "${options.lookback}"`);
  if (id === undefined) {
    process.stdout.write(`${renderTable(['id', 'name', 'tactics'], queries.map((q) => [q.id, q.name, q.tactics.join(', ')]))}\n`);
    return 0;
  }
  let selected: HuntingQuery;
  try {
    selected = selectHuntingQuery(queries, id);
  } catch (error) {
    if (error instanceof RuleLoadError) throw new CommandError(error.message, EXIT_USAGE);
    throw error;
  }
  const compile = (dialect: DialectChoice, catalog: Catalog): CompiledQuery | string => {
    try {
      const compiled = compileKql(selected.query, { engine: dialect, now: at.getTime() * 1000, catalog, ...(lookback === undefined ? {} : { lookback }) });
      if (options.showSql) process.stderr.write(`${compiled.sql}\n`);
      return compiled;
    } catch (error) {
      if (error instanceof KqlError) return `the hunting query does not compile\n${error.message}`;
      throw error;
    }
  };
  const problem = await execute(compile, options, (compiled, batches) => print(compiled.columns, batches, { output: options.output, maxRows: DEFAULT_MAX_ROWS }));
  if (problem !== undefined) throw new CommandError(problem, EXIT_FAILED);
  if (options.output === 'table') process.stderr.write(`${selected.name} at ${isoSeconds(at)}\n`);
  return 0;
}
