/**
 * Generates one lab: its sensors' logs, day by day, and `manifest.json` with the profile, the hosts' roles, every
 * planted episode's label and the files written (with SHA-256). A rerun with the same spec finds the manifest and
 * intact files and reuses them.
 *
 * Layout of a lab directory (one file per sensor for the whole period, each ingested in one go):
 *   logs/zeek/conn.log, logs/zeek-servers/conn.log, logs/windows/events.jsonl   (as the sensor layout has them)
 *   logs/real/replayed.jsonl        the real episodes, as ASIM records moved onto lab hosts
 *   manifest.json                   written last
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { microsToIso } from '../../util/time.js';
import { streamFor } from '../random.js';
import type { Session } from '../traffic.js';
import { LAB_DAYS, LabCalendar } from './calendar.js';
import { planLab, type EpisodeLabel, type LabPlan } from './episodes.js';
import { buildLabNetwork, type LabRole } from './network.js';
import { drawProfile, type LabProfile, type LabSpec } from './profile.js';
import { asimJsonLine, replayRecords } from './real.js';
import { LabDay, ordinaryDay } from './traffic.js';
import { LabLogWriter, type WrittenLog } from './writers.js';

/** Bump when the generator's output changes, so that old labs are regenerated. */
export const LAB_GENERATOR_VERSION = 2;
export const LAB_MANIFEST = 'manifest.json';
const MARKER = '.smbwatch-lab';

export type LabFileEntry = WrittenLog;

export interface LabManifest {
  readonly generatorVersion: number;
  readonly spec: LabSpec;
  readonly profile: LabProfile;
  /** Identifies the content: a hash over the files' hashes. */
  readonly dataset: string;
  readonly period: { readonly start: string; readonly end: string; readonly days: number };
  /** The instants the detectors run at (ISO), oldest first. */
  readonly runTimes: readonly string[];
  readonly hosts: { readonly total: number; readonly byRole: Readonly<Partial<Record<LabRole, number>>> };
  readonly sessions: number;
  readonly episodes: readonly EpisodeLabel[];
  readonly files: readonly LabFileEntry[];
}

export function labLogsDir(dir: string): string {
  return join(dir, 'logs');
}

