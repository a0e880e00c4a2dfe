/**
 * What the demo plants in the ordinary traffic: one lateral-movement episode on the last day, and the edge
 * cases the seed rule is known to mishandle (seed-rule.md §3–§4), each on its own host so that its effect on
 * the rule can be read off one (SrcIpAddr, DstPortNumber) pair.
 *
 * The hosts are picked by the seed; their behaviour is scripted where the expected outcome needs certainty
 * (e.g. the compromised host mounts its share on exactly three days of the baseline).
 */
import type { Micros } from '../asim/record.js';
import type { Habit, Host, Network, Workstation, WorkstationScript } from './network.js';
import { PUBLIC_SCANNER_IP } from './network.js';
import { DEMO_DAYS, MICROS_PER_MINUTE, isWeekend, officeTime, ruleWindows } from './period.js';
import { streamFor } from './random.js';
import type { ConnState, ServiceName } from './services.js';
import type { Session } from './traffic.js';

/** Which role each scripted host plays. */
export interface Cast {
  readonly compromised: Workstation;
  readonly steady: Workstation;
  readonly drops: Workstation;
  readonly stops: Workstation;
  readonly netbios: Workstation;
  readonly cidr: Workstation;
  readonly licence: Workstation;
  readonly dualStack: Workstation;
  /** A device in the Engineering subnet that is in no inventory and first talks on the last day. */
  readonly rogueIp: string;
  readonly dualStackIpv6: string;
  /** The IPv4 address with a CIDR suffix, as a misconfigured exporter writes it. */
  readonly cidrSource: string;
}

export const ROGUE_DEVICE_IP = '10.10.17.250';
/** Index of the last day of the period (the rule's recent window) and of the hour after T. */
export const LAST_DAY = DEMO_DAYS - 1;
export const TAIL_DAY = DEMO_DAYS;
/** Baseline days are 1 … 13: [T−14d, T−1d] with T at the end of day 14 (0-based). */
const BASELINE_DAYS = Array.from({ length: DEMO_DAYS - 2 }, (_, i) => i + 1);
const BASELINE_WEEKDAYS = BASELINE_DAYS.filter((d) => !isWeekend(d));

/** Picks the scripted hosts and returns the network with their scripts applied. */
export function castScenario(network: Network, seed: number): { network: Network; cast: Cast } {
  const rng = streamFor(seed, 'cast');
  const isAdmin = (ws: Workstation): boolean => ws.habits.some((h) => h.service === 'rdp');
  const linux = rng.shuffled(network.workstations.filter((ws) => !ws.windows));
  const windows = rng.shuffled(network.workstations.filter((ws) => ws.windows && !isAdmin(ws)));
  if (linux.length < 1 || windows.length < 7) throw new Error('the demo network is too small for its scenario');
  const dependable: WorkstationScript = { dependable: true };
  const shareDays = rng.shuffled(BASELINE_WEEKDAYS).slice(0, 3).sort((a, b) => a - b);
  const scripted = new Map<string, Workstation>();
  const script = (ws: Workstation, extra: Partial<WorkstationScript> = {}, habits: readonly Habit[] = ws.habits): Workstation => {
    const changed: Workstation = { ...ws, habits, script: { ...dependable, ...extra } };
    scripted.set(ws.host.name, changed);
    return changed;
  };
  const netbiosBase = windows[4]!;
  const netbiosHabits = netbiosBase.habits.some((h) => h.service === 'netbiosSmb')
    ? netbiosBase.habits
    : [...netbiosBase.habits, { service: 'netbiosSmb' as const, targets: [netbiosBase.departmentShare], perDay: 6 }];
  const dualStackBase = windows[6]!;
  const [, , third, fourth] = dualStackBase.host.ip.split('.').map(Number) as [number, number, number, number];
  const dualStackIpv6 = `fd00:10:10:${third}::${fourth}`;
  const cast: Cast = {
    compromised: script(linux[0]!, { shareDays }),
    steady: script(windows[0]!),
    drops: script(windows[1]!, { lastDay: 'single-smb' }),
    stops: script(windows[2]!, { lastDay: 'absent' }),
    cidr: script(windows[3]!),
    netbios: script(netbiosBase, {}, netbiosHabits),
    licence: script(windows[5]!),
    dualStack: script({ ...dualStackBase, host: { ...dualStackBase.host, ipv6: dualStackIpv6 } }),
    rogueIp: ROGUE_DEVICE_IP,
    dualStackIpv6,
    cidrSource: `${windows[3]!.host.ip}/24`,
  };
  const workstations = network.workstations.map((ws) => scripted.get(ws.host.name) ?? ws);
  const hosts = network.hosts.map((host) => scripted.get(host.name)?.host ?? host);
  const byName = new Map(network.byName);
  for (const ws of scripted.values()) byName.set(ws.host.name, ws.host);
  return { network: { ...network, workstations, hosts, byName }, cast };
}

