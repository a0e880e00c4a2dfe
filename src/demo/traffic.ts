/**
 * One day of the office's ordinary traffic: people at their desks on weekdays (arrival around 09:00, lunch
 * dip, departure around 18:00 office time), machines left on overnight and over the weekend, and the servers'
 * round-the-clock chatter (replication, monitoring, backups, logs).
 *
 * Sessions here carry only what decides the seed rule and the story (when, who, to whom, which service);
 * the writer draws the rest (ports, bytes, durations, states) when it formats them.
 */
import type { Micros } from '../asim/record.js';
import type { Host, Network, Workstation } from './network.js';
import { DEMO_DAYS, MICROS_PER_DAY, MICROS_PER_MINUTE, dayStart, isWeekend, officeTime, ruleWindows } from './period.js';
import { Random, streamFor } from './random.js';
import type { ConnState, ServiceName } from './services.js';

export interface Session {
  ts: Micros;
  src: string;
  dst: string;
  service: ServiceName;
  /** How the connection ended, when the scenario decides it (a firewalled target: S0); else drawn by the writer. */
  state?: ConnState;
  /** The destination port when it is not the service's own (a port scan's probes). */
  port?: number;
}

/** A span of office minutes with an optional lunch break inside it. */
interface DeskTime {
  readonly start: number;
  readonly end: number;
  readonly lunch?: number;
}

const LUNCH_MINUTES = 50;
/** Share of the usual activity left during lunch (people browse, few open files). */
const LUNCH_ACTIVITY = 0.3;
/** Day-to-day noise of a habit's count: a steady count ± 15%. */
const HABIT_NOISE = 0.15;

/** Background of a machine left on, per hour: name lookups, update checks, and group policy every ~90 minutes. */
const BACKGROUND_PER_HOUR = { dns: 2, https: 1, smb: 1 / 1.5 } as const;

export function normalDay(network: Network, seed: number, dayIndex: number): Session[] {
  const day = new DayBuilder(streamFor(seed, 'day', dayIndex), dayIndex);
  for (const workstation of network.workstations) workstationDay(day, network, workstation);
  serverDay(day, network);
  return day.sessions;
}

class DayBuilder {
  readonly sessions: Session[] = [];
  readonly start: Micros;
  readonly end: Micros;
  readonly weekend: boolean;
  readonly last: boolean;

  constructor(
    readonly rng: Random,
    readonly index: number,
  ) {
    this.start = dayStart(index);
    this.end = dayStart(index + 1);
    this.weekend = isWeekend(index);
    this.last = index === DEMO_DAYS - 1;
  }

  add(ts: Micros, src: string, dst: string, service: ServiceName): Session {
    const session: Session = { ts: naturalTime(ts, this.start, this.end), src, dst, service };
    this.sessions.push(session);
    return session;
  }

  /** A uniformly random instant of the (UTC) day. */
  anyTime(): Micros {
    return this.start + Math.floor(this.rng.next() * MICROS_PER_DAY);
  }

  /** An instant at the desk: uniform over the span, thinned during lunch. */
  deskTime(desk: DeskTime): Micros {
    for (;;) {
      const minute = desk.start + this.rng.next() * (desk.end - desk.start);
      const atLunch = desk.lunch !== undefined && minute >= desk.lunch && minute < desk.lunch + LUNCH_MINUTES;
      if (!atLunch || this.rng.chance(LUNCH_ACTIVITY)) return officeTime(this.index, minute);
    }
  }

  /** `count` instants spread evenly over the day with a little jitter: pollers and schedulers. */
  periodic(count: number): Micros[] {
    const step = MICROS_PER_DAY / count;
    return Array.from({ length: count }, (_, k) => this.start + Math.floor((k + 0.5 + 0.1 * this.rng.normal()) * step));
  }

  /** An instant between two office minutes (e.g. the backup window 01:00–04:00). */
  between(fromMinute: number, toMinute: number): Micros {
    return officeTime(this.index, fromMinute + this.rng.next() * (toMinute - fromMinute));
  }
}

const BOUNDARIES = (() => {
  const windows = ruleWindows();
  return new Set([windows.baselineStart, windows.baselineEnd, windows.recentEnd]);
})();

/**
 * Ordinary traffic never lands exactly on a rule boundary (T−14d, T−1d, T): those instants belong to the
 * edge cases that test them, so what sits there is known. Also kept inside its UTC day, whose files hold it.
 */
