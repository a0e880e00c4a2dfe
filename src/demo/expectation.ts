/**
 * What the seed rule must return on the demo data, worked out by the generator from the sessions it writes.
 *
 * The generator knows every record it emits, so it tallies each (SrcIpAddr, DstPortNumber) pair in the
 * rule's windows at T and applies seed-rule.md §3 to the tallies. This is the manifest's promise; the tests
 * check it against hand-written SQL over the ingested store (test/demo/seed-rule-oracle.sql), and later
 * against the compiled rule.
 */
import type { Micros } from '../asim/record.js';
import { ruleWindows, type RuleWindows } from './period.js';
import { sessionPort } from './services.js';
import type { Session } from './traffic.js';

/** The two thresholds of the rule's upstream versions: 1.0.0 (50) and 1.0.1 (0.5). */
export const THRESHOLDS = [50, 0.5] as const;
export type Threshold = (typeof THRESHOLDS)[number];
export type ThresholdKey = '50' | '0.5';
export const thresholdKey = (threshold: Threshold): ThresholdKey => (threshold === 50 ? '50' : '0.5');

const SMB_PORTS = new Set([139, 445]);

/**
 * Kusto's `ipv4_is_private` (seed-rule.md §3.5): true for a valid IPv4 address (optionally with a /0–/32
 * suffix) in 10/8, 172.16/12 or 192.168/16; false for any other valid IPv4; null when not IPv4 at all.
 */
export function ipv4IsPrivate(text: string): boolean | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text);
  if (!match) return null;
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return null;
  if (match[5] !== undefined && Number(match[5]) > 32) return null;
  const [a, b] = octets as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** Counts of one (source, destination port) pair by window; `rule*` counts only records the rule's filters keep. */
export interface PairTally {
  readonly src: string;
  readonly port: number;
  baseline: number;
  recent: number;
  afterNow: number;
  ruleBaseline: number;
  ruleRecent: number;
}

export class WindowTally {
  private readonly pairs = new Map<string, PairTally>();
  private readonly privateSource = new Map<string, boolean | null>();
  private readonly windows: RuleWindows;

  constructor(readonly now: Micros) {
    this.windows = ruleWindows(now);
  }

  addAll(sessions: readonly Session[]): void {
    for (const session of sessions) this.add(session);
  }

  add(session: Session): void {
    const port = sessionPort(session);
    const key = `${session.src}\u0000${port}`;
    let tally = this.pairs.get(key);
    if (!tally) {
      tally = { src: session.src, port, baseline: 0, recent: 0, afterNow: 0, ruleBaseline: 0, ruleRecent: 0 };
      this.pairs.set(key, tally);
    }
    const w = this.windows;
    const inBaseline = session.ts >= w.baselineStart && session.ts <= w.baselineEnd;
    const inRecent = session.ts >= w.recentStart && session.ts <= w.recentEnd;
    // The rule's record filter: private IPv4 source, SMB port as a whole term, source ≠ destination (§3.5–3.7).
    const kept = this.isPrivate(session.src) === true && SMB_PORTS.has(port) && session.src !== session.dst;
    if (inBaseline) tally.baseline++;
    if (inRecent) tally.recent++;
    if (session.ts > w.recentEnd) tally.afterNow++;
    if (kept && inBaseline) tally.ruleBaseline++;
    if (kept && inRecent) tally.ruleRecent++;
  }

  private isPrivate(src: string): boolean | null {
    let result = this.privateSource.get(src);
    if (result === undefined) {
      result = ipv4IsPrivate(src);
      this.privateSource.set(src, result);
    }
    return result;
  }

  get(src: string, port: number): PairTally {
    return this.pairs.get(`${src}\u0000${port}`) ?? { src, port, baseline: 0, recent: 0, afterNow: 0, ruleBaseline: 0, ruleRecent: 0 };
  }

  all(): PairTally[] {
    return [...this.pairs.values()];
  }
}

/** One result row of the rule: its projected columns (§3.14). */
export interface RuleRow {
  readonly SrcIpAddr: string;
  readonly DstPortNumber: number;
  readonly Deviation: number;
  readonly Count: number;
}

/** The deviation of a pair that survives the inner join (§3.10–3.12), or null when the join drops it. */
export function deviationOf(tally: PairTally): number | null {
  if (tally.ruleBaseline === 0 || tally.ruleRecent === 0) return null;
  return Math.abs(tally.ruleRecent - tally.ruleBaseline) / tally.ruleBaseline;
}

/** The rule's result at a threshold, sorted by source then port (the rule itself does not sort). */
export function expectedRows(tallies: readonly PairTally[], threshold: number): RuleRow[] {
  const rows: RuleRow[] = [];
  for (const tally of tallies) {
    const deviation = deviationOf(tally);
    if (deviation !== null && deviation > threshold) {
      rows.push({ SrcIpAddr: tally.src, DstPortNumber: tally.port, Deviation: deviation, Count: tally.ruleRecent });
    }
  }
  return sortRows(rows);
}

export function sortRows<T extends { SrcIpAddr: string; DstPortNumber: number }>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.SrcIpAddr < b.SrcIpAddr ? -1 : a.SrcIpAddr > b.SrcIpAddr ? 1 : a.DstPortNumber - b.DstPortNumber));
}
