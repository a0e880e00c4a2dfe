/**
 * A Sentinel hunting query: KQL an analyst runs on demand, with metadata (tactics, techniques, entity mappings) but
 * no schedule, trigger or alert. smbwatch runs them with `smbwatch hunt` and lists them with `smbwatch rules`.
 */
import type { EntityMapping, Tactic } from '../rules/rule.js';

export interface HuntingQuery {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly tactics: readonly Tactic[];
  readonly relevantTechniques: readonly string[];
  readonly query: string;
  readonly entityMappings: readonly EntityMapping[];
  /** `''` when the file has none (most hunting queries carry no version). */
  readonly version: string;
  /** A file path, or `builtin:<file>`. */
  readonly source: string;
}
