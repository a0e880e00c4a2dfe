import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ipv4IsPrivate } from '../../src/demo/expectation.js';
import { generateDemoData, logsDirOf, reusableDemoData } from '../../src/demo/generate.js';
import { DEMO_EVALUATION_TIME, DEMO_EVALUATION_TIME_ISO, MICROS_PER_DAY } from '../../src/demo/period.js';
import { Random } from '../../src/demo/random.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const SMALL = { seed: 7, workstations: 20 };

/** sha256 of every file under a directory, by relative path: what "byte-identical" means. */
function hashTree(root: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hashes.set(relative(root, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(root);
  return hashes;
}

describe('demo generator', () => {
  it('writes byte-identical files for the same seed, and different ones for another seed', { timeout: 120_000 }, async () => {
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    await generateDemoData(a, SMALL);
    await generateDemoData(b, SMALL);
    await generateDemoData(c, { ...SMALL, seed: 8 });
    const [ha, hb, hc] = [hashTree(a), hashTree(b), hashTree(c)];
    expect(ha.size).toBeGreaterThan(360);
    expect([...ha.keys()]).toContain('manifest.json');
    expect(hb).toEqual(ha);
    const differing = [...ha].filter(([path, hash]) => path.endsWith('.gz') && hc.get(path) !== hash);
    expect(differing.length).toBeGreaterThan(300);
  });

  it('lays the logs out as Zeek archives them: one directory per UTC day, hourly gzipped conn logs', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const manifest = await generateDemoData(dir, SMALL);
    const logs = logsDirOf(dir);
    const days = readdirSync(logs).sort();
    // 15 days before T and the day of T, whose first hour holds the records at and after T.
    expect(days).toEqual([...Array.from({ length: 15 }, (_, i) => `2025-02-${String(4 + i).padStart(2, '0')}`), '2025-02-19']);
    expect(readdirSync(join(logs, '2025-02-19'))).toEqual(['conn.00:00:00-01:00:00.log.gz']);
    const names = readdirSync(join(logs, '2025-02-12')).sort();
    expect(names[0]).toBe('conn.00:00:00-01:00:00.log.gz');
    expect(names.at(-1)).toBe('conn.23:00:00-00:00:00.log.gz');
    expect(manifest.evaluationTime).toBe('2025-02-19T00:00:00.000000Z');
    expect(Date.parse(DEMO_EVALUATION_TIME_ISO) * 1000).toBe(DEMO_EVALUATION_TIME);

    // One file read back: Zeek's header, data lines within the file's hour, the #close trailer.
    const text = gunzipSync(readFileSync(join(logs, '2025-02-12', 'conn.09:00:00-10:00:00.log.gz'))).toString('utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('#separator \\x09');
    expect(lines[4]).toBe('#path\tconn');
    expect(lines[5]).toBe('#open\t2025-02-12-09-00-00');
    expect(lines.at(-1)).toBe('#close\t2025-02-12-10-00-00');
    const fields = lines[6]!.split('\t').slice(1);
    const data = lines.filter((line) => !line.startsWith('#')).map((line) => line.split('\t'));
    expect(data.length).toBeGreaterThan(100);
    const hourStart = Date.UTC(2025, 1, 12, 9) / 1000;
    let previous = 0;
    for (const row of data) {
      expect(row).toHaveLength(fields.length);
      const ts = Number(row[0]);
      expect(ts).toBeGreaterThanOrEqual(hourStart);
      expect(ts).toBeLessThan(hourStart + 3600);
      expect(ts).toBeGreaterThanOrEqual(previous);
      previous = ts;
    }
    const sessions = manifest.files.reduce((sum, f) => sum + f.sessions, 0);
    expect(sessions).toBe(manifest.totals.sessions);
    expect(manifest.totals.perDay).toHaveLength(15);
    expect(manifest.period.end).toBe(manifest.evaluationTime);
    expect(Date.parse(manifest.period.start) * 1000).toBe(DEMO_EVALUATION_TIME - 15 * MICROS_PER_DAY);
  });

  it('reuses intact data of the same seed and size, and not data that was changed or made otherwise', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const manifest = await generateDemoData(dir, SMALL);
    expect((await reusableDemoData(dir, SMALL))?.dataset).toBe(manifest.dataset);
    expect(await reusableDemoData(dir, { ...SMALL, seed: 9 })).toBeUndefined();
    expect(await reusableDemoData(dir, { ...SMALL, workstations: 21 })).toBeUndefined();
    const file = join(logsDirOf(dir), ...manifest.files[10]!.path.split('/'));
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from([0])]));
    expect(await reusableDemoData(dir, SMALL)).toBeUndefined();
  });

  it('never replaces a logs directory it did not write', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'mine.log'), 'keep me\n');
    await expect(generateDemoData(dir, SMALL)).rejects.toThrow(/not written by smbwatch demo/);
    expect(existsSync(join(dir, 'logs', 'mine.log'))).toBe(true);
  });

  it('refuses network sizes it cannot plant its scenario in', async () => {
    await expect(generateDemoData(tempDir(), { seed: 1, workstations: 10 })).rejects.toThrow(/16 to 960 workstations/);
  });
});

describe('demo expectation helpers', () => {
  it('ipv4IsPrivate follows seed-rule.md §3.5 (true, false, null)', () => {
    const cases: Array<[string, boolean | null]> = [
      ['10.0.0.1', true],
      ['172.16.0.1', true],
      ['172.31.255.255', true],
      ['172.32.0.1', false],
      ['192.168.1.1/24', true],
      ['192.168.1.1/33', null],
      ['203.0.113.77', false],
      ['127.0.0.1', false],
      ['169.254.1.1', false],
      ['100.64.0.1', false],
      ['256.1.1.1', null],
      ['fd00:10:10::21', null],
      ['', null],
      ['host.example', null],
    ];
    for (const [text, expected] of cases) expect([text, ipv4IsPrivate(text)]).toEqual([text, expected]);
  });

  it('the random stream is fixed for a seed (the generator depends on it never changing)', () => {
    const draws = (seed: number): number[] => {
      const rng = new Random(seed);
      return Array.from({ length: 4 }, () => rng.uint32());
    };
    expect(draws(1)).toEqual(draws(1));
    expect(draws(1)).not.toEqual(draws(2));
    const rng = new Random(42);
    for (let i = 0; i < 1000; i++) {
      const value = rng.int(3, 5);
      expect(value >= 3 && value <= 5).toBe(true);
    }
  });
});
