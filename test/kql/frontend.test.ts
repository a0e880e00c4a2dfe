/** Front end and IR: Kusto's diagnostics with position and caret, unsupported constructs named, IR shapes. */
import { describe, expect, it } from 'vitest';
import { buildQuery } from '../../src/kql/build.js';
import { KqlError, UNSUPPORTED, formatDiagnostic, lineAndColumn } from '../../src/kql/errors.js';
import type { Rel } from '../../src/kql/ir.js';
import { withoutSpans } from '../../src/kql/ir-walk.js';

/** An IR value without its source positions, to compare by meaning. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value, withoutSpans)) as unknown;

const now = Date.UTC(2024, 2, 15) * 1000;
const DAY = 86_400_000_000;

function errorOf(text: string): KqlError {
  try {
    buildQuery(text, { now });
  } catch (error) {
    if (error instanceof KqlError) return error;
    throw error;
  }
  throw new Error('expected a KqlError');
}

describe('diagnostics', () => {
  it('reports an unknown column as Kusto does, with line, column and a caret under the name', () => {
    const error = errorOf('ASimNetworkSessionLogs\n| where NoSuchColumn == 1');
    expect(error.diagnostics[0]?.code).toBe('KS142');
    expect(error.message).toContain("line 2, column 9: The name 'NoSuchColumn' does not refer to any known column");
    expect(error.message).toContain('  | where NoSuchColumn == 1\n          ^^^^^^^^^^^^');
  });

  it('reports an unknown named argument of the ASIM function', () => {
    const error = errorOf('_Im_NetworkSession(nosuch=1)');
    expect(error.diagnostics.map((d) => d.code)).toContain('KS196');
  });

  it('names an unsupported construct and points at it', () => {
    const error = errorOf('print x = dynamic({"a": 1})\n| evaluate bag_unpack(x)');
    expect(error.diagnostics[0]?.code).toBe(UNSUPPORTED);
    expect(error.message).toContain("operator 'evaluate' is not supported");
    expect(error.message).toContain('line 2, column 3');
  });

  it('refuses an unsupported function by name', () => {
    expect(errorOf('print x = base64_encode_tostring("a")').message).toContain("function 'base64_encode_tostring' is not supported");
  });

  it('computes 1-based line and column and clamps the caret to the line', () => {
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(formatDiagnostic('abc', { code: 'X', message: 'm', start: 2, length: 10 })).toBe('X line 1, column 3: m\n  abc\n    ^');
  });
});

function find(rel: Rel, k: Rel['k']): Rel[] {
  const here = rel.k === k ? [rel] : [];
  const inputs = rel.k === 'join' ? [rel.left, rel.right] : rel.k === 'union' ? rel.inputs : 'input' in rel ? [rel.input] : [];
  return [...here, ...inputs.flatMap((r) => find(r, k))];
}

describe('IR building', () => {
  it('types the seed rule result and expands both ASIM calls into filtered scans with inclusive bounds', () => {
    const seed = `let starttime = 14d; let endtime = 1d;
      let b = _Im_NetworkSession(starttime=ago(starttime), endtime=ago(endtime)) | summarize Count = count() by SrcIpAddr, DstPortNumber;
      let r = _Im_NetworkSession(starttime=ago(endtime)) | summarize RecentCount = count() by SrcIpAddr, DstPortNumber;
      b | join kind=inner (r) on SrcIpAddr, DstPortNumber | extend Deviation = abs(RecentCount - Count) / Count`;
    const { rel } = buildQuery(seed, { now });
    expect(rel.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'SrcIpAddr:string', 'DstPortNumber:int', 'Count:long', 'SrcIpAddr1:string', 'DstPortNumber1:int', 'RecentCount:long', 'Deviation:long',
    ]);
    const filters = find(rel, 'filter');
    expect(plain(filters.map((f) => (f.k === 'filter' ? f.predicate : null)))).toEqual([
      {
        k: 'call', fn: 'and', type: 'bool', args: [
          { k: 'call', fn: 'ge', type: 'bool', args: [{ k: 'col', name: 'TimeGenerated', type: 'datetime' }, { k: 'lit', type: 'datetime', value: now - 14 * DAY }] },
          { k: 'call', fn: 'le', type: 'bool', args: [{ k: 'col', name: 'TimeGenerated', type: 'datetime' }, { k: 'lit', type: 'datetime', value: now - DAY }] },
        ],
      },
      { k: 'call', fn: 'ge', type: 'bool', args: [{ k: 'col', name: 'TimeGenerated', type: 'datetime' }, { k: 'lit', type: 'datetime', value: now - DAY }] },
    ]);
    const join = find(rel, 'join')[0];
    expect(join?.k === 'join' && join.kind).toBe('inner');
  });

  it('applies the ASIM parameter filters and leaves defaults out', () => {
    const { rel } = buildQuery(`imNetworkSession(srcipaddr_has_any_prefix=dynamic(["10.0."]), dstportnumber=445, eventresult='Success')`, { now });
    const filter = find(rel, 'filter')[0];
    expect(filter?.k === 'filter' && JSON.stringify(filter.predicate, withoutSpans)).toBe(JSON.stringify({
      k: 'call', fn: 'and', type: 'bool', args: [
        { k: 'call', fn: 'startswith_cs', type: 'bool', args: [{ k: 'col', name: 'SrcIpAddr', type: 'string' }, { k: 'lit', value: '10.0.', type: 'string' }] },
        { k: 'call', fn: 'eq', type: 'bool', args: [{ k: 'col', name: 'DstPortNumber', type: 'int' }, { k: 'lit', value: 445, type: 'long' }] },
        { k: 'call', fn: 'eq', type: 'bool', args: [{ k: 'col', name: 'EventResult', type: 'string' }, { k: 'lit', value: 'Success', type: 'string' }] },
      ],
    }));
    expect(find(buildQuery('_Im_NetworkSession()', { now }).rel, 'filter')).toEqual([]);
    expect(find(buildQuery('ASimNetworkSession(pack=true)', { now }).rel, 'filter')).toEqual([]);
  });

  it('inlines let scalars, user functions with defaults and named arguments, in lexical scope', () => {
    const { rel } = buildQuery('let x = 1; let f = (a:long, b:long = 10) { a * b + x }; print r = f(b = 3, a = 2), s = f(5), x', { now });
    expect(rel.k).toBe('print');
    const items = rel.k === 'print' ? rel.items : [];
    const lits = (e: unknown): unknown[] => JSON.stringify(e).match(/"value":\d+/g) ?? [];
    expect(lits(items[0]?.expr)).toEqual(['"value":2', '"value":3', '"value":1']);
    expect(lits(items[1]?.expr)).toEqual(['"value":5', '"value":10', '"value":1']);
    expect(plain(items[2]?.expr)).toEqual({ k: 'lit', type: 'long', value: 1 });
  });

  it('limits ASIM reads to the look-back window when one is given', () => {
    const { rel } = buildQuery('ASimNetworkSessionLogs | count', { now, lookback: 14 * DAY });
    const filter = find(rel, 'filter')[0];
    expect(JSON.stringify(filter?.k === 'filter' ? filter.predicate : null)).toContain(`"value":${now - 14 * DAY}`);
  });
});
