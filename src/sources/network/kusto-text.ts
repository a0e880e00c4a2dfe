/**
 * The few Kusto string semantics the ASIM parsers lean on, so that their `parse` patterns and `has` tests can
 * be written here as data and behave as in Sentinel:
 * - `parse` (simple mode): the pattern becomes an anchored regex — `*` and string columns match lazily, typed
 *   columns match their type, a trailing string column takes the rest; no match → every column empty/null;
 * - `has`: whole-term, case-insensitive match.
 *
 * Regexes run on RE2 (re2js), as Kusto's do: matching is linear in the text. A backtracking engine takes
 * exponential time on a `parse` pattern of many `*` against a hostile line (thousands of spaces).
 */
import { RE2JS } from 're2js';

/** One element of a `parse` pattern: a literal, `*`, or a column (`Name` or `Name:int`). */
export type ParsePart = string | { readonly col: string; readonly type?: 'string' | 'int' | 'long' };

export const STAR = '*';

export type ParseResult = Record<string, string | number | null>;

/** A regex compiled for RE2: `groups` gives the capture groups of the first match (index 0 the whole match). */
export interface KustoRegex {
  groups(text: string): Array<string | undefined> | null;
  test(text: string): boolean;
}

/** `source` in RE2 syntax (JS syntax for the subset these parsers use); `dotAll`: `.` matches newlines too. */
export function kustoRegex(source: string, dotAll = false): KustoRegex {
  const regex = RE2JS.compile(source, dotAll ? RE2JS.DOTALL : 0);
  return {
    groups(text) {
      const matcher = regex.matcher(text);
      if (!matcher.find()) return null;
      const groups: Array<string | undefined> = [];
      for (let index = 0; index <= matcher.groupCount(); index++) groups.push(matcher.group(index) ?? undefined);
      return groups;
    },
    test: (text) => regex.matcher(text).find(),
  };
}

const compiled = new WeakMap<readonly ParsePart[], { regex: KustoRegex; columns: ReadonlyArray<{ col: string; type: string }> }>();

function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(pattern: readonly ParsePart[]): { regex: KustoRegex; columns: ReadonlyArray<{ col: string; type: string }> } {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const columns: Array<{ col: string; type: string }> = [];
  let source = '^';
  pattern.forEach((part, index) => {
    const last = index === pattern.length - 1;
    if (part === STAR) source += '.*?';
    else if (typeof part === 'string') source += escapeRegex(part);
    else {
      const type = part.type ?? 'string';
      columns.push({ col: part.col, type });
      if (type === 'string') source += last ? '(.*)$' : '(.*?)';
      else source += '(-?\\d+)';
    }
  });
  const result = { regex: kustoRegex(source, true), columns };
  compiled.set(pattern, result);
  return result;
}

/** Kusto `parse text with <pattern>`: the extracted columns, or every column empty (strings) / null when it fails. */
export function kustoParse(text: string, pattern: readonly ParsePart[]): ParseResult {
  const { regex, columns } = compile(pattern);
  const match = regex.groups(text);
  const result: ParseResult = {};
  columns.forEach(({ col, type }, index) => {
    const value = match?.[index + 1];
    if (type === 'string') result[col] = value ?? '';
    else {
      const number = value === undefined ? null : Number(value);
      result[col] = number !== null && Number.isSafeInteger(number) ? number : null;
    }
  });
  return result;
}

/** Whether `parse` matched at all (its columns are all set). */
export function kustoParseMatches(text: string, pattern: readonly ParsePart[]): boolean {
  return compile(pattern).regex.test(text);
}

const isTermChar = (char: string | undefined): boolean => char !== undefined && /[A-Za-z0-9]/.test(char);

/** Kusto `haystack has needle`: the needle occurs case-insensitively, not inside a longer alphanumeric term. */
export function kustoHas(haystack: string, needle: string): boolean {
  if (needle === '') return true;
  const hay = haystack.toLowerCase();
  const term = needle.toLowerCase();
  for (let at = hay.indexOf(term); at !== -1; at = hay.indexOf(term, at + 1)) {
    const before = at === 0 ? undefined : hay[at - 1];
    const after = hay[at + term.length];
    const startOk = !isTermChar(term[0]) || !isTermChar(before);
    const endOk = !isTermChar(term[term.length - 1]) || !isTermChar(after);
    if (startOk && endOk) return true;
  }
  return false;
}

export function kustoHasAny(haystack: string, needles: readonly string[]): boolean {
  return needles.some((needle) => kustoHas(haystack, needle));
}

/**
 * Kusto `trim(@"\s?\(?\)?\s?", s)`: removes all leading and trailing matches of that pattern. Repeated, the
 * pattern matches exactly the runs of whitespace and parentheses, which is how it is written here: the literal
 * form backtracks exponentially on a long run of spaces that does not reach the end.
 */
export function trimParenthesesAndSpace(value: string): string {
  return value.replace(/^[\s()]+/, '').replace(/[\s()]+$/, '');
}
