/** String functions. Strings are never null: every result here is "" where Kusto has no value. */
import { arg, constantNumber, constantString, sqlArg, type SqlTemplate } from '../sql/template.js';
import { convertSql, toStringSql } from './conversions.js';
import { scalar, type ScalarFunction } from './types.js';

/** trim/trim_start/trim_end(regex, text): repeated matches of a constant regex removed at the ends (trim-function). */
function trimSql(name: string, pattern: (regex: string) => string): SqlTemplate {
  return (a, c) => {
    const regex = constantString(arg(a, 0, c));
    if (regex === undefined) return c.unsupported(`${name}() with a non-constant regex`);
    return c.d.regexReplaceAll(arg(a, 1, c).sql, c.d.string(pattern(regex)), "''");
  };
}

export const STRING_FUNCTIONS: readonly ScalarFunction[] = [
  scalar({ name: 'strcat', sql: (a, c) => (a.length === 0 ? "''" : `(${a.map((x) => toStringSql(x, c)).join(' || ')})`) }),
  scalar({ name: 'strlen', sql: (a, c) => c.d.cast(c.d.length(arg(a, 0, c).sql), 'long') }),
  scalar({
    name: 'substring',
    sql: (a, c) => {
      const s = arg(a, 0, c);
      const start = arg(a, 1, c);
      const length = a[2];
      // 0-based start; a negative start counts from the end ("123456", -2 → "56"); a negative length is 0.
      const start1 = `(CASE WHEN ${start.sql} < 0 THEN greatest(${c.d.length(s.sql)} + ${start.sql}, 0) ELSE ${start.sql} END + 1)`;
      return `coalesce(${c.d.substring(s.sql, start1, length ? `greatest(${length.sql}, 0)` : undefined)}, '')`;
    },
  }),
  scalar({ name: 'tolower', sql: (a, c) => c.d.lower(arg(a, 0, c).sql) }),
  scalar({ name: 'toupper', sql: (a, c) => c.d.upper(arg(a, 0, c).sql) }),
  scalar({ name: 'trim', sql: trimSql('trim', (p) => `^(?:${p})+|(?:${p})+$`) }),
  scalar({ name: 'trim_start', sql: trimSql('trim_start', (p) => `^(?:${p})+`) }),
  scalar({ name: 'trim_end', sql: trimSql('trim_end', (p) => `(?:${p})+$`) }),
  scalar({
    name: 'split',
    sql: (a, c) => {
      const parts = c.d.splitToJson(arg(a, 0, c).sql, arg(a, 1, c).sql);
      const index = a[2];
      if (!index) return parts;
      // With a requested index: an array holding that part, or an empty array when there is none (a negative index
      // names no part: the docs define a zero-based index).
      const element = c.d.jsonElementAt(parts, index.sql);
      return c.d.cast(`CASE WHEN ${index.sql} >= 0 AND ${element} IS NOT NULL THEN '[' || ${c.d.dynamicText(element)} || ']' ELSE '[]' END`, 'dynamic');
    },
  }),
  scalar({ name: 'replace_string', sql: (a, c) => c.d.replaceAll(arg(a, 0, c).sql, arg(a, 1, c).sql, arg(a, 2, c).sql) }),
  scalar({
    name: 'extract',
    // extract(regex, group, text, typeof(T)): the type argument is recorded as its name; the template converts.
    build: (site) => {
      const [regex, group, source, typeNode] = site.argNodes;
      if (!regex || !group || !source) return site.unsupported('extract without three arguments');
      const base = [regex, group, source].map((n) => site.scalar(n));
      if (!typeNode) return { k: 'call', fn: 'extract', type: site.type, args: base };
      const target = site.typeArgument(typeNode);
      if (!target) return site.unsupported('extract with this type argument', typeNode);
      return { k: 'call', fn: 'extract', type: site.type, args: [...base, { k: 'lit', type: 'string', value: target }] };
    },
    sql: (a, c) => {
      const pattern = arg(a, 0, c);
      const group = constantNumber(arg(a, 1, c));
      if (group === undefined || !Number.isInteger(group) || group < 0) return c.unsupported('extract() with a non-constant capture group');
      const text = arg(a, 2, c);
      const extracted = c.d.regexExtract(text.sql, pattern.sql, String(group));
      const target = a[3] ? constantString(a[3]) : 'string';
      if (target === 'string') return `coalesce(${extracted}, '')`;
      // typeof(T): the matched text converted like toint()/toreal()/… would; no match (or a failed conversion) is null.
      const matched = sqlArg(`CASE WHEN ${c.d.regexMatch(text.sql, pattern.sql)} THEN ${extracted} END`, 'string');
      switch (target) {
        case 'int':
        case 'long':
        case 'real':
        case 'bool':
        case 'datetime':
          return convertSql(matched, target, c);
        default:
          return c.unsupported(`extract() converting to ${target ?? 'an unknown type'}`);
      }
    },
  }),
];
