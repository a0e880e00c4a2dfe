/**
 * The demo office: its hosts, their roles and addresses, and each workstation's habits (which servers it
 * talks to, how often, and when its user is at the desk).
 *
 * Layout (10.10.0.0/16, CET office):
 *   10.10.0.10–11   DC01, DC02            domain controllers (DNS, Kerberos, LDAP, SYSVOL over SMB)
 *   10.10.0.21–24   FS01–FS04             file servers (FS01 common shares, one per department otherwise)
 *   10.10.1.10–     WEB01 … WIKI01        Linux servers (web, app, databases, git, CI, monitoring, backup, logs)
 *   10.10.2.31–33   MFP-1F … MFP-3F       printers with scan-to-folder over SMB
 *   10.10.16–19.x   WS-0001 …             workstations, one /24 per department; ~5% are Linux desktops
 */
import { Random, streamFor } from './random.js';
import type { ServiceName } from './services.js';

export type HostRole = 'workstation' | 'linux-workstation' | 'domain-controller' | 'file-server' | 'linux-server' | 'printer';

export interface Host {
  readonly name: string;
  readonly ip: string;
  readonly role: HostRole;
  readonly department?: string;
  /** A second, IPv6 address (dual-stack hosts only). */
  readonly ipv6?: string;
}

/** A habit: sessions of one service to a set of servers, `perDay` on a working day at the desk (± noise). */
export interface Habit {
  readonly service: ServiceName;
  readonly targets: readonly string[];
  readonly perDay: number;
}

export interface Workstation {
  readonly host: Host;
  readonly windows: boolean;
  readonly habits: readonly Habit[];
  /** Office minutes after midnight: the user's usual arrival, departure and lunch. */
  readonly arrival: number;
  readonly departure: number;
  readonly lunch: number;
  /** Probability the user is in on a weekday. */
  readonly attendance: number;
  /** Machine left on overnight and over weekends: background traffic (DNS, updates, group policy). */
  readonly leftOn: boolean;
  /** Now and then works a few hours on a weekend. */
  readonly weekendWorker: boolean;
  /** Linux desktops: chance of mounting the department share on a given working day (1–2 sessions). */
  readonly occasionalShareChance: number;
  /** The department's file server (IPv4). */
  readonly departmentShare: string;
  /** Set on the hosts an edge case or the episode needs to behave exactly (scenario.ts). */
  readonly script?: WorkstationScript;
}

/** Exact behaviour for a scenario's host, replacing chance where the manifest needs certainty. */
export interface WorkstationScript {
  /** In every weekday (the user never misses a day); machine never left on; no weekend work. */
  readonly dependable: true;
  /** On the last day: the machine stays off, or is on with a single SMB session (group policy only). */
  readonly lastDay?: 'absent' | 'single-smb';
  /** Linux desktops: the department share is mounted on exactly these day indexes, one session each. */
  readonly shareDays?: readonly number[];
}

export interface Network {
  readonly hosts: readonly Host[];
  readonly workstations: readonly Workstation[];
  readonly domainControllers: readonly Host[];
  readonly fileServers: readonly Host[];
  readonly linuxServers: readonly Host[];
  readonly printers: readonly Host[];
  /** Internet addresses the office talks to (documentation ranges, RFC 5737), most popular first. */
  readonly internet: readonly string[];
  readonly externalResolvers: readonly string[];
  readonly byName: ReadonlyMap<string, Host>;
}

export const DEPARTMENTS = ['Finance', 'Engineering', 'Sales', 'Operations'] as const;
const DEPARTMENT_FILE_SERVER: Record<(typeof DEPARTMENTS)[number], string> = {
  Finance: 'FS03',
  Engineering: 'FS02',
  Sales: 'FS04',
  Operations: 'FS04',
};

const LINUX_SERVER_NAMES = ['WEB01', 'WEB02', 'APP01', 'DB01', 'DB02', 'GIT01', 'CI01', 'CI02', 'MON01', 'BKP01', 'LOG01', 'WIKI01'];

/** An internet address no host talks to by habit: the public SMB scanner of the edge cases. */
export const PUBLIC_SCANNER_IP = '203.0.113.77';

export interface NetworkSize {
  readonly workstations: number;
}

export const DEFAULT_WORKSTATIONS = 400;
/** Enough for the episode's fan-out to be wide and for every edge case to have its own host. */
export const MIN_WORKSTATIONS = 16;
/** Four department /24s of 240 desks each. */
export const MAX_WORKSTATIONS = 960;

export function buildNetwork(seed: number, size: NetworkSize): Network {
  if (!Number.isInteger(size.workstations) || size.workstations < MIN_WORKSTATIONS || size.workstations > MAX_WORKSTATIONS) {
    throw new Error(`the demo network has ${MIN_WORKSTATIONS} to ${MAX_WORKSTATIONS} workstations (got ${size.workstations})`);
  }
  const rng = streamFor(seed, 'network');
  const domainControllers = [server('DC01', '10.10.0.10', 'domain-controller'), server('DC02', '10.10.0.11', 'domain-controller')];
  const fileServers = ['FS01', 'FS02', 'FS03', 'FS04'].map((name, i) => ({
    ...server(name, `10.10.0.${21 + i}`, 'file-server'),
    ipv6: `fd00:10:10::${(0x21 + i).toString(16)}`,
  }));
  const linuxServers = LINUX_SERVER_NAMES.map((name, i) => server(name, `10.10.1.${10 + i}`, 'linux-server'));
  const printers = ['MFP-1F', 'MFP-2F', 'MFP-3F'].map((name, i) => server(name, `10.10.2.${31 + i}`, 'printer'));
  const internet = internetPool();
  const externalResolvers = ['192.0.2.53', '198.51.100.53'];
  const byName = new Map<string, Host>([...domainControllers, ...fileServers, ...linuxServers, ...printers].map((h) => [h.name, h]));
  const linuxCount = Math.max(2, Math.round(size.workstations * 0.05));
  const linuxSlots = new Set(rng.shuffled(range(size.workstations)).slice(0, linuxCount));
  const adminSlots = new Set(rng.shuffled(range(size.workstations).filter((i) => !linuxSlots.has(i))).slice(0, Math.max(2, Math.round(size.workstations / 50))));
  const workstations = range(size.workstations).map((index) =>
    buildWorkstation(rng, index, { linux: linuxSlots.has(index), admin: adminSlots.has(index) }, byName, printers, internet),
  );
  const hosts = [...domainControllers, ...fileServers, ...linuxServers, ...printers, ...workstations.map((w) => w.host)];
  for (const ws of workstations) byName.set(ws.host.name, ws.host);
  return { hosts, workstations, domainControllers, fileServers, linuxServers, printers, internet, externalResolvers, byName };
}