// ---------------------------------------------------------------------------------------------------------
// Edge cases: sessions placed at chosen instants, by day index (DEMO_DAYS is the hour after T).

/** An exact instant the rule's windows are tested at, and the record placed there. */
export interface BoundaryRecord {
  readonly caseId: string;
  readonly at: 'T-14d' | 'T-1d' | 'T';
  readonly ts: Micros;
  readonly src: string;
  readonly dst: string;
  readonly port: number;
}

export interface EdgeSessions {
  readonly byDay: ReadonlyMap<number, Session[]>;
  readonly boundaryRecords: readonly BoundaryRecord[];
}

export function edgeCaseSessions(network: Network, cast: Cast, seed: number): EdgeSessions {
  const rng = streamFor(seed, 'edge-cases');
  const byDay = new Map<number, Session[]>();
  const boundaryRecords: BoundaryRecord[] = [];
  const windows = ruleWindows();
  const ip = (name: string): string => network.byName.get(name)!.ip;
  const add = (day: number, ts: Micros, src: string, dst: string, service: ServiceName, state?: ConnState): void => {
    const list = byDay.get(day) ?? [];
    list.push(state ? { ts, src, dst, service, state } : { ts, src, dst, service });
    byDay.set(day, list);
  };
  /** `count` sessions spread over office minutes [from, to) of a day. */
  const burst = (day: number, count: number, from: number, to: number, src: string, dst: () => string, service: ServiceName): void => {
    for (let i = 0; i < count; i++) add(day, officeTime(day, from + rng.next() * (to - from)), src, dst(), service);
  };
  const baselineWeekday = (): number => rng.pick(BASELINE_WEEKDAYS);
  const atBoundary = (caseId: string, at: BoundaryRecord['at'], ts: Micros, day: number, src: string, dst: string): void => {
    add(day, ts, src, dst, 'smb');
    boundaryRecords.push({ caseId, at, ts, src, dst, port: 445 });
  };

  // CIDR suffix: a handful of records whose source reads "10.x.y.z/24"; the rule groups them on their own.
  burst(baselineWeekday(), 1, 10 * 60, 16 * 60, cast.cidrSource, () => cast.cidr.departmentShare, 'smb');
  burst(LAST_DAY, 2, 10 * 60, 16 * 60, cast.cidrSource, () => cast.cidr.departmentShare, 'smb');

  // A licence service on port 1445 going wild on the last day: not SMB, however it spikes.
  for (let i = 0; i < 2; i++) burst(baselineWeekday(), 1, 10 * 60, 16 * 60, cast.licence.host.ip, () => ip('APP01'), 'licence');
  burst(LAST_DAY, 200, 13 * 60, 15 * 60, cast.licence.host.ip, () => ip('APP01'), 'licence');

  // An IPv6 SMB talker (a backup client on the dual-stack host): ignored by ipv4_is_private.
  const fs01v6 = network.byName.get('FS01')!.ipv6!;
  for (let i = 0; i < 4; i++) burst(baselineWeekday(), 1, 9 * 60, 17 * 60, cast.dualStackIpv6, () => fs01v6, 'smb');
  burst(LAST_DAY, 400, 13 * 60, 17 * 60, cast.dualStackIpv6, () => fs01v6, 'smb');

  // An internet scanner reaching FS01's SMB through a mistaken port forward: a public source.
  for (let i = 0; i < 3; i++) burst(baselineWeekday(), 1, 0, 24 * 60, PUBLIC_SCANNER_IP, () => ip('FS01'), 'smb');
  burst(LAST_DAY, 300, 2 * 60 + 10, 2 * 60 + 30, PUBLIC_SCANNER_IP, () => ip('FS01'), 'smb');

  // A device nobody has seen before sweeping SMB on the last day: no baseline, so the inner join drops it.
  const internal = network.hosts.filter((h) => h.role !== 'printer').map((h) => h.ip);
  const swept = rng.shuffled(internal).slice(0, 30);
  burst(LAST_DAY, 150, 10 * 60 + 30, 11 * 60 + 15, cast.rogueIp, () => rng.pick(swept), 'smb');
  burst(LAST_DAY, 10, 10 * 60 + 25, 11 * 60 + 15, cast.rogueIp, () => ip('DC01'), 'dns');

  // Scan-to-folder printers that put a scan exactly on a window boundary.
  const [mfp1, mfp2, mfp3] = network.printers as [Host, Host, Host];
  const scans = ip('FS01');
  burst(0, 2, 9 * 60, 17 * 60, mfp1.ip, () => scans, 'smb'); // before the look-back: never counted
  atBoundary('window-start', 'T-14d', windows.baselineStart, 1, mfp1.ip, scans);
  burst(LAST_DAY, 2, 9 * 60, 17 * 60, mfp1.ip, () => scans, 'smb');
  atBoundary('window-end', 'T-1d', windows.baselineEnd, LAST_DAY, mfp2.ip, scans);
  burst(LAST_DAY, 1, 9 * 60, 17 * 60, mfp2.ip, () => scans, 'smb');
  burst(baselineWeekday(), 1, 9 * 60, 17 * 60, mfp3.ip, () => scans, 'smb');
  burst(LAST_DAY, 1, 9 * 60, 17 * 60, mfp3.ip, () => scans, 'smb');
  atBoundary('at-now', 'T', windows.recentEnd, TAIL_DAY, mfp3.ip, scans);

  // A nightly sync job whose first run starts ten minutes after T (one manual test copy in the baseline).
  burst(baselineWeekday(), 1, 10 * 60, 16 * 60, ip('CI02'), () => ip('FS03'), 'smb');
  for (let i = 0; i < 80; i++) {
    add(TAIL_DAY, windows.recentEnd + Math.floor((10 + 30 * rng.next()) * MICROS_PER_MINUTE), ip('CI02'), ip('FS03'), 'smb');
  }
  return { byDay, boundaryRecords };
}

