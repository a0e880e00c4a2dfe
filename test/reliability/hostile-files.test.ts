/**
 * Hostile files: decompression bombs, archive members named to escape, symlink loops and FIFOs, an overlong
 * line, a truncated gzip, XML entity expansion, YAML alias bombs, a deeply nested rule query. Each ends as a clear
 * error or skip for that one input while everything else is read.
 * `SMBWATCH_HUGE_LINE_BYTES=1073741824` runs the overlong-line case with a 1 GB line (RELIABILITY.md).
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run.js';
import { loadRuleFile, RuleLoadError } from '../../src/rules/load.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { parseWatchConfig } from '../../src/watch/config.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { zipArchive } from '../helpers/zip.js';
import { zeekConnTsv } from '../helpers/zeek.js';

const tempDir = useTempDir();
const HUGE_LINE_BYTES = Number(process.env.SMBWATCH_HUGE_LINE_BYTES ?? 40 * 1024 * 1024);

async function ingest(paths: string[]) {
  const store = await openDuckDbStore(':memory:');
  try {
    const result = await runIngest(store, paths, { parse: {} });
    const records = Number((await store.query('SELECT count(*) FROM smbwatch_sessions')).rows[0]![0]);
    return { ...result, records, store: undefined };
  } finally {
    await store.close();
  }
}

function statusOf(outcomes: ReadonlyArray<{ name: string; status: string }>, suffix: string): string | undefined {
  return outcomes.find((outcome) => outcome.name.endsWith(suffix))?.status;
}

/** A Zeek conn log (so it is recognised and read) whose one line repeats to 160 MiB: it compresses ~1000×. */
function bombContent(): Buffer {
  const lines = zeekConnTsv(1).split('\n');
  const header = lines.filter((line) => line.startsWith('#')).join('\n');
  const row = `${lines.find((line) => line !== '' && !line.startsWith('#'))}\n`;
  return Buffer.concat([Buffer.from(`${header}\n`), Buffer.alloc(160 * 1024 * 1024 - (160 * 1024 * 1024) % row.length, row)]);
}

