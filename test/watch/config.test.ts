/**
 * smbwatch.yaml: resolution of a valid config, and errors that name the file, line, column, key path and problem.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeSinkConfig, loadWatchConfig, parseDuration, parseWatchConfig } from '../../src/watch/config.js';
import { resolveRules } from '../../src/watch/rules.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseWatchConfig(text, '/etc/smbwatch/smbwatch.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('watch config', () => {
  it('resolves paths from the config directory, durations, defaults and header secrets from the environment', () => {
    const config = parseWatchConfig(
      `
db: data/smbwatch.duckdb
inputs:
  - /opt/zeek/logs/current
  - "zeek/*/conn.*.log.gz"
timezone: Europe/Berlin
pollInterval: 30s
schedule:
  anchor: 2024-01-01T06:00:00Z
  delay: 5m
rules:
  - builtin: default
    params: {threshold: 0.5}
  - path: rules
sinks:
  - type: stdout
  - type: jsonl
    path: out/alerts.jsonl
  - type: webhook
    name: soc
    url: https://soc.example/hooks/smb
    headers:
      Authorization: "Bearer \${SOC_TOKEN}"
    timeout: 5s
    retries: 2
`,
      '/etc/smbwatch/smbwatch.yaml',
      { SOC_TOKEN: 't0k3n' },
    );
    expect(config.db).toBe('/etc/smbwatch/data/smbwatch.duckdb');
    expect(config.inputs).toEqual(['/opt/zeek/logs/current', '/etc/smbwatch/zeek/*/conn.*.log.gz']);
    expect(config.timezone).toBe('Europe/Berlin');
    expect(config.pollIntervalMs).toBe(30_000);
    expect(config.schedule).toEqual({ anchor: new Date('2024-01-01T06:00:00Z'), delayMs: 300_000 });
    expect(config.rules).toEqual([
      { kind: 'builtin', ref: 'default', params: { threshold: '0.5' } },
      { kind: 'path', ref: '/etc/smbwatch/rules', params: {} },
    ]);
    expect(config.sinks).toEqual([
      { type: 'stdout', name: 'stdout' },
      { type: 'jsonl', name: 'jsonl:/etc/smbwatch/out/alerts.jsonl', path: '/etc/smbwatch/out/alerts.jsonl' },
      {
        type: 'webhook',
        name: 'soc',
        url: 'https://soc.example/hooks/smb',
        headers: { Authorization: 'Bearer t0k3n' },
        timeoutMs: 5000,
        retries: 2,
        backoffMs: 1000,
        maxBackoffMs: 3_600_000,
      },
    ]);
    const shown = config.sinks.map(describeSinkConfig).join('\n');
    expect(shown).not.toContain('t0k3n');
    expect(shown).toContain('Authorization: ***');
  });

  it('defaults: the seed rule, a stdout sink, a one-minute poll, the epoch anchor, $SMBWATCH_DB', () => {
    const config = parseWatchConfig('inputs: [logs]\n', '/srv/w/smbwatch.yaml', { SMBWATCH_DB: '/var/lib/smbwatch.duckdb' });
    expect(config.db).toBe('/var/lib/smbwatch.duckdb');
    expect(config.rules).toEqual([{ kind: 'builtin', ref: 'default', params: {} }]);
    expect(config.sinks).toEqual([{ type: 'stdout', name: 'stdout' }]);
    expect(config.pollIntervalMs).toBe(60_000);
    expect(config.schedule).toEqual({ anchor: new Date(0), delayMs: 0 });
  });

  it('names file, line, column and key path for each problem', () => {
    const found = problems(`inputs: [logs]
pollIntervall: 30s
sinks:
  - type: email
  - type: webhook
    headers: {Authorization: x}
  - type: jsonl
    path: a.jsonl
    flush: always
