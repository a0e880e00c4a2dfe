/**
 * Mutations of one unit (a line, a CSV record, a JSON element, an XML event), in the spirit of AFL's havoc
 * stage plus the hostile shapes logs really carry: bit flips, truncation, field shuffles, huge fields, invalid
 * UTF-8, NUL and control bytes, deep JSON nesting, XML entities, extreme numbers and times. Every choice comes
 * from the seeded generator, so a document is reproduced from (seed, format, document number).
 */
import type { Random } from '../../demo/random.js';

export interface Mutation {
  readonly bytes: Buffer;
  /** The mutators applied, for reports. */
  readonly applied: readonly string[];
}

type Mutator = (unit: Buffer, random: Random, donors: readonly Buffer[]) => Buffer;

const INTERESTING_TEXT = [
  '', '-', '(empty)', '0', '-1', '65535', '65536', '-2147483649', '2147483648', '9223372036854775807', '9223372036854775808',
  '-9223372036854775809', '18446744073709551616', '1e308', '1e309', '-1e309', 'NaN', 'Infinity', '-0', '0x1F', '1_000',
  '00000000000000000000000000001', '3.4028236e+38', '4.9e-324', 'true', 'false', 'null', 'undefined', '[]', '{}', '""',
  '1970-01-01T00:00:00Z', '9999-12-31T23:59:59.9999999Z', '0000-00-00T00:00:00', '2024-02-30T25:61:61Z', '-62135596800',
  '253402300800', '1709542800.123456789', '::', '::ffff:10.0.0.1', '256.256.256.256', '10.0.0.1/33', 'fe80::1%eth0',
  '\u202e\u0000', '\ud800', '𝔰𝔪𝔟', 'ＳＭＢ', "'; DROP TABLE smbwatch_sessions; --", '\\', '\\\\"', '%s%n%x', '${jndi:ldap://127.0.0.1/a}',
];
const INVALID_UTF8 = [[0xff], [0xfe], [0xc3], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xf0, 0x9f, 0x98]];
const CONTROL = [0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x0d, 0x1b, 0x7f, 0x09, 0x0a];
const DELIMITERS = ['\t', ',', ' ', '|', '=', ';', ':', '"', "'", '{', '}', '[', ']', '<', '>', '&', '\\', '\r'];
const XML_HOSTILE = [
  '&lol9;',
  '&#0;',
  '&#x110000;',
  '&amp;&lt;&gt;&quot;&apos;',
  '<![CDATA[</Event>]]>',
  '<!-- </Event> -->',
  '<!DOCTYPE Event [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
  '<?xml version="1.0"?>',
  '<Data Name="DestinationPort">&d;</Data>',
  '<Data Name="',
  'xmlns:a="urn:x" a:',
];

function randomSpan(unit: Buffer, random: Random, maxLength = 64): [number, number] {
  const start = random.int(0, unit.length);
  return [start, Math.min(unit.length, start + random.int(0, maxLength))];
}

function insert(unit: Buffer, at: number, extra: Buffer | string): Buffer {
  return Buffer.concat([unit.subarray(0, at), Buffer.isBuffer(extra) ? extra : Buffer.from(extra, 'utf8'), unit.subarray(at)]);
}

function replace(unit: Buffer, start: number, end: number, extra: Buffer | string): Buffer {
  return Buffer.concat([unit.subarray(0, start), Buffer.isBuffer(extra) ? extra : Buffer.from(extra, 'utf8'), unit.subarray(end)]);
}

/** The delimiter the unit uses most, so field-level mutations hit fields. */
function mainDelimiter(unit: Buffer): string {
  const text = unit.toString('latin1');
  let best = ' ';
  let bestCount = 0;
  for (const delimiter of ['\t', ',', '|', ' ', ';']) {
    const count = text.split(delimiter).length - 1;
    if (count > bestCount) [best, bestCount] = [delimiter, count];
  }
  return best;
}

/** Byte ranges of the fields between delimiters (JSON values count as fields too). */
function fieldSpans(unit: Buffer): Array<[number, number]> {
  const delimiter = mainDelimiter(unit).charCodeAt(0);
  const spans: Array<[number, number]> = [];
  let start = 0;
  for (let i = 0; i <= unit.length; i++) {
    if (i === unit.length || unit[i] === delimiter || unit[i] === 0x3a /* : */) {
      spans.push([start, i]);
      start = i + 1;
    }
  }
  return spans;
}

