/**
 * `smbwatch evaluate` as a user runs it, on a small lab of its own seed: the report, the JSON scores, reuse.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

describe('smbwatch evaluate', () => {
  const tempDir = useTempDir();

  it('scores the seed rule and smbwatch\'s own on a small lab, writes the report and the JSON, and reuses the lab', () => {
    const dir = tempDir();
    const args = ['evaluate', '--dir', dir, '--lab', 'dev-21-120-zeek', '--rule', 'seed-1.0.0', '--rule', 'seed-1.0.1', '--rule', 'smbwatch', '--out', join(dir, 'E.md'), '--json', join(dir, 'e.json')];
    const first = runCli(args);
    expect(first.stderr).toContain('dev-21-120-zeek: ingesting');
    expect(first.status).toBe(0);
    const report = readFileSync(join(dir, 'E.md'), 'utf8');
    expect(report).toMatch(/\| seed-1\.0\.0 \| 0 \/ 10 \| 0\.0% \| 0 \|/);
    // smbwatch's rule finds every planted attack of this lab (two false alerts over its 2,115 host-days).
    expect(report).toMatch(/\| smbwatch \| 10 \/ 10 \| 100\.0% \| 2 \|/);
    expect(report).toContain('### smbwatch (0)');
    expect(report).toContain('## Misses and why');
    expect(report).toContain('no baseline record, the inner join drops the pair');
    const json = JSON.parse(readFileSync(join(dir, 'e.json'), 'utf8')) as { labs: Array<{ rules: Array<{ key: string }> }> };
    expect(json.labs[0]!.rules.map((r) => r.key)).toEqual(['seed-1.0.0', 'seed-1.0.1', 'smbwatch']);
    expect(existsSync(join(dir, 'dev-21-120-zeek', 'lab.duckdb'))).toBe(true);
    const again = runCli(args);
    expect(again.status).toBe(0);
    expect(again.stderr).not.toContain('ingesting');
    const results = (text: string): string => text.slice(text.indexOf('## Development labs'), text.indexOf('## Labs'));
    expect(results(readFileSync(join(dir, 'E.md'), 'utf8'))).toEqual(results(report));
  }, 180_000);

  it('refuses an unknown rule or a malformed lab id with exit status 2', () => {
    expect(runCli(['evaluate', '--rule', 'nope']).status).toBe(2);
    const bad = runCli(['evaluate', '--lab', 'dev-1-20-zeek']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('100 to 20000 workstations');
  });
});