// ---------------------------------------------------------------------------------------------------------
// The lateral-movement episode

export interface Episode {
  readonly host: Host;
  readonly start: Micros;
  readonly end: Micros;
  /** Hosts reached over SMB that this host had never contacted before (any port, any earlier day). */
  readonly newDestinations: number;
  /** Of those, how many did not answer (host firewall): connection attempts only. */
  readonly unanswered: number;
  /** Hosts where it went on to run a service (RPC + more SMB). */
  readonly lateralHosts: number;
  /** SMB sessions to the share it usually mounts (the data it staged). */
  readonly spikeToShare: number;
  readonly share: string;
  readonly sessions: Session[];
}

/** Sessions in the episode's recent window must beat 51 × the baseline total by this margin (seed-rule.md §4). */
const EPISODE_MARGIN = 40;
const FAN_OUT = 90;

/**
 * The episode, on the last day: a compromised Linux desktop (impacket-style tooling) sweeps SMB across hosts
 * it never talked to, runs services on a dozen of them, then pulls data from its usual file share.
 * `contacts` holds every address the host contacted before the episode.
 */
export function lateralMovement(network: Network, cast: Cast, seed: number, contacts: ReadonlySet<string>): Episode {
  const rng = streamFor(seed, 'episode');
  const attacker = cast.compromised.host;
  const baselineSmb = cast.compromised.script?.shareDays?.length ?? 0;
  const start = officeTime(LAST_DAY, 14 * 60 + 7 + rng.int(0, 20) + rng.next());
  const minute = (m: number): Micros => start + Math.floor(m * MICROS_PER_MINUTE);
  const sessions: Session[] = [];
  const add = (ts: Micros, dst: string, service: ServiceName, state?: ConnState): void => {
    sessions.push(state ? { ts, src: attacker.ip, dst, service, state } : { ts, src: attacker.ip, dst, service });
  };
  const candidates = network.hosts.filter((h) => h.role !== 'printer' && h.ip !== attacker.ip && !contacts.has(h.ip));
  const targets = rng.shuffled(candidates).slice(0, FAN_OUT);
  // 1. The sweep (12 minutes): negotiate and list shares; firewalled workstations never answer.
  const reachable: Host[] = [];
  let unanswered = 0;
  targets.forEach((target, k) => {
    const at = minute((12 * k) / targets.length + 0.1 * rng.next());
    const desktop = target.role === 'workstation' || target.role === 'linux-workstation';
    if (desktop && rng.chance(0.4)) {
      unanswered++;
      add(at, target.ip, 'smb', rng.chance(0.75) ? 'S0' : 'REJ');
      return;
    }
    reachable.push(target);
    add(at, target.ip, 'smb', 'SF');
    add(at + 300_000, target.ip, 'smb', 'SF');
  });
  // 2. Lateral movement (25 minutes): service creation over SMB (ADMIN$, svcctl) and RPC on a dozen hosts.
  const lateral = reachable.slice(0, 12);
  lateral.forEach((target, k) => {
    const base = 12 + 2 * k;
    for (let i = 0; i < 3; i++) add(minute(base + 0.3 * i + 0.1 * rng.next()), target.ip, 'smb', 'SF');
    for (let i = 0; i < 2; i++) add(minute(base + 0.2 + 0.5 * i), target.ip, 'rpc', 'SF');
  });
  // 3. Staging: a burst against its usual share, sized so v1.0.0's threshold (RecentCount > 51 × baseline) is met.
  const smbSoFar = sessions.filter((s) => s.service === 'smb').length;
  const spike = Math.max(60, 51 * baselineSmb + EPISODE_MARGIN - smbSoFar);
  for (let i = 0; i < spike; i++) add(minute(40 + 35 * rng.next()), cast.compromised.departmentShare, 'smb', 'SF');
  const end = Math.max(...sessions.map((s) => s.ts));
  return {
    host: attacker,
    start,
    end,
    newDestinations: targets.length,
    unanswered,
    lateralHosts: lateral.length,
    spikeToShare: spike,
    share: cast.compromised.departmentShare,
    sessions,
  };
}

