/**
 * The demo's manifest: what was generated and what was planted in it, with the seed rule's expected outcome
 * for each planted pair under both thresholds. Written next to the logs as `manifest.json`; tests and the
 * demo's closing summary read it.
 */
import type { Micros } from '../asim/record.js';
import type { HostRole } from './network.js';
import type { EssentialsEpisode } from './essentials.js';
import type { BoundaryRecord } from './scenario.js';
import { deviationOf, THRESHOLDS, thresholdKey, type PairTally, type RuleRow, type ThresholdKey } from './expectation.js';
import type { WrittenFile } from './zeek-writer.js';

export const MANIFEST_FORMAT = 'smbwatch-demo-manifest';
/** Bump when the generator's output changes for a given seed, so older data is regenerated, not reused. */
export const GENERATOR_VERSION = 2;

/** The rule's outcome for one pair at one threshold. */
export interface PairOutcome {
  /** The pair is in the result (an alert, one per row, with AlertPerResult). */
  readonly fires: boolean;
  /** abs(recent − baseline) / baseline when the pair survives the filters and the inner join; else null. */
  readonly deviation: number | null;
}

export interface PlantedPair {
  readonly srcIpAddr: string;
  readonly dstPortNumber: number;
  /** Records of the pair in [T−14d, T−1d], in [T−1d, T], and after T — whether or not the rule keeps them. */
  readonly baseline: number;
  readonly recent: number;
  readonly afterNow: number;
  /** Records the rule's filters keep (private IPv4 source, SMB port, source ≠ destination), per window. */
  readonly ruleBaseline: number;
  readonly ruleRecent: number;
  readonly outcome: Readonly<Record<ThresholdKey, PairOutcome>>;
}

export interface PlantedCase {
  readonly id: string;
  readonly title: string;
  /** What the rule does with it, and why (seed-rule.md). */
  readonly ruleBehaviour: string;
  readonly host?: string;
  readonly pairs: readonly PlantedPair[];
}

export interface ManifestHost {
  readonly name: string;
  readonly ip: string;
  readonly ipv6?: string;
  readonly role: HostRole;
  readonly department?: string;
}

export interface ManifestEpisode {
  readonly host: string;
  readonly ip: string;
  readonly start: string;
  readonly end: string;
  readonly newDestinations: number;
  readonly unanswered: number;
  readonly lateralHosts: number;
  readonly share: string;
  readonly spikeToShare: number;
  /** The pair the rule should flag: (ip, 445). */
  readonly pair: PlantedPair;
}

export interface ManifestBoundaryRecord {
  readonly caseId: string;
  readonly at: BoundaryRecord['at'];
  readonly ts: string;
  readonly tsMicros: Micros;
  readonly srcIpAddr: string;
  readonly dstIpAddr: string;
  readonly dstPortNumber: number;
}

export interface DemoManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly generatorVersion: number;
  readonly seed: number;
  readonly workstations: number;
  /** SHA-256 over the files' paths and hashes: names this exact data set. */
  readonly dataset: string;
  readonly evaluationTime: string;
  readonly evaluationTimeMicros: Micros;
  readonly officeTimeZone: string;
  readonly period: { readonly start: string; readonly end: string; readonly days: number; readonly logsUntil: string };
  readonly windows: {
    readonly baseline: readonly [string, string];
    readonly recent: readonly [string, string];
  };
  readonly totals: {
    readonly sessions: number;
    readonly smbSessions: number;
    readonly afterNow: number;
    readonly files: number;
    readonly perDay: ReadonlyArray<{ readonly date: string; readonly weekend: boolean; readonly sessions: number }>;
  };
  readonly hosts: readonly ManifestHost[];
  readonly episode: ManifestEpisode;
  readonly cases: readonly PlantedCase[];
  readonly boundaryRecords: readonly ManifestBoundaryRecord[];
  /** One episode per Network Session Essentials rule, each seen by its rule's run at `runAt` (src/demo/essentials.ts). */
  readonly essentials: readonly EssentialsEpisode[];
  /** The seed rule's full result at T under each threshold, sorted by SrcIpAddr then DstPortNumber. */
  readonly expected: Readonly<Record<ThresholdKey, readonly RuleRow[]>>;
  readonly files: readonly WrittenFile[];
}

export function plantedPair(tally: PairTally): PlantedPair {
  const deviation = deviationOf(tally);
  const outcome = Object.fromEntries(
    THRESHOLDS.map((threshold) => [thresholdKey(threshold), { fires: deviation !== null && deviation > threshold, deviation }]),
  ) as Record<ThresholdKey, PairOutcome>;
  return {
    srcIpAddr: tally.src,
    dstPortNumber: tally.port,
    baseline: tally.baseline,
    recent: tally.recent,
    afterNow: tally.afterNow,
    ruleBaseline: tally.ruleBaseline,
    ruleRecent: tally.ruleRecent,
    outcome,
  };
}

/** Runtime check of a manifest read back from disk (a file from another version or hand-edited). */
export function isDemoManifest(value: unknown): value is DemoManifest {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<DemoManifest>;
  return (
    m.format === MANIFEST_FORMAT &&
    typeof m.generatorVersion === 'number' &&
    typeof m.seed === 'number' &&
    typeof m.workstations === 'number' &&
    typeof m.dataset === 'string' &&
    Array.isArray(m.files) &&
    Array.isArray(m.cases) &&
    Array.isArray(m.essentials)
  );
}
