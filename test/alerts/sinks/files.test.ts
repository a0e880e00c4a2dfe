/**
 * The stdout and JSON-lines sinks, and the backoff they share with the webhook.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/alerts/sinks/backoff.js';
import { JsonlSink } from '../../../src/alerts/sinks/jsonl.js';
import { StdoutSink } from '../../../src/alerts/sinks/stdout.js';
import { useTempDir } from '../../helpers/tmp.js';
import { sampleAlert } from '../../watch/helpers.js';

const tempDir = useTempDir();

describe('JSON-lines sink', () => {
  it('appends one line per alert, across restarts, keeping what the file held', async () => {
    const path = join(tempDir(), 'nested', 'dir', 'alerts.jsonl');
    const first = new JsonlSink('file', path);
    await first.deliver(sampleAlert('j-1'));
    await first.deliver(sampleAlert('j-2', '10.0.0.2'));
    await first.close();
    // Each line is on disk as soon as deliver resolves: read it before the restart's sink opens the file.
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(3);

    const second = new JsonlSink('file', path);
    await second.deliver(sampleAlert('j-3', '10.0.0.3'));
    await second.close();

    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    const alerts = lines.slice(0, -1).map((line) => JSON.parse(line) as { alertId: string; entities: unknown[] });
    expect(alerts.map((a) => a.alertId)).toEqual(['j-1', 'j-2', 'j-3']);
    expect(alerts[2]!.entities).toEqual([{ type: 'ip', address: '10.0.0.3' }]);
    expect(JSON.parse(lines[0]!)).toEqual(sampleAlert('j-1'));
  });

  it('adds to a file that already holds lines written by someone else', async () => {
    const path = join(tempDir(), 'alerts.jsonl');
    writeFileSync(path, '{"earlier":true}\n');
    const sink = new JsonlSink('file', path);
    await sink.deliver(sampleAlert('j-4'));
    await sink.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('{"earlier":true}');
    expect(JSON.parse(lines[1]!).alertId).toBe('j-4');
  });

  it('fails (for a retry later) when the path cannot be written', async () => {
    const blocker = join(tempDir(), 'not-a-dir');
    writeFileSync(blocker, 'x');
    const sink = new JsonlSink('file', join(blocker, 'alerts.jsonl'));
    await expect(sink.deliver(sampleAlert('j-5'))).rejects.toThrow();
  });
});

describe('stdout sink', () => {
  it('writes each alert as one JSON line', async () => {
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const sink = new StdoutSink('stdout', output);
    await sink.deliver(sampleAlert('s-1'));
    await sink.deliver(sampleAlert('s-2'));
    expect(text.split('\n').slice(0, -1).map((line) => JSON.parse(line).alertId)).toEqual(['s-1', 's-2']);
  });
});

describe('backoff', () => {
  it('doubles from the base, keeps at least half the nominal delay, and never exceeds the maximum', () => {
    const policy = { baseMs: 1000, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n, () => 0))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(backoffDelay(policy, 10_000, () => 0.5)).toBe(7500);
  });
});
