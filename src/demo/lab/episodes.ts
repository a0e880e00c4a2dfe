/**
 * What a lab plants in its ordinary traffic, each with a label: the lateral-movement episodes a detector must
 * find, and the benign look-alikes it must leave alone (issue 8's lists). Hosts and days are drawn from the seed,
 * sizes and speeds from ranges, so that no two labs plant the same shape.
 *
 * An episode acts on office days through `sessions(day, emit)`. Some benign look-alikes change the network
 * itself (a new employee's workstation, a new file server, a holiday that ends): `planLab` applies those edits
 * before any traffic is drawn.
 */
import type { Micros } from '../../asim/record.js';
import { MICROS_PER_MINUTE, MICROS_PER_SECOND } from '../period.js';
import { Random, streamFor } from '../random.js';
import type { ConnState, ServiceName } from '../services.js';
import type { Session } from '../traffic.js';
import { FIRST_EPISODE_DAY, LAST_EPISODE_DAY, LabCalendar } from './calendar.js';
import type { LabHost, LabNetwork, LabWorkstation } from './network.js';
import type { LabProfile } from './profile.js';
import type { Emit, LabDay } from './traffic.js';

export const ATTACK_KINDS = [
  'burst-sweep',
  'targeted-psexec',
  'slow-spread',
  'new-address-sweep',
  'server-outbound',
  'volume-staging',
  'netbios-sweep',
  'real-apt29',
  'real-purplesharp',
  'real-covenant',
] as const;
export const BENIGN_KINDS = [
  'patch-day-push',
  'new-employee',
  'file-server-migration',
  'vacation-return',
  'weekly-scan',
  'backup',
  'software-push',
] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];
export type BenignKind = (typeof BENIGN_KINDS)[number];
export type EpisodeKind = AttackKind | BenignKind;

/** What the manifest says about an episode; `days` are UTC day indexes with its activity. */
export interface EpisodeLabel {
  readonly id: string;
  readonly kind: EpisodeKind;
  readonly malicious: boolean;
  readonly title: string;
  /** The addresses whose alerts count for (attacks) or against (look-alikes) this episode. */
  readonly sources: readonly string[];
  days: number[];
  readonly details: Record<string, number | string>;
}

export interface PlantedEpisode {
  readonly label: EpisodeLabel;
  /** The office days it acts on (all days for the recurring look-alikes). */
  readonly officeDays: ReadonlySet<number> | 'all';
  /** Its activity is its sources' ordinary traffic (a new employee, the backup server): no sessions of its own. */
  readonly ordinary?: true;
  sessions(day: LabDay, emit: Emit): void;
}

export interface LabPlan {
  readonly network: LabNetwork;
  readonly calendar: LabCalendar;
  readonly episodes: readonly PlantedEpisode[];
  /** Replays of real episodes: which real episode, on which day, onto which hosts (real.ts turns them into records). */
  readonly replays: readonly ReplayPlan[];
}

export interface ReplayPlan {
  readonly label: EpisodeLabel;
  readonly episode: 'apt29' | 'purplesharp' | 'covenant';
  /** Office day and minute the real episode's first record is moved to. */
  readonly day: number;
  readonly minute: number;
  /** Real address → lab host (or an empty lab address for a real address nobody answered on). */
  readonly hosts: Readonly<Record<string, { ip: string; name: string }>>;
}

/** Plans a lab: the network with the look-alikes' edits, and every planted episode. */
export function planLab(profile: LabProfile, base: LabNetwork): LabPlan {
  const rng = streamFor(profile.seed, 'lab-plan', profile.family);
  const calendar = new LabCalendar(profile);
  const picker = new HostPicker(rng, base);
  const attackDays = spreadDays(rng, ATTACK_KINDS.length);
  const benignDays = spreadDays(rng, 4, (d) => calendar.isWorkday(d));
  const edits = new NetworkEdits(base);
  const episodes: PlantedEpisode[] = [];
  const replays: ReplayPlan[] = [];
  const id = (kind: string): string => `${profile.family}-${profile.seed}-${kind}`;

  ATTACK_KINDS.forEach((kind, k) => {
    const day = attackDays[k]!;
    if (kind === 'real-apt29' || kind === 'real-purplesharp' || kind === 'real-covenant') {
      replays.push(replayPlan(rng, picker, kind, id(kind), day, base));
      return;
    }
    episodes.push(attack(rng, picker, kind, id(kind), day, base));
  });
  const [pushDay, joinDay, migrationDay, returnDay] = benignDays as [number, number, number, number];
  episodes.push(patchDayPush(rng, id('patch-day-push'), pushDay, base));
  episodes.push(newEmployee(rng, picker, edits, id('new-employee'), joinDay, base));
  episodes.push(fileServerMigration(rng, edits, id('file-server-migration'), migrationDay, base));
  episodes.push(vacationReturn(picker, edits, id('vacation-return'), returnDay));
  episodes.push(recurring(id('weekly-scan'), 'weekly-scan', 'Weekly credentialed vulnerability scan of every address (445 and 139)', base.scanner));
  episodes.push(recurring(id('backup'), 'backup', 'Nightly backup of every file server and domain controller over SMB', base.backup));
  episodes.push(recurring(id('software-push'), 'software-push', 'Software deployment pushing to a few clients each working day', base.management));
  return { network: edits.apply(), calendar, episodes, replays };
}

