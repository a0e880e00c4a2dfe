/**
 * The rules a watch config names, loaded, with their parameters checked and their queries compiled once, so a
 * wrong id, an unknown parameter or a broken query stops the watcher before it starts rather than at 00:00.
 */
import { KqlError } from '../kql/errors.js';
import { builtinRules, DEFAULT_RULE_ID, loadRules, RuleLoadError } from '../rules/load.js';
import { applyParameters, ParameterError } from '../rules/parameters.js';
import type { Rule } from '../rules/rule.js';
import { ConfigError, type WatchConfig } from './config.js';
import { checkCompiles } from './kql-runner.js';
import { scheduleKey } from './schedule.js';
import type { ScheduledRule } from './watcher.js';

export function resolveRules(config: Pick<WatchConfig, 'file' | 'rules'>, now: Date): ScheduledRule[] {
  const scheduled: ScheduledRule[] = [];
  const problems: ConstructorParameters<typeof ConfigError>[0][number][] = [];
  const problem = (path: Array<string | number>, message: string): void => {
    problems.push({ file: config.file, path, message });
  };
  const builtins = builtinRules();
  config.rules.forEach((selection, index) => {
    let rules: Rule[];
    if (selection.kind === 'builtin') {
      const id = selection.ref === 'default' ? DEFAULT_RULE_ID : selection.ref.toLowerCase();
      const rule = builtins.find((candidate) => candidate.id === id);
      if (!rule) {
        problem(['rules', index, 'builtin'], `no built-in rule "${selection.ref}"; built-in rules: default, ${builtins.map((r) => `${r.id} (${r.name})`).join(', ')}`);
        return;
      }
      rules = [rule];
    } else {
      try {
        rules = loadRules(selection.ref);
      } catch (error) {
        if (!(error instanceof RuleLoadError)) throw error;
        problem(['rules', index, 'path'], error.message);
        return;
      }
      if (rules.length === 0) problem(['rules', index, 'path'], `no .yaml rule file in ${selection.ref}`);
    }
    for (const rule of rules) {
      try {
        checkCompiles(applyParameters(rule, selection.params), now);
      } catch (error) {
        if (error instanceof ParameterError) problem(['rules', index, 'params'], `rule ${rule.id}: ${error.message}`);
        else if (error instanceof KqlError) problem(['rules', index], `rule ${rule.id} (${rule.source}): the query does not compile:\n${error.message}`);
        else throw error;
        continue;
      }
      const key = scheduleKey(rule.id, selection.params);
      if (scheduled.some((other) => other.key === key)) {
        problem(['rules', index], `rule ${rule.id} is listed twice with the same params`);
        continue;
      }
      scheduled.push({ rule, params: selection.params, key });
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return scheduled;
}
