import { describe, expect, it } from 'vitest';
import { sampleOfBuffer } from '../../../src/sources/input.js';
import { NETWORK_FORMATS } from '../../../src/sources/network/index.js';
import { SOURCE_FORMATS } from '../../../src/sources/registry.js';
import { fixture, run } from './helpers.js';

/** Each fixture and the one format that must read it. */
const EXPECTED: ReadonlyArray<readonly [string, string]> = [
  ['aws-vpc-default.log', 'aws-vpc'],
  ['aws-vpc-custom.log', 'aws-vpc'],
  ['nsg-flow-v2.json', 'azure-nsg-flow'],
  ['nsg-analytics.csv', 'azure-nsg-analytics'],
  ['nsg-analytics.json', 'azure-nsg-analytics'],
  ['cef-syslog.log', 'cef-syslog'],
  ['csl-export.csv', 'cef-csl-export'],
  ['suricata-eve.json', 'suricata-eve'],
  ['nfdump.csv', 'nfdump-csv'],
];

describe('content-based detection', () => {
  it.each(EXPECTED)('%s is read by %s, first in the whole registry, with a reason', (file, name) => {
    const sample = sampleOfBuffer(fixture(file));
    const chosen = SOURCE_FORMATS.find((format) => format.sniff(sample).verdict === 'match');
    expect(chosen?.name).toBe(name);
    const verdict = chosen?.sniff(sample);
    expect(verdict?.verdict === 'match' && verdict.reason.length > 10).toBe(true);
  });

  it.each(EXPECTED)('%s: every other network format says no', (file, name) => {
    const sample = sampleOfBuffer(fixture(file));
    const others = NETWORK_FORMATS.filter((format) => format.name !== name);
    expect(others.map((format) => [format.name, format.sniff(sample).verdict])).toEqual(others.map((format) => [format.name, 'no']));
  });
});

describe('a wrong forced format rejects, naming the field that did not fit', () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ['aws-vpc', 'suricata-eve.json', 'version'],
    ['nfdump-csv', 'aws-vpc-default.log', 'ts'],
    ['cef-syslog', 'aws-vpc-default.log', 'CEF'],
    ['azure-nsg-flow', 'cef-syslog.log', 'records'],
    ['azure-nsg-analytics', 'csl-export.csv', 'FlowType_s'],
    ['cef-csl-export', 'nsg-analytics.csv', 'DeviceVendor'],
    ['suricata-eve', 'nsg-analytics.json', 'event_type'],
  ];
  it.each(cases)('%s on %s → rejects naming %s, no records', async (name, file, field) => {
    const format = NETWORK_FORMATS.find((candidate) => candidate.name === name)!;
    const out = await run(format, fixture(file));
    expect(out.records).toHaveLength(0);
    expect(out.rejects.length).toBeGreaterThan(0);
    expect(out.rejects.some((event) => event.field === field)).toBe(true);
  });
});