function naturalTime(ts: Micros, start: Micros, end: Micros): Micros {
  let t = Math.min(Math.max(Math.round(ts), start), end - 1);
  if (BOUNDARIES.has(t)) t += 1;
  return t;
}

// ---------------------------------------------------------------------------------------------------------
// Workstations

function workstationDay(day: DayBuilder, network: Network, ws: Workstation): void {
  const rng = day.rng;
  const script = ws.script;
  const absentToday = day.last && script?.lastDay === 'absent';
  let desk: DeskTime | undefined;
  if (!absentToday) {
    if (!day.weekend && (script ? true : rng.chance(ws.attendance))) {
      desk = {
        start: ws.arrival + 20 * rng.normal(),
        end: ws.departure + 25 * rng.normal(),
        lunch: ws.lunch + 10 * rng.normal(),
      };
    } else if (day.weekend && !script && ws.weekendWorker && rng.chance(0.3)) {
      const start = 10 * 60 + 60 * rng.next();
      desk = { start, end: start + 120 + 90 * rng.next() };
    }
  }
  if (desk) deskWork(day, network, ws, desk);
  if (ws.leftOn && !script) background(day, ws, desk);
}

function deskWork(day: DayBuilder, network: Network, ws: Workstation, desk: DeskTime): void {
  const rng = day.rng;
  const share = (desk.end - desk.start) / (ws.departure - ws.arrival);
  const singleSmb = day.last && ws.script?.lastDay === 'single-smb';
  for (const habit of ws.habits) {
    if (singleSmb && (habit.service === 'smb' || habit.service === 'netbiosSmb')) continue;
    const count = rng.around(habit.perDay * Math.min(share, 1.2), HABIT_NOISE);
    for (let i = 0; i < count; i++) {
      const session = day.add(day.deskTime(desk), ws.host.ip, pickTarget(rng, habit.targets), habit.service);
      followUps(day, network, session);
    }
  }
  if (singleSmb) {
    // Away from the desk, the machine on: one group-policy refresh against its domain controller.
    const dc = ws.habits.find((h) => h.service === 'kerberos')?.targets[0] ?? network.domainControllers[0]!.ip;
    day.add(day.deskTime(desk), ws.host.ip, dc, 'smb');
  }
  const shareSessions = ws.script?.shareDays
    ? ws.script.shareDays.filter((d) => d === day.index).length
    : rng.chance(ws.occasionalShareChance)
      ? rng.int(1, 2)
      : 0;
  for (let i = 0; i < shareSessions; i++) day.add(day.deskTime(desk), ws.host.ip, ws.departmentShare, 'smb');
}

/** Popular destinations first: the first of a list is picked most (the square skews toward 0). */
function pickTarget(rng: Random, targets: readonly string[]): string {
  const u = rng.next();
  return targets[Math.floor(u * u * targets.length)]!;
}

function background(day: DayBuilder, ws: Workstation, desk: DeskTime | undefined): void {
  const rng = day.rng;
  const offHours = desk ? 24 - (desk.end - desk.start) / 60 : 24;
  const dc = ws.habits.find((h) => h.service === 'dns')!.targets[0]!;
  const offDesk = (): Micros => {
    for (;;) {
      const ts = day.anyTime();
      if (!desk || ts < officeTime(day.index, desk.start) || ts > officeTime(day.index, desk.end)) return ts;
    }
  };
  const emit = (perHour: number, dst: () => string, service: ServiceName): void => {
    const count = rng.around(perHour * offHours, 0.2);
    for (let i = 0; i < count; i++) day.add(offDesk(), ws.host.ip, dst(), service);
  };
  emit(BACKGROUND_PER_HOUR.dns, () => dc, 'dns');
  emit(BACKGROUND_PER_HOUR.https, () => pickTarget(rng, ['192.0.2.10', '198.51.100.10', '203.0.113.10']), 'https');
  if (ws.windows) emit(BACKGROUND_PER_HOUR.smb, () => dc, 'smb');
}

