/**
 * Rule parameters: a rule query's top-level `let NAME = <literal>;` statements, and overriding them by name.
 *
 * A small scanner, not the KQL compiler: it splits the query into top-level statements (skipping comments and
 * string literals, tracking brackets) and keeps the lets whose whole value is one scalar literal — a number,
 * string, bool, timespan, datetime, or a `dynamic(...)` constant. The override replaces exactly the literal's
 * text, so everything else in the query stays byte for byte as written.
 *
 * Typing: an override must fit the let's type. One widening is allowed, on purpose: a real value for a
 * long-typed let (`--param threshold=0.5` on `let threshold = 50;`) turns the let into a real literal, which is
 * exactly how Sentinel's rule 1.0.1 differs from 1.0.0.
 */
import { isoToMicros } from '../util/time.js';
import type { Rule } from './rule.js';

export type ParameterType = 'long' | 'int' | 'real' | 'bool' | 'string' | 'timespan' | 'datetime' | 'dynamic';

export interface RuleParameter {
  readonly name: string;
  readonly kustoType: ParameterType;
  /** The literal as written in the query. */
  readonly defaultText: string;
}

interface LetLiteral extends RuleParameter {
  /** Offsets of the literal in the query text: [start, end). */
  readonly start: number;
  readonly end: number;
}

export class ParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParameterError';
  }
}

export function ruleParameters(rule: Pick<Rule, 'query'>): RuleParameter[] {
  const seen = new Set<string>();
  return scanLetLiterals(rule.query)
    .filter(({ name }) => !seen.has(name) && seen.add(name) !== undefined)
    .map(({ name, kustoType, defaultText }) => ({ name, kustoType, defaultText }));
}

/** The query text with each named let's literal replaced by the given value (text as a user types it). */
export function applyParameters(rule: Pick<Rule, 'query'>, values: Readonly<Record<string, string>>): string {
  const lets = scanLetLiterals(rule.query);
  const known = [...new Set(lets.map((l) => l.name))];
  const replacements: Array<{ start: number; end: number; text: string }> = [];
  for (const [name, value] of Object.entries(values)) {
    const targets = lets.filter((l) => l.name === name);
    if (targets.length === 0) {
      throw new ParameterError(`unknown parameter "${name}"; this rule's parameters are: ${known.join(', ') || '(none)'}`);
    }
    for (const target of targets) replacements.push({ start: target.start, end: target.end, text: literalFor(target, value) });
  }
  replacements.sort((a, b) => b.start - a.start);
  let text = rule.query;
  for (const { start, end, text: literal } of replacements) text = text.slice(0, start) + literal + text.slice(end);
  return text;
}

/** `NAME=VALUE` pairs from the command line (the value may itself contain `=`). */
export function parseParameterAssignments(assignments: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    if (at <= 0) throw new ParameterError(`--param needs NAME=VALUE; got "${assignment}"`);
    values[assignment.slice(0, at).trim()] = assignment.slice(at + 1);
  }
  return values;
}

// ---------------------------------------------------------------------------------------------------------------
// Literal typing and formatting

const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$/;
const TIMESPAN_UNIT = '(?:d|days?|h|hrs?|hours?|m|min|minutes?|s|sec|seconds?|ms|milli|millis|milliseconds?|microseconds?|ticks?)';
const TIMESPAN = new RegExp(`^[+-]?\\d+(?:\\.\\d+)?${TIMESPAN_UNIT}$`, 'i');

/** Type of a whole literal text, or undefined when the text is not one scalar literal. */
function literalType(text: string): ParameterType | undefined {
  if (/^(true|false)$/i.test(text)) return 'bool';
  if (INTEGER.test(text)) return 'long';
  if (REAL.test(text)) return 'real';
  if (TIMESPAN.test(text)) return 'timespan';
  if (isStringLiteral(text)) return 'string';
  const call = /^([a-z]+)\s*\(([\s\S]*)\)$/i.exec(text);
  if (!call || !isBalancedSingleCall(text)) return undefined;
  const fn = call[1]!.toLowerCase();
  const CALL_TYPES: Record<string, ParameterType> = {
    long: 'long', int: 'int', real: 'real', double: 'real', bool: 'bool', boolean: 'bool',
    time: 'timespan', timespan: 'timespan', datetime: 'datetime', date: 'datetime', dynamic: 'dynamic',
  };
  return CALL_TYPES[fn];
}

