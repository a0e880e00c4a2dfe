/**
 * `smbwatch rules`: the rules smbwatch knows, with their schedule, trigger, grouping and parameters.
 */
import { Option, type Command } from 'commander';
import { formatDuration } from '../rules/duration.js';
import { checkRuleQuery } from '../rules/check.js';
import { DEFAULT_RULE_ID, loadRuleSet, RuleLoadError } from '../rules/load.js';
import { ruleParameters } from '../rules/parameters.js';
import type { Rule } from '../rules/rule.js';
import { renderTable } from '../util/table.js';
import { screenTable } from './output.js';

interface RulesOptions {
  rules?: string;
  output: 'table' | 'json';
  check?: boolean;
}

export function register(program: Command): void {
  program
    .command('rules')
    .description('List the rules: built-in ones and those in --rules, with schedule, trigger and parameters')
    .option('--rules <path>', 'a Sentinel rule YAML file, or a directory of them (.yaml/.yml)')
    .addOption(new Option('--output <kind>', 'output format').choices(['table', 'json']).default('table'))
    .option('--check', 'also compile every query and check that mapped columns are in its result')
    .addHelpText(
      'after',
      `
Rules are Sentinel scheduled analytic rules in their YAML form. The built-in rule is Sentinel's
"Anomaly in SMB Traffic (ASIM Network Session schema)" version 1.0.0, the default rule.
Parameters are the query's top-level \`let NAME = <literal>;\` statements; override them with
--param NAME=VALUE (e.g. --param threshold=0.5 runs upstream version 1.0.1).`,
    )
    .action((options: RulesOptions) => {
      process.exitCode = listRules(options);
    });
}

function listRules(options: RulesOptions): number {
  let rules: Rule[];
  try {
    rules = loadRuleSet(options.rules);
  } catch (error) {
    if (!(error instanceof RuleLoadError)) throw error;
    process.stderr.write(`smbwatch rules: invalid rules\n${error.message}\n`);
    return 1;
  }
  if (options.check) {
    const failures = rules.flatMap((rule) => checkProblem(rule) ?? []);
    if (failures.length > 0) {
      process.stderr.write(`smbwatch rules: ${failures.length} rule${failures.length === 1 ? '' : 's'} failed the check\n${failures.join('\n')}\n`);
      return 1;
    }
  }
  if (options.output === 'json') {
    process.stdout.write(`${JSON.stringify(rules.map(describe), null, 2)}\n`);
    return 0;
  }
  const rows = rules.map((rule) => {
    const d = describe(rule);
    return [
      rule.id === DEFAULT_RULE_ID ? `${rule.id} *` : rule.id,
      `${rule.name} ${rule.version ? `(v${rule.version})` : ''}`.trim(),
      rule.severity,
      d.schedule,
      d.trigger,
      rule.aggregationKind,
      d.parameters.map((p) => `${p.name}:${p.kustoType}=${p.defaultText}`).join(', '),
    ];
  });
  process.stdout.write(
    `${renderTable(['id', 'name', 'severity', 'schedule', 'trigger', 'grouping', 'parameters'], rows, screenTable())}\n` +
      `${rules.length} rule${rules.length === 1 ? '' : 's'} (* the default rule)${options.check ? '; every query compiles' : ''}\n`,
  );
  return 0;
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