const MUTATORS: Record<string, Mutator> = {
  bitflip(unit, random) {
    const copy = Buffer.from(unit);
    const flips = random.int(1, 8);
    for (let i = 0; i < flips && copy.length > 0; i++) {
      const at = random.int(0, copy.length - 1);
      copy[at] = copy[at]! ^ (1 << random.int(0, 7));
    }
    return copy;
  },
  byteset(unit, random) {
    const copy = Buffer.from(unit);
    if (copy.length > 0) copy[random.int(0, copy.length - 1)] = random.pick([0x00, 0xff, 0x7f, 0x80, 0x20, 0x22, 0x5c, 0x2c, 0x09]);
    return copy;
  },
  truncate(unit, random) {
    return unit.subarray(0, random.int(0, unit.length));
  },
  chopFront(unit, random) {
    return unit.subarray(random.int(0, unit.length));
  },
  deleteSpan(unit, random) {
    const [start, end] = randomSpan(unit, random);
    return replace(unit, start, end, '');
  },
  duplicateSpan(unit, random) {
    const [start, end] = randomSpan(unit, random);
    return insert(unit, random.int(0, unit.length), unit.subarray(start, end));
  },
  shuffleFields(unit, random) {
    const delimiter = mainDelimiter(unit);
    const fields = unit.toString('latin1').split(delimiter);
    return Buffer.from(random.shuffled(fields).join(delimiter), 'latin1');
  },
  dropField(unit, random) {
    const delimiter = mainDelimiter(unit);
    const fields = unit.toString('latin1').split(delimiter);
    fields.splice(random.int(0, fields.length - 1), 1);
    return Buffer.from(fields.join(delimiter), 'latin1');
  },
  extraFields(unit, random) {
    const delimiter = mainDelimiter(unit);
    return Buffer.concat([unit, Buffer.from(delimiter.repeat(random.int(1, 300)) + random.pick(INTERESTING_TEXT))]);
  },
  interestingValue(unit, random) {
    const spans = fieldSpans(unit);
    const [start, end] = random.pick(spans);
    return replace(unit, start, end, random.pick(INTERESTING_TEXT));
  },
  interestingNumber(unit, random) {
    const text = unit.toString('latin1');
    const numbers = [...text.matchAll(/\d+(?:\.\d+)?/g)];
    if (numbers.length === 0) return MUTATORS.interestingValue!(unit, random, []);
    const match = random.pick(numbers);
    return replace(unit, match.index!, match.index! + match[0].length, random.pick(INTERESTING_TEXT.slice(3, 25)));
  },
  hugeField(unit, random) {
    const size = random.pick([4096, 65_536, 70_000, 1 << 20, (1 << 24) + 17]);
    const fill = Buffer.alloc(size, random.pick(['A', '9', '"', '{', '\\', ',', '\t', ' ', '<']));
    const [start, end] = random.pick(fieldSpans(unit));
    return replace(unit, start, end, fill);
  },
  invalidUtf8(unit, random) {
    return insert(unit, random.int(0, unit.length), Buffer.from(random.pick(INVALID_UTF8)));
  },
  controlBytes(unit, random) {
    let out = unit;
    for (let i = random.int(1, 4); i > 0; i--) out = insert(out, random.int(0, out.length), Buffer.from([random.pick(CONTROL)]));
    return out;
  },
  nulBytes(unit, random) {
    return insert(unit, random.int(0, unit.length), Buffer.alloc(random.int(1, 16)));
  },
  delimiter(unit, random) {
    return insert(unit, random.int(0, unit.length), random.pick(DELIMITERS));
  },
  deepJson(unit, random) {
    const depth = random.pick([64, 1000, 10_000, 100_000]);
    const open = random.chance(0.5) ? '[' : '{"a":';
    const close = open === '[' ? ']' : '}';
    const closed = random.chance(0.8);
    const nest = `${open.repeat(depth)}1${closed ? close.repeat(depth) : ''}`;
    const text = unit.toString('latin1');
    const value = /:\s*("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)/.exec(text);
    if (!value) return insert(unit, random.int(0, unit.length), nest);
    const at = value.index + value[0].length - value[1]!.length;
    return replace(unit, at, at + value[1]!.length, nest);
  },
  xmlHostile(unit, random) {
    return insert(unit, random.int(0, unit.length), random.pick(XML_HOSTILE));
  },
  splice(unit, random, donors) {
    const donor = random.pick(donors);
    const cut = random.int(0, unit.length);
    return Buffer.concat([unit.subarray(0, cut), donor.subarray(random.int(0, donor.length))]);
  },
  newline(unit, random) {
    return insert(unit, random.int(0, unit.length), random.pick(['\n', '\r\n', '\r', '\n\n']));
  },
  unicode(unit, random) {
    const [start, end] = random.pick(fieldSpans(unit));
    return replace(unit, start, end, random.pick(['Ａ', '\u200b', '\ufeff', '\u0085', '\u2028', 'ı', 'İ', 'ß', '\u0301', '🙂', '\u00a0']));
  },
};

const NAMES = Object.keys(MUTATORS);
/** Costly mutators (megabytes of output) are drawn rarely. */
const RARE = new Set(['hugeField', 'deepJson']);

export function mutate(unit: Buffer, random: Random, donors: readonly Buffer[]): Mutation {
  let bytes = unit;
  const applied: string[] = [];
  const rounds = random.chance(0.6) ? 1 : random.int(2, 5);
  for (let i = 0; i < rounds; i++) {
    let name = random.pick(NAMES);
    if (RARE.has(name) && !random.chance(0.02)) name = random.pick(NAMES.filter((candidate) => !RARE.has(candidate)));
    bytes = MUTATORS[name]!(bytes, random, donors);
    applied.push(name);
  }
  return { bytes, applied };
}