/** `count` days among the episode days, spread out (distinct while there are enough), optionally filtered. */
function spreadDays(rng: Random, count: number, keep: (day: number) => boolean = () => true): number[] {
  const days: number[] = [];
  for (let d = FIRST_EPISODE_DAY; d <= LAST_EPISODE_DAY; d++) if (keep(d)) days.push(d);
  const result: number[] = [];
  while (result.length < count) result.push(...rng.shuffled(days));
  return result.slice(0, count);
}

/** Picks hosts for episodes, each at most once, so that episodes never share a source. */
class HostPicker {
  private readonly used = new Set<string>();

  constructor(
    readonly rng: Random,
    readonly network: LabNetwork,
  ) {}

  /** An ordinary Windows desk user (not an admin, helpdesk, team-share host or holiday-maker). */
  desktop(filter: (ws: LabWorkstation) => boolean = () => true): LabWorkstation {
    const teamHosts = new Set(this.network.workstations.flatMap((ws) => (ws.teamShare ? [ws.teamShare.host] : [])));
    const candidates = this.network.workstations.filter(
      (ws) => ws.host.windows && !ws.admin && !ws.helpdesk && !ws.vacation && !teamHosts.has(ws.host.ip) && !this.used.has(ws.host.ip) && filter(ws),
    );
    const chosen = this.rng.pick(candidates);
    this.used.add(chosen.host.ip);
    return chosen;
  }

  emptyAddress(): string {
    const chosen = this.rng.pick(this.network.emptyAddresses.filter((ip) => !this.used.has(ip)));
    this.used.add(chosen);
    return chosen;
  }

  claim(ip: string): void {
    this.used.add(ip);
  }
}

/** Changes the look-alikes make to the network, applied once all are known. */
class NetworkEdits {
  private readonly replaced = new Map<string, LabWorkstation>();
  private readonly added: LabWorkstation[] = [];
  private readonly servers: LabHost[] = [];

  constructor(readonly base: LabNetwork) {}

  replace(ws: LabWorkstation): void {
    this.replaced.set(ws.host.ip, ws);
  }

  addWorkstation(ws: LabWorkstation): void {
    this.added.push(ws);
  }

  addServer(host: LabHost): void {
    this.servers.push(host);
  }

