/**
 * A lab network: the hosts of one evaluation network, their roles and addresses, and each workstation's SMB
 * habits, drawn from a profile (profile.ts). Only what SMB needs is modelled: the detectors under evaluation read
 * ports 139 and 445 only, so other traffic would change no result and cost time.
 *
 * Address plan (P = profile.prefix, a /16):
 *   P.0.10+   domain controllers        P.0.30+   file servers (common first, then one per department)
 *   P.0.60    management (software deployment, also a content share clients pull from)
 *   P.0.61    backup server             P.0.62    vulnerability scanner
 *   P.1.10+   Linux servers (no SMB)    P.2.10+   printers (scan-to-folder over SMB)
 *   P.16+.10–209  workstations, 200 a /24, grouped by department; .210–.254 of each /24 stay empty
 */
import { Random, streamFor } from '../random.js';
import type { LabProfile } from './profile.js';

export type LabRole =
  | 'domain-controller'
  | 'file-server'
  | 'management'
  | 'backup'
  | 'scanner'
  | 'linux-server'
  | 'printer'
  | 'workstation'
  | 'linux-workstation';

export interface LabHost {
  readonly name: string;
  readonly ip: string;
  readonly role: LabRole;
  readonly windows: boolean;
  readonly department?: number;
}

export interface LabWorkstation {
  readonly host: LabHost;
  readonly department: number;
  readonly dc: string;
  readonly commonShare: string;
  readonly departmentShare: string;
  /** Share sessions on a full working day (split between the common and the department share). */
  readonly shareSessions: number;
  /** Office minutes: the person's usual arrival and departure. */
  readonly arrival: number;
  readonly departure: number;
  readonly attendance: number;
  readonly leftOn: boolean;
  /** Inbound SMB from other workstations is dropped by the host firewall (servers' subnet allowed). */
  readonly firewalled: boolean;
  readonly admin: boolean;
  readonly helpdesk: boolean;
  /** Day indexes [first, last] of a holiday, when the person has one in the period. */
  readonly vacation?: readonly [number, number];
  /** The team share (a colleague's workstation) this person uses, and on what share of working days. */
  readonly teamShare?: { readonly host: string; readonly use: number };
  /** From this office day on, the department's share lives on another server (a migration). */
  readonly shareMoves?: { readonly day: number; readonly to: string };
}

export interface LabNetwork {
  readonly profile: LabProfile;
  readonly hosts: readonly LabHost[];
  readonly workstations: readonly LabWorkstation[];
  readonly domainControllers: readonly LabHost[];
  readonly fileServers: readonly LabHost[];
  readonly commonShares: readonly string[];
  readonly departmentShares: readonly string[];
  readonly management: LabHost;
  readonly backup: LabHost;
  readonly scanner: LabHost;
  readonly printers: readonly LabHost[];
  readonly linuxServers: readonly LabHost[];
  /** Workstation /24s (third octets) and their empty addresses: where a sweep finds nobody. */
  readonly subnets: readonly number[];
  readonly emptyAddresses: readonly string[];
  readonly byIp: ReadonlyMap<string, LabHost>;
}

export const WORKSTATIONS_PER_SUBNET = 200;
const FIRST_WORKSTATION_SUBNET = 16;

