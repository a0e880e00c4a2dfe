/**
 * The function registry: every Kusto function and IR operator smbwatch compiles, one entry each (types.ts), in the
 * area modules listed below. The front end (build/) asks it whether a name is a function or an aggregate and how to
 * build a call; the SQL generator asks it for the template (unless the dialect overrides it) and which engine
 * capabilities the call needs. A name that is not here is refused with SMB001.
 *
 * Adding a function: add an entry to the area module it belongs to (or a new module, listed in BUILTIN below);
 * see docs/kql.md, "Adding a function".
 */
import type { Expr } from '../ir.js';
import { AGGREGATE_FUNCTIONS } from './aggregates.js';
import { ARRAY_FUNCTIONS } from './arrays.js';
import { CONVERSION_FUNCTIONS } from './conversions.js';
import { DYNAMIC_FUNCTIONS } from './dynamic.js';
import { IP_FUNCTIONS } from './ip.js';
import { LOGIC_FUNCTIONS } from './logic.js';
import { MATH_FUNCTIONS } from './math.js';
import { operatorFunctions } from './operators.js';
import { SERIES_FUNCTIONS } from './series.js';
import { SERIES_ANALYSIS_FUNCTIONS } from '../series/functions.js';
import { STRING_FUNCTIONS } from './strings.js';
import { TIME_FUNCTIONS } from './time.js';
import { WINDOW_FUNCTIONS } from './window.js';
import type { AggregateFunction, FunctionDef, ScalarFunction } from './types.js';

/** Whether an expression can yield null (strings never do; `neverNull` calls never do). */
export function nullable(e: Expr): boolean {
  if (e.type === 'string') return false;
  if (e.k === 'lit') return e.value === null;
  if (e.k === 'call') return scalarFunction(e.fn)?.neverNull !== true;
  return true;
}

const BUILTIN: readonly (readonly FunctionDef[])[] = [
  operatorFunctions(nullable),
  LOGIC_FUNCTIONS,
  CONVERSION_FUNCTIONS,
  STRING_FUNCTIONS,
  TIME_FUNCTIONS,
  MATH_FUNCTIONS,
  IP_FUNCTIONS,
  DYNAMIC_FUNCTIONS,
  ARRAY_FUNCTIONS,
  SERIES_FUNCTIONS,
  WINDOW_FUNCTIONS,
  AGGREGATE_FUNCTIONS,
  SERIES_ANALYSIS_FUNCTIONS,
];

const scalars = new Map<string, ScalarFunction>();
const aggregates = new Map<string, AggregateFunction>();

/**
 * Adds functions to the registry (the built-in areas, or a module of its own such as the series analysis
 * functions). A name may be registered once per kind.
 */
export function registerFunctions(defs: readonly FunctionDef[]): void {
  for (const def of defs) {
    const table: Map<string, FunctionDef> = def.kind === 'scalar' ? scalars : aggregates;
    for (const name of [def.name, ...(def.aliases ?? [])]) {
      if (table.has(name)) throw new Error(`KQL function '${name}' is registered twice`);
      table.set(name, def);
    }
  }
}

for (const defs of BUILTIN) registerFunctions(defs);

/** The scalar function or IR operator of that name (or alias). */
export function scalarFunction(name: string): ScalarFunction | undefined {
  return scalars.get(name);
}

/** A scalar function callable by its Kusto name (IR operators are not). */
export function kustoScalarFunction(name: string): ScalarFunction | undefined {
  const def = scalars.get(name);
  return def && !def.operator ? def : undefined;
}

export function aggregateFunction(name: string): AggregateFunction | undefined {
  return aggregates.get(name);
}

/** Every registered name, by kind (for docs and tests). */
export function registeredNames(): { readonly scalars: string[]; readonly operators: string[]; readonly aggregates: string[] } {
  const all = [...scalars.entries()];
  return {
    scalars: all.filter(([, d]) => !d.operator).map(([n]) => n).sort(),
    operators: all.filter(([, d]) => d.operator).map(([n]) => n).sort(),
    aggregates: [...aggregates.keys()].sort(),
  };
}
