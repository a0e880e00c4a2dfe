/**
 * Loading rules: one YAML file, every `.yaml`/`.yml` in a directory, or the built-in rules shipped with smbwatch.
 * Every problem is reported with the file, the key path, and the line and column of the offending value.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { Rule } from './rule.js';
import { validateRule, type RuleProblem } from './schema.js';

export interface LocatedProblem extends RuleProblem {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

export class RuleLoadError extends Error {
  constructor(readonly problems: readonly LocatedProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'RuleLoadError';
  }
}

export function formatProblem(problem: LocatedProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`;
  const key = problem.path.length > 0 ? `${formatPath(problem.path)}: ` : '';
  return `${where}: ${key}${problem.message}`;
}

function formatPath(path: ReadonlyArray<string | number>): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}

/** Parses and validates one rule's YAML text; `file` names it in errors. */
export function parseRule(text: string, file: string, source: string = file): Rule {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new RuleLoadError(
      document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return { file, path: [], message: `YAML: ${error.message.split('\n')[0]}`, line: position.line, column: position.col };
      }),
    );
  }
  const result = validateRule(plainValue(document, file), source);
  if ('problems' in result) throw new RuleLoadError(result.problems.map((problem) => locate(problem, document, lineCounter, file)));
  return result.rule;
}

/**
 * The document as plain values. The yaml library refuses to expand a document whose aliases would multiply it
 * (an alias bomb: a few lines that expand to billions of nodes); that refusal is a load error like any other.
 */
function plainValue(document: Document, file: string): unknown {
  try {
    return document.toJS();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new RuleLoadError([{ file, path: [], message: `YAML: ${message} (too many aliases)`, line: 1, column: 1 }]);
  }
}

/** The position of the nearest node on the problem's path that exists in the document. */
function locate(problem: RuleProblem, document: Document, lineCounter: LineCounter, file: string): LocatedProblem {
  for (let length = problem.path.length; length >= 0; length--) {
    const node = length === 0 ? document.contents : document.getIn(problem.path.slice(0, length), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      const position = lineCounter.linePos(range[0]);
      return { ...problem, file, line: position.line, column: position.col };
    }
  }
  return { ...problem, file };
}

export function loadRuleFile(path: string): Rule {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RuleLoadError([{ file: path, path: [], message: `cannot read: ${(error as Error).message}` }]);
  }
  return parseRule(text, path);
}

const RULE_FILE = /\.ya?ml$/i;

/**
 * A file, or every `.yaml`/`.yml` directly in a directory (sorted by name). Problems of all files are reported
 * together; two rules with the same id are an error naming both files.
 */
export function loadRules(path: string): Rule[] {
  if (!existsSync(path)) throw new RuleLoadError([{ file: path, path: [], message: 'no such file or directory' }]);
  if (!statSync(path).isDirectory()) return [loadRuleFile(path)];
  const files = readdirSync(path).filter((name) => RULE_FILE.test(name)).sort().map((name) => join(path, name));
  const rules: Rule[] = [];
  const problems: LocatedProblem[] = [];
  for (const file of files) {
    try {
      rules.push(loadRuleFile(file));
    } catch (error) {
      if (!(error instanceof RuleLoadError)) throw error;
      problems.push(...error.problems);
    }
  }
  problems.push(...duplicateIds(rules));
  if (problems.length > 0) throw new RuleLoadError(problems);
  return rules;
}

function duplicateIds(rules: readonly Rule[]): LocatedProblem[] {
  const seen = new Map<string, Rule>();
  const problems: LocatedProblem[] = [];
  for (const rule of rules) {
    const first = seen.get(rule.id);
    if (first) problems.push({ file: rule.source, path: ['id'], message: `${rule.id} is also the id of ${first.source}` });
    else seen.set(rule.id, rule);
  }
  return problems;
}

/** Where the built-in YAML lives: next to this module in the sources, or under src/ when running from dist/. */
function builtinDirectory(): string {
  const beside = fileURLToPath(new URL('./builtin/', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../src/rules/builtin/', import.meta.url));
}

export const DEFAULT_RULE_ID = '8717e498-7b5d-4e23-9e7c-fa4913dbfd79';

/**
 * Subdirectories of built-in rules from a solution, loaded after smbwatch's own: `essentials/` holds Network
 * Session Essentials' analytic rules, unmodified (their PROVENANCE.md).
 */
const BUILTIN_SOLUTIONS = ['essentials'];

export function builtinRules(): Rule[] {
  const directory = builtinDirectory();
  const load = (relative: string): Rule[] =>
    readdirSync(join(directory, relative))
      .filter((name) => RULE_FILE.test(name))
      .sort()
      .map((name) => {
        const path = join(directory, relative, name);
        return parseRule(readFileSync(path, 'utf8'), path, `builtin:${relative ? `${relative}/` : ''}${basename(name)}`);
      });
  return [...load(''), ...BUILTIN_SOLUTIONS.flatMap((solution) => load(solution))];
}

/** The rule `--rule` names: an id among the rules (case-insensitive), else a YAML file path; default: the seed rule. */
export function selectRule(rules: readonly Rule[], wanted: string | undefined): Rule {
  const id = (wanted ?? DEFAULT_RULE_ID).toLowerCase();
  const byId = rules.find((rule) => rule.id === id);
  if (byId) return byId;
  if (wanted !== undefined && RULE_FILE.test(wanted) && existsSync(wanted)) return loadRuleFile(wanted);
  const known = rules.map((rule) => `${rule.id} (${rule.name})`).join(', ');
  throw new RuleLoadError([{ file: wanted ?? '(default)', path: [], message: `no rule with this id or file; known rules: ${known}` }]);
}

/**
 * The rules a command works with: the built-in rules, plus those in `rulesPath` (a file or directory). A user rule
 * with a built-in rule's id replaces it (an edited copy of the seed rule, say).
 */
export function loadRuleSet(rulesPath: string | undefined): Rule[] {
  const builtins = builtinRules();
  if (rulesPath === undefined) return builtins;
  const own = loadRules(rulesPath);
  const ownIds = new Set(own.map((rule) => rule.id));
  return [...builtins.filter((rule) => !ownIds.has(rule.id)), ...own];
}
