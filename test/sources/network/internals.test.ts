import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitJsonElements } from '../../../src/sources/network/json-stream.js';
import { kustoHas, kustoParse, STAR } from '../../../src/sources/network/kusto-text.js';
import { wallTimeToUtc } from '../../../src/sources/network/zoned-time.js';
import { fixture, us } from './helpers.js';

async function split(text: string, chunkSize: number, unwrapKey?: string): Promise<Array<[string, number, boolean]>> {
  const bytes = Buffer.from(text, 'utf8');
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
  }
  const out: Array<[string, number, boolean]> = [];
  for await (const batch of splitJsonElements(chunks(), unwrapKey === undefined ? {} : { unwrapKey })) {
    for (const element of batch) out.push([element.text, element.line, element.complete]);
  }
  return out;
}

describe('streaming JSON splitter', () => {
  it('gives the same elements whatever the chunk boundaries (multi-byte characters included)', async () => {
    const text = fixture('nsg-flow-v2.json').replace('UserRule_AllowSMB', 'Règle_é_€');
    const whole = await split(text, 1 << 20, 'records');
    expect(whole.map(([, line]) => line)).toEqual([2, 12, 14]); // where each records[] element starts
    for (const size of [1, 2, 3, 7, 64]) expect(await split(text, size, 'records')).toEqual(whole);
  });

  it('splits a top-level array, and JSON lines, into objects', async () => {
    expect((await split('[{"a":1},\n {"b":"]"}]', 3)).map(([text]) => text)).toEqual(['{"a":1}', '{"b":"]"}']);
    expect((await split('{"a":1}\n{"b":2}\n', 1)).map(([text, line]) => [text, line])).toEqual([['{"a":1}', 1], ['{"b":2}', 2]]);
  });

  it('marks an element cut by the end of input as incomplete', async () => {
    expect(await split('[{"a":1},{"b":', 4)).toEqual([['{"a":1}', 1, true], ['{"b":', 1, false]]);
  });

  it('holds no element past the limit: an oversized one comes out with its first characters and its length, its neighbours whole', async () => {
    const big = `{"a":"${'x'.repeat(5000)}"}`;
    const text = `[{"before":1},${big},"${'y'.repeat(3000)}",${'7'.repeat(4000)},{"after":2}]`;
    for (const size of [1, 97, 1 << 20]) {
      const bytes = Buffer.from(text, 'utf8');
      const elements = [];
      async function* chunks(): AsyncGenerator<Uint8Array> {
        for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
      }
      for await (const batch of splitJsonElements(chunks(), { maxElementChars: 1000 })) elements.push(...batch);
      expect(elements.map((element) => [element.text.slice(0, 12), element.text.length <= 200 || !element.oversized, element.oversized?.chars])).toEqual([
        ['{"before":1}', true, undefined],
        ['{"a":"xxxxxx', true, big.length],
        ['"yyyyyyyyyyy', true, 3002],
        ['777777777777', true, 4000],
        ['{"after":2}', true, undefined],
      ]);
    }
  });

  it('never throws on random text', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 200 }), fc.integer({ min: 1, max: 16 }), async (text, size) => {
      await split(text, size, 'records');
      await split(text, size);
    }), { numRuns: 100 });
  });
});

describe('Kusto text semantics used by the parsers', () => {
  it('parse: anchored, lazy, trailing column takes the rest, failure empties every column', () => {
    expect(kustoParse('traffic:forward accept', ['traffic:forward ', { col: 'a' }])).toEqual({ a: 'accept' });
    expect(kustoParse('x traffic:forward accept', ['traffic:forward ', { col: 'a' }])).toEqual({ a: '' });
    expect(kustoParse('a b c hit-cnt 7 x', [STAR, ' ', { col: 'w' }, ' hit-cnt ', { col: 'n', type: 'int' }, STAR])).toEqual({ w: 'b c', n: 7 });
    expect(kustoParse('hit-cnt x', [STAR, 'hit-cnt ', { col: 'n', type: 'int' }, STAR])).toEqual({ n: null });
  });

  it('has: whole terms, case-insensitive', () => {
    expect(kustoHas('traffic:forward', 'traffic')).toBe(true);
    expect(kustoHas('dns-response', 'DNS')).toBe(true);
    expect(kustoHas('dnsquery', 'dns')).toBe(false);
    expect(kustoHas('cat=traffic;x', 'cat=traffic')).toBe(true);
  });
});

describe('wall-clock times in an IANA zone', () => {
  it('applies winter and summer offsets, and the earlier instant in a repeated hour', () => {
    expect(wallTimeToUtc(us('2024-01-15T12:00:00Z'), 'America/New_York')).toBe(us('2024-01-15T17:00:00Z'));
    expect(wallTimeToUtc(us('2024-07-15T12:00:00Z'), 'America/New_York')).toBe(us('2024-07-15T16:00:00Z'));
    expect(wallTimeToUtc(us('2024-10-27T02:30:00Z'), 'Europe/Paris')).toBe(us('2024-10-27T00:30:00Z'));
    expect(wallTimeToUtc(us('2024-03-31T02:30:00Z'), 'Europe/Paris')).toBe(us('2024-03-31T01:30:00Z')); // gap: 03:30 CEST
    expect(wallTimeToUtc(us('2024-03-04T10:00:00.123Z'), undefined)).toBe(us('2024-03-04T10:00:00.123Z'));
  });
});
