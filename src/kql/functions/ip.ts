/**
 * IPv4 functions (kusto-semantics.md §2, §15 Q5): strict dotted quads, optional /0–/32; anything that is not IPv4
 * gives null, as the docs say for a failed conversion.
 */
import type { Expr } from '../ir.js';
import type { Dialect } from '../sql/dialect.js';
import { arg, constantString, type Arg, type SqlContext } from '../sql/template.js';
import { scalar, type ScalarFunction } from './types.js';

/** IPv4 in strict dotted-quad form (no leading zeros), optional /0–/32 (kusto-semantics.md §15 Q5). */
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const PREFIX = '(?:/(?:3[0-2]|[12]?[0-9]))?';
export const IPV4_PATTERN = `^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}${PREFIX}$`;
/** 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16: first octets, then the remaining two octets and optional prefix. */
export const IPV4_PRIVATE_PATTERN = `^(?:10\\.${OCTET}|172\\.(?:1[6-9]|2[0-9]|3[01])|192\\.168)\\.${OCTET}\\.${OCTET}${PREFIX}$`;

/** Parses a constant IPv4 range `a.b.c.d[/n]` into its first and last address as numbers. */
export function ipv4Range(text: string): { low: number; high: number } | undefined {
  if (!new RegExp(IPV4_PATTERN).test(text)) return undefined;
  const [address = '', prefixText] = text.split('/');
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefix);
  const low = Math.floor(value / size) * size;
  return { low, high: low + size - 1 };
}

/** SQL yielding the numeric value of an IPv4 string (its address part), or NULL when not strictly IPv4. */
function ipv4ToNumber(sql: string, d: Dialect): string {
  const address = d.regexExtract(sql, d.string('^([0-9.]+)'), '1');
  const octet = (i: number): string => d.cast(d.regexExtract(address, d.string(`^(?:[0-9]+\\.){${i}}([0-9]+)`), '1'), 'long');
  return `CASE WHEN ${d.regexMatch(sql, d.string(IPV4_PATTERN))} THEN (${octet(0)} * 16777216 + ${octet(1)} * 65536 + ${octet(2)} * 256 + ${octet(3)}) END`;
}

/** SQL of the prefix length of a strict IPv4[/n] string: n, or 32 without a suffix. */
function ipv4PrefixLength(sql: string, d: Dialect): string {
  return `CASE WHEN ${d.regexMatch(sql, d.string('/'))} THEN ${d.tryCast(d.regexExtract(sql, d.string('/([0-9]+)$'), '1'), 'long')} ELSE 32 END`;
}

/** The ranges of ipv4_is_in_any_range: string arguments and the strings of constant dynamic arrays. */
function rangeArguments(args: readonly Arg[], c: SqlContext): Arg[] {
  return args.flatMap((a) => {
    if (a.e.type !== 'dynamic') return [a];
    if (a.e.k !== 'lit' || !Array.isArray(a.e.value)) return c.unsupported('ipv4_is_in_any_range() over a computed dynamic array');
    return a.e.value.map((v) => {
      const e: Expr = { k: 'lit', type: 'string', value: typeof v === 'string' ? v : null };
      return { e, sql: typeof v === 'string' ? c.d.string(v) : c.d.typedNull('string') };
    });
  });
}

/**
 * `ip` in any of `ranges` (a.b.c.d[/n]); null when the address or any range is not IPv4 (the docs: "null if
 * conversion for one of the two IPv4 strings wasn't successful"). Constant ranges are checked here and become
 * numeric BETWEEN tests; computed ones compare the first n bits in SQL.
 */
function ipv4InRanges(ip: Arg, ranges: readonly Arg[], c: SqlContext): string {
  const { d } = c;
  const value = ipv4ToNumber(ip.sql, d);
  const constant = ranges.map((r) => constantString(r));
  if (constant.every((r): r is string => r !== undefined)) {
    const parsed = constant.map(ipv4Range);
    if (parsed.some((r) => r === undefined)) return d.typedNull('bool');
    // ipv4ToNumber is NULL for a non-IPv4 input, so the result is NULL there (Kusto), not false: said explicitly,
    // as an OR of NULLs is false on old ClickHouse servers.
    const anyRange = `(${parsed.map((r) => `(${value} BETWEEN ${r?.low} AND ${r?.high})`).join(' OR ')})`;
    return c.truth ? anyRange : `CASE WHEN ${value} IS NULL THEN NULL ELSE ${anyRange} END`;
  }
  const numbers = ranges.map((r) => ipv4ToNumber(r.sql, d));
  const tests = ranges.map((r, i) => {
    const bits = `(32 - ${ipv4PrefixLength(r.sql, d)})`;
    return `(${d.shiftRight(value, bits)} = ${d.shiftRight(numbers[i] ?? '', bits)})`;
  });
  const unparsed = [value, ...numbers].map((n) => `${n} IS NULL`).join(' OR ');
  return `CASE WHEN ${unparsed} THEN NULL ELSE (${tests.join(' OR ')}) END`;
}

export const IP_FUNCTIONS: readonly ScalarFunction[] = [
  scalar({
    name: 'ipv4_is_private',
    sql: (a, c) => {
      // The private pattern matches only valid IPv4, so it decides alone where null (not IPv4) counts as false;
      // elsewhere the validity test runs only for the addresses that are not private (one regex per private address).
      const ip = arg(a, 0, c);
      const isPrivate = c.d.regexMatch(ip.sql, c.d.string(IPV4_PRIVATE_PATTERN));
      if (c.truth) return isPrivate;
      return `CASE WHEN ${isPrivate} THEN ${c.d.bool(true)} WHEN ${c.d.regexMatch(ip.sql, c.d.string(IPV4_PATTERN))} THEN ${c.d.bool(false)} END`;
    },
  }),
  scalar({ name: 'ipv4_is_in_range', sql: (a, c) => ipv4InRanges(arg(a, 0, c), [arg(a, 1, c)], c) }),
  scalar({
    name: 'ipv4_is_in_any_range',
    sql: (a, c) => {
      const ranges = rangeArguments(a.slice(1), c);
      // No ranges at all (an empty array): nothing can contain the address.
      if (ranges.length === 0) return `CASE WHEN ${ipv4ToNumber(arg(a, 0, c).sql, c.d)} IS NOT NULL THEN ${c.d.bool(false)} END`;
      return ipv4InRanges(arg(a, 0, c), ranges, c);
    },
  }),
  scalar({
    name: 'ipv4_is_match',
    sql: (a, c) => {
      const { d } = c;
      const x = arg(a, 0, c);
      const y = arg(a, 1, c);
      const prefix = a[2];
      // The first `bits` bits must match: the smallest of the prefix argument (default 32) and each side's own /n.
      // A prefix outside 0–32 (or null) gives null, like an address that is not IPv4.
      const requested = prefix ? prefix.sql : '32';
      const effective = d.least([requested, ipv4PrefixLength(x.sql, d), ipv4PrefixLength(y.sql, d)]);
      const shift = `(32 - ${effective})`;
      const test = `(${d.shiftRight(ipv4ToNumber(x.sql, d), shift)} = ${d.shiftRight(ipv4ToNumber(y.sql, d), shift)})`;
      return prefix ? `CASE WHEN ${requested} BETWEEN 0 AND 32 THEN ${test} END` : test;
    },
  }),
];
