/**
 * Standard-SQL defaults every engine starts from: an engine's dialect is `{ ...baseDialect, …its differences }`,
 * so what it does not state is this. Capabilities default to "supported"; an engine or version that lacks one
 * says so.
 */
import type { Capabilities, Dialect, FunctionOverrides } from './dialect.js';

const capabilities: Capabilities = {
  rightSemiJoin: true,
  semiJoins: true,
  joinKeysReadable: true,
  unionAllKeepsOrder: true,
  makeSeries: true,
  windowFunctions: true,
  commonTableExpressions: true,
  subsecondDatetimes: true,
  flatTableReads: false,
  computedRegexPatterns: true,
};

const overrides: FunctionOverrides = { scalars: {}, aggregates: {} };

export const baseDialect = {
  capabilities,
  overrides,
  bool: (v: boolean): string => (v ? 'true' : 'false'),
  commonTableExpression: (name: string, body: string): string => `${name} AS (${body})`,
  lower: (s: string): string => `lower(${s})`,
  sign: (s: string): string => `sign(${s})`,
  least: (values: readonly string[]): string => `least(${values.join(', ')})`,
  upper: (s: string): string => `upper(${s})`,
  nullSafeEquals: (a: string, b: string): string => `${a} IS NOT DISTINCT FROM ${b}`,
  /** `value IN (±m, …)`: exact for any integer, and a plain IN list the engines can use. */
  integerMagnitudeIn: (s: string, magnitudes: readonly number[]): string =>
    `${s} IN (${[...new Set(magnitudes.flatMap((n) => [n, -n]))].join(', ')})`,
} satisfies Partial<Dialect>;
