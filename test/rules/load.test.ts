import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSentinelDuration } from '../../src/rules/duration.js';
import { builtinRules, DEFAULT_RULE_ID, loadRuleFile, loadRules, loadRuleSet, parseRule, RuleLoadError, selectRule } from '../../src/rules/load.js';
import type { Rule } from '../../src/rules/rule.js';
import { useTempDir } from '../helpers/tmp.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));
const tempDir = useTempDir();

/** A valid rule; tests replace one line to make it invalid. Line numbers below are counted in this text. */
const BASE = [
  'id: 11111111-2222-4333-8444-555555555555', // 1
  'name: Test rule', // 2
  'description: A rule for validation tests.', // 3
  'severity: High', // 4
  'queryFrequency: 1h', // 5
  'queryPeriod: 1d', // 6
  'triggerOperator: gt', // 7
  'triggerThreshold: 0', // 8
  'query: |', // 9
  '  print x = "10.0.0.1"', // 10
  'entityMappings:', // 11
  '  - entityType: IP', // 12
  '    fieldMappings:', // 13
  '      - identifier: Address', // 14
  '        columnName: x', // 15
  'version: 1.0.0', // 16
  'kind: Scheduled', // 17
].join('\n');

function variant(from: string, to: string): string {
  expect(BASE).toContain(from);
  return BASE.replace(from, to);
}

/** The messages of the problems `text` has, as `parseRule` reports them. */
function problems(text: string): string[] {
  try {
    parseRule(text, 'bad.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(RuleLoadError);
    return (error as RuleLoadError).message.split('\n'); // one line per problem
  }
  throw new Error('expected the rule to be rejected');
}

describe('the built-in rules', () => {
  it('are the seed rule and smbwatch\'s own SMB lateral-movement rule (beside the solution\'s rules: test/rules/essentials.test.ts)', () => {
    expect(builtinRules().filter((r) => !r.source.startsWith('builtin:essentials/')).map((r) => [r.id, r.source])).toEqual([
      [DEFAULT_RULE_ID, 'builtin:anomaly-in-smb-traffic.yaml'],
      ['332f0f21-4ae7-4075-9fc6-c228b4fa3555', 'builtin:smb-lateral-movement.yaml'],
    ]);
  });

  it('the seed rule 1.0.0 has the properties of seed-rule.md §1', () => {
    const rule = builtinRules().find((r) => r.id === DEFAULT_RULE_ID);
    expect(rule).toMatchObject({
      id: DEFAULT_RULE_ID,
      name: 'Anomaly in SMB Traffic(ASIM Network Session schema)',
      severity: 'Medium',
      status: 'Available',
      kind: 'Scheduled',
      queryFrequency: '1d',
      queryFrequencyMs: 86_400_000,
      queryPeriod: '14d',
      queryPeriodMs: 14 * 86_400_000,
      triggerOperator: 'gt',
      triggerThreshold: 0,
      tactics: ['LateralMovement'],
      relevantTechniques: ['T1021', 'T1021.002'],
      entityMappings: [{ entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'SrcIpAddr' }] }],
      aggregationKind: 'AlertPerResult',
      customDetails: {},
      suppressionEnabled: false,
      version: '1.0.0',
      source: 'builtin:anomaly-in-smb-traffic.yaml',
    });
    expect(rule!.alertDetailsOverride).toBeUndefined();
    expect(rule!.query).toContain('let threshold = 50;\n');
    expect(rule!.query).toContain('| project SrcIpAddr, DstPortNumber, Deviation, Count = RecentCount;');
  });

  it('is selected by default, by id in any case, and an unknown id names the known rules', () => {
    const rules = builtinRules();
    expect(selectRule(rules, undefined).id).toBe(DEFAULT_RULE_ID);
    expect(selectRule(rules, DEFAULT_RULE_ID.toUpperCase()).id).toBe(DEFAULT_RULE_ID);
    expect(() => selectRule(rules, 'nope')).toThrow(/no rule with this id or file; known rules: 8717e498-7b5d-4e23-9e7c-fa4913dbfd79 \(Anomaly in SMB Traffic/);
  });

  it('is also selected by a file path', () => {
    const rule = selectRule(builtinRules(), join(FIXTURES, 'anomaly-in-smb-traffic-1.0.1.yaml'));
    expect(rule.version).toBe('1.0.1');
  });
});

