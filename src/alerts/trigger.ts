/**
 * The alert threshold: Sentinel compares the number of result rows of one run with `triggerThreshold`.
 */
import type { TriggerOperator } from '../rules/rule.js';

const COMPARE: Readonly<Record<TriggerOperator, (count: number, threshold: number) => boolean>> = {
  gt: (count, threshold) => count > threshold,
  lt: (count, threshold) => count < threshold,
  eq: (count, threshold) => count === threshold,
  ne: (count, threshold) => count !== threshold,
};

export function triggerFires(operator: TriggerOperator, threshold: number, resultCount: number): boolean {
  return COMPARE[operator](resultCount, threshold);
}