export function buildLabNetwork(profile: LabProfile): LabNetwork {
  const rng = streamFor(profile.seed, 'lab-network', profile.family);
  const p = profile.prefix;
  const server = (name: string, ip: string, role: LabRole, windows = true): LabHost => ({ name, ip, role, windows });
  const domainControllers = range(profile.domainControllers).map((i) => server(`DC${pad(i + 1, 2)}`, `${p}.0.${10 + i}`, 'domain-controller'));
  const fileServerCount = profile.commonFileServers + profile.departments;
  const fileServers = range(fileServerCount).map((i) => server(`FS${pad(i + 1, 2)}`, `${p}.0.${30 + i}`, 'file-server'));
  const commonShares = fileServers.slice(0, profile.commonFileServers).map((h) => h.ip);
  const departmentShares = fileServers.slice(profile.commonFileServers).map((h) => h.ip);
  const management = server('MGMT01', `${p}.0.${30 + fileServerCount + 2}`, 'management');
  const backup = server('BKP01', `${p}.0.${30 + fileServerCount + 3}`, 'backup', false);
  const scanner = server('VSCAN01', `${p}.0.${30 + fileServerCount + 4}`, 'scanner', false);
  const linuxServers = range(8).map((i) => server(`LNX${pad(i + 1, 2)}`, `${p}.1.${10 + i}`, 'linux-server', false));
  const printers = range(profile.printers).map((i) => server(`MFP${pad(i + 1, 2)}`, `${p}.2.${10 + i}`, 'printer', false));

  const departmentOf = departmentsFor(rng, profile);
  const subnetCount = Math.ceil(profile.workstations / WORKSTATIONS_PER_SUBNET);
  const subnets = range(subnetCount).map((i) => FIRST_WORKSTATION_SUBNET + i);
  const linux = new Set(rng.shuffled(range(profile.workstations)).slice(0, Math.round(profile.workstations * profile.linuxShare)));
  const windowsSlots = range(profile.workstations).filter((i) => !linux.has(i));
  const shuffledWindows = rng.shuffled(windowsSlots);
  const adminCount = Math.max(1, Math.round(profile.workstations * profile.adminShare));
  const admins = new Set(shuffledWindows.slice(0, adminCount));
  const helpdesk = new Set(shuffledWindows.slice(adminCount, adminCount + profile.helpdesk));

  const hostsOf: LabHost[] = [];
  const workstations: LabWorkstation[] = [];
  for (let i = 0; i < profile.workstations; i++) {
    const department = departmentOf[i]!;
    const subnet = subnets[Math.floor(i / WORKSTATIONS_PER_SUBNET)]!;
    const host: LabHost = {
      name: `WS${pad(i + 1, 5)}`,
      ip: `${p}.${subnet}.${10 + (i % WORKSTATIONS_PER_SUBNET)}`,
      role: linux.has(i) ? 'linux-workstation' : 'workstation',
      windows: !linux.has(i),
      department,
    };
    hostsOf.push(host);
    workstations.push(drawWorkstation(rng, profile, host, department, { admin: admins.has(i), helpdesk: helpdesk.has(i) }, {
      dc: domainControllers[Math.floor(rng.next() ** 1.5 * domainControllers.length)]!.ip,
      commonShare: rng.pick(commonShares),
      departmentShare: departmentShares[department]!,
    }));
  }
  const withTeams = assignTeamShares(rng, profile, workstations);

  const taken = new Set(hostsOf.map((h) => h.ip));
  const emptyAddresses: string[] = [];
  for (const subnet of subnets) {
    for (let last = 10; last <= 254; last++) if (!taken.has(`${p}.${subnet}.${last}`)) emptyAddresses.push(`${p}.${subnet}.${last}`);
  }
  const hosts = [...domainControllers, ...fileServers, management, backup, scanner, ...linuxServers, ...printers, ...hostsOf];
  return {
    profile,
    hosts,
    workstations: withTeams,
    domainControllers,
    fileServers,
    commonShares,
    departmentShares,
    management,
    backup,
    scanner,
    printers,
    linuxServers,
    subnets,
    emptyAddresses,
    byIp: new Map(hosts.map((h) => [h.ip, h])),
  };
}

/** Departments of different sizes, contiguous so that each department fills its own /24s. */
function departmentsFor(rng: Random, profile: LabProfile): number[] {
  const weights = range(profile.departments).map(() => 0.3 + rng.next());
  const total = weights.reduce((a, b) => a + b, 0);
  const result: number[] = [];
  weights.forEach((w, d) => {
    const count = d === weights.length - 1 ? profile.workstations - result.length : Math.round((w / total) * profile.workstations);
    for (let k = 0; k < count && result.length < profile.workstations; k++) result.push(d);
  });
  while (result.length < profile.workstations) result.push(profile.departments - 1);
  return result;
}

interface Kind {
  readonly admin: boolean;
  readonly helpdesk: boolean;
}

interface Servers {
  readonly dc: string;
  readonly commonShare: string;
  readonly departmentShare: string;
}

function drawWorkstation(rng: Random, profile: LabProfile, host: LabHost, department: number, kind: Kind, servers: Servers): LabWorkstation {
  const vacation = rng.chance(profile.vacationShare) ? drawVacation(rng) : undefined;
  return {
    host,
    department,
    ...servers,
    shareSessions: host.windows ? rng.logNormal(profile.shareSessions, profile.shareSpread) : 0,
    arrival: profile.arrival + 35 * rng.normal(),
    departure: profile.departure + 35 * rng.normal(),
    attendance: Math.min(0.99, profile.attendance + 0.05 * rng.normal()),
    leftOn: rng.chance(profile.leftOnShare),
    firewalled: rng.chance(0.3),
    admin: kind.admin,
    helpdesk: kind.helpdesk,
    ...(vacation ? { vacation } : {}),
  };
}

/** One to three weeks off, starting anywhere from ten days before the period to its last day. */
function drawVacation(rng: Random): [number, number] {
  const first = rng.int(-10, 27);
  return [first, first + rng.pick([7, 14, 21]) - 1 - rng.int(0, 2)];
}

/** Some workstations host a team share that 3–8 colleagues of the same department use. */
function assignTeamShares(rng: Random, profile: LabProfile, workstations: readonly LabWorkstation[]): LabWorkstation[] {
  const result = [...workstations];
  const windowsIndexes = range(result.length).filter((i) => result[i]!.host.windows);
  const hostCount = Math.round(profile.workstations * profile.teamShareShare);
  const hostsOfShares = rng.shuffled(windowsIndexes).slice(0, hostCount);
  for (const hostIndex of hostsOfShares) {
    const owner = result[hostIndex]!;
    const colleagues = windowsIndexes.filter((i) => i !== hostIndex && result[i]!.department === owner.department && !result[i]!.teamShare);
    for (const member of rng.shuffled(colleagues).slice(0, rng.int(3, 8))) {
      result[member] = { ...result[member]!, teamShare: { host: owner.host.ip, use: 0.4 + 0.4 * rng.next() } };
    }
  }
  return result;
}

export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
