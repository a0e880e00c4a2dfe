/**
 * One office day of a lab network's ordinary SMB: people at their desks (group policy against their domain
 * controller, their shares, now and then a team share, another department's share or a colleague's machine),
 * machines left on, and the servers' own SMB: directory replication, the nightly backup, scan-to-folder printers,
 * the management server's software pushes and the clients pulling from it, and the weekly vulnerability scan.
 *
 * Whether an inbound connection is answered depends on the target being up at that instant (a desk machine is on
 * while its user is in; some are left on), on its host firewall (some workstations drop inbound SMB except from
 * the servers' subnet), and on it being Windows (Linux hosts reject 445).
 */
import type { Micros } from '../../asim/record.js';
import { MICROS_PER_MINUTE } from '../period.js';
import { Random, streamFor } from '../random.js';
import type { ConnState } from '../services.js';
import type { Session } from '../traffic.js';
import type { LabCalendar } from './calendar.js';
import type { LabHost, LabNetwork, LabWorkstation } from './network.js';

export type Emit = (session: Session) => void;

/** When a machine is up on one office day: spans of instants. */
export interface DayPlan {
  readonly present: boolean;
  readonly desk?: readonly [Micros, Micros];
  readonly on: ReadonlyArray<readonly [Micros, Micros]>;
}

export class LabDay {
  readonly rng: Random;
  readonly plans = new Map<string, DayPlan>();
  readonly workday: boolean;

  constructor(
    readonly network: LabNetwork,
    readonly calendar: LabCalendar,
    readonly index: number,
  ) {
    this.rng = streamFor(network.profile.seed, 'lab-day', network.profile.family, index);
    this.workday = calendar.isWorkday(index);
    for (const ws of network.workstations) this.plans.set(ws.host.ip, this.planFor(ws));
  }

  private planFor(ws: LabWorkstation): DayPlan {
    const onHoliday = ws.vacation !== undefined && this.index >= ws.vacation[0] && this.index <= ws.vacation[1];
    const present = this.workday && !onHoliday && this.rng.chance(ws.attendance);
    const wholeDay: [Micros, Micros] = [this.calendar.officeTime(this.index, 0), this.calendar.officeTime(this.index, 24 * 60)];
    if (!present) return { present, on: ws.leftOn ? [wholeDay] : [] };
    const desk: [Micros, Micros] = [
      this.calendar.officeTime(this.index, ws.arrival + 20 * this.rng.normal()),
      this.calendar.officeTime(this.index, ws.departure + 20 * this.rng.normal()),
    ];
    return { present, desk, on: [ws.leftOn ? wholeDay : desk] };
  }

  /** Whether the host at `ip` is up at `ts` (servers always are; unknown addresses never). */
  isUp(ip: string, ts: Micros): boolean {
    const plan = this.plans.get(ip);
    if (plan) return plan.on.some(([from, to]) => ts >= from && ts < to);
    return this.network.byIp.has(ip);
  }

  /** How an SMB connection from `src` to `dst` at `ts` ends: undefined (answered), S0 or REJ. */
  answer(src: string, dst: string, ts: Micros, options: { ignoreFirewall?: boolean } = {}): ConnState | undefined {
    const host = this.network.byIp.get(dst);
    if (!host || !this.isUp(dst, ts)) return 'S0';
    if (!host.windows) return 'REJ';
    if (!options.ignoreFirewall && this.dropsInbound(host, src)) return 'S0';
    return undefined;
  }

  private dropsInbound(host: LabHost, src: string): boolean {
    if (host.role !== 'workstation') return false;
    const ws = this.workstationOf(host.ip);
    const fromServers = src.startsWith(`${this.network.profile.prefix}.0.`);
    return ws !== undefined && ws.firewalled && !fromServers;
  }

  workstationOf(ip: string): LabWorkstation | undefined {
    return workstationIndex(this.network).get(ip);
  }

  /** A uniformly random instant in [from, to). */
  between(from: Micros, to: Micros): Micros {
    return from + Math.floor(this.rng.next() * (to - from));
  }

  office(minute: number): Micros {
    return this.calendar.officeTime(this.index, minute);
  }
}

const indexes = new WeakMap<LabNetwork, Map<string, LabWorkstation>>();

function workstationIndex(network: LabNetwork): Map<string, LabWorkstation> {
  let index = indexes.get(network);
  if (!index) {
    index = new Map(network.workstations.map((ws) => [ws.host.ip, ws]));
    indexes.set(network, index);
  }
  return index;
}

/** Every ordinary SMB session of one office day. */
export function ordinaryDay(day: LabDay, emit: Emit): void {
  for (const ws of day.network.workstations) workstationDay(day, ws, emit);
  serverDay(day, emit);
}

function smb(ts: Micros, src: string, dst: string, state?: ConnState): Session {
  return state ? { ts, src, dst, service: 'smb', state } : { ts, src, dst, service: 'smb' };
}

