/**
 * Text tables: measured in one pass (a large result must not overflow the call stack), long cells cut with …,
 * empty columns left out on request, fitted to a width — every expectation worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { cutText, fitTable, renderTable, tableNotes } from '../../src/util/table.js';

describe('renderTable', () => {
  it('aligns columns two spaces apart, numbers to the right, without trailing spaces', () => {
    const text = renderTable(['name', 'n'], [['a', '1'], ['bbb', '22']], ['left', 'right']);
    expect(text).toBe(['name   n', '----  --', 'a      1', 'bbb   22'].join('\n'));
  });

  it('renders 200,000 rows (widths by a loop: spreading them into Math.max overflowed the stack)', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [String(i), i === 123_456 ? 'longest value' : 'x']);
    const lines = renderTable(['id', 'value'], rows).split('\n');
    expect(lines).toHaveLength(200_002);
    // id: the widest is "199999" (6); value: "longest value" (13).
    expect(lines[0]).toBe('id      value');
    expect(lines[1]).toBe('------  -------------');
    expect(lines[123_458]).toBe('123456  longest value');
  });

  it('shows control characters in a cell as spaces, so a line break cannot break the table', () => {
    expect(renderTable(['a', 'b'], [['x\ny', 'z\tw']])).toBe(['a    b', '---  ---', 'x y  z w'].join('\n'));
  });
});

describe('cutText', () => {
  it('cuts with … keeping the start, or the end', () => {
    expect(cutText('abcdefgh', 5)).toBe('abcd…');
    expect(cutText('/var/log/conn.log', 10, 'end')).toBe('…/conn.log');
    expect(cutText('short', 5)).toBe('short');
    expect(cutText('abc', 1)).toBe('…');
  });
});

describe('fitTable', () => {
  const headers = ['time', 'src', 'empty', 'note'];
  const rows = [
    ['2024-03-15', '10.0.0.1', '', 'a rather long note that goes on'],
    ['2024-03-16', '10.0.0.22', '', 'short'],
  ];

  it('cuts cells longer than maxCellWidth and says so', () => {
    const table = fitTable(headers, rows, { maxCellWidth: 12 });
    // note: natural 31, limited to 12 → "a rather lo…"; before it: time (10), src (9) and empty (5, its header), 2 apart.
    expect(table.text.split('\n')[2]).toBe(`2024-03-15  10.0.0.1${' '.repeat(10)}a rather lo…`);
    expect(table.cut).toBe(true);
    expect(tableNotes(table)).toEqual(['(long values cut with …; --wide or another --output shows them whole)']);
  });

  it('leaves out columns with nothing in them, and names them', () => {
    const table = fitTable(headers, rows, { dropEmptyColumns: true });
    expect(table.text.split('\n')[0]).toBe('time        src        note');
    expect(table.emptyColumns).toEqual(['empty']);
    expect(tableNotes(table)).toEqual(['(1 empty column not shown: empty; --wide shows them)']);
    // Without rows no column counts as empty: the headers say what the result would hold.
    expect(fitTable(headers, [], { dropEmptyColumns: true }).emptyColumns).toEqual([]);
  });

  it('fits a width by narrowing the widest column first', () => {
    // Natural widths 10, 9, 31 (empty dropped) + 2 gaps of 2 = 54; at width 40 the note column gets 40 − 10 − 9 − 4 = 17.
    const table = fitTable(headers, rows, { dropEmptyColumns: true, width: 40 });
    const lines = table.text.split('\n');
    expect(lines[2]).toBe('2024-03-15  10.0.0.1   a rather long no…');
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(40);
    expect(table.overflowColumns).toEqual([]);
  });

  it('narrows several columns to one cap, never below 8 characters, then leaves out columns from the right', () => {
    const wide = ['a'.repeat(20), 'b'.repeat(20), 'c'.repeat(20)];
    // Width 50: cap c with 3·min(20, c) + 4 ≤ 50 → c = 15; 45 + 4 = 49, the spare character goes to the first column.
    const fitted = fitTable(['x', 'y', 'z'], [wide], { width: 50 });
    expect(fitted.text.split('\n')[2]).toBe(`${'a'.repeat(15)}…  ${'b'.repeat(14)}…  ${'c'.repeat(14)}…`);
    // Width 20: even at 8 each the three need 28; two need 18 and fit at a cap of 9 (9 + 9 + 2 = 20).
    const narrow = fitTable(['x', 'y', 'z'], [wide], { width: 20 });
    expect(narrow.text.split('\n')[2]).toBe(`${'a'.repeat(8)}…  ${'b'.repeat(8)}…`);
    expect(narrow.overflowColumns).toEqual(['z']);
    expect(tableNotes(narrow)).toContain('(1 column did not fit the width: z; use project, or --wide)');
  });
});