describe('rule files', () => {
  it('reads every field of a rule that uses them all', () => {
    const rule = loadRuleFile(join(FIXTURES, 'dir', 'datatable-rule.yaml'));
    expect(rule).toMatchObject({
      id: '0f4b1d2e-3c5a-4e6f-8a7b-9c0d1e2f3a4b',
      severity: 'Low',
      queryFrequencyMs: 3_600_000,
      queryPeriodMs: 86_400_000,
      triggerOperator: 'gt', // written GreaterThan
      triggerThreshold: 1,
      customDetails: { ServerCount: 'Servers' },
      alertDetailsOverride: {
        alertDisplayNameFormat: 'SMB fan-out from {{SrcHostname}} to {{Servers}} servers',
        alertDescriptionFormat: '{{SrcIpAddr}} reached {{Servers}} SMB servers',
        alertSeverityColumnName: 'Level',
        alertTacticsColumnName: 'Tactic',
      },
      suppressionEnabled: true,
      suppressionDurationMs: 2 * 3_600_000,
      version: '2.1.0',
    });
  });

  it('reads the .yaml and .yml files of a directory, in name order, and nothing else', () => {
    const rules = loadRules(join(FIXTURES, 'dir'));
    expect(rules.map((rule) => rule.name)).toEqual(['SMB fan-out from one host', 'Any SMB server contacted']);
    expect(rules[1]).toMatchObject({ queryFrequencyMs: 5 * 3_600_000, queryPeriodMs: 5 * 3_600_000, triggerOperator: 'ne', aggregationKind: 'SingleAlert' });
  });

  it('adds --rules to the built-in rules; a file with a built-in id replaces it', () => {
    const own = (rules: readonly Rule[]): Rule[] => rules.filter((rule) => !rule.source.startsWith('builtin:essentials/'));
    expect(own(loadRuleSet(join(FIXTURES, 'dir'))).map((rule) => rule.id)).toEqual([
      DEFAULT_RULE_ID,
      '332f0f21-4ae7-4075-9fc6-c228b4fa3555',
      '0f4b1d2e-3c5a-4e6f-8a7b-9c0d1e2f3a4b',
      '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d',
    ]);
    const replaced = loadRuleSet(join(FIXTURES, 'anomaly-in-smb-traffic-1.0.1.yaml'));
    expect(own(replaced).map((rule) => [rule.id, rule.version])).toEqual([['332f0f21-4ae7-4075-9fc6-c228b4fa3555', '1.0.0'], [DEFAULT_RULE_ID, '1.0.1']]);
  });

  it('reports every bad file of a directory, and two files with one id', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), BASE);
    writeFileSync(join(dir, 'b.yaml'), BASE.replace('name: Test rule', 'name: Copy'));
    writeFileSync(join(dir, 'c.yml'), variant('severity: High', 'severity: Severe'));
    const error = (() => {
      try {
        loadRules(dir);
      } catch (e) {
        return e as RuleLoadError;
      }
      throw new Error('expected an error');
    })();
    expect(error.message.split('\n')).toEqual([
      `${join(dir, 'c.yml')}:4:11: severity: must be one of Informational, Low, Medium, High; got "Severe"`,
      `${join(dir, 'b.yaml')}: id: 11111111-2222-4333-8444-555555555555 is also the id of ${join(dir, 'a.yaml')}`,
    ]);
  });

  it('names a missing path', () => {
    expect(() => loadRules('/nonexistent/rules')).toThrow('/nonexistent/rules: no such file or directory');
  });
});