  apply(): LabNetwork {
    const base = this.base;
    const workstations = [...base.workstations.map((ws) => this.replaced.get(ws.host.ip) ?? ws), ...this.added];
    const taken = new Set([...this.added.map((ws) => ws.host.ip), ...this.servers.map((h) => h.ip)]);
    const hosts = [...base.hosts.map((h) => this.replaced.get(h.ip)?.host ?? h), ...this.servers, ...this.added.map((ws) => ws.host)];
    return {
      ...base,
      hosts,
      workstations,
      fileServers: [...base.fileServers, ...this.servers.filter((h) => h.role === 'file-server')],
      emptyAddresses: base.emptyAddresses.filter((ip) => !taken.has(ip)),
      byIp: new Map(hosts.map((h) => [h.ip, h])),
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Attacks

const ATTACK_TITLES: Readonly<Record<Exclude<AttackKind, `real-${string}`>, string>> = {
  'burst-sweep': 'A compromised workstation sweeps SMB across 100+ hosts in minutes (many do not answer), then runs services on a few',
  'targeted-psexec': 'PsExec-like movement from a workstation to 2–3 hosts it never contacted, little volume',
  'slow-spread': 'Slow spread: a few new hosts a day, for several days, from one workstation',
  'new-address-sweep': 'An address never seen before sweeps SMB across the network',
  'server-outbound': 'A file server, which only ever received SMB, starts connecting to workstations',
  'volume-staging': 'Staging: many times the usual SMB sessions to a share the workstation always uses',
  'netbios-sweep': 'A workstation sweeps NetBIOS session service (139) only',
};

function attack(
  rng: Random,
  picker: HostPicker,
  kind: Exclude<AttackKind, `real-${string}`>,
  id: string,
  day: number,
  network: LabNetwork,
): PlantedEpisode {
  const startMinute = rng.int(9 * 60 + 30, 15 * 60 + 30);
  const label = (sources: string[], details: Record<string, number | string>): EpisodeLabel => ({
    id, kind, malicious: true, title: ATTACK_TITLES[kind], sources, days: [], details,
  });
  const others = (src: string): LabWorkstation[] => network.workstations.filter((ws) => ws.host.ip !== src);
  switch (kind) {
    case 'burst-sweep': {
      const src = picker.desktop().host.ip;
      const fanOut = rng.int(100, 250);
      const minutes = rng.int(3, 10);
      const executions = rng.int(3, 8);
      return once(label([src], { fanOut, minutes, executions }), day, (d, emit) => {
        const start = d.office(startMinute);
        const targets = sweepTargets(d.rng, network, src, fanOut, 0.25);
        const answered = sweep(d, emit, src, targets, start, minutes, 'smb');
        answered.slice(0, executions).forEach((dst, k) => psexec(d, emit, src, dst, start + (minutes + 2 + 3 * k) * MICROS_PER_MINUTE));
      });
    }
    case 'targeted-psexec': {
      const src = picker.desktop();
      const count = rng.int(2, 3);
      return once(label([src.host.ip], { targets: count }), day, (d, emit) => {
        const start = d.office(startMinute);
        const targets = upTargets(d, others(src.host.ip).filter((ws) => ws.department !== src.department), count, start);
        targets.forEach((dst, k) => psexec(d, emit, src.host.ip, dst, start + k * d.rng.int(2, 9) * MICROS_PER_MINUTE, { ignoreFirewall: true }));
      });
    }
    case 'slow-spread': {
      const src = picker.desktop();
      const length = rng.int(3, 5);
      const perDay = rng.int(1, 3);
      const days = new Set(Array.from({ length }, (_, i) => Math.min(LAST_EPISODE_DAY, day + i)));
      return {
        label: label([src.host.ip], { days: length, hostsPerDay: perDay }),
        officeDays: days,
        sessions(d, emit) {
          const minute = d.rng.int(9 * 60, 17 * 60);
          const targets = upTargets(d, others(src.host.ip).filter((ws) => ws.department !== src.department), d.rng.int(1, perDay), d.office(minute));
          targets.forEach((dst) => {
            const ts = d.office(d.rng.int(9 * 60, 17 * 60));
            for (let i = d.rng.int(1, 4); i > 0; i--) emit(session(ts + i * 7 * MICROS_PER_SECOND, src.host.ip, dst, d.answer(src.host.ip, dst, ts, { ignoreFirewall: true })));
          });
        },
      };
    }
    case 'new-address-sweep': {
      const src = picker.emptyAddress();
      const fanOut = rng.int(30, 150);
      const minutes = rng.int(5, 20);
      return once(label([src], { fanOut, minutes }), day, (d, emit) => {
        sweep(d, emit, src, sweepTargets(d.rng, network, src, fanOut, 0.3), d.office(startMinute), minutes, 'smb');
      });
    }
    case 'server-outbound': {
      const server = rng.pick(network.fileServers);
      picker.claim(server.ip);
      const count = rng.int(3, 10);
      return once(label([server.ip], { targets: count, server: server.name }), day, (d, emit) => {
        const start = d.office(startMinute);
        upTargets(d, network.workstations, count, start).forEach((dst, k) => {
          const ts = start + k * d.rng.int(1, 6) * MICROS_PER_MINUTE;
          for (let i = d.rng.int(2, 4); i > 0; i--) emit(session(ts + i * 11 * MICROS_PER_SECOND, server.ip, dst, d.answer(server.ip, dst, ts)));
        });
      });
    }
    case 'volume-staging': {
      const ws = picker.desktop((w) => w.shareSessions >= 2);
      const factor = rng.int(10, 40);
      const extra = Math.max(60, Math.round(factor * ws.shareSessions * 0.6));
      const minutes = rng.int(60, 120);
      return once(label([ws.host.ip], { share: ws.departmentShare, extraSessions: extra, timesUsual: factor, minutes }), day, (d, emit) => {
        const start = d.office(startMinute);
        for (let i = 0; i < extra; i++) emit(session(start + Math.floor(d.rng.next() * minutes * MICROS_PER_MINUTE), ws.host.ip, ws.departmentShare));
      });
    }
    case 'netbios-sweep': {
      const src = picker.desktop().host.ip;
      const fanOut = rng.int(40, 150);
      const minutes = rng.int(5, 15);
      return once(label([src], { fanOut, minutes, port: 139 }), day, (d, emit) => {
        sweep(d, emit, src, sweepTargets(d.rng, network, src, fanOut, 0.25), d.office(startMinute), minutes, 'netbiosSmb');
      });
    }
  }
}

function once(label: EpisodeLabel, day: number, act: (day: LabDay, emit: Emit) => void): PlantedEpisode {
  return { label, officeDays: new Set([day]), sessions: act };
}

function session(ts: Micros, src: string, dst: string, state?: ConnState, service: ServiceName = 'smb'): Session {
  return state ? { ts, src, dst, service, state } : { ts, src, dst, service };
}

/** `count` addresses to sweep: hosts of every kind, and a share of empty addresses where nobody answers. */
function sweepTargets(rng: Random, network: LabNetwork, src: string, count: number, emptyShare: number): string[] {
  const empty = rng.shuffled(network.emptyAddresses).slice(0, Math.round(count * emptyShare));
  const hosts = rng.shuffled(network.hosts.filter((h) => h.ip !== src && h.role !== 'printer').map((h) => h.ip)).slice(0, count - empty.length);
  return rng.shuffled([...hosts, ...empty]);
}

/** Sweeps `targets` over `minutes`: one attempt (and a retry) where nobody answers, two sessions where someone does. */
function sweep(day: LabDay, emit: Emit, src: string, targets: readonly string[], start: Micros, minutes: number, service: ServiceName): string[] {
  const answered: string[] = [];
  targets.forEach((dst, k) => {
    const ts = start + Math.floor(((k + day.rng.next()) / targets.length) * minutes * MICROS_PER_MINUTE);
    const state = day.answer(src, dst, ts);
    if (state) {
      for (let i = day.rng.int(1, 2); i > 0; i--) emit(session(ts + i * 1_500_000, src, dst, state, service));
      return;
    }
    answered.push(dst);
    emit(session(ts, src, dst, undefined, service));
    emit(session(ts + 300_000, src, dst, undefined, service));
  });
  return answered;
}

/** PsExec: one main SMB session and one per standard stream, to the same target, within seconds. */
function psexec(day: LabDay, emit: Emit, src: string, dst: string, ts: Micros, options: { ignoreFirewall?: boolean } = {}): void {
  const state = day.answer(src, dst, ts, options);
  for (let i = 0; i < (state ? 1 : 4); i++) emit(session(ts + i * 800_000, src, dst, state));
}

/** `count` workstations that are up at `ts` (a hands-on attacker goes where someone answers). */
function upTargets(day: LabDay, candidates: readonly LabWorkstation[], count: number, ts: Micros): string[] {
  const up = candidates.filter((ws) => ws.host.windows && day.isUp(ws.host.ip, ts));
  return day.rng.shuffled(up).slice(0, count).map((ws) => ws.host.ip);
}

// ---------------------------------------------------------------------------------------------------------
// Real episodes, replayed onto lab hosts (records come from real.ts)

const REPLAY_TITLES = {
  apt29: 'Real: OTRF APT29 day 1, SCRANTON → NASHUA over SMB (two Zeek sensors), with a failed probe of an absent host',
  purplesharp: 'Real: OTRF PurpleSharp playbook, one workstation fanning out over SMB to two workstations and the DC (Sysmon + WFP on both ends)',
  covenant: 'Real: OTRF Covenant SMB copy, one workstation copying a file to another (Sysmon + WFP on both ends)',
} as const;

function replayPlan(rng: Random, picker: HostPicker, kind: 'real-apt29' | 'real-purplesharp' | 'real-covenant', id: string, day: number, network: LabNetwork): ReplayPlan {
  const episode = kind === 'real-apt29' ? 'apt29' : kind === 'real-purplesharp' ? 'purplesharp' : 'covenant';
  const src = picker.desktop();
  const peer = (): LabWorkstation => picker.desktop((ws) => ws.department !== src.department);
  const dc = { ip: src.dc, name: network.byIp.get(src.dc)!.name };
  const as = (ws: LabWorkstation): { ip: string; name: string } => ({ ip: ws.host.ip, name: ws.host.name });
  let hosts: Record<string, { ip: string; name: string }>;
  if (episode === 'apt29') {
    const absent = picker.emptyAddress();
    hosts = { '10.0.1.4': as(src), '10.0.1.6': as(peer()), '10.0.0.4': dc, '192.168.0.4': { ip: absent, name: '' } };
  } else if (episode === 'purplesharp') {
    hosts = { '172.18.39.5': as(src), '172.18.39.6': as(peer()), '172.18.39.7': as(peer()), '172.18.38.5': dc };
  } else {
    hosts = { '172.18.39.5': as(src), '172.18.39.6': as(peer()) };
  }
  const label: EpisodeLabel = { id, kind, malicious: true, title: REPLAY_TITLES[episode], sources: [src.host.ip], days: [], details: { replayOf: episode } };
  return { label, episode, day, minute: rng.int(9 * 60 + 30, 16 * 60), hosts };
}

// ---------------------------------------------------------------------------------------------------------
// Benign look-alikes

function patchDayPush(rng: Random, id: string, day: number, network: LabNetwork): PlantedEpisode {
  const src = network.management.ip;
  const startMinute = rng.int(11 * 60, 14 * 60);
  const hours = rng.int(1, 3);
  const label: EpisodeLabel = {
    id, kind: 'patch-day-push', malicious: false,
    title: 'Monthly patch day: the management server pushes to every Windows workstation (not in the 13-day baseline)',
    sources: [src], days: [], details: { hours },
  };
  return once(label, day, (d, emit) => {
    const start = d.office(startMinute);
    for (const ws of network.workstations) {
      if (!ws.host.windows) continue;
      const ts = start + Math.floor(d.rng.next() * hours * 60 * MICROS_PER_MINUTE);
      const state = d.answer(src, ws.host.ip, ts);
      for (let i = 0; i < (state ? 2 : 3); i++) emit(session(ts + i * 2 * MICROS_PER_SECOND, src, ws.host.ip, state));
    }
  });
}

function newEmployee(rng: Random, picker: HostPicker, edits: NetworkEdits, id: string, day: number, network: LabNetwork): PlantedEpisode {
  const colleague = rng.pick(network.workstations.filter((ws) => ws.host.windows && !ws.admin && !ws.helpdesk));
  const ip = picker.emptyAddress();
  const ws: LabWorkstation = {
    ...colleague,
    host: { ...colleague.host, name: `WS-NEW-${colleague.department}`, ip },
    vacation: [-100, day - 1],
    attendance: 0.99,
    leftOn: false,
    admin: false,
    helpdesk: false,
  };
  edits.addWorkstation(ws);
  const label: EpisodeLabel = {
    id, kind: 'new-employee', malicious: false,
    title: "A new employee's workstation: a new address that starts using its department's servers",
    sources: [ip], days: [], details: { firstDay: day },
  };
  return { label, officeDays: new Set([day]), ordinary: true, sessions: () => undefined };
}

function fileServerMigration(rng: Random, edits: NetworkEdits, id: string, day: number, network: LabNetwork): PlantedEpisode {
  const department = rng.int(0, network.profile.departments - 1);
  const old = network.byIp.get(network.departmentShares[department]!)!;
  const p = network.profile.prefix;
  const server: LabHost = { name: `FS-NEW-${department}`, ip: `${p}.0.${200 + rng.int(0, 40)}`, role: 'file-server', windows: true };
  edits.addServer(server);
  for (const ws of network.workstations) if (ws.departmentShare === old.ip) edits.replace({ ...ws, shareMoves: { day, to: server.ip } });
  const label: EpisodeLabel = {
    id, kind: 'file-server-migration', malicious: false,
    title: `A department's share moves to a new file server: the old one copies to it for two nights, then every client switches`,
    sources: [old.ip, server.ip], days: [], details: { from: old.name, to: server.name, day },
  };
  return {
    label,
    officeDays: new Set([day - 2, day - 1, day]),
    sessions(d, emit) {
      const copies = d.index < day ? d.rng.int(200, 500) : d.rng.int(20, 60);
      for (let i = 0; i < copies; i++) emit(session(d.between(d.office(20 * 60), d.office(29 * 60)), old.ip, server.ip));
    },
  };
}

function vacationReturn(picker: HostPicker, edits: NetworkEdits, id: string, day: number): PlantedEpisode {
  const ws = picker.desktop((w) => !w.leftOn);
  edits.replace({ ...ws, vacation: [day - 16, day - 1], attendance: 0.99 });
  const label: EpisodeLabel = {
    id, kind: 'vacation-return', malicious: false,
    title: 'A workstation back from two weeks of holiday (switched off, nothing in its baseline)',
    sources: [ws.host.ip], days: [], details: { returnDay: day },
  };
  return { label, officeDays: new Set([day]), ordinary: true, sessions: () => undefined };
}

function recurring(id: string, kind: BenignKind, title: string, host: LabHost): PlantedEpisode {
  return { label: { id, kind, malicious: false, title, sources: [host.ip], days: [], details: {} }, officeDays: 'all', ordinary: true, sessions: () => undefined };
}
