/**
 * Whole-process measurements: a command run as a user runs it, in its own node process, timed from outside (from
 * spawn to exit), its CPU time and peak memory as the process itself reports them when it ends. Comparisons run the
 * two commands in turn (A B A B …), so that a machine whose speed drifts (other work on it) affects both alike, and
 * the ratio is taken pair by pair.
 */
import { spawnSync } from 'node:child_process';
import { writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface ProcessFigures {
  /** Wall time from spawn to exit. */
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly maxRssBytes: number;
  /** What the child reported besides its usage (a result to check). */
  readonly report: Record<string, unknown>;
  /** What it printed. */
  readonly stdout: string;
  readonly stderr: string;
}

/** A node script of the benchmark (under dist/bench/) with its arguments. */
export interface Child {
  readonly script: string;
  readonly args: readonly string[];
}

export const child = (script: string, ...args: string[]): Child => ({ script, args });

/**
 * Runs a child script; it writes one JSON object to fd 3 when it ends (see reportUsage). Its stdout is kept (results
 * to check), its stderr only shown when it fails.
 */
export function runChild(command: Child): ProcessFigures {
  const path = fileURLToPath(new URL(command.script, import.meta.url));
  const started = performance.now();
  const result = spawnSync(process.execPath, [path, ...command.args], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    maxBuffer: 1 << 24,
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  const reported = result.output[3];
  if (result.status !== 0 || !reported) {
    throw new Error(`${command.script} ${command.args.join(' ')} failed (status ${result.status}): ${String(result.output[2]).slice(-2000)}`);
  }
  const { cpuSeconds, maxRssBytes, ...report } = JSON.parse(reported) as { cpuSeconds: number; maxRssBytes: number };
  return { seconds, cpuSeconds, maxRssBytes, report, stdout: String(result.output[1]), stderr: String(result.output[2]) };
}

/** In a child: the process's CPU time and peak memory, with anything else to report, on fd 3. */
export function reportUsage(report: Record<string, unknown> = {}): void {
  const usage = process.resourceUsage();
  const figures = { ...report, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, maxRssBytes: usage.maxRSS * 1024 };
  writeSync(3, JSON.stringify(figures));
}

export interface Pairing {
  readonly a: ProcessFigures[];
  readonly b: ProcessFigures[];
  /** a / b wall time, pair by pair. */
  readonly ratios: number[];
}

/**
 * A and B in turn, `pairs` times, after `prepare` (run before each process: e.g. a fresh database). One warm-up
 * pair first, not counted (file cache, lazy setup).
 */
export function pairRuns(a: Child, b: Child, pairs: number, prepare: (which: 'a' | 'b') => void = () => undefined): Pairing {
  const figures: Pairing = { a: [], b: [], ratios: [] };
  for (let round = 0; round <= pairs; round++) {
    prepare('a');
    const ours = runChild(a);
    prepare('b');
    const theirs = runChild(b);
    if (round === 0) continue;
    figures.a.push(ours);
    figures.b.push(theirs);
    figures.ratios.push(ours.seconds / theirs.seconds);
  }
  return figures;
}

/**
 * a / b CPU time (user + system, every thread), pair by pair: on a machine shared with other work, wall time also
 * measures the others' load; CPU time measures the work each process did.
 */
export function cpuRatios(pairing: Pairing): number[] {
  return pairing.a.map((figures, index) => figures.cpuSeconds / pairing.b[index]!.cpuSeconds);
}

/** The machine's load when a figure was taken (1-minute load average, `uptime`), to print beside it. */
export function machineLoad(): string {
  return loadavg()[0]!.toFixed(1);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const MiB = 1024 * 1024;
export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;
export const secs = (seconds: number): string => (seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`);
export const count = (n: number): string => Math.round(n).toLocaleString('en-US');
