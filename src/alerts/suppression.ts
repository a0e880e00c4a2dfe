/**
 * Suppression as Sentinel means it ("Stop running query after alert is generated", learn.microsoft.com
 * sentinel/scheduled-rules-overview#suppression): once a run of the rule generates an alert, the rule does not
 * run — so produces no alerts at all, for any entity — until `suppressionDuration` has passed. A run exactly
 * `suppressionDuration` after the alerting run goes ahead.
 */
import type { Rule } from '../rules/rule.js';

export function isSuppressed(rule: Pick<Rule, 'suppressionEnabled' | 'suppressionDurationMs'>, at: Date, lastAlertAt: Date | undefined): boolean {
  if (!rule.suppressionEnabled || rule.suppressionDurationMs === undefined || lastAlertAt === undefined) return false;
  const since = at.getTime() - lastAlertAt.getTime();
  return since > 0 && since < rule.suppressionDurationMs;
}
