/**
 * Writes sessions as Zeek would: `conn` logs in TSV, rotated hourly and gzipped into one directory per day,
 * `logs/YYYY-MM-DD/conn.HH:00:00-HH:00:00.log.gz` (Zeek's log-archive layout). Files are placed by the
 * session's start time (Zeek files a connection when it closes; for the short sessions here that is the same
 * hour almost always).
 *
 * The details of each line (ports, uid, bytes, durations, how the connection ended) are drawn here, from a
 * stream seeded per file, so the same sessions always become the same bytes.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Micros } from '../asim/record.js';
import { MICROS_PER_HOUR, MICROS_PER_SECOND, isoMicros, utcDate } from './period.js';
import { Random, streamFor } from './random.js';
import { SERVICES, sessionPort, type ConnState, type ServiceProfile } from './services.js';
import type { Session } from './traffic.js';

const FIELDS = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes',
  'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes',
  'tunnel_parents',
];
const TYPES = [
  'time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count',
  'string', 'bool', 'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]',
];

export interface WrittenFile {
  /** Relative to the logs directory, with `/` separators. */
  readonly path: string;
  readonly sessions: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** Writes one UTC day's sessions into its hourly files. Sessions must lie in [dayStart, dayStart + 24h). */
const gzipAsync = promisify(gzip);

export async function writeDay(logsDir: string, seed: number, dayStartMicros: Micros, sessions: Session[]): Promise<WrittenFile[]> {
  // Stable sort: sessions at the same microsecond keep their generation order.
  const sorted = [...sessions].sort((a, b) => a.ts - b.ts);
  // Compression runs on libuv's threads while this thread formats the next hour.
  const pending: Array<Promise<WrittenFile>> = [];
  let from = 0;
  for (let hour = 0; hour < 24 && from < sorted.length; hour++) {
    const hourStart = dayStartMicros + hour * MICROS_PER_HOUR;
    const hourEnd = hourStart + MICROS_PER_HOUR;
    let to = from;
    while (to < sorted.length && sorted[to]!.ts < hourEnd) to++;
    if (to === from) continue; // Zeek writes no file for an hour without records
    const relative = `${utcDate(hourStart)}/${hourFileName(hour)}`;
    const text = formatConnLog(sorted.slice(from, to), hourStart, streamFor(seed, 'details', relative));
    pending.push(compressAndWrite(join(logsDir, ...relative.split('/')), relative, text, to - from));
    from = to;
  }
  const written = await Promise.all(pending);
  if (from !== sorted.length) throw new Error(`a session lies outside the day starting ${isoMicros(dayStartMicros)}`);
  return written;
}

async function compressAndWrite(path: string, relative: string, text: string, sessions: number): Promise<WrittenFile> {
  const gz = await gzipAsync(Buffer.from(text, 'utf8'), { level: 6 });
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, gz);
  return { path: relative, sessions, bytes: gz.length, sha256: createHash('sha256').update(gz).digest('hex') };
}

/** `conn.09:00:00-10:00:00.log.gz`; the last hour ends at `00:00:00`. */
export function hourFileName(hour: number): string {
  const hh = (h: number): string => String(h % 24).padStart(2, '0');
  return `conn.${hh(hour)}:00:00-${hh(hour + 1)}:00:00.log.gz`;
}

/** Zeek's `#open`/`#close` stamp: `2025-02-04-09-00-00`. */
function zeekStamp(micros: Micros): string {
  return isoMicros(micros).slice(0, 19).replace('T', '-').replace(/:/g, '-');
}

export function formatConnLog(sessions: readonly Session[], hourStart: Micros, rng: Random): string {
  const lines = [...connLogHeader(hourStart)];
  for (const session of sessions) lines.push(connLine(session, rng));
  lines.push(connLogTrailer(hourStart + MICROS_PER_HOUR));
  return `${lines.join('\n')}\n`;
}

/** The header lines of a conn log opened at `openedAt`; a log written in parts (connLine) starts with them. */
export function connLogHeader(openedAt: Micros): string[] {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    `#open\t${zeekStamp(openedAt)}`,
    `#fields\t${FIELDS.join('\t')}`,
    `#types\t${TYPES.join('\t')}`,
  ];
}