function workstationDay(day: LabDay, ws: LabWorkstation, emit: Emit): void {
  const { rng, network } = day;
  const profile = network.profile;
  const plan = day.plans.get(ws.host.ip)!;
  const src = ws.host.ip;
  const to = (dst: string, ts: Micros, options?: { ignoreFirewall?: boolean }): void => emit(smb(ts, src, dst, day.answer(src, dst, ts, options)));
  if (ws.host.windows) {
    // Group policy refresh against the domain controller while the machine is up.
    const step = profile.gpoMinutes * MICROS_PER_MINUTE;
    for (const [from, until] of plan.on) {
      for (let ts = from + Math.floor(rng.next() * step * 0.2); ts < until; ts += Math.floor(step * (0.85 + 0.3 * rng.next()))) to(ws.dc, ts);
    }
  }
  if (!plan.present || !plan.desk) return;
  const [deskStart, deskEnd] = plan.desk;
  const atDesk = (): Micros => day.between(deskStart, deskEnd);
  if (!ws.host.windows) {
    const share = ws.shareMoves && day.index >= ws.shareMoves.day ? ws.shareMoves.to : ws.departmentShare;
    if (rng.chance(0.1)) for (let i = rng.int(1, 2); i > 0; i--) to(share, atDesk());
    return;
  }
  const departmentShare = ws.shareMoves && day.index >= ws.shareMoves.day ? ws.shareMoves.to : ws.departmentShare;
  const heavy = rng.chance(profile.heavyDayChance) ? 2 + rng.next() : 1;
  const count = rng.around(ws.shareSessions * heavy, profile.dailyNoise);
  for (let i = 0; i < count; i++) to(rng.chance(0.4) ? ws.commonShare : departmentShare, atDesk());
  if (ws.teamShare && rng.chance(ws.teamShare.use)) for (let i = rng.int(1, 3); i > 0; i--) to(ws.teamShare.host, atDesk(), { ignoreFirewall: true });
  if (rng.chance(profile.otherShareChance)) {
    const other = rng.pick(network.departmentShares.filter((s) => s !== ws.departmentShare).concat(network.commonShares));
    for (let i = rng.int(1, 2); i > 0; i--) to(other, atDesk());
  }
  if (rng.chance(profile.oneOffPeerChance)) {
    const peer = rng.pick(network.workstations).host.ip;
    if (peer !== src) to(peer, atDesk(), { ignoreFirewall: true });
  }
  if (rng.chance(0.15)) to(network.management.ip, atDesk());
  if (ws.admin) {
    const servers = [...network.domainControllers, ...network.fileServers].map((h) => h.ip);
    for (let i = rng.int(2, 5); i > 0; i--) to(rng.pick(servers), atDesk());
  }
  if (ws.helpdesk) {
    for (let k = rng.int(0, 5); k > 0; k--) {
      const target = rng.pick(network.workstations).host.ip;
      const ts = atDesk();
      for (let i = rng.int(1, 3); i > 0; i--) to(target, ts + i * 20 * 1_000_000, { ignoreFirewall: true });
    }
  }
}

function serverDay(day: LabDay, emit: Emit): void {
  const { rng, network, calendar } = day;
  const profile = network.profile;
  const dayStart = calendar.officeTime(day.index, 0);
  const everyDay = (count: number, src: string, dst: string): void => {
    const step = (24 * 60 * MICROS_PER_MINUTE) / count;
    for (let k = 0; k < count; k++) emit(smb(dayStart + Math.floor((k + 0.5 + 0.1 * rng.normal()) * step), src, dst));
  };
  for (const a of network.domainControllers) for (const b of network.domainControllers) if (a !== b) everyDay(12, a.ip, b.ip);
  // The nightly backup of every file server and domain controller, 01:00–04:00 office time.
  for (const fs of network.fileServers) for (let i = rng.around(60, 0.1); i > 0; i--) emit(smb(day.between(day.office(60), day.office(240)), network.backup.ip, fs.ip));
  for (const dc of network.domainControllers) for (let i = 4; i > 0; i--) emit(smb(day.between(day.office(60), day.office(240)), network.backup.ip, dc.ip));
  if (day.workday) {
    for (const printer of network.printers) {
      for (let i = rng.around(15, 0.3); i > 0; i--) emit(smb(day.between(day.office(8 * 60), day.office(18 * 60)), printer.ip, network.commonShares[0]!));
    }
    softwarePush(day, emit);
  }
  if (calendar.weekday(day.index) === profile.scanWeekday) vulnerabilityScan(day, emit);
}

/** The management server installs software on a few clients each working day (client push, retries). */
function softwarePush(day: LabDay, emit: Emit): void {
  const { rng, network } = day;
  const windows = network.workstations.filter((ws) => ws.host.windows);
  const src = network.management.ip;
  for (const ws of rng.shuffled(windows).slice(0, rng.around(network.profile.pushPerDay, 0.3))) {
    const ts = day.between(day.office(9 * 60), day.office(17 * 60));
    const state = day.answer(src, ws.host.ip, ts);
    for (let i = 0; i < (state ? 1 : 3); i++) emit(smb(ts + i * 3_000_000, src, ws.host.ip, state));
  }
}

/** The weekly credentialed scan: every address of the servers' and workstations' subnets, 445 then 139. */
function vulnerabilityScan(day: LabDay, emit: Emit): void {
  const { network } = day;
  const p = network.profile.prefix;
  const targets: string[] = [];
  for (const third of [0, 1, 2, ...network.subnets]) for (let last = 1; last <= 254; last++) targets.push(`${p}.${third}.${last}`);
  const src = network.scanner.ip;
  let ts = day.office(network.profile.scanHour * 60);
  const step = Math.floor((75 * MICROS_PER_MINUTE) / targets.length);
  for (const dst of targets) {
    if (dst === src) continue;
    ts += step;
    const state = day.answer(src, dst, ts);
    emit(smb(ts, src, dst, state));
    emit({ ts: ts + 40_000, src, dst, service: 'netbiosSmb', ...(state ? { state } : {}) });
  }
}