/** What a session sets off on the servers: DNS forwarding, the intranet's app and database calls. */
function followUps(day: DayBuilder, network: Network, session: Session): void {
  const rng = day.rng;
  const later = (ms: number): Micros => session.ts + Math.floor(ms * 1000 * (0.2 + rng.next()));
  if (session.service === 'dns' && rng.chance(0.2)) {
    day.add(later(15), session.dst, rng.pick(network.externalResolvers), 'dns');
  } else if (session.service === 'https' && (session.dst === ip(network, 'WEB01') || session.dst === ip(network, 'WEB02'))) {
    if (rng.chance(0.6)) {
      const app = day.add(later(40), session.dst, ip(network, 'APP01'), 'appHttp');
      if (rng.chance(0.7)) day.add(app.ts + 5_000, ip(network, 'APP01'), ip(network, rng.chance(0.8) ? 'DB01' : 'DB02'), 'postgres');
    }
  }
}

function ip(network: Network, name: string): string {
  return network.byName.get(name)!.ip;
}

// ---------------------------------------------------------------------------------------------------------
// Servers: every day, weekends included

function serverDay(day: DayBuilder, network: Network): void {
  const rng = day.rng;
  const [dc1, dc2] = network.domainControllers as [Host, Host];
  const flat = (count: number, src: string, dst: () => string, service: ServiceName): void => {
    for (let i = 0; i < count; i++) day.add(day.anyTime(), src, dst(), service);
  };
  const every = (count: number, src: string, dst: string, service: ServiceName): void => {
    for (const ts of day.periodic(count)) day.add(ts, src, dst, service);
  };
  // Directory replication between the domain controllers, both ways.
  for (const [a, b] of [[dc1, dc2], [dc2, dc1]] as const) {
    every(24, a.ip, b.ip, 'rpc');
    every(24, a.ip, b.ip, 'ldap');
    every(12, a.ip, b.ip, 'smb');
    every(24, a.ip, rng.pick(network.externalResolvers), 'ntp');
  }
  // File servers check tickets and groups with the domain controllers.
  for (const fs of network.fileServers) {
    flat(rng.around(24, 0.1), fs.ip, () => rng.pick([dc1.ip, dc2.ip]), 'kerberos');
    flat(rng.around(24, 0.1), fs.ip, () => rng.pick([dc1.ip, dc2.ip]), 'ldap');
  }
  // Nightly backup of every file server over SMB, 01:00–04:00 office time.
  const backup = ip(network, 'BKP01');
  for (const fs of network.fileServers) {
    const count = rng.around(150, 0.05);
    for (let i = 0; i < count; i++) day.add(day.between(60, 240), backup, fs.ip, 'smb');
  }
  for (const db of ['DB01', 'DB02']) {
    for (let i = 0; i < 4; i++) day.add(day.between(60, 240), backup, ip(network, db), 'ssh');
  }
  // Monitoring polls every server and printer every 15 minutes.
  const monitor = ip(network, 'MON01');
  for (const host of [...network.domainControllers, ...network.fileServers]) every(96, monitor, host.ip, 'windowsExporter');
  for (const host of network.linuxServers) if (host.ip !== monitor) every(96, monitor, host.ip, 'nodeExporter');
  for (const host of network.printers) every(96, monitor, host.ip, 'snmp');
  // Linux servers: name lookups, time, logs shipped to LOG01, update checks.
  const logs = ip(network, 'LOG01');
  for (const host of network.linuxServers) {
    flat(rng.around(48, 0.15), host.ip, () => rng.pick([dc1.ip, dc2.ip]), 'dns');
    every(24, host.ip, dc1.ip, 'ntp');
    if (host.ip !== logs) every(24, host.ip, logs, 'syslog');
    flat(rng.around(6, 0.3), host.ip, () => pickTarget(rng, network.internet), 'https');
  }
  // CI builds pull from git and the internet, mostly in office hours.
  const git = ip(network, 'GIT01');
  const office: DeskTime = { start: 8 * 60, end: 19 * 60, lunch: 12 * 60 };
  for (const ci of ['CI01', 'CI02']) {
    const builds = rng.around(day.weekend ? 6 : 40, 0.2);
    for (let i = 0; i < builds; i++) {
      const ts = day.weekend ? day.anyTime() : day.deskTime(office);
      day.add(ts, ip(network, ci), git, 'ssh');
      day.add(ts + 2 * MICROS_PER_MINUTE * rng.next(), ip(network, ci), pickTarget(rng, network.internet), 'https');
    }
  }
}
