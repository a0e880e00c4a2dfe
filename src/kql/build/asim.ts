/**
 * ASIM parser semantics: calls to `_Im_NetworkSession(...)` and relatives become a read of the ASIM table with the
 * source parsers' filters (asim-networksession.md §3.1), and every read of the table honours a rule's look-back.
 */
import { ASIM_TABLE } from '../../asim/schema.js';
import { and, call, col, lit, or, type DynamicValue, type Expr, type Rel } from '../ir.js';
import { ASIM_FILTERING_FUNCTIONS, must, textOf, type KNode } from '../kusto.js';
import type { Column } from '../types.js';
import { spanOf, type BuildOptions } from './context.js';

/** A read of the ASIM table, limited to the look-back window when one is set. */
export function asimScan(columns: readonly Column[], options: BuildOptions, node?: KNode): Rel {
  const span = node ? spanOf(node) : undefined;
  const scan: Rel = { k: 'scan', table: ASIM_TABLE, columns, ...(span ? { span } : {}) };
  const { lookback, now } = options;
  if (lookback === undefined) return scan;
  const time = col('TimeGenerated', 'datetime');
  const predicate = and(call('ge', 'bool', time, lit(now - lookback, 'datetime')), call('le', 'bool', time, lit(now, 'datetime')));
  return { k: 'filter', input: scan, columns, predicate };
}

/**
 * The ASIM parsers' filters over the ASIM table. A default argument (null, empty list, '*') adds no filter at all,
 * so the SQL stays as plain as a hand-written query.
 */
export function asimRead(node: KNode, columns: readonly Column[], args: ReadonlyMap<string, Expr>, options: BuildOptions, unsupported: (what: string) => never): Rel {
  const scan = asimScan(columns, options, node);
  const name = node.kind === 'NameReference' ? textOf(node, 'SimpleName') : textOf(must(node, 'Name'), 'SimpleName');
  if (!(ASIM_FILTERING_FUNCTIONS as readonly string[]).includes(name)) return scan;
  const conditions = asimConditions(args, unsupported);
  return conditions.length === 0 ? scan : { k: 'filter', input: scan, columns, predicate: and(...conditions), span: spanOf(node) };
}

/**
 * Filters of `_Im_NetworkSession(...)` as the source parsers implement them. Arguments that are the default
 * literal add nothing; a non-literal argument keeps the parser's null/empty test so it is exact either way.
 */
export function asimConditions(args: ReadonlyMap<string, Expr>, unsupported: (what: string) => never): Expr[] {
  const conditions: Expr[] = [];
  const timeGenerated = col('TimeGenerated', 'datetime');
  const bound = (name: string, fn: 'ge' | 'le'): void => {
    const value = args.get(name);
    if (!value || (value.k === 'lit' && value.value === null)) return;
    const test = call(fn, 'bool', timeGenerated, value);
    conditions.push(value.k === 'lit' ? test : or(call('isnull', 'bool', value), test));
  };
  bound('starttime', 'ge');
  bound('endtime', 'le');

  const list = (name: string): string[] | undefined => {
    const value = args.get(name);
    if (!value) return undefined;
    if (value.k !== 'lit' || (value.value !== null && !Array.isArray(value.value))) return unsupported(`a non-constant '${name}' argument`);
    const items = (value.value ?? []) as DynamicValue[];
    if (items.length === 0) return undefined;
    return items.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  };
  const prefixTest = (column: string, prefixes: string[]): Expr =>
    or(...prefixes.map((p) => call('startswith_cs', 'bool', col(column, 'string'), lit(p, 'string'))));
  const src = list('srcipaddr_has_any_prefix');
  if (src) conditions.push(prefixTest('SrcIpAddr', src));
  const dst = list('dstipaddr_has_any_prefix');
  if (dst) conditions.push(prefixTest('DstIpAddr', dst));
  const any = list('ipaddr_has_any_prefix');
  if (any) conditions.push(or(prefixTest('SrcIpAddr', any), prefixTest('DstIpAddr', any)));

  const port = args.get('dstportnumber');
  if (port && !(port.k === 'lit' && port.value === null)) {
    const test = call('eq', 'bool', col('DstPortNumber', 'int'), port);
    conditions.push(port.k === 'lit' ? test : or(call('isnull', 'bool', port), test));
  }
  const hostnames = list('hostname_has_any');
  if (hostnames) {
    const values = hostnames.map((h) => lit(h, 'string'));
    conditions.push(or(call('has_any', 'bool', col('DstHostname', 'string'), ...values), call('has_any', 'bool', col('SrcHostname', 'string'), ...values)));
  }
  const actions = list('dvcaction');
  if (actions) conditions.push(call('in', 'bool', col('DvcAction', 'string'), ...actions.map((a) => lit(a, 'string'))));
  const result = args.get('eventresult');
  if (result && !(result.k === 'lit' && result.value === '*')) {
    const test = call('eq', 'bool', col('EventResult', 'string'), result);
    conditions.push(result.k === 'lit' ? test : or(call('eq', 'bool', result, lit('*', 'string')), test));
  }
  return conditions;
}
