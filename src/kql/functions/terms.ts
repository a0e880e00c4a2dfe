/**
 * Kusto's string terms (kusto-semantics.md §1, §15 Q4) as RE2 patterns, shared by `has` and its relatives.
 */
import { regexQuote } from '../sql/dialect.js';
import { constantString, type Arg, type SqlContext } from '../sql/template.js';

/** Term characters: Unicode letters and digits; everything else delimits. */
const DELIMITER = '[^\\p{L}\\p{N}]';

/** A regex (text) matching `term` as a whole term (or a phrase bounded by delimiters) of a string. */
export function termPattern(terms: readonly string[], caseSensitive: boolean, edges: { start: boolean; end: boolean } = { start: true, end: true }): string {
  const alternatives = terms.map(regexQuote).join('|');
  const body = terms.length === 1 ? alternatives : `(?:${alternatives})`;
  return `${caseSensitive ? '' : '(?i)'}${edges.start ? `(?:^|${DELIMITER})` : ''}${body}${edges.end ? `(?:${DELIMITER}|$)` : ''}`;
}

/**
 * Term match of a computed term (`Protocol has NetworkProtocol`): the pattern is built per row around the
 * engine's regex quoting of the right side.
 */
export function computedTermMatch(left: string, right: string, caseSensitive: boolean, c: SqlContext, edges: { start: boolean; end: boolean } = { start: true, end: true }): string {
  if (!c.d.capabilities.computedRegexPatterns) return c.unsupported(`a term match with a computed right side on ${c.d.label} (needs computedRegexPatterns)`);
  const before = `${caseSensitive ? '' : '(?i)'}${edges.start ? `(?:^|${DELIMITER})` : ''}`;
  const after = edges.end ? `(?:${DELIMITER}|$)` : '';
  return c.d.regexMatch(left, `concat(${c.d.string(before)}, ${c.d.regexEscape(right)}, ${c.d.string(after)})`);
}

/** Term match of constant terms (has, has_any, hasprefix, …). */
export function termMatch(left: string, terms: readonly string[], caseSensitive: boolean, c: SqlContext, edges?: { start: boolean; end: boolean }): string {
  if (terms.length === 0) return c.d.bool(false);
  return c.d.regexMatch(left, c.d.string(termPattern(terms, caseSensitive, edges)));
}

/** The constant terms of a has_any/has_all list (numbers as their text); a computed one is refused. */
export function constantTerms(args: readonly Arg[], c: SqlContext, what: string): string[] {
  return args.map((a) => {
    const s = constantString(a) ?? (a.e.k === 'lit' && typeof a.e.value === 'number' ? String(a.e.value) : undefined);
    if (s === undefined) return c.unsupported(`${what} with a non-constant right side`);
    return s;
  });
}
