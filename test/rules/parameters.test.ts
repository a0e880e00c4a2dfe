import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinRules, parseRule } from '../../src/rules/load.js';
import { applyParameters, ParameterError, parseParameterAssignments, ruleParameters } from '../../src/rules/parameters.js';

const seed = builtinRules()[0]!;
/** Upstream version 1.0.1 of the seed rule, as published (seed-rule.md: only `threshold` and `version` differ). */
const upstream101 = parseRule(
  readFileSync(fileURLToPath(new URL('../fixtures/rules/anomaly-in-smb-traffic-1.0.1.yaml', import.meta.url)), 'utf8'),
  'anomaly-in-smb-traffic-1.0.1.yaml',
);

const query = (text: string) => ({ query: text });

describe('rule parameters', () => {
  it('are the seed rule\'s four top-level scalar lets, typed as seed-rule.md lists them', () => {
    expect(ruleParameters(seed)).toEqual([
      { name: 'threshold', kustoType: 'long', defaultText: '50' },
      { name: 'starttime', kustoType: 'timespan', defaultText: '14d' },
      { name: 'endtime', kustoType: 'timespan', defaultText: '1d' },
      { name: 'SMBPorts', kustoType: 'dynamic', defaultText: 'dynamic(["139", "445"])' },
    ]);
  });

  it('threshold=0.5 turns the 1.0.0 query into the published 1.0.1 query, byte for byte', () => {
    const text = applyParameters(seed, { threshold: '0.5' });
    expect(text).toBe(upstream101.query);
    expect(text.split('\n')[1]).toBe('let threshold = 0.5;');
    expect(upstream101.version).toBe('1.0.1');
  });

  it('no overrides leave the query as written', () => {
    expect(applyParameters(seed, {})).toBe(seed.query);
  });

  it('replace only the literal, keeping comments and the rest of the statement', () => {
    const text = applyParameters(seed, { threshold: '60', endtime: '2d', SMBPorts: '["445"]' });
    const lines = text.split('\n');
    expect(lines[1]).toBe('let threshold = 60;');
    expect(lines[4]).toBe('let endtime = 2d;');
    expect(lines[6]).toBe('let SMBPorts = dynamic(["445"]);');
    expect(lines.filter((line, i) => line !== seed.query.split('\n')[i])).toHaveLength(3);
  });

  it('an unknown name is an error listing the known ones', () => {
    expect(() => applyParameters(seed, { Threshold: '1' })).toThrow(
      new ParameterError('unknown parameter "Threshold"; this rule\'s parameters are: threshold, starttime, endtime, SMBPorts'),
    );
  });

  it('values must fit the let\'s type', () => {
    expect(() => applyParameters(seed, { threshold: 'high' })).toThrow('parameter "threshold" is long (50); expected a number, got "high"');
    expect(() => applyParameters(seed, { starttime: '14' })).toThrow('parameter "starttime" is timespan (14d); expected a timespan');
    // SMBPorts is an array of strings (matched as text): another shape would fail inside the rule's query.
    const smbPorts = (value: string): string => `SMBPorts is a dynamic array of strings, e.g. '${value}' (default dynamic(["139", "445"]))`;
    expect(() => applyParameters(seed, { SMBPorts: '445' })).toThrow(new ParameterError(`${smbPorts('["445"]')}; got "445"`));
    expect(() => applyParameters(seed, { SMBPorts: '445,139' })).toThrow(new ParameterError(`${smbPorts('["445","139"]')}; got "445,139"`));
    expect(() => applyParameters(seed, { SMBPorts: '[445]' })).toThrow(new ParameterError(`${smbPorts('["445"]')}; got "[445]"`));
    expect(() => applyParameters(seed, { SMBPorts: '[445' })).toThrow(new ParameterError(`${smbPorts('["445"]')}; got "[445"`));
    expect(applyParameters(seed, { SMBPorts: 'dynamic(["445"])' })).toContain('let SMBPorts = dynamic(["445"]);');
    // A dynamic let that is not an array takes any JSON.
    expect(applyParameters(query('let bag = dynamic({"a": 1});\nprint bag'), { bag: '[1]' })).toContain('let bag = dynamic([1]);');
    expect(() => applyParameters(query('let bag = dynamic({"a": 1});\nprint bag'), { bag: '{' })).toThrow('parameter "bag" is dynamic');
  });

  it('per type: int, real (kept real), bool, string (escaped), datetime, timespan forms', () => {
    const text = [
      'let i = int(5);',
      'let r = 0.25;',
      'let b = false;',
      'let s = "a;b"; // a semicolon inside a string does not end the statement',
      'let t = datetime(2024-01-01);',
      'let span = time(1.00:00:00);',
      'print i, r, b, s, t, span',
    ].join('\n');
    expect(ruleParameters(query(text)).map((p) => [p.name, p.kustoType, p.defaultText])).toEqual([
      ['i', 'int', 'int(5)'],
      ['r', 'real', '0.25'],
      ['b', 'bool', 'false'],
      ['s', 'string', '"a;b"'],
      ['t', 'datetime', 'datetime(2024-01-01)'],
      ['span', 'timespan', 'time(1.00:00:00)'],
    ]);
    const applied = applyParameters(query(text), { i: '7', r: '1', b: 'TRUE', s: 'x"y\\z', t: '2024-03-04T05:06:07Z', span: '36h' });
    expect(applied.split('\n').slice(0, 6)).toEqual([
      'let i = int(7);',
      'let r = 1.0;',
      'let b = true;',
      'let s = "x\\"y\\\\z"; // a semicolon inside a string does not end the statement',
      'let t = datetime(2024-03-04T05:06:07Z);',
      'let span = 36h;',
    ]);
    expect(() => applyParameters(query(text), { i: '1.5' })).toThrow('parameter "i" is int (int(5)); expected a whole number within 32 bits');
    expect(() => applyParameters(query(text), { b: 'yes' })).toThrow('expected true or false');
    expect(() => applyParameters(query(text), { t: 'yesterday' })).toThrow('expected an ISO 8601 date-time');
    expect(() => applyParameters(query(text), { s: 'line\nbreak' })).toThrow('string parameters cannot hold control characters');
  });

  it('are only top-level lets of one literal: not expressions, tabular lets, nested lets, comments or strings', () => {
    const text = [
      '// let commented = 1;',
      'let a = ago(1d);',
      'let sum = 1 + 2;',
      'let f = (x:long) { let inner = 3; x + inner };',
      'let T = datatable(n:long)[1, 2];',
      'let quoted = @"let fake = 4;";',
      'let n = -3; let m = 1e3;',
      'T | extend y = f(n)',
    ].join('\n');
    expect(ruleParameters(query(text)).map((p) => [p.name, p.kustoType, p.defaultText])).toEqual([
      ['quoted', 'string', '@"let fake = 4;"'],
      ['n', 'long', '-3'],
      ['m', 'real', '1e3'],
    ]);
  });
});

describe('--param NAME=VALUE', () => {
  it('splits at the first =', () => {
    expect(parseParameterAssignments(['threshold=0.5', 'filter=a=b'])).toEqual({ threshold: '0.5', filter: 'a=b' });
  });

  it('rejects an assignment without a name', () => {
    expect(() => parseParameterAssignments(['threshold'])).toThrow('--param needs NAME=VALUE; got "threshold"');
    expect(() => parseParameterAssignments(['=1'])).toThrow('--param needs NAME=VALUE');
  });
});
