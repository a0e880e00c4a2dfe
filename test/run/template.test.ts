/**
 * The plan template: the IR with now() symbolic gives, at any instant, exactly the SQL a fresh compile gives.
 */
import { describe, expect, it } from 'vitest';
import { compileKql } from '../../src/kql/compile.js';
import { call, lit, type Expr, type Rel } from '../../src/kql/ir.js';
import { buildTemplate, dependsOnNow, instantiate, NotTemplatableError, TEMPLATE_PROBE_SHIFT, templateIr } from '../../src/rules/cache/template.js';
import { builtinRules } from '../../src/rules/load.js';

const DAY = 86_400_000_000;
const T = Date.UTC(2024, 2, 15) * 1000;
const seed = builtinRules()[0]!.query;

describe('a query template', () => {
  it('the seed rule: instantiated at other instants, the SQL equals a fresh compile there (both engines)', () => {
    const template = buildTemplate(seed, T, 14 * DAY);
    for (const at of [T, T + DAY, T - 37 * DAY + 123_456_789, Date.UTC(2031, 0, 1) * 1000]) {
      for (const engine of ['duckdb', 'clickhouse'] as const) {
        expect(instantiate(template, at, engine).sql).toBe(compileKql(seed, { engine, now: at, lookback: 14 * DAY }).sql);
      }
    }
  });

  it('marks exactly the now-relative literals: ago(14d), ago(1d) twice, the look-back bounds', () => {
    const template = buildTemplate(seed, T, 14 * DAY);
    const offsets: number[] = [];
    JSON.stringify(template.ir, (_key, value: unknown) => {
      if (typeof value === 'object' && value !== null && (value as { k?: unknown }).k === 'now') offsets.push((value as { offset: number }).offset);
      return value;
    });
    // Each of the two _Im_NetworkSession reads: the look-back [now-14d, now]; the baseline's [ago(14d), ago(1d)];
    // the recent read's ago(1d).
    expect(offsets.sort((a, b) => a - b)).toEqual([-14 * DAY, -14 * DAY, -14 * DAY, -DAY, -DAY, 0, 0]);
    expect(dependsOnNow(template.ir)).toBe(true);
  });

  it('a fixed datetime stays a constant even when it equals now', () => {
    const text = `datatable(t: datetime)[datetime(2024-03-15T00:00:00Z)] | where t <= now() and t == datetime(2024-03-15T00:00:00Z)`;
    const template = buildTemplate(text, T, DAY);
    expect(JSON.stringify(template.ir).match(/"k":"now"/g)).toHaveLength(1);
    expect(instantiate(template, T + DAY, 'duckdb').sql).toBe(compileKql(text, { engine: 'duckdb', now: T + DAY, lookback: DAY }).sql);
  });

  // Today every fold of now() in the builder is linear (nothing above is refused). These guard the detection
  // itself, on IR pairs as a non-linear fold (startofday, text) or a value JSON cannot keep would produce.
  const at = T;
  const second = at - TEMPLATE_PROBE_SHIFT;
  const printOf = (expr: Expr): Rel => ({ k: 'print', columns: [{ name: 'x', type: expr.type }], items: [{ name: 'x', expr }] });

  it('refuses a datetime that moved by anything but the probe shift (a rounding fold)', () => {
    const day = (t: number) => Math.floor(t / DAY) * DAY;
    expect(() => templateIr(printOf(lit(day(at), 'datetime')), printOf(lit(day(second), 'datetime')), at)).toThrow(NotTemplatableError);
  });

  it('refuses a now() turned into text', () => {
    expect(() => templateIr(printOf(lit(String(at), 'string')), printOf(lit(String(second), 'string')), at)).toThrow(/changes with now/);
  });

  it('refuses a plan whose shape changes with now()', () => {
    const a = printOf(call('add', 'datetime', lit(at, 'datetime'), lit(1, 'timespan')));
    expect(() => templateIr(a, printOf(lit(second, 'datetime')), at)).toThrow(NotTemplatableError);
  });

  it('refuses values JSON cannot keep (NaN), so the cache never changes a plan', () => {
    const nan = printOf(call('add', 'real', lit(Number.NaN, 'real'), lit(at, 'datetime')));
    expect(() => templateIr(nan, printOf(call('add', 'real', lit(Number.NaN, 'real'), lit(second, 'datetime'))), at)).toThrow(/JSON/);
  });

  it('accepts now + c and keeps c', () => {
    expect(templateIr(printOf(lit(at - 5, 'datetime')), printOf(lit(second - 5, 'datetime')), at)).toMatchObject({
      items: [{ expr: { k: 'now', offset: -5 } }],
    });
  });
});
