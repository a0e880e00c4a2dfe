import { describe, expect, it } from 'vitest';
import { checkRuleQuery } from '../../src/rules/check.js';
import { builtinRules, parseRule, RuleLoadError } from '../../src/rules/load.js';

const rule = (query: string, column = 'SrcIpAddr') =>
  parseRule(
    `id: 11111111-2222-4333-8444-555555555555
name: t
description: t
severity: Low
queryFrequency: 1h
queryPeriod: 1h
triggerOperator: gt
triggerThreshold: 0
query: ${JSON.stringify(query)}
entityMappings:
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: ${column}
kind: Scheduled
`,
    'rule.yaml',
  );

describe('checking a rule\'s query when it is loaded', () => {
  it('the seed rule compiles and returns the column its entity maps', () => {
    expect(() => checkRuleQuery(builtinRules()[0]!)).not.toThrow();
  });

  it('a query Kusto rejects fails with Kusto\'s diagnostic, naming the file and key', () => {
    const check = () => checkRuleQuery(rule('print SrcIpAddr = "10.0.0.1"\n| where Nope > 1'));
    expect(check).toThrow(RuleLoadError);
    expect(check).toThrow(/^rule\.yaml: query: does not compile \(positions within the query\):\nKS\d+ line 2, column 9: .*'Nope'/);
  });

  it('a mapping to a column the query does not return fails before anything runs', () => {
    expect(() => checkRuleQuery(rule('print Source = "10.0.0.1"'))).toThrow(
      'rule.yaml: the query result has no such column — entityMappings[0].fieldMappings[0].columnName: column "SrcIpAddr". Result columns: Source',
    );
  });
});