export async function generateLab(dir: string, spec: LabSpec): Promise<LabManifest> {
  await claim(dir);
  const profile = drawProfile(spec);
  const plan = planLab(profile, buildLabNetwork(profile));
  const { network, calendar } = plan;
  const writer = new LabLogWriter(network, labLogsDir(dir), calendar.start, calendar.end);
  const pending = new Map<number, Session[]>();
  const watched = watchedSources(plan);
  let sessions = 0;
  const flush = async (utcDay: number): Promise<void> => {
    const list = pending.get(utcDay) ?? [];
    pending.delete(utcDay);
    sessions += list.length;
    await writer.writeDay(list, streamFor(profile.seed, 'lab-writer', profile.family, utcDay));
  };
  const record = (session: Session, label?: EpisodeLabel): void => {
    if (session.ts < calendar.start || session.ts >= calendar.end) return;
    const utcDay = calendar.dayOf(session.ts);
    let list = pending.get(utcDay);
    if (!list) pending.set(utcDay, (list = []));
    list.push(session);
    if (label) addDay(label, utcDay);
    for (const watcher of watched.get(session.src) ?? []) if (watcher.window(utcDay)) addDay(watcher.label, utcDay);
  };
  for (let officeDay = 0; officeDay < LAB_DAYS; officeDay++) {
    const day = new LabDay(network, calendar, officeDay);
    ordinaryDay(day, (s) => record(s));
    for (const episode of plan.episodes) {
      if (episode.officeDays !== 'all' && !episode.officeDays.has(officeDay)) continue;
      episode.sessions(day, (s) => record(s, episode.label));
    }
    // An office day reaches at most into the next UTC day and starts after the previous one began: the day before
    // this office day is complete.
    if (officeDay >= 1) await flush(officeDay - 1);
  }
  await flush(LAB_DAYS - 1);

  const replayed: string[] = [];
  for (const replay of plan.replays) {
    for (const r of replayRecords(replay, calendar)) {
      replayed.push(asimJsonLine(r));
      addDay(replay.label, calendar.dayOf(Number(r.TimeGenerated)));
    }
  }
  await writer.writeLines('real/replayed.jsonl', replayed);
  const files = await writer.close();

  const manifest: LabManifest = {
    generatorVersion: LAB_GENERATOR_VERSION,
    spec,
    profile,
    dataset: datasetId(files),
    period: { start: microsToIso(calendar.start), end: microsToIso(calendar.end), days: LAB_DAYS },
    runTimes: calendar.runTimes().map((t) => microsToIso(t)),
    hosts: { total: network.hosts.length, byRole: countRoles(network.hosts.map((h) => h.role)) },
    sessions,
    episodes: [...plan.episodes.map((e) => e.label), ...plan.replays.map((r) => r.label)].map((l) => ({ ...l, days: [...l.days].sort((a, b) => a - b) })),
    files,
  };
  await writeFile(join(dir, `${LAB_MANIFEST}.tmp`), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(join(dir, `${LAB_MANIFEST}.tmp`), join(dir, LAB_MANIFEST));
  return manifest;
}

function addDay(label: EpisodeLabel, day: number): void {
  if (!label.days.includes(day)) label.days.push(day);
}

interface Watcher {
  readonly label: EpisodeLabel;
  readonly window: (utcDay: number) => boolean;
}

/**
 * Look-alikes made of ordinary traffic (a new employee, a return from holiday, the recurring servers): their
 * days are the days their sources are active, around the planted day (every day for the recurring ones).
 */
function watchedSources(plan: LabPlan): Map<string, Watcher[]> {
  const watched = new Map<string, Watcher[]>();
  for (const episode of plan.episodes) {
    if (!episode.ordinary) continue;
    const days = episode.officeDays;
    const window = days === 'all' ? () => true : (d: number) => [...days].some((o) => d >= o - 1 && d <= o + 1);
    for (const src of episode.label.sources) watched.set(src, [...(watched.get(src) ?? []), { label: episode.label, window }]);
  }
  return watched;
}

function countRoles(roles: readonly LabRole[]): Partial<Record<LabRole, number>> {
  const counts: Partial<Record<LabRole, number>> = {};
  for (const role of roles) counts[role] = (counts[role] ?? 0) + 1;
  return counts;
}

function datasetId(files: readonly LabFileEntry[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.path}\u0000${file.sha256}\n`);
  return hash.digest('hex');
}

async function claim(dir: string): Promise<void> {
  const logs = labLogsDir(dir);
  if (existsSync(logs) && !existsSync(join(dir, MARKER))) throw new Error(`${logs} exists and was not written by smbwatch; choose another directory`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MARKER), 'This directory holds a lab network generated by `smbwatch evaluate`; it may be regenerated.\n');
  await rm(join(dir, LAB_MANIFEST), { force: true });
  await rm(logs, { recursive: true, force: true });
}

/** The lab already in `dir` when it was generated from this spec by this generator and its files are intact. */
export async function reusableLab(dir: string, spec: LabSpec): Promise<LabManifest | undefined> {
  let manifest: LabManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, LAB_MANIFEST), 'utf8')) as LabManifest;
  } catch {
    return undefined;
  }
  if (manifest.generatorVersion !== LAB_GENERATOR_VERSION || JSON.stringify(manifest.spec) !== JSON.stringify(spec)) return undefined;
  for (const file of manifest.files) {
    if ((await fileHash(join(labLogsDir(dir), ...file.path.split('/')))) !== file.sha256) return undefined;
  }
  return manifest;
}

async function fileHash(path: string): Promise<string | undefined> {
  if (!existsSync(path)) return undefined;
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}

export async function ensureLab(dir: string, spec: LabSpec): Promise<{ manifest: LabManifest; generated: boolean }> {
  const existing = await reusableLab(dir, spec);
  return existing ? { manifest: existing, generated: false } : { manifest: await generateLab(dir, spec), generated: true };
}