`);
    expect(found).toEqual([
      '/etc/smbwatch/smbwatch.yaml:4:11: sinks[0].type: type must be one of: stdout, jsonl, webhook',
      '/etc/smbwatch/smbwatch.yaml:5:5: sinks[1].url: is required',
      '/etc/smbwatch/smbwatch.yaml:7:5: sinks[2]: unknown key: flush',
      '/etc/smbwatch/smbwatch.yaml:1:1: unknown key: pollIntervall',
    ]);
  });

  it('explains wrong values: durations, times, zones, URLs, retries, empty lists', () => {
    expect(problems('inputs: []\n')).toEqual(['/etc/smbwatch/smbwatch.yaml:1:9: inputs: must list at least one directory, file or glob']);
    expect(problems('inputs: [x]\npollInterval: soon\n')).toEqual([
      '/etc/smbwatch/smbwatch.yaml:2:15: pollInterval: "soon" is not a duration; write e.g. 30s, 5m, 1h or 1d (time between ticks)',
    ]);
    expect(problems('inputs: [x]\nschedule: {anchor: yesterday}\n')[0]).toBe(
      '/etc/smbwatch/smbwatch.yaml:2:20: schedule.anchor: "yesterday" is not an ISO 8601 time (e.g. 2024-05-01T00:00:00Z)',
    );
    expect(problems('inputs: [x]\ntimezone: Mars/Olympus\n')).toEqual([
      '/etc/smbwatch/smbwatch.yaml:2:11: timezone: "Mars/Olympus" is not an IANA time zone (e.g. UTC, Europe/Berlin)',
    ]);
    expect(problems('inputs: [x]\nsinks: [{type: webhook, url: "ftp://h/x"}]\n')).toEqual([
      '/etc/smbwatch/smbwatch.yaml:2:30: sinks[0].url: must be an http:// or https:// URL',
    ]);
    expect(problems('inputs: [x]\nsinks: [{type: webhook, url: "http://h/x", retries: -1}]\n')).toEqual([
      '/etc/smbwatch/smbwatch.yaml:2:53: sinks[0].retries: must be 0 or more',
    ]);
    expect(problems('')).toEqual(['/etc/smbwatch/smbwatch.yaml: inputs: is required']);
  });

  it('names a missing environment variable, never a header value', () => {
    const found = problems('inputs: [x]\nsinks:\n  - type: webhook\n    url: http://127.0.0.1/x\n    headers: {X-Api-Key: "${API_KEY}"}\n');
    expect(found).toEqual(['/etc/smbwatch/smbwatch.yaml:5:26: sinks[0].headers.X-Api-Key: environment variable API_KEY is not set']);
  });

  it('refuses two sinks with the same name (the outbox is keyed by it)', () => {
    expect(problems('inputs: [x]\nsinks: [{type: stdout}, {type: stdout}]\n')).toEqual([
      '/etc/smbwatch/smbwatch.yaml:2:25: sinks[1]: two sinks are named "stdout" (also sinks[0]); give one a distinct name',
    ]);
  });

  it('reports YAML syntax errors with their position, and an unreadable file by name', () => {
    expect(problems('inputs: [x\n')[0]).toMatch(/^\/etc\/smbwatch\/smbwatch\.yaml:\d+:\d+: YAML: /);
    expect(() => loadWatchConfig(join(tempDir(), 'missing.yaml'))).toThrow(/missing\.yaml: cannot read/);
  });

  it('reads durations in the units people write', () => {
    expect([parseDuration('250ms'), parseDuration('30s'), parseDuration('5m'), parseDuration('2h'), parseDuration('1d')]).toEqual([
      250, 30_000, 300_000, 7_200_000, 86_400_000,
    ]);
    expect([parseDuration('PT5M'), parseDuration('01:00:00'), parseDuration('5 minutes')]).toEqual([300_000, 3_600_000, undefined]);
  });
});

describe('rules named by a watch config', () => {
  const now = new Date('2024-05-04T00:00:00Z');

  it('loads the seed rule by "default" with its parameters, one schedule per parameter set', () => {
    const rules = resolveRules(
      { file: 'w.yaml', rules: [{ kind: 'builtin', ref: 'default', params: {} }, { kind: 'builtin', ref: 'default', params: { threshold: '0.5' } }] },
      now,
    );
    expect(rules.map((r) => r.key)).toEqual(['8717e498-7b5d-4e23-9e7c-fa4913dbfd79', '8717e498-7b5d-4e23-9e7c-fa4913dbfd79 [["threshold","0.5"]]']);
    expect(rules[0]!.rule.queryFrequencyMs).toBe(86_400_000);
  });

  it('refuses unknown built-in ids, unknown parameters, missing rule paths and broken queries before anything runs', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'rules'));
    writeFileSync(
      join(dir, 'rules', 'broken.yaml'),
      readFixture().replace('ASimNetworkSessionLogs', 'ASimNetworkSessionLogs | where NoSuchColumn > 1'),
    );
    let message = '';
    try {
      resolveRules(
        {
          file: 'w.yaml',
          rules: [
            { kind: 'builtin', ref: 'no-such-rule', params: {} },
            { kind: 'builtin', ref: 'default', params: { treshold: '3' } },
            { kind: 'path', ref: join(dir, 'missing'), params: {} },
            { kind: 'path', ref: join(dir, 'rules'), params: {} },
          ],
        },
        now,
      );
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toMatch(/^w\.yaml: rules\[0\]\.builtin: no built-in rule "no-such-rule"; built-in rules: default, 8717e498/);
    expect(lines[1]).toBe('w.yaml: rules[1].params: rule 8717e498-7b5d-4e23-9e7c-fa4913dbfd79: unknown parameter "treshold"; this rule\'s parameters are: threshold, starttime, endtime, SMBPorts');
    expect(lines[2]).toContain('rules[2].path:');
    expect(lines[2]).toContain('no such file or directory');
    expect(message).toContain('rules[3]: rule 5b0e5a5e-0000-4000-8000-00000000a1e7');
    expect(message).toContain('NoSuchColumn');
  });
});

function readFixture(): string {
  return readFileSync(new URL('../fixtures/watch/rules/smb-sessions.yaml', import.meta.url), 'utf8');
}
