/**
 * Property tests: random and mutated input never makes a parser throw, and well-formed records mixed with junk
 * are never lost (each still yields its record).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { awsVpcFlowFormat } from '../../../src/sources/network/aws-vpc.js';
import { azureNsgAnalyticsFormat, azureNsgFlowFormat } from '../../../src/sources/network/azure-nsg.js';
import { cefExportFormat, cefSyslogFormat } from '../../../src/sources/network/cef.js';
import { nfdumpCsvFormat } from '../../../src/sources/network/nfdump.js';
import { suricataEveFormat } from '../../../src/sources/network/suricata-eve.js';
import type { SourceFormat } from '../../../src/sources/types.js';
import { fixture, run } from './helpers.js';

const RUNS = { numRuns: 40 };

/** A line of junk: any characters but line breaks. */
const junkLine = fc.string({ maxLength: 120 }).map((text) => text.replace(/[\r\n]/g, ' '));

/** A well-formed line with one character replaced (mutated input). */
function mutated(line: string): fc.Arbitrary<string> {
  return fc.tuple(fc.nat({ max: Math.max(0, line.length - 1) }), fc.string({ minLength: 1, maxLength: 1 })).map(([at, char]) =>
    (line.slice(0, at) + char + line.slice(at + 1)).replace(/[\r\n]/g, ' '),
  );
}

/**
 * Interleaves junk (random and mutated) lines between good ones; returns the text and the line numbers of the
 * good lines, which must all yield records.
 */
function mixed(header: string[], good: string[]): fc.Arbitrary<{ text: string; goodLines: number[] }> {
  const junk = fc.oneof(junkLine, ...good.map(mutated));
  return fc.array(fc.array(junk, { maxLength: 3 }), { minLength: good.length, maxLength: good.length }).map((gaps) => {
    const lines = [...header];
    const goodLines: number[] = [];
    good.forEach((line, index) => {
      lines.push(...(gaps[index] ?? []));
      lines.push(line);
      goodLines.push(lines.length);
    });
    return { text: lines.join('\n') + '\n', goodLines };
  });
}

async function neverLoses(format: SourceFormat, header: string[], good: string[]): Promise<void> {
  await fc.assert(
    fc.asyncProperty(mixed(header, good), async ({ text, goodLines }) => {
      const out = await run(format, text);
      for (const line of goodLines) expect(out.recordLines).toContain(line);
    }),
    RUNS,
  );
}

async function neverThrows(format: SourceFormat, seed: string): Promise<void> {
  const inputs = fc.oneof(fc.string({ maxLength: 400 }), mutated(seed), fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')));
  await fc.assert(
    fc.asyncProperty(inputs, async (text) => {
      const out = await run(format, text);
      expect(out.records.length + out.rejects.length + out.ignored.length).toBeGreaterThanOrEqual(0);
    }),
    RUNS,
  );
}

const lines = (name: string): string[] => fixture(name).split('\n').filter((line) => line !== '');

describe('property: random and mutated input never throws', () => {
  const cases: ReadonlyArray<readonly [SourceFormat, string]> = [
    [awsVpcFlowFormat, 'aws-vpc-custom.log'],
    [azureNsgFlowFormat, 'nsg-flow-v2.json'],
    [azureNsgAnalyticsFormat, 'nsg-analytics.csv'],
    [cefSyslogFormat, 'cef-syslog.log'],
    [cefExportFormat, 'csl-export.csv'],
    [suricataEveFormat, 'suricata-eve.json'],
    [nfdumpCsvFormat, 'nfdump.csv'],
  ];
  it.each(cases.map(([format, seed]) => [format.name, format, seed] as const))('%s', async (_name, format, seed) => {
    await neverThrows(format, fixture(seed));
  });
});

describe('property: well-formed records among junk lines are never lost', () => {
  it('aws-vpc (default format)', () => neverLoses(awsVpcFlowFormat, [], lines('aws-vpc-default.log').filter((_, i) => [0, 2, 4].includes(i))));
  it('aws-vpc (custom header)', () => neverLoses(awsVpcFlowFormat, lines('aws-vpc-custom.log').slice(0, 1), lines('aws-vpc-custom.log').slice(1, 4)));
  it('cef-syslog', () => neverLoses(cefSyslogFormat, [], lines('cef-syslog.log').filter((_, i) => [0, 2, 5, 6, 7, 12].includes(i))));
  it('suricata-eve', () => neverLoses(suricataEveFormat, [], lines('suricata-eve.json').filter((_, i) => [0, 2, 4].includes(i))));
  it('nfdump-csv', () => neverLoses(nfdumpCsvFormat, lines('nfdump.csv').slice(0, 1), lines('nfdump.csv').slice(1, 4)));

  it('azure-nsg-flow: good tuples survive junk tuples beside them', async () => {
    const good = ['1709542801,10.0.5.21,10.0.1.10,51234,445,T,I,A,B,,,,', '1709543160,10.0.5.21,10.0.1.10,51234,445,T,I,A,E,8,2210,6,1830'];
    const tuples = fc.array(fc.oneof(fc.string({ maxLength: 60 }), ...good.map(mutated)), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(tuples, tuples, async (before, after) => {
        const all = [...before, ...good, ...after];
        const blob = JSON.stringify({ records: [{ category: 'NetworkSecurityGroupFlowEvent', resourceId: '/x', properties: { Version: 2, flows: [{ rule: 'r', flows: [{ mac: 'm', flowTuples: all }] }] } }] });
        const out = await run(azureNsgFlowFormat, blob);
        expect(out.records.length + out.rejects.length).toBe(all.length);
        for (const tuple of good) expect(out.records.some((record) => record.EventStartTime === Number(tuple.split(',')[0]) * 1_000_000)).toBe(true);
      }),
      RUNS,
    );
  });

  const csvCell = (text: string): string => `"${text.replace(/"/g, '""')}"`;
  const csvJunkRow = (columns: number): fc.Arbitrary<string> =>
    fc.array(fc.string({ maxLength: 20 }), { minLength: columns, maxLength: columns }).map((cells) => cells.map(csvCell).join(','));

  it.each([
    ['azure-nsg-analytics', azureNsgAnalyticsFormat, 'nsg-analytics.csv', [1, 2]],
    ['cef-csl-export', cefExportFormat, 'csl-export.csv', [1, 2, 3]],
  ] as const)('%s: good rows survive junk rows', async (_name, format, file, goodIndexes) => {
    const all = lines(file);
    const header = all[0] ?? '';
    const columns = header.split(',').length;
    const good = all.filter((_, index) => (goodIndexes as readonly number[]).includes(index));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(csvJunkRow(columns), { maxLength: 2 }), { minLength: good.length, maxLength: good.length }), async (gaps) => {
        const rows = [header];
        const goodLines: number[] = [];
        good.forEach((row, index) => {
          rows.push(...(gaps[index] ?? []));
          rows.push(row);
          goodLines.push(rows.length);
        });
        const out = await run(format, rows.join('\n') + '\n');
        for (const line of goodLines) expect(out.recordLines).toContain(line);
      }),
      RUNS,
    );
  });
});
