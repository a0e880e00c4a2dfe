/**
 * `smbwatch rules show ID|FILE`: a rule's catalog page, derived from its compiled query (src/catalog/): parameters,
 * lets, the main pipeline's stages, indicators, output fields, MITRE, schedule and entities; with `--at` (or
 * `--db`), how many rows enter and leave each stage when the rule runs at that time over the store.
 */
import { Option, type Command } from 'commander';
import { liveFigures, type LiveFigures } from '../catalog/live.js';
import { catalogPage } from '../catalog/page.js';
import { renderPageMarkdown, renderPageText } from '../catalog/render.js';
import { applyParameters } from '../rules/parameters.js';
import { dbOption } from './options.js';
import { openReadOnly } from './explain.js';
import { collect, parseTimeOption, reportErrors, selectRuleAndParameters } from './run.js';

interface ShowOptions {
  rules?: string;
  param: string[];
  output: 'text' | 'json' | 'markdown';
  at?: string;
  db?: string;
}

export function registerShow(rules: Command): void {
  rules
    .command('show')
    .description("A rule's catalog page from its compiled query: stages, indicators, output fields; live stage counts with --at")
    .argument('<rule>', 'a rule id (see `smbwatch rules`) or a rule YAML file')
    .option('--rules <path>', 'also load the rules in this YAML file or directory')
    .option('--param <name=value>', "override a top-level `let` of the rule's query (repeatable)", collect, [])
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--at <time>', 'add live figures: rows in and out of each stage when the rule runs at this time (ISO 8601)')
    .addOption(dbOption())
    .addHelpText(
      'after',
      `
Examples:
  npx smbwatch rules show 8717e498-7b5d-4e23-9e7c-fa4913dbfd79
  npx smbwatch rules show ./rules/fanout.yaml --output markdown > fanout.md
  npx smbwatch rules show 8717e498-7b5d-4e23-9e7c-fa4913dbfd79 --db ./smbwatch-demo/demo.duckdb --at 2025-02-19T00:00:00Z

Stages are the main pipeline's, numbered from its source; a join's right side is numbered under the join
(5.1, 5.2, ...). Lets are inlined, so their values appear in the stages. --output json is stable: see
docs/rules.md ("rules show"). Live figures read the store (never write it) with the rule's look-back at --at;
--db without --at counts at the current time.`,
    )
    .action(async (id: string, options: ShowOptions) => {
      process.exitCode = await reportErrors('rules show', () => showRule(id, options));
    });
}

async function showRule(id: string, options: ShowOptions): Promise<number> {
  const { rule, parameters } = selectRuleAndParameters({ rule: id, ...(options.rules ? { rules: options.rules } : {}), param: options.param });
  const at = options.at !== undefined ? parseTimeOption('--at', options.at) : options.db !== undefined ? new Date() : undefined;
  const page = catalogPage(rule, parameters);
  let live: LiveFigures | undefined;
  if (at) {
    const store = await openReadOnly(options.db);
    try {
      live = await liveFigures(store, applyParameters(rule, parameters), rule.queryPeriodMs, page.pipeline, at);
    } finally {
      await store.close();
    }
  }
  if (options.output === 'json') process.stdout.write(`${JSON.stringify(live ? { ...page, live } : page, null, 2)}\n`);
  else process.stdout.write(`${options.output === 'markdown' ? renderPageMarkdown(page, live) : renderPageText(page, live)}\n`);
  return 0;
}
