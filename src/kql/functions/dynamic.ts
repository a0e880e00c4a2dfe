/** Functions over `dynamic` values (JSON text in both engines). */
import { arg } from '../sql/template.js';
import { scalar, type ScalarFunction } from './types.js';

export const DYNAMIC_FUNCTIONS: readonly ScalarFunction[] = [
  scalar({ name: 'array_length', sql: (a, c) => c.d.jsonArrayLength(arg(a, 0, c).sql) }),
];
