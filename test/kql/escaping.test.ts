/**
 * No user text reaches SQL unescaped: hostile string literals, identifiers and dynamic values go through the
 * dialects' literal writers, and come back unchanged from both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileKql, runCompiled } from '../../src/kql/compile.js';
import { openMemoryDuckDb, type MemoryDuckDb } from '../../src/kql/memory-duckdb.js';
import { clickhouse } from '../../src/kql/sql/clickhouse.js';
import { duckdb } from '../../src/kql/sql/duckdb.js';
import { ChdbEngine } from '../../src/store/chdb.js';

const HOSTILE = [
  "'; DROP TABLE x; --",
  "\\'); SELECT 1; --",
  'back\\slash \\\\ and \\x41 and \\n',
  '"double" `back` tick',
  'line\nbreak\ttab\rcr',
  'ünïcödé ✓ 𝄞',
  '\u0001\u001f control',
  "a''b",
];

/** A KQL string literal for any text (verbatim form; a quote is doubled). */
const kqlString = (s: string): string => (/[\r\n]/.test(s) ? JSON.stringify(s) : `@"${s.replace(/"/g, '""')}"`);

let duck: MemoryDuckDb;
let ch: ChdbEngine;
beforeAll(async () => {
  duck = await openMemoryDuckDb();
  ch = ChdbEngine.open();
});
afterAll(() => {
  duck?.close();
  ch?.close();
});

describe('dialect literal writers', () => {
  it('DuckDB doubles quotes and splices control characters with chr()', () => {
    expect(duckdb.string("a'b")).toBe("'a''b'");
    expect(duckdb.string('a\u0001b')).toBe("('a' || chr(1) || 'b')");
    expect(duckdb.ident('a"b')).toBe('"a""b"');
  });
  it('ClickHouse escapes backslashes, quotes and control characters', () => {
    expect(clickhouse.string("a'b\\c\u0001")).toBe("'a\\'b\\\\c\\x01'");
    expect(clickhouse.ident('a`b')).toBe('`a\\`b`');
  });
});

describe('hostile text round-trips through both engines', () => {
  for (const engine of ['duckdb', 'clickhouse'] as const) {
    it(`string literals, column names and dynamic values on ${engine}`, async () => {
      const runner = engine === 'duckdb' ? duck : ch;
      for (const text of HOSTILE) {
        if (text.includes('\r') && text.includes('"')) continue;
        const columnName = `['${text.replace(/[\\'\r\n\t\u0000-\u001f]/g, '_')}']`;
        const kql = `print ${columnName} = ${kqlString(text)}, d = dynamic([${JSON.stringify(text)}]), h = ${kqlString(text)} has ${kqlString(text.replace(/[^A-Za-z]/g, '').slice(0, 4) || 'a')}`;
        const compiled = compileKql(kql, { engine, now: 0 });
        const result = await runCompiled(compiled, runner);
        expect(result.rows[0]?.[0], `${engine}: ${JSON.stringify(text)}`).toBe(text);
        expect(result.rows[0]?.[1]).toEqual([text]);
        expect(result.columns[0]?.name).toBe(columnName.slice(2, -2));
      }
    });
  }

  it('matches regex metacharacters in has terms literally', async () => {
    for (const engine of ['duckdb', 'clickhouse'] as const) {
      const runner = engine === 'duckdb' ? duck : ch;
      const compiled = compileKql('print a = "x a.b y" has "a.b", b = "x axb y" has "a.b", c = "(a)" has "(a)", d = "a+" has_any ("a+", ".*")', { engine, now: 0 });
      expect((await runCompiled(compiled, runner)).rows, engine).toEqual([[true, false, true, true]]);
    }
  });
});