export function connLogTrailer(closedAt: Micros): string {
  return `#close\t${zeekStamp(closedAt)}`;
}

function epochText(micros: Micros): string {
  const seconds = Math.floor(micros / MICROS_PER_SECOND);
  return `${seconds}.${String(micros - seconds * MICROS_PER_SECOND).padStart(6, '0')}`;
}

const UID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function uid(rng: Random): string {
  let text = 'C';
  for (let i = 0; i < 17; i++) text += UID_ALPHABET[rng.uint32() % UID_ALPHABET.length];
  return text;
}

function drawState(rng: Random, profile: ServiceProfile): ConnState {
  let u = rng.next();
  for (const [state, weight] of profile.states) {
    u -= weight;
    if (u < 0) return state;
  }
  return profile.states[0]![0];
}

/** Zeek's local_orig/local_resp with Site::local_nets = 10.0.0.0/8 and fd00::/8. */
function isLocal(address: string): boolean {
  return address.startsWith('10.') || address.startsWith('fd');
}

const TCP_HISTORY: Record<ConnState, string> = {
  SF: 'ShADadFf',
  S0: 'S',
  S1: 'ShADad',
  REJ: 'Sr',
  RSTO: 'ShADadR',
  RSTR: 'ShADadr',
  SH: 'ShF',
  OTH: 'Dd',
};

/** One TSV line: the 21 conn fields in `FIELDS` order. */
export function connLine(session: Session, rng: Random): string {
  const profile = SERVICES[session.service];
  const state = session.state ?? drawState(rng, profile);
  const tcp = profile.proto === 'tcp';
  const headerBytes = tcp ? 40 : 28;
  const origPort = rng.int(49152, 65535);
  let duration = '-';
  let origBytes = '-';
  let respBytes = '-';
  let origPkts = 1;
  let respPkts = 0;
  let origIpBytes: number;
  let respIpBytes = 0;
  let history: string;
  if (state === 'S0') {
    origPkts = tcp ? rng.int(1, 3) : 1;
    const payload = tcp ? 0 : Math.round(rng.logNormal(...profile.origBytes));
    if (!tcp) {
      duration = '0.000000';
      origBytes = String(payload);
      respBytes = '0';
    }
    origIpBytes = origPkts * (headerBytes + 12) + payload;
    history = tcp ? 'S' : 'D';
  } else if (state === 'REJ') {
    duration = (rng.next() * 0.002).toFixed(6);
    origBytes = '0';
    respBytes = '0';
    origIpBytes = 52;
    respPkts = 1;
    respIpBytes = 40;
    history = 'Sr';
  } else {
    const orig = Math.round(rng.logNormal(...profile.origBytes));
    const resp = Math.round(rng.logNormal(...profile.respBytes));
    duration = rng.logNormal(...profile.duration).toFixed(6);
    origBytes = String(orig);
    respBytes = String(resp);
    origPkts = Math.max(1, Math.ceil(orig / 1200)) + (tcp ? 3 : 0);
    respPkts = resp === 0 ? 0 : Math.max(1, Math.ceil(resp / 1400)) + (tcp ? 2 : 0);
    origIpBytes = orig + origPkts * headerBytes;
    respIpBytes = resp + respPkts * headerBytes;
    history = tcp ? TCP_HISTORY[state] : resp === 0 ? 'D' : 'Dd';
  }
  const service = profile.service === '' ? '-' : profile.service;
  const localOrig = isLocal(session.src) ? 'T' : 'F';
  const localResp = isLocal(session.dst) ? 'T' : 'F';
  return (
    `${epochText(session.ts)}\t${uid(rng)}\t${session.src}\t${origPort}\t${session.dst}\t${sessionPort(session)}\t${profile.proto}\t` +
    `${service}\t${duration}\t${origBytes}\t${respBytes}\t${state}\t${localOrig}\t${localResp}\t0\t${history}\t` +
    `${origPkts}\t${origIpBytes}\t${respPkts}\t${respIpBytes}\t-`
  );
}