describe('hostile files', () => {
  it('a gzip bomb is refused by the expansion limit with a clear error; the other input is read', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bomb.log.gz'), gzipSync(bombContent(), { level: 9 }));
    writeFileSync(join(dir, 'conn.log'), zeekConnTsv(5));
    const result = await ingest([join(dir, 'bomb.log.gz'), join(dir, 'conn.log')]);
    const bomb = result.outcomes.find((outcome) => outcome.name.endsWith('bomb.log.gz'))!;
    expect(bomb.status).toBe('error');
    expect(bomb.reason).toMatch(/bomb\.log\.gz: refused as a decompression bomb: \d+ compressed bytes expand past \d+ \(more than 250×/);
    expect(statusOf(result.outcomes, 'conn.log')).toBe('ingested');
    expect(result.records).toBe(5);
  });

  it('smbwatch ingest --max-expansion raises the bomb limit, --max-decompressed lowers the size limit; both are named in the errors', () => {
    const dir = tempDir();
    // 70 MiB that gzip shrinks ~1000×: four lines of 17.5 MiB (each one cheap reject, skipped unbuffered) between
    // a Zeek header and two valid rows.
    const lines = zeekConnTsv(2).trimEnd().split('\n');
    const header = lines.filter((line) => line.startsWith('#')).join('\n');
    const rows = lines.filter((line) => !line.startsWith('#')).join('\n');
    const overlong = Buffer.alloc(17.5 * 1024 * 1024, 0x41);
    const content = Buffer.concat([Buffer.from(`${header}\n`), ...Array.from({ length: 4 }, () => Buffer.concat([overlong, Buffer.from('\n')])), Buffer.from(`${rows}\n`)]);
    const gz = join(dir, 'repetitive.log.gz');
    writeFileSync(gz, gzipSync(content, { level: 9 }));
    const ingestWith = (...flags: string[]) => runCli(['ingest', '--db', join(dir, `${flags.join('') || 'default'}.duckdb`), '--progress', 'none', '--output', 'json', ...flags, gz]);

    const refused = ingestWith();
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/refused as a decompression bomb: \d+ compressed bytes expand past \d+ \(more than 250× their size; `smbwatch ingest --max-expansion` raises the limit\)/);

    const allowed = ingestWith('--max-expansion', '5000');
    expect(allowed.stderr).toBe('');
    expect(JSON.parse(allowed.stdout).inputs).toMatchObject([{ status: 'ingested', records: 2, rejects: 4 }]);

    const small = ingestWith('--max-expansion', '5000', '--max-decompressed', '10MiB');
    expect(small.status).toBe(1);
    expect(small.stderr).toMatch(/refused, decompresses to more than 10485760 bytes \(`smbwatch ingest --max-decompressed` raises the limit\)/);

    const wrong = ingestWith('--max-expansion', '0.5');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/--max-expansion.*must be a ratio of at least 1/);
    expect(runCli(['ingest', '--help']).stdout).toMatch(/--max-expansion <ratio>[\s\S]*--max-decompressed <size>/);
  });

  it('a zip bomb member is refused; members beside it are read', async () => {
    const dir = tempDir();
    const archive = join(dir, 'logs.zip');
    writeFileSync(archive, zipArchive([{ name: 'bomb.log', content: bombContent() }, { name: 'conn.log', content: zeekConnTsv(4) }]));
    const result = await ingest([archive]);
    expect(statusOf(result.outcomes, '!bomb.log')).toBe('error');
    expect(result.outcomes.find((outcome) => outcome.name.endsWith('!bomb.log'))!.reason).toMatch(/decompression bomb/);
    expect(statusOf(result.outcomes, '!conn.log')).toBe('ingested');
    expect(result.records).toBe(4);
  });

  it('zip members named ../../escape.log or /abs.log are read as members and never written anywhere', async () => {
    const dir = tempDir();
    const inner = join(dir, 'a', 'b');
    mkdirSync(inner, { recursive: true });
    const archive = join(inner, 'logs.zip');
    writeFileSync(archive, zipArchive([{ name: '../../escape.log', content: zeekConnTsv(2) }, { name: '/tmp/smbwatch-abs-escape.log', content: zeekConnTsv(3) }]));
    const result = await ingest([archive]);
    expect(result.outcomes.map((outcome) => outcome.name.split('!')[1])).toEqual(['../../escape.log', '/tmp/smbwatch-abs-escape.log']);
    expect(result.outcomes.every((outcome) => outcome.status !== 'error')).toBe(true);
    expect(result.records).toBe(5);
    expect(existsSync(join(dir, 'escape.log'))).toBe(false);
    expect(existsSync('/tmp/smbwatch-abs-escape.log')).toBe(false);
  });

  it('symlink loops, dangling links and FIFOs in a directory are skipped with a reason, never blocking', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    mkdirSync(join(logs, 'sub'), { recursive: true });
    writeFileSync(join(logs, 'sub', 'conn.log'), zeekConnTsv(3));
    symlinkSync(logs, join(logs, 'sub', 'loop')); // a directory loop
    symlinkSync(join(logs, 'self'), join(logs, 'self')); // a link to itself (ELOOP)
    symlinkSync(join(logs, 'nowhere'), join(logs, 'dangling'));
    execFileSync('mkfifo', [join(logs, 'pipe')]);
    const result = await ingest([logs]);
    expect(result.records).toBe(3);
    const skipped = Object.fromEntries(result.outcomes.filter((outcome) => outcome.status === 'skipped').map((outcome) => [outcome.name.slice(logs.length + 1), outcome.reason]));
    expect(skipped).toEqual({
      'sub/loop': expect.stringMatching(/symbolic link loop/),
      self: 'a symbolic link loop',
      dangling: 'a dangling symbolic link',
      pipe: 'not a regular file (a FIFO)',
    });
  });

  it('a FIFO named on the command line is an error, not a read that waits forever', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const result = await ingest([join(dir, 'pipe')]);
    expect(result.errors).toEqual([{ path: join(dir, 'pipe'), reason: 'not a regular file (a FIFO): not read' }]);
  });

  it(`a line of ${HUGE_LINE_BYTES} bytes is one reject; the lines around it are read`, async () => {
    const dir = tempDir();
    const path = join(dir, 'conn.log');
    const [header, ...rows] = zeekConnTsv(2).trimEnd().split('\n').reduce<[string, ...string[]]>((parts, line) => {
      if (line.startsWith('#')) parts[0] += `${line}\n`;
      else parts.push(line);
      return parts;
    }, ['']);
    const out = createWriteStream(path);
    out.write(`${header}${rows[0]}\n`);
    const block = Buffer.alloc(1 << 20, 0x41);
    for (let written = 0; written < HUGE_LINE_BYTES; written += block.length) if (!out.write(block)) await once(out, 'drain');
    out.write(`\n${rows[1]}\n`);
    out.end();
    await once(out, 'finish');
    const result = await ingest([path]);
    expect(result.outcomes[0]).toMatchObject({ status: 'ingested', records: 2, rejects: 1 });
  }, 600_000);

  it('a gzip file cut short is an error naming it; the other input is read', async () => {
    const dir = tempDir();
    const gz = gzipSync(zeekConnTsv(200));
    writeFileSync(join(dir, 'cut.log.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    writeFileSync(join(dir, 'conn.log'), zeekConnTsv(2));
    const result = await ingest([join(dir, 'cut.log.gz'), join(dir, 'conn.log')]);
    expect(result.outcomes.find((outcome) => outcome.name.endsWith('cut.log.gz'))!.reason).toMatch(/cut\.log\.gz: the gzip stream ends early/);
    expect(result.records).toBe(2);
  });

  it('event XML with entity definitions (billion laughs) expands nothing; the events beside it are read', async () => {
    const dir = tempDir();
    const event = (id: number, extra = '') =>
      `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>3</EventID><TimeCreated SystemTime="2024-03-04T09:00:0${id}.000Z"/><EventRecordID>${id}</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws</Computer></System><EventData><Data Name="UtcTime">2024-03-04 09:00:0${id}.000</Data><Data Name="Protocol">tcp</Data><Data Name="Initiated">true</Data><Data Name="SourceIp">10.0.5.${id}</Data><Data Name="SourcePort">5000${id}</Data><Data Name="DestinationIp">10.0.1.10</Data><Data Name="DestinationPort">445</Data><Data Name="Image">${extra}C:\\x.exe</Data></EventData></Event>`;
    const laughs = Array.from({ length: 10 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('');
    // A document type with entity definitions before the events is not Windows event XML: refused, nothing expanded.
    writeFileSync(join(dir, 'laughs.xml'), `<?xml version="1.0"?>\n<!DOCTYPE Events [<!ENTITY lol0 "lol">${laughs}]>\n<Events>\n${event(1, '&lol10;')}\n</Events>\n`);
    // Entity references inside events (there is no document type to define them) stay text; the events around are read.
    writeFileSync(join(dir, 'events.xml'), `<Events>\n${event(1)}\n${event(2, '&lol10;&lol9;')}\n${event(3)}\n</Events>\n`);
    const result = await ingest([join(dir, 'laughs.xml'), join(dir, 'events.xml')]);
    expect(result.outcomes.map((outcome) => outcome.status)).toEqual(['error', 'ingested']);
    expect(result.outcomes[0]!.reason).toMatch(/not a recognised log format/);
    expect(result.records).toBeGreaterThanOrEqual(2);
    expect(result.records + result.outcomes[1]!.rejects).toBeGreaterThanOrEqual(3);
  });

  it('a YAML alias bomb in a rule file or a watch config is refused with a message, not expanded', () => {
    const dir = tempDir();
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    const rule = join(dir, 'rule.yaml');
    writeFileSync(rule, `${bomb}\nid: x\n`);
    expect(() => loadRuleFile(rule)).toThrow(RuleLoadError);
    expect(() => loadRuleFile(rule)).toThrow(/alias/i);
    expect(() => parseWatchConfig(`${bomb}\ninputs: [./logs]\n`, join(dir, 'smbwatch.yaml'))).toThrow(/alias/i);
  });

  it('a rule query of 10,000 characters of nesting gives a clear error or a result, never a crash', async () => {
    const query = `ASimNetworkSessionLogs | where ${'('.repeat(5000)}DstPortNumber == 445${')'.repeat(5000)} | count`;
    const dir = tempDir();
    writeFileSync(join(dir, 'conn.log'), zeekConnTsv(2));
    const db = join(dir, 'store.duckdb');
    expect((await runCli(['ingest', '--db', db, '--progress', 'none', join(dir, 'conn.log')])).status).toBe(0);
    const result = await runCli(['query', '--db', db, '--at', '2024-03-02T00:00:00Z', query]);
    expect(result.stderr).not.toMatch(/RangeError|Maximum call stack|at .*\.js:\d+/);
    expect([0, 1]).toContain(result.status);
    if (result.status === 1) expect(result.stderr).toMatch(/depth exceeds/i);
  });
});