function server(name: string, ip: string, role: HostRole): Host {
  return { name, ip, role };
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** 60 public addresses from the three documentation ranges, the scanner excluded. */
function internetPool(): string[] {
  const pool: string[] = [];
  for (let i = 0; pool.length < 60; i++) {
    const prefix = ['192.0.2', '198.51.100', '203.0.113'][i % 3]!;
    const address = `${prefix}.${10 + Math.floor(i / 3) * 7}`;
    if (address !== PUBLIC_SCANNER_IP) pool.push(address);
  }
  return pool;
}

interface WorkstationKind {
  readonly linux: boolean;
  readonly admin: boolean;
}

function buildWorkstation(
  rng: Random,
  index: number,
  kind: WorkstationKind,
  byName: ReadonlyMap<string, Host>,
  printers: readonly Host[],
  internet: readonly string[],
): Workstation {
  const department = DEPARTMENTS[index % DEPARTMENTS.length]!;
  const slot = Math.floor(index / DEPARTMENTS.length);
  const subnet = 16 + DEPARTMENTS.indexOf(department);
  const host: Host = {
    name: `WS-${String(index + 1).padStart(4, '0')}`,
    ip: `10.10.${subnet}.${10 + slot}`,
    role: kind.linux ? 'linux-workstation' : 'workstation',
    department,
  };
  const ip = (name: string): string => byName.get(name)!.ip;
  const dc = rng.chance(0.7) ? 'DC01' : 'DC02';
  const departmentServer = DEPARTMENT_FILE_SERVER[department];
  const developer = department === 'Engineering' && (kind.linux || rng.chance(0.4));
  const habits: Habit[] = [
    { service: 'dns', targets: [ip(dc)], perDay: rng.int(10, 18) },
    { service: 'https', targets: [...internet], perDay: rng.int(8, 18) },
    { service: 'http', targets: [...internet], perDay: rng.int(1, 5) },
    { service: 'https', targets: [ip('WEB01'), ip('WEB02'), ip('WIKI01')], perDay: rng.int(2, 8) },
    { service: 'ntp', targets: [ip(dc)], perDay: 1 },
  ];
  if (!kind.linux) {
    // Domain members: logon, tickets, directory look-ups, group policy from SYSVOL, and their shares.
    habits.push(
      { service: 'kerberos', targets: [ip(dc)], perDay: rng.int(4, 8) },
      { service: 'ldap', targets: [ip(dc)], perDay: rng.int(5, 10) },
      { service: 'rpc', targets: [ip(dc)], perDay: rng.int(1, 3) },
      { service: 'smb', targets: [ip(dc)], perDay: rng.int(4, 7) },
      { service: 'smb', targets: [ip('FS01')], perDay: rng.int(4, 12) },
      { service: 'smb', targets: [ip(departmentServer)], perDay: rng.int(3, 28) },
      { service: 'rawPrint', targets: [rng.pick(printers).ip], perDay: rng.int(0, 2) },
    );
    // A legacy application that still maps its share over NetBIOS (139): its own group for the rule.
    if (rng.chance(0.03)) habits.push({ service: 'netbiosSmb', targets: [ip(departmentServer)], perDay: rng.int(3, 8) });
  }
  if (developer) {
    habits.push(
      { service: 'ssh', targets: [ip('GIT01'), ip('CI01')], perDay: rng.int(4, 12) },
      { service: 'https', targets: [ip('GIT01'), ip('CI01')], perDay: rng.int(5, 15) },
    );
  }
  if (kind.admin) {
    const servers = ['DC01', 'DC02', 'FS01', 'FS02', 'FS03', 'FS04'].map(ip);
    const linuxServers = LINUX_SERVER_NAMES.map(ip);
    habits.push(
      { service: 'rdp', targets: servers, perDay: rng.int(2, 6) },
      { service: 'winrm', targets: servers, perDay: rng.int(4, 12) },
      { service: 'ssh', targets: linuxServers, perDay: rng.int(4, 10) },
      // Admin shares (C$, ADMIN$) on the servers they look after.
      { service: 'smb', targets: servers, perDay: rng.int(2, 5) },
    );
  }
  return {
    host,
    windows: !kind.linux,
    habits,
    arrival: 8 * 60 + 45 + 30 * rng.normal(),
    departure: 17 * 60 + 45 + 30 * rng.normal(),
    lunch: 12 * 60 + 10 * rng.normal(),
    attendance: 0.9 + 0.07 * rng.next(),
    leftOn: rng.chance(0.12),
    weekendWorker: rng.chance(0.03),
    occasionalShareChance: kind.linux ? 0.1 : 0,
    departmentShare: ip(departmentServer),
  };
}
