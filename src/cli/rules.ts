/**
 * `smbwatch rules`: the rules smbwatch knows, with their schedule, trigger, grouping and parameters.
 */
import { Option, type Command } from 'commander';
import { builtinHuntingQueries, loadHuntingQueries } from '../hunting/load.js';
import type { HuntingQuery } from '../hunting/query.js';
import { compileKql } from '../kql/compile.js';
import { KqlError } from '../kql/errors.js';
import { formatDuration } from '../rules/duration.js';
import { checkRuleQuery } from '../rules/check.js';
import { DEFAULT_RULE_ID, loadRuleSet, RuleLoadError } from '../rules/load.js';
import { ruleParameters } from '../rules/parameters.js';
import type { Rule } from '../rules/rule.js';
import { renderTable } from '../util/table.js';
import { registerShow } from './rules-show.js';
import { defaultCatalog } from '../summaries/catalog.js';
import { screenTable } from './output.js';
import { EXIT_FAILED } from './exit.js';

interface RulesOptions {
  rules?: string;
  hunting?: string;
  output: 'table' | 'json';
  check?: boolean;
}

export function register(program: Command): void {
  const rules = program
    .command('rules')
    // `rules show … --output markdown`: options after `show` are show's, not the list's.
    .enablePositionalOptions()
    .description('List the rules: built-in ones and those in --rules, with schedule, trigger and parameters')
    .option('--rules <path>', 'a Sentinel rule YAML file, or a directory of them (.yaml/.yml)')
    .option('--hunting <path>', 'also list the hunting queries in this YAML file or directory')
    .addOption(new Option('--output <kind>', 'output format').choices(['table', 'json']).default('table'))
    .option('--check', 'also compile every query and check that mapped columns are in its result')
    .addHelpText(
      'after',
      `
Rules are Sentinel scheduled analytic rules in their YAML form; hunting queries (kind Hunting) run on demand
with \`smbwatch hunt ID\`. Built in: Sentinel's "Anomaly in SMB Traffic (ASIM Network Session schema)" version
1.0.0, the default rule, and the analytic rules and hunting queries of the Network Session Essentials solution.
Parameters are the query's top-level \`let NAME = <literal>;\` statements; override them with
--param NAME=VALUE (e.g. --param threshold=0.5 runs upstream version 1.0.1).

Examples:
  npx smbwatch rules                                   # the built-in rules and hunting queries
  npx smbwatch rules --rules ./rules/ --check          # your rules too, each query compiled and its columns checked
  npx smbwatch rules show 8717e498-7b5d-4e23-9e7c-fa4913dbfd79   # one rule's catalog page`,
    )
    .action((options: RulesOptions) => {
      process.exitCode = listRules(options);
    });
  registerShow(rules);
}

function listRules(options: RulesOptions): number {
  let rules: Rule[];
  let hunting: HuntingQuery[];
  try {
    rules = loadRuleSet(options.rules);
    hunting = huntingQueries(options.hunting);
  } catch (error) {
    if (!(error instanceof RuleLoadError)) throw error;
    process.stderr.write(`smbwatch rules: invalid rules\n${error.message}\n`);
    return EXIT_FAILED;
  }
  if (options.check) {
    const failures = [...rules.flatMap((rule) => checkProblem(rule) ?? []), ...hunting.flatMap((query) => checkHuntingProblem(query) ?? [])];
    if (failures.length > 0) {
      process.stderr.write(`smbwatch rules: ${failures.length} rule${failures.length === 1 ? '' : 's'} failed the check\n${failures.join('\n')}\n`);
      return EXIT_FAILED;
    }
  }
  if (options.output === 'json') {
    process.stdout.write(`${JSON.stringify([...rules.map(describe), ...hunting.map(describeHunting)], null, 2)}\n`);
    return 0;
  }
  const parameterText = (query: string): string =>
    ruleParameters({ query }).map((p) => `${p.name}:${p.kustoType}=${p.defaultText}`).join(', ');
  const rows = [
    ...rules.map((rule) => {
      const d = describe(rule);
      return [
        rule.id === DEFAULT_RULE_ID ? `${rule.id} *` : rule.id,
        'Scheduled',
        `${rule.name} ${rule.version ? `(v${rule.version})` : ''}`.trim(),
        rule.severity,
        d.schedule,
        d.trigger,
        rule.aggregationKind,
        parameterText(rule.query),
      ];
    }),
    ...hunting.map((query) => [
      query.id,
      'Hunting',
      `${query.name} ${query.version ? `(v${query.version})` : ''}`.trim(),
      '',
      'on demand (smbwatch hunt)',
      '',
      '',
      parameterText(query.query),
    ]),
  ];
  const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  process.stdout.write(
    `${renderTable(['id', 'kind', 'name', 'severity', 'schedule', 'trigger', 'grouping', 'parameters'], rows, screenTable())}\n` +
      `${plural(rules.length, 'analytic rule')} (* the default rule), ${plural(hunting.length, 'hunting query').replace('querys', 'queries')}` +
      `${options.check ? '; every query compiles' : ''}\n`,
  );
  return 0;
}

function huntingQueries(path: string | undefined): HuntingQuery[] {
  const builtin = builtinHuntingQueries();
  if (path === undefined) return builtin;
  const own = loadHuntingQueries(path);
  const ids = new Set(own.map((q) => q.id));
  return [...builtin.filter((q) => !ids.has(q.id)), ...own];
}

function checkHuntingProblem(query: HuntingQuery): string | undefined {
  try {
    compileKql(query.query, { engine: 'duckdb', now: 0, catalog: defaultCatalog() });
    return undefined;
  } catch (error) {
    if (error instanceof KqlError) return `${query.source}: query: does not compile (positions within the query):\n${error.message}`;
    throw error;
  }
}

function describeHunting(query: HuntingQuery) {
  return {
    id: query.id,
    kind: 'Hunting',
    name: query.name,
    version: query.version,
    source: query.source,
    tactics: query.tactics,
    techniques: query.relevantTechniques,
    parameters: ruleParameters(query),
  };
}

function checkProblem(rule: Rule): string | undefined {
  try {
    checkRuleQuery(rule);
    return undefined;
  } catch (error) {
    if (error instanceof RuleLoadError) return error.message;
    throw error;
  }
}

function describe(rule: Rule) {
  return {
    id: rule.id,
    kind: rule.kind,
    name: rule.name,
    version: rule.version,
    severity: rule.severity,
    source: rule.source,
    schedule: `every ${formatDuration(rule.queryFrequencyMs)}, look back ${formatDuration(rule.queryPeriodMs)}`,
    queryFrequency: rule.queryFrequency,
    queryPeriod: rule.queryPeriod,
    trigger: `rows ${rule.triggerOperator} ${rule.triggerThreshold}`,
    aggregationKind: rule.aggregationKind,
    suppression: rule.suppressionEnabled && rule.suppressionDurationMs !== undefined ? formatDuration(rule.suppressionDurationMs) : null,
    tactics: rule.tactics,
    techniques: rule.relevantTechniques,
    parameters: ruleParameters(rule),
  };
}
