/**
 * Loading hunting queries: the built-in ones (Network Session Essentials) and the user's YAML files, in Sentinel's
 * hunting-query format (Azure-Sentinel `Hunting Queries/*.yaml`: id, name, description, query, tactics,
 * relevantTechniques, entityMappings; other keys are metadata and tolerated). Problems name file, line and key.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { formatProblem, RuleLoadError, type LocatedProblem } from '../rules/load.js';
import { TACTICS } from '../rules/rule.js';
import { entityMapping, entityMappingProblems, GUID, LIMITS, TECHNIQUE, type RuleProblem } from '../rules/schema.js';
import type { HuntingQuery } from './query.js';

const huntingShape = z.looseObject({
  id: z.string({ error: 'is required (a GUID)' }).regex(GUID, 'must be a GUID like 5dca6047-24ed-4eb7-b44e-ec7f1bf42621'),
  name: z.string({ error: 'is required' }).min(1, 'must not be empty').max(256),
  description: z.string({ error: 'is required' }).max(LIMITS.descriptionLength),
  tactics: z.array(z.enum(TACTICS, { error: `must be one of ${TACTICS.join(', ')}` })).nullish().transform((v) => v ?? []),
  relevantTechniques: z.array(z.string().regex(TECHNIQUE, 'must be a MITRE technique id like T1021 or T1021.002')).nullish().transform((v) => v ?? []),
  query: z
    .string({ error: 'is required (the KQL text)' })
    .refine((text) => text.trim().length > 0, 'must not be empty')
    .refine((text) => text.length <= LIMITS.queryLength, `must be at most ${LIMITS.queryLength} characters`),
  entityMappings: z.array(entityMapping).max(LIMITS.entityMappings, `may hold at most ${LIMITS.entityMappings} mappings`).optional(),
  version: z.union([z.string(), z.number()]).transform(String).optional(),
});

/** Parses and validates one hunting query's YAML text. */
export function parseHuntingQuery(text: string, file: string, source: string = file): HuntingQuery {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const locate = (problem: RuleProblem): LocatedProblem => {
    for (let length = problem.path.length; length >= 0; length--) {
      const node = length === 0 ? document.contents : document.getIn(problem.path.slice(0, length), true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) {
        const position = lineCounter.linePos(range[0]);
        return { ...problem, file, line: position.line, column: position.col };
      }
    }
    return { ...problem, file };
  };
  if (document.errors.length > 0) {
    throw new RuleLoadError(document.errors.map((error) => {
      const position = lineCounter.linePos(error.pos[0]);
      return { file, path: [], message: `YAML: ${error.message.split('\n')[0]}`, line: position.line, column: position.col };
    }));
  }
  const value: unknown = document.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RuleLoadError([{ file, path: [], message: 'a hunting query file must be a YAML mapping' }]);
  }
  const parsed = huntingShape.safeParse(value);
  if (!parsed.success) {
    throw new RuleLoadError(parsed.error.issues.map((issue) => locate({
      path: issue.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number'),
      message: issue.message,
    })));
  }
  const shape = parsed.data;
  const problems = (shape.entityMappings ?? []).flatMap((mapping, index) => entityMappingProblems(mapping, index));
  if (problems.length > 0) throw new RuleLoadError(problems.map(locate));
  return {
    id: shape.id.toLowerCase(),
    name: shape.name,
    description: shape.description,
    tactics: shape.tactics,
    relevantTechniques: shape.relevantTechniques,
    query: shape.query,
    entityMappings: shape.entityMappings ?? [],
    version: shape.version ?? '',
    source,
  };
}

function builtinDirectory(): string {
  const beside = fileURLToPath(new URL('./builtin/', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../src/hunting/builtin/', import.meta.url));
}

const YAML_FILE = /\.ya?ml$/i;

/** The hunting queries shipped with smbwatch, in file-name order. */
export function builtinHuntingQueries(): HuntingQuery[] {
  const directory = builtinDirectory();
  return readdirSync(directory)
    .filter((name) => YAML_FILE.test(name))
    .sort()
    .map((name) => parseHuntingQuery(readFileSync(join(directory, name), 'utf8'), join(directory, name), `builtin:${basename(name)}`));
}

/** A hunting query YAML file, or every one in a directory. */
export function loadHuntingQueries(path: string): HuntingQuery[] {
  if (!existsSync(path)) throw new RuleLoadError([{ file: path, path: [], message: 'no such file or directory' }]);
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((name) => YAML_FILE.test(name)).sort().map((name) => join(path, name))
    : [path];
  const queries: HuntingQuery[] = [];
  const problems: LocatedProblem[] = [];
  for (const file of files) {
    try {
      queries.push(parseHuntingQuery(readFileSync(file, 'utf8'), file));
    } catch (error) {
      if (!(error instanceof RuleLoadError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new RuleLoadError(problems);
  return queries;
}

/** The hunting query an id (case-insensitive) or a YAML file names. */
export function selectHuntingQuery(queries: readonly HuntingQuery[], wanted: string): HuntingQuery {
  const byId = queries.find((q) => q.id === wanted.toLowerCase());
  if (byId) return byId;
  if (YAML_FILE.test(wanted) && existsSync(wanted)) return parseHuntingQuery(readFileSync(wanted, 'utf8'), wanted);
  throw new RuleLoadError([{
    file: wanted,
    path: [],
    message: `no hunting query with this id or file; known: ${queries.map((q) => `${q.id} (${q.name})`).join(', ')}`,
  }]);
}

export { formatProblem };