function literalFor(target: LetLiteral, value: string): string {
  const text = value.trim();
  const fail = (what: string): never => {
    throw new ParameterError(`parameter "${target.name}" is ${target.kustoType} (${target.defaultText}); ${what}, got "${value}"`);
  };
  switch (target.kustoType) {
    case 'long':
      if (INTEGER.test(text)) return text;
      if (REAL.test(text)) return text; // widened to real: see the module comment
      return fail('expected a number');
    case 'int':
      if (INTEGER.test(text) && Math.abs(Number(text)) <= 2 ** 31) return `int(${text})`;
      return fail('expected a whole number within 32 bits');
    case 'real':
      if (INTEGER.test(text)) return `${text}.0`; // keep the let real: `1` alone would make it long
      if (REAL.test(text)) return text;
      return fail('expected a number');
    case 'bool':
      if (/^(true|false)$/i.test(text)) return text.toLowerCase();
      return fail('expected true or false');
    case 'timespan':
      if (TIMESPAN.test(text) || (/^(time|timespan)\s*\(/i.test(text) && literalType(text) === 'timespan')) return text;
      return fail('expected a timespan like 1d, 12h, 30m or time(1.00:00:00)');
    case 'datetime': {
      const inner = /^(?:datetime|date)\s*\(([^()]*)\)$/i.exec(text)?.[1]?.trim() ?? text;
      if (isoToMicros(inner) !== null) return `datetime(${inner})`;
      return fail('expected an ISO 8601 date-time like 2024-03-04T00:00:00Z');
    }
    case 'string':
      return kustoString(value);
    case 'dynamic':
      return dynamicLiteral(target, value);
  }
}

/** The JSON inside `dynamic(...)`, or the text itself; undefined when it is not JSON. */
function dynamicJson(text: string): { value: unknown } | undefined {
  const inner = /^dynamic\s*\(([\s\S]*)\)$/i.exec(text.trim())?.[1] ?? text.trim();
  try {
    return { value: JSON.parse(inner) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * A dynamic override keeps the default's shape: an array where the default is an array, of strings where its
 * items are strings (`SMBPorts` is matched as text: `tostring(DstPortNumber) has_any (SMBPorts)`). A value of
 * another shape would compile into an error from inside the rule, so it is refused here with an example built
 * from what was typed (`445` → `'["445"]'`).
 */
function dynamicLiteral(target: LetLiteral, value: string): string {
  const given = dynamicJson(value);
  const fallback = dynamicJson(target.defaultText)?.value;
  if (Array.isArray(fallback)) {
    const ofStrings = fallback.length > 0 && fallback.every((item) => typeof item === 'string');
    const items = Array.isArray(given?.value) ? given.value : undefined;
    if (items === undefined || (ofStrings && !items.every((item) => typeof item === 'string'))) {
      const typed = items ?? value.split(',').map((item) => item.trim().replace(/^\[|\]$/g, '').replace(/^"|"$/g, '')).filter((item) => item !== '');
      const example = JSON.stringify(typed.map((item) => (ofStrings ? String(item) : item)));
      throw new ParameterError(
        `${target.name} is a dynamic array${ofStrings ? ' of strings' : ''}, e.g. '${example}' (default ${target.defaultText}); got "${value}"`,
      );
    }
  }
  if (given === undefined) {
    throw new ParameterError(`parameter "${target.name}" is dynamic (${target.defaultText}); expected JSON, e.g. '["139","445"]', got "${value}"`);
  }
  return `dynamic(${JSON.stringify(given.value)})`;
}

/** A double-quoted Kusto string literal holding exactly `value`. */
function kustoString(value: string): string {
  if (/[\u0000-\u0008\u000a-\u001f]/.test(value)) throw new ParameterError('string parameters cannot hold control characters');
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\t', '\\t')}"`;
}

// ---------------------------------------------------------------------------------------------------------------
// The scanner

/** Every top-level `let NAME = <scalar literal>;` in the query, with the literal's offsets. */
function scanLetLiterals(query: string): LetLiteral[] {
  const found: LetLiteral[] = [];
  for (const statement of topLevelStatements(query)) {
    const code = skipTrivia(query, statement.start, statement.end);
    const head = /^let\s+([A-Za-z_][A-Za-z_0-9]*)\s*=\s*/.exec(query.slice(code, statement.end));
    if (!head) continue;
    const start = code + head[0].length;
    const end = trimTrailingTrivia(query, start, statement.end);
    const text = query.slice(start, end);
    const kustoType = literalType(text);
    if (kustoType) found.push({ name: head[1]!, kustoType, defaultText: text, start, end });
  }
  return found;
}

interface Span {
  readonly start: number;
  readonly end: number;
}

/** Statements separated by `;` outside brackets, strings and comments. */
function topLevelStatements(text: string): Span[] {
  const spans: Span[] = [];
  let depth = 0;
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const skipped = skipCommentOrString(text, i);
    if (skipped > i) {
      i = skipped;
      continue;
    }
    const ch = text[i]!;
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
    else if (ch === ';' && depth === 0) {
      spans.push({ start, end: i });
      start = i + 1;
    }
    i++;
  }
  if (start < text.length) spans.push({ start, end: text.length });
  return spans;
}

/** If a comment or string literal starts at `i`, the offset just after it; otherwise `i`. */
function skipCommentOrString(text: string, i: number): number {
  if (text.startsWith('//', i)) {
    const newline = text.indexOf('\n', i);
    return newline === -1 ? text.length : newline + 1;
  }
  if (text.startsWith('```', i)) {
    const close = text.indexOf('```', i + 3);
    return close === -1 ? text.length : close + 3;
  }
  const prefixed = /^(?:[hH]@?|@[hH]?)?(['"])/.exec(text.slice(i, i + 4));
  if (!prefixed) return i;
  const verbatim = prefixed[0].includes('@');
  const quote = prefixed[1]!;
  let j = i + prefixed[0].length;
  while (j < text.length) {
    const ch = text[j]!;
    if (!verbatim && ch === '\\') j += 2;
    else if (ch === quote) {
      if (verbatim && text[j + 1] === quote) j += 2; // a doubled quote inside a verbatim string
      else return j + 1;
    } else if (ch === '\n' && !verbatim) return j; // unterminated: stop at the line end
    else j++;
  }
  return text.length;
}

function skipTrivia(text: string, from: number, to: number): number {
  let i = from;
  while (i < to) {
    if (/\s/.test(text[i]!)) i++;
    else if (text.startsWith('//', i)) i = skipCommentOrString(text, i);
    else break;
  }
  return i;
}

/** End of the code before trailing whitespace and `//` comments. */
function trimTrailingTrivia(text: string, from: number, to: number): number {
  let end = from;
  let i = from;
  while (i < to) {
    if (text.startsWith('//', i)) {
      i = skipCommentOrString(text, i);
      continue;
    }
    const next = skipCommentOrString(text, i);
    if (next > i) {
      end = Math.min(next, to);
      i = next;
      continue;
    }
    if (!/\s/.test(text[i]!)) end = i + 1;
    i++;
  }
  return end;
}

function isStringLiteral(text: string): boolean {
  return skipCommentOrString(text, 0) === text.length && /^(?:[hH]@?|@[hH]?)?['"]/.test(text);
}

/** `f(...)` where the closing parenthesis of the first call is the last character (not `f(a) + g(b)`). */
function isBalancedSingleCall(text: string): boolean {
  let depth = 0;
  let i = text.indexOf('(');
  while (i < text.length) {
    const skipped = skipCommentOrString(text, i);
    if (skipped > i) {
      i = skipped;
      continue;
    }
    const ch = text[i]!;
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return i === text.length - 1;
    }
    i++;
  }
  return false;
}
