import { describe, expect, it } from 'vitest';
import { compileKql, runCompiled } from '../../src/kql/compile.js';
import { openMemoryDuckDb } from '../../src/kql/memory-duckdb.js';
import { ChdbEngine } from '../../src/store/chdb.js';

const now = Date.UTC(2024, 0, 15) * 1000;
const queries = [
  'print a = 1/2, b = 1.0/2, c = 10m / 1s, d = now() - ago(1h), e = tostring(int(null)), f = bin(now(), 1h), g = abs(-3)',
  'datatable(ival:int, sval:string)[5,"a",int(null),"b"] | where ival != 5',
  'datatable(s:string)["KustoExplorerQueryRun", "a Explorer b", "x-445", "1445"] | extend h = s has "explorer", c = s contains "Explorer", p = s has_any ("445")',
  'print p1 = ipv4_is_private("10.1.2.3"), p2 = ipv4_is_private("192.168.1.1/24"), p3 = ipv4_is_private("8.8.8.8"), p4 = ipv4_is_private("::1"), p5 = ipv4_is_private("")',
  'datatable(k:string, v:long)["a",1,"a",2,"b",3] | summarize c = count(), s = sum(v), a = avg(v), ss = make_set(v) by k',
  'datatable(k:string, v:long)["a",1,"b",3] | join kind=inner (datatable(k:string, w:long)["a",10]) on k',
];

describe('smoke', () => {
  it('runs on both engines', async () => {
    const duck = await openMemoryDuckDb();
    const ch = ChdbEngine.open();
    try {
      for (const q of queries) {
        const d = compileKql(q, { engine: 'duckdb', now });
        const c = compileKql(q, { engine: 'clickhouse', now });
        let dr, cr;
        try { dr = await runCompiled(d, duck); } catch (e) { console.log('DUCK FAIL', q, d.sql, String(e)); continue; }
        try { cr = await runCompiled(c, ch); } catch (e) { console.log('CH FAIL', q, c.sql, String(e)); continue; }
        console.log(q, '\n  duck', JSON.stringify(dr.rows), '\n  ch  ', JSON.stringify(cr.rows));
        expect(JSON.stringify([...dr.rows].map(r=>JSON.stringify(r)).sort())).toEqual(JSON.stringify([...cr.rows].map(r=>JSON.stringify(r)).sort()));
      }
    } finally {
      duck.close();
      ch.close();
    }
  });
});
