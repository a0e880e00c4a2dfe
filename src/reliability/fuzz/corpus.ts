/**
 * The fuzzer's seed corpus: for every source format, real or hand-written content it reads (the repository's
 * fixtures), cut into units (lines, CSV records, JSON array elements, XML events) around a fixed head and
 * tail. Mutated units are put back between valid ones, so a document stays recognisable as its format.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { JsonElementSplitter } from '../../sources/windows/json-stream.js';

export type Family = 'zeek' | 'windows' | 'network' | 'asim';
export const FAMILIES: readonly Family[] = ['zeek', 'windows', 'network', 'asim'];

/**
 * How a format's content is framed into units: the fuzzer keeps that framing when it assembles a document,
 * and the differential check knows when a mutation broke it (an unclosed quote or bracket legitimately runs
 * on into the next unit).
 */
export type Framing = 'lines' | 'csv' | 'json-elements' | 'xml-events';

export interface Template {
  readonly format: string;
  readonly family: Family;
  readonly fixture: string;
  readonly framing: Framing;
  readonly head: Buffer;
  readonly units: readonly Buffer[];
  readonly separator: Buffer;
  readonly tail: Buffer;
  /** Mutated units must not start with this (a Zeek `#` line is a header that changes how later lines read). */
  readonly reservedPrefix?: string;
}

interface Seed {
  readonly format: string;
  readonly family: Family;
  readonly fixture: string;
  readonly framing: Framing;
  /** For line framing: how many leading lines are a header (not mutated). */
  readonly headLines?: number;
  readonly reservedPrefix?: string;
  readonly maxUnits?: number;
  /** For line framing: lines from the first one matching this on are the tail (nfdump's closing summary). */
  readonly tailFrom?: RegExp;
}

const SEEDS: readonly Seed[] = [
  { format: 'zeek-tsv', family: 'zeek', fixture: 'zeek/conn-basic.log', framing: 'lines', reservedPrefix: '#' },
  { format: 'zeek-tsv', family: 'zeek', fixture: 'real/stratosphere/008-zeek-mixed_conn.log.labeled', framing: 'lines', reservedPrefix: '#', maxUnits: 400 },
  { format: 'zeek-json', family: 'zeek', fixture: 'zeek/conn-dotted.json', framing: 'lines' },
  { format: 'zeek-json', family: 'zeek', fixture: 'zeek/conn-streaming.json', framing: 'lines' },
  { format: 'zeek-json', family: 'zeek', fixture: 'zeek/conn-flattened.json', framing: 'lines' },
  { format: 'zeek-json', family: 'zeek', fixture: 'zeek/mixed-stream.json', framing: 'lines' },
  { format: 'zeek-json', family: 'zeek', fixture: 'real/otrf/apt29-day1-NASHUA_conn.log', framing: 'lines', maxUnits: 400 },
  { format: 'windows-event-xml', family: 'windows', fixture: 'windows/events.xml', framing: 'xml-events' },
  { format: 'windows-events-jsonl', family: 'windows', fixture: 'windows/nxlog-winlogbeat.jsonl', framing: 'lines' },
  { format: 'windows-events-json', family: 'windows', fixture: 'windows/windowsevent-table.json', framing: 'json-elements' },
  { format: 'windows-events-csv', family: 'windows', fixture: 'windows/event-table.csv', framing: 'csv' },
  { format: 'windows-events-csv', family: 'windows', fixture: 'windows/securityevent-table.csv', framing: 'csv' },
  { format: 'sysmon-linux-syslog', family: 'windows', fixture: 'windows/sysmon-linux.log', framing: 'lines' },
  { format: 'defender-network-events-csv', family: 'windows', fixture: 'windows/defender-networkevents.csv', framing: 'csv' },
  { format: 'defender-network-events-json', family: 'windows', fixture: 'windows/defender-networkevents.json', framing: 'json-elements' },
  { format: 'aws-vpc', family: 'network', fixture: 'network/aws-vpc-custom.log', framing: 'lines', headLines: 1 },
  { format: 'aws-vpc', family: 'network', fixture: 'network/aws-vpc-default.log', framing: 'lines', headLines: 1 },
  { format: 'azure-nsg-flow', family: 'network', fixture: 'network/nsg-flow-v2.json', framing: 'json-elements' },
  { format: 'azure-nsg-analytics', family: 'network', fixture: 'network/nsg-analytics.csv', framing: 'csv' },
  { format: 'azure-nsg-analytics', family: 'network', fixture: 'network/nsg-analytics.json', framing: 'json-elements' },
  { format: 'cef-syslog', family: 'network', fixture: 'network/cef-syslog.log', framing: 'lines' },
  { format: 'cef-csl-export', family: 'network', fixture: 'network/csl-export.csv', framing: 'csv' },
  { format: 'suricata-eve', family: 'network', fixture: 'network/suricata-eve.json', framing: 'lines' },
  { format: 'nfdump-csv', family: 'network', fixture: 'network/nfdump.csv', framing: 'lines', headLines: 1, tailFrom: /^Summary/ },
  { format: 'asim-jsonl', family: 'asim', fixture: 'asim/sessions.jsonl', framing: 'lines' },
  { format: 'asim-json-array', family: 'asim', fixture: 'asim/sessions-array.json', framing: 'json-elements' },
  { format: 'asim-csv', family: 'asim', fixture: 'asim/la-export-utc.csv', framing: 'csv' },
];