describe('validation errors name the file, line, column, key and what is wrong', () => {
  it('accepts the base rule', () => {
    expect(parseRule(BASE, 'ok.yaml').name).toBe('Test rule');
  });

  it('a bad GUID', () => {
    expect(problems(variant('id: 11111111-2222-4333-8444-555555555555', 'id: 11111111-2222-4333-8444'))).toEqual([
      'bad.yaml:1:5: id: must be a GUID like 8717e498-7b5d-4e23-9e7c-fa4913dbfd79; got "11111111-2222-4333-8444"',
    ]);
  });

  it('an unknown entity type, with the allowed types', () => {
    expect(problems(variant('entityType: IP', 'entityType: IPAddress'))).toEqual([
      'bad.yaml:12:17: entityMappings[0].entityType: unknown entity type "IPAddress"; allowed: Account, AzureResource, CloudApplication, DNS, File, ' +
        'FileHash, Host, IoTDevice, IP, Mailbox, MailCluster, MailMessage, Malware, Process, RegistryKey, RegistryValue, SecurityGroup, SubmissionMail, URL',
    ]);
  });

  it('an unknown identifier, with the identifiers of that type', () => {
    expect(problems(variant('entityType: IP', 'entityType: Host'))).toEqual([
      'bad.yaml:14:21: entityMappings[0].fieldMappings[0].identifier: unknown identifier "Address" for entity type Host; allowed: DnsDomain, NTDomain, ' +
        'HostName, FullName, NetBiosName, AzureID, OMSAgentID, OSFamily, OSVersion, IsDomainJoined',
    ]);
  });

  it('a mapping without a required identifier set', () => {
    const text = variant('entityType: IP', 'entityType: FileHash').replace('identifier: Address', 'identifier: Algorithm');
    expect(problems(text)).toEqual([
      'bad.yaml:14:7: entityMappings[0].fieldMappings: entity type FileHash needs one of these identifier sets: Algorithm + Value',
    ]);
  });

  it('a column name Log Analytics would not accept', () => {
    expect(problems(variant('columnName: x', 'columnName: 1x'))).toEqual([
      'bad.yaml:15:21: entityMappings[0].fieldMappings[0].columnName: must start with a letter or underscore and hold only letters, digits and underscores; got "1x"',
    ]);
  });

  it('bad durations: unknown unit, fraction, out of range, period shorter than frequency, long period polled too often', () => {
    expect(problems(variant('queryFrequency: 1h', 'queryFrequency: 1w'))).toEqual([
      'bad.yaml:5:17: queryFrequency: must be a duration like 5m, 1h or 14d; got "1w"',
    ]);
    expect(problems(variant('queryFrequency: 1h', 'queryFrequency: 1.5h'))).toEqual([
      'bad.yaml:5:17: queryFrequency: must be a duration like 5m, 1h or 14d; got "1.5h"',
    ]);
    expect(problems(variant('queryPeriod: 1d', 'queryPeriod: 15d'))).toEqual(['bad.yaml:6:14: queryPeriod: must be between 5m and 14d; got "15d"']);
    expect(problems(variant('queryFrequency: 1h', 'queryFrequency: 4m'))).toEqual(['bad.yaml:5:17: queryFrequency: must be between 5m and 14d; got "4m"']);
    expect(problems(variant('queryFrequency: 1h', 'queryFrequency: 2d'))).toEqual([
      'bad.yaml:6:14: queryPeriod: must be greater than or equal to queryFrequency',
    ]);
    expect(problems(variant('queryPeriod: 1d', 'queryPeriod: 2d').replace('queryFrequency: 1h', 'queryFrequency: 30m'))).toEqual([
      'bad.yaml:5:17: queryFrequency: must be at least 1h when queryPeriod is 2d or more',
    ]);
  });

  it('a bad trigger operator, with the accepted spellings', () => {
    expect(problems(variant('triggerOperator: gt', 'triggerOperator: gte'))).toEqual([
      'bad.yaml:7:18: triggerOperator: must be one of gt, lt, eq, ne, GreaterThan, LessThan, Equal, NotEqual; got "gte"',
    ]);
  });

  it('Sentinel\'s long operator spellings are the short ones', () => {
    const spellings = { GreaterThan: 'gt', LessThan: 'lt', Equal: 'eq', NotEqual: 'ne' };
    for (const [long, short] of Object.entries(spellings)) {
      expect(parseRule(variant('triggerOperator: gt', `triggerOperator: ${long}`), 'ok.yaml').triggerOperator).toBe(short);
    }
  });

  it('a bad trigger threshold', () => {
    expect(problems(variant('triggerThreshold: 0', 'triggerThreshold: 1.5'))).toEqual(['bad.yaml:8:19: triggerThreshold: must be a whole number; got 1.5']);
    expect(problems(variant('triggerThreshold: 0', 'triggerThreshold: 10001'))).toEqual(['bad.yaml:8:19: triggerThreshold: must be at most 10000; got 10001']);
  });

  it('a missing query, and an empty one', () => {
    expect(problems(variant('query: |\n  print x = "10.0.0.1"\n', ''))).toEqual(['bad.yaml:1:1: query: is required (the KQL text)']);
    expect(problems(variant('query: |\n  print x = "10.0.0.1"\n', 'query: "  "\n'))).toEqual(['bad.yaml:9:8: query: must not be empty; got "  "']);
  });

  it('a kind other than Scheduled', () => {
    expect(problems(variant('kind: Scheduled', 'kind: NRT'))).toEqual(['bad.yaml:17:7: kind: kind NRT is not supported: smbwatch runs Scheduled rules only']);
    expect(problems(variant('kind: Scheduled', 'kind: Sheduled'))).toEqual([
      'bad.yaml:17:7: kind: must be Scheduled (Sentinel kinds: Scheduled, NRT, Fusion, MLBehaviorAnalytics, MicrosoftSecurityIncidentCreation, ThreatIntelligence, Anomaly); got "Sheduled"',
    ]);
  });

  it('an unknown tactic and a malformed technique', () => {
    const text = `${BASE}\ntactics:\n  - Lateral\nrelevantTechniques:\n  - T1021.2`;
    expect(problems(text)).toEqual([
      expect.stringMatching(/^bad\.yaml:19:5: tactics\[0\]: must be one of InitialAccess, .*InhibitResponseFunction; got "Lateral"$/),
      'bad.yaml:21:5: relevantTechniques[0]: must be a MITRE technique id like T1021 or T1021.002; got "T1021.2"',
    ]);
  });

  it('custom details: key and column name rules', () => {
    expect(problems(`${BASE}\ncustomDetails:\n  1st: x\n  ok: 'a b'`)).toEqual([
      'bad.yaml:19:8: customDetails.1st: key must start with a letter, hold only letters, digits and underscores, and be at most 20 characters',
      'bad.yaml:20:7: customDetails.ok: must be a column name; got "a b"',
    ]);
  });

  it('alert details: at most three placeholders', () => {
    expect(problems(`${BASE}\nalertDetailsOverride:\n  alertDisplayNameFormat: '{{a}} {{b}} {{c}} {{d}}'`)).toEqual([
      'bad.yaml:19:27: alertDetailsOverride.alertDisplayNameFormat: may use at most 3 {{Column}} placeholders',
    ]);
  });

  it('suppression: a duration when enabled, between 5m and 24h', () => {
    expect(problems(`${BASE}\nsuppressionEnabled: true`)).toEqual(['bad.yaml:1:1: suppressionDuration: is required when suppressionEnabled is true']);
    expect(problems(`${BASE}\nsuppressionEnabled: true\nsuppressionDuration: 25h`)).toEqual([
      'bad.yaml:19:22: suppressionDuration: must be between 5m and 24h; got "25h"',
    ]);
  });

  it('every mistake of a file at once: malformed keys and the checks across the keys that are well formed', () => {
    const text = BASE.replace('id: 11111111-2222-4333-8444-555555555555', 'id: not-a-guid')
      .replace('severity: High', 'severity: Critical')
      .replace('queryFrequency: 1h', 'queryFrequency: 1w')
      .replace('entityType: IP', 'entityType: IPAddress')
      .replace('kind: Scheduled', 'kind: NRT\ncustomDetails:\n  1st: x');
    expect(problems(text)).toEqual([
      'bad.yaml:1:5: id: must be a GUID like 8717e498-7b5d-4e23-9e7c-fa4913dbfd79; got "not-a-guid"',
      'bad.yaml:4:11: severity: must be one of Informational, Low, Medium, High; got "Critical"',
      'bad.yaml:17:7: kind: kind NRT is not supported: smbwatch runs Scheduled rules only',
      'bad.yaml:5:17: queryFrequency: must be a duration like 5m, 1h or 14d; got "1w"',
      expect.stringMatching(/^bad\.yaml:12:17: entityMappings\[0\]\.entityType: unknown entity type "IPAddress"; allowed: /),
      'bad.yaml:19:8: customDetails.1st: key must start with a letter, hold only letters, digits and underscores, and be at most 20 characters',
    ]);
  });

  it('YAML syntax errors with their position', () => {
    expect(problems('id: [1\nname: x')).toEqual([expect.stringMatching(/^bad\.yaml:2:1: YAML: /)]);
    expect(problems('- just\n- a list')).toEqual(['bad.yaml:1:1: a rule file must be a YAML mapping of rule properties']);
  });

  it('tolerates Sentinel metadata smbwatch does not use', () => {
    const rule = parseRule(`${BASE}\nrequiredDataConnectors:\n  - connectorId: Zeek\n    dataTypes: [Zeek]\nmetadata:\n  source: { kind: Community }`, 'ok.yaml');
    expect(rule.id).toBe('11111111-2222-4333-8444-555555555555');
  });
});

describe('Sentinel durations', () => {
  it.each([
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['14d', 14 * 86_400_000],
    ['05:00:00', 5 * 3_600_000],
    ['1.00:00:00', 86_400_000],
    ['00:30', 30 * 60_000],
    ['2', 2 * 86_400_000],
    ['PT5H', 5 * 3_600_000],
    ['P1D', 86_400_000],
    ['PT1H30M', 90 * 60_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseSentinelDuration(text)).toBe(ms);
  });

  it.each(['', '1w', '1.5h', 'h', '-1d', '25:00', 'P', 'PT', '5 m'])('%j is not a duration', (text) => {
    expect(parseSentinelDuration(text)).toBeUndefined();
  });
});

