/**
 * Generates the demo data set: the office network's Zeek conn logs for fifteen days (plus the hour after T),
 * with the episode and edge cases planted, and the manifest describing them.
 *
 * Layout of the demo directory:
 *   <dir>/logs/YYYY-MM-DD/conn.HH:00:00-HH:00:00.log.gz   the logs (ingested as one directory)
 *   <dir>/manifest.json                                    what was generated and planted (written last)
 *   <dir>/.smbwatch-demo                                   marks the directory as the demo's, so a rerun may replace its logs
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { plantedCases } from './cases.js';
import { expectedRows, THRESHOLDS, thresholdKey, WindowTally, type RuleRow, type ThresholdKey } from './expectation.js';
import { GENERATOR_VERSION, isDemoManifest, MANIFEST_FORMAT, plantedPair, type DemoManifest } from './manifest.js';
import { buildNetwork, DEFAULT_WORKSTATIONS } from './network.js';
import {
  DEMO_DAYS,
  DEMO_EVALUATION_TIME,
  MICROS_PER_HOUR,
  OFFICE_TIME_ZONE_LABEL,
  dayStart,
  isoMicros,
  isWeekend,
  ruleWindows,
  utcDate,
} from './period.js';
import { essentialsEpisodes } from './essentials.js';
import { castScenario, edgeCaseSessions, lateralMovement, LAST_DAY, TAIL_DAY, type Episode } from './scenario.js';
import { sessionPort } from './services.js';
import { normalDay, type Session } from './traffic.js';
import { writeDay, type WrittenFile } from './zeek-writer.js';

export interface DemoDataOptions {
  readonly seed: number;
  readonly workstations: number;
}

export const DEFAULT_DEMO_OPTIONS: DemoDataOptions = { seed: 1, workstations: DEFAULT_WORKSTATIONS };

export const MANIFEST_FILE = 'manifest.json';
export const LOGS_DIR = 'logs';
const MARKER_FILE = '.smbwatch-demo';

export function logsDirOf(dir: string): string {
  return join(dir, LOGS_DIR);
}

/** Writes the logs and the manifest into `dir`, replacing earlier demo logs there. */
export async function generateDemoData(dir: string, options: DemoDataOptions): Promise<DemoManifest> {
  const logsDir = logsDirOf(dir);
  await claimDirectory(dir);
  const { network, cast } = castScenario(buildNetwork(options.seed, { workstations: options.workstations }), options.seed);
  const edges = edgeCaseSessions(network, cast, options.seed);
  const essentials = essentialsEpisodes(network, options.seed);
  const tally = new WindowTally(DEMO_EVALUATION_TIME);
  const attackerContacts = new Set<string>();
  const files: WrittenFile[] = [];
  const perDay: Array<{ date: string; weekend: boolean; sessions: number }> = [];
  let episode: Episode | undefined;
  let smbSessions = 0;
  for (let day = 0; day <= TAIL_DAY; day++) {
    let sessions: Session[] = normalDay(network, options.seed, day);
    // After the period, only the hour following T is kept: the sensor went on logging past the rule's run.
    if (day === TAIL_DAY) sessions = sessions.filter((s) => s.ts < DEMO_EVALUATION_TIME + MICROS_PER_HOUR);
    if (day <= LAST_DAY) for (const s of sessions) if (s.src === cast.compromised.host.ip) attackerContacts.add(s.dst);
    sessions.push(...(edges.byDay.get(day) ?? []));
    sessions.push(...(essentials.byDay.get(day) ?? []));
    if (day === LAST_DAY) {
      episode = lateralMovement(network, cast, options.seed, attackerContacts);
      sessions.push(...episode.sessions);
    }
    tally.addAll(sessions);
    smbSessions += sessions.filter((s) => sessionPort(s) === 445 || sessionPort(s) === 139).length;
    files.push(...(await writeDay(logsDir, options.seed, dayStart(day), sessions)));
    if (day < DEMO_DAYS) perDay.push({ date: utcDate(dayStart(day)), weekend: isWeekend(day), sessions: sessions.length });
  }
  if (!episode) throw new Error('the episode was not generated');
  const windows = ruleWindows(DEMO_EVALUATION_TIME);
  const expected = Object.fromEntries(
    THRESHOLDS.map((threshold) => [thresholdKey(threshold), expectedRows(tally.all(), threshold)]),
  ) as Record<ThresholdKey, RuleRow[]>;
  const manifest: DemoManifest = {
    format: MANIFEST_FORMAT,
    generatorVersion: GENERATOR_VERSION,
    seed: options.seed,
    workstations: options.workstations,
    dataset: datasetId(files),
    evaluationTime: isoMicros(DEMO_EVALUATION_TIME),
    evaluationTimeMicros: DEMO_EVALUATION_TIME,
    officeTimeZone: OFFICE_TIME_ZONE_LABEL,
    period: {
      start: isoMicros(dayStart(0)),
      end: isoMicros(DEMO_EVALUATION_TIME),
      days: DEMO_DAYS,
      logsUntil: isoMicros(DEMO_EVALUATION_TIME + MICROS_PER_HOUR),
    },
    windows: {
      baseline: [isoMicros(windows.baselineStart), isoMicros(windows.baselineEnd)],
      recent: [isoMicros(windows.recentStart), isoMicros(windows.recentEnd)],
    },
    totals: {
      sessions: files.reduce((sum, f) => sum + f.sessions, 0),
      smbSessions,
      afterNow: tally.all().reduce((sum, t) => sum + t.afterNow, 0),
      files: files.length,
      perDay,
    },
    hosts: network.hosts.map((h) => ({
      name: h.name,
      ip: h.ip,
      ...(h.ipv6 ? { ipv6: h.ipv6 } : {}),
      role: h.role,
      ...(h.department ? { department: h.department } : {}),
    })),
    episode: {
      host: episode.host.name,
      ip: episode.host.ip,
      start: isoMicros(episode.start),
      end: isoMicros(episode.end),
      newDestinations: episode.newDestinations,
      unanswered: episode.unanswered,
      lateralHosts: episode.lateralHosts,
      share: episode.share,
      spikeToShare: episode.spikeToShare,
      pair: plantedPair(tally.get(episode.host.ip, 445)),
    },
    cases: plantedCases(network, cast, tally),
    boundaryRecords: [...edges.boundaryRecords]
      .sort((a, b) => a.ts - b.ts)
      .map((r) => ({ caseId: r.caseId, at: r.at, ts: isoMicros(r.ts), tsMicros: r.ts, srcIpAddr: r.src, dstIpAddr: r.dst, dstPortNumber: r.port })),
    essentials: essentials.episodes,
    expected,
    files,
  };
  await writeFileAtomically(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Names the data set by its content: the same files, the same id. */
function datasetId(files: readonly WrittenFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.path}\u0000${file.sha256}\n`);
  return hash.digest('hex');
}

/**
 * Makes `dir` the demo's and removes earlier demo logs (an hour that held data for another seed must not
 * linger). A logs directory that the demo did not create is never removed.
 */
async function claimDirectory(dir: string): Promise<void> {
  const logsDir = logsDirOf(dir);
  const marker = join(dir, MARKER_FILE);
  if (existsSync(logsDir) && !existsSync(marker)) {
    throw new Error(`${logsDir} exists and was not written by smbwatch demo; choose another --dir`);
  }
  await mkdir(dir, { recursive: true });
  await writeFile(marker, 'This directory holds data generated by `smbwatch demo`; it may be regenerated.\n');
  await rm(join(dir, MANIFEST_FILE), { force: true });
  await rm(logsDir, { recursive: true, force: true });
  await mkdir(logsDir, { recursive: true });
}

async function writeFileAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/**
 * The manifest of data already in `dir` when it was generated with these options and every file is intact;
 * undefined when the data must be (re)generated.
 */
export async function reusableDemoData(dir: string, options: DemoDataOptions): Promise<DemoManifest | undefined> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (!isDemoManifest(manifest)) return undefined;
  if (manifest.generatorVersion !== GENERATOR_VERSION || manifest.seed !== options.seed || manifest.workstations !== options.workstations) {
    return undefined;
  }
  for (const file of manifest.files) {
    const path = join(logsDirOf(dir), ...file.path.split('/'));
    const content = await readFile(path).catch(() => undefined);
    if (!content || createHash('sha256').update(content).digest('hex') !== file.sha256) return undefined;
  }
  return manifest;
}

/** The data set for these options: reused when intact, generated otherwise. */
export async function ensureDemoData(
  dir: string,
  options: DemoDataOptions,
): Promise<{ manifest: DemoManifest; generated: boolean; seconds: number }> {
  const started = performance.now();
  const existing = await reusableDemoData(dir, options);
  const manifest = existing ?? (await generateDemoData(dir, options));
  return { manifest, generated: existing === undefined, seconds: (performance.now() - started) / 1000 };
}
