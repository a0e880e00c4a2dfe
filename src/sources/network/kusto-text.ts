/**
 * The few Kusto string semantics the ASIM parsers lean on, so that their `parse` patterns and `has` tests can
 * be written here as data and behave as in Sentinel:
 * - `parse` (simple mode): the pattern becomes an anchored regex — `*` and string columns match lazily, typed
 *   columns match their type, a trailing string column takes the rest; no match → every column empty/null;
 * - `has`: whole-term, case-insensitive match.
 */

/** One element of a `parse` pattern: a literal, `*`, or a column (`Name` or `Name:int`). */
export type ParsePart = string | { readonly col: string; readonly type?: 'string' | 'int' | 'long' };

export const STAR = '*';

export type ParseResult = Record<string, string | number | null>;

const compiled = new WeakMap<readonly ParsePart[], { regex: RegExp; columns: ReadonlyArray<{ col: string; type: string }> }>();

function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(pattern: readonly ParsePart[]): { regex: RegExp; columns: ReadonlyArray<{ col: string; type: string }> } {
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
  const result = { regex: new RegExp(source, 's'), columns };
  compiled.set(pattern, result);
  return result;
}

/** Kusto `parse text with <pattern>`: the extracted columns, or every column empty (strings) / null when it fails. */
export function kustoParse(text: string, pattern: readonly ParsePart[]): ParseResult {
  const { regex, columns } = compile(pattern);
  const match = regex.exec(text);
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

/** Kusto `trim(@"\s?\(?\)?\s?", s)`: removes all leading and trailing matches of that pattern. */
export function trimParenthesesAndSpace(value: string): string {
  return value.replace(/^(?:\s?\(?\)?\s?)+/, '').replace(/(?:\s?\(?\)?\s?)+$/, '');
}