/** Parquet is binary: its documents are whole mutated files (see parquet.ts), not units. */
export const BINARY_FORMATS: ReadonlyArray<{ format: string; family: Family }> = [{ format: 'asim-parquet', family: 'asim' }];

export function loadTemplates(fixturesDir: string): Template[] {
  return SEEDS.map((seed) => templateOf(seed, readFileSync(join(fixturesDir, seed.fixture))));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function templateOf(seed: Seed, content: Buffer): Template {
  const cut = cutters[seed.framing](content, seed);
  const units = seed.maxUnits ? cut.units.slice(0, seed.maxUnits) : cut.units;
  if (units.length === 0) throw new Error(`fuzz corpus: no units in ${seed.fixture}`);
  return {
    format: seed.format,
    family: seed.family,
    fixture: seed.fixture,
    framing: seed.framing,
    head: Buffer.from(cut.head),
    units: units.map((unit) => Buffer.from(unit)),
    separator: Buffer.from(cut.separator),
    tail: Buffer.from(cut.tail),
    ...(seed.reservedPrefix ? { reservedPrefix: seed.reservedPrefix } : {}),
  };
}

interface Cut {
  head: string;
  units: string[];
  separator: string;
  tail: string;
}

const cutters: Record<Framing, (content: Buffer, seed: Seed) => Cut> = {
  lines(content, seed) {
    const lines = content.toString('utf8').replace(/\n$/, '').split('\n');
    let headCount = seed.headLines ?? 0;
    let tailCount = 0;
    const tailAt = seed.tailFrom ? lines.findIndex((line) => seed.tailFrom!.test(line)) : -1;
    if (tailAt !== -1) tailCount = lines.length - tailAt;
    if (seed.reservedPrefix) {
      const prefix = seed.reservedPrefix;
      while (headCount < lines.length && lines[headCount]!.startsWith(prefix)) headCount++;
      while (tailCount < lines.length - headCount && lines[lines.length - 1 - tailCount]!.startsWith(prefix)) tailCount++;
    }
    const units = lines.slice(headCount, lines.length - tailCount).filter((line) => !(seed.reservedPrefix && line.startsWith(seed.reservedPrefix)));
    return {
      head: lines.slice(0, headCount).map((line) => `${line}\n`).join(''),
      units,
      separator: '\n',
      tail: `\n${lines.slice(lines.length - tailCount).map((line) => `${line}\n`).join('')}`,
    };
  },
  csv(content) {
    const text = content.toString('utf8');
    const records = parseCsv(text, { raw: true, relax_column_count: true, skip_empty_lines: true, bom: true, skip_records_with_error: true }) as unknown as Array<{ raw: string }>;
    const raws = records.map((record) => record.raw.replace(/\r?\n$/, ''));
    return { head: `${raws[0]}\n`, units: raws.slice(1), separator: '\n', tail: '\n' };
  },
  'json-elements'(content) {
    const text = content.toString('utf8');
    const parsed = parseJson(text);
    if (parsed === undefined || Array.isArray(parsed)) {
      // Elements as written (a seed may hold deliberately malformed ones), cut where the reader cuts them.
      const elements = new JsonElementSplitter().push(text).flatMap((piece) => (piece.kind === 'element' ? [piece.text] : []));
      return { head: '[\n', units: elements, separator: ',\n', tail: '\n]\n' };
    }
    if (Array.isArray(parsed)) return { head: '[\n', units: parsed.map((element) => JSON.stringify(element)), separator: ',\n', tail: '\n]\n' };
    const records = (parsed as { records?: unknown[] }).records;
    if (!Array.isArray(records)) throw new Error('fuzz corpus: a JSON seed must be an array or {"records": [...]}');
    return { head: '{"records":[\n', units: records.map((element) => JSON.stringify(element)), separator: ',\n', tail: '\n]}\n' };
  },
  'xml-events'(content) {
    const text = content.toString('utf8');
    const matches = [...text.matchAll(/<Event[\s>][\s\S]*?<\/Event>/g)];
    const first = matches[0]!;
    const last = matches[matches.length - 1]!;
    return {
      head: text.slice(0, first.index),
      units: matches.map((match) => match[0]),
      separator: '\n',
      tail: text.slice(last.index! + last[0].length),
    };
  },
};
