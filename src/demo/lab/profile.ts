/**
 * The constants of one labeled evaluation network ("lab"), drawn from its family and seed so that no detector can
 * be tuned to one shape: network size, address plan, office rhythm and time zone, weekend days, server counts,
 * SMB habits, noise, and which sensors log the traffic (and how many times they log each connection).
 *
 * Two families draw from different ranges. `dev` is what the detector may be tuned on; `holdout` is never used
 * for tuning and is reported separately in EVALUATION.md: other time zones and work weeks, endpoint sensors
 * that log each connection up to four times, more peer-to-peer noise.
 */
import { Random, streamFor } from '../random.js';

export type LabFamily = 'dev' | 'holdout';

/**
 * Who logs SMB connections:
 * - `zeek`: one network sensor sees every internal connection once;
 * - `zeek-dual`: two network sensors, the second also sees the connections to servers (each logged twice);
 * - `endpoint`: Sysmon event 3 and Windows Firewall 5156/5157 on every Windows host (up to four records a
 *   connection, no byte counts, unanswered attempts look like successes);
 * - `mixed`: one network sensor plus Sysmon on the servers (connections to servers logged twice).
 */
export type SensorLayout = 'zeek' | 'zeek-dual' | 'endpoint' | 'mixed';

export interface LabProfile {
  readonly family: LabFamily;
  readonly seed: number;
  readonly workstations: number;
  /** First two octets of the internal /16 (e.g. `10.20`, `172.22`, `192.168` is avoided: too small). */
  readonly prefix: string;
  readonly departments: number;
  readonly commonFileServers: number;
  readonly domainControllers: number;
  readonly printers: number;
  /** Office clock: minutes east of UTC. */
  readonly utcOffsetMinutes: number;
  /** Days of the week off (0 = Sunday). */
  readonly weekend: readonly number[];
  /** Mean arrival and departure, office minutes after midnight. */
  readonly arrival: number;
  readonly departure: number;
  /** Group-policy refresh: minutes between a machine's SMB sessions to its domain controller while on. */
  readonly gpoMinutes: number;
  /** Median share sessions a working day per person (log-normal across people). */
  readonly shareSessions: number;
  readonly shareSpread: number;
  /** Relative day-to-day noise of a person's count, and the chance of a heavy day (×2–3). */
  readonly dailyNoise: number;
  readonly heavyDayChance: number;
  readonly linuxShare: number;
  readonly leftOnShare: number;
  readonly attendance: number;
  /** Share of people with a one-to-three-week holiday inside the period. */
  readonly vacationShare: number;
  readonly adminShare: number;
  readonly helpdesk: number;
  /** Share of workstations hosting a team share that 3–8 colleagues use. */
  readonly teamShareShare: number;
  /** Chance per workstation-day of opening a share on another department's file server (a benign new peer). */
  readonly otherShareChance: number;
  /** Chance per workstation-day of a one-off SMB session to a colleague's workstation (benign, but novel). */
  readonly oneOffPeerChance: number;
  /** Management server: clients it pushes software to on a working day. */
  readonly pushPerDay: number;
  /** Weekday (0 = Sunday) and office hour of the weekly vulnerability scan. */
  readonly scanWeekday: number;
  readonly scanHour: number;
  readonly sensors: SensorLayout;
}

/** One network of an evaluation: its family, seed, size and sensor layout (the seed draws the rest). */
export interface LabSpec {
  readonly family: LabFamily;
  readonly seed: number;
  readonly workstations: number;
  readonly sensors: SensorLayout;
}

/**
 * The networks `npm run evaluate` builds. Endpoint sensors log each connection up to four times through the
 * Windows event parsers (the slowest ingest path), so they go on the smaller networks.
 */
export const EVALUATION_LABS: readonly LabSpec[] = [
  { family: 'dev', seed: 1, workstations: 500, sensors: 'endpoint' },
  { family: 'dev', seed: 2, workstations: 900, sensors: 'zeek-dual' },
  { family: 'dev', seed: 3, workstations: 1600, sensors: 'mixed' },
  { family: 'dev', seed: 4, workstations: 2800, sensors: 'zeek' },
  { family: 'dev', seed: 5, workstations: 5000, sensors: 'zeek' },
  { family: 'holdout', seed: 101, workstations: 700, sensors: 'endpoint' },
  { family: 'holdout', seed: 102, workstations: 2000, sensors: 'mixed' },
  { family: 'holdout', seed: 103, workstations: 3600, sensors: 'zeek-dual' },
];

export function drawProfile(spec: LabSpec): LabProfile {
  const rng = streamFor(spec.seed, 'lab-profile', spec.family);
  const drawn = spec.family === 'dev' ? devProfile(rng, spec.seed, spec.workstations) : holdoutProfile(rng, spec.seed, spec.workstations);
  return { ...drawn, sensors: spec.sensors };
}

type Drawn = Omit<LabProfile, 'sensors'>;

function devProfile(rng: Random, seed: number, workstations: number): Drawn {
  return {
    family: 'dev',
    seed,
    workstations,
    prefix: `10.${rng.int(1, 250)}`,
    departments: clamp(Math.round(workstations / rng.int(90, 250)), 3, 24),
    commonFileServers: rng.int(1, 3),
    domainControllers: clamp(Math.round(workstations / 800) + rng.int(1, 2), 2, 8),
    printers: clamp(Math.round(workstations / 120), 2, 30),
    utcOffsetMinutes: rng.pick([0, 60, 60, 120]),
    weekend: [0, 6],
    arrival: 8 * 60 + rng.int(0, 75),
    departure: 17 * 60 + rng.int(0, 75),
    gpoMinutes: rng.int(90, 120),
    shareSessions: 4 + 6 * rng.next(),
    shareSpread: 0.6 + 0.4 * rng.next(),
    dailyNoise: 0.12 + 0.15 * rng.next(),
    heavyDayChance: 0.02 + 0.04 * rng.next(),
    linuxShare: 0.02 + 0.06 * rng.next(),
    leftOnShare: 0.08 + 0.2 * rng.next(),
    attendance: 0.88 + 0.08 * rng.next(),
    vacationShare: 0.04 + 0.08 * rng.next(),
    adminShare: 0.01 + 0.02 * rng.next(),
    helpdesk: rng.int(1, 3),
    teamShareShare: 0.005 + 0.01 * rng.next(),
    otherShareChance: 0.01 + 0.03 * rng.next(),
    oneOffPeerChance: rng.pick([0, 0.00002, 0.00005]),
    pushPerDay: rng.int(3, 30),
    scanWeekday: rng.int(1, 5),
    scanHour: rng.pick([2, 10, 14, 20]),
  };
}

function holdoutProfile(rng: Random, seed: number, workstations: number): Drawn {
  const middleEast = rng.chance(0.5);
  return {
    family: 'holdout',
    seed,
    workstations,
    prefix: `172.${rng.int(16, 31)}`,
    departments: clamp(Math.round(workstations / rng.int(60, 400)), 2, 40),
    commonFileServers: rng.int(1, 5),
    domainControllers: clamp(Math.round(workstations / 500) + rng.int(1, 3), 2, 12),
    printers: clamp(Math.round(workstations / 80), 2, 50),
    utcOffsetMinutes: middleEast ? rng.pick([180, 240]) : rng.pick([-300, -480, 330, 540]),
    weekend: middleEast ? [5, 6] : [0, 6],
    arrival: 7 * 60 + rng.int(0, 150),
    departure: 16 * 60 + rng.int(0, 180),
    gpoMinutes: rng.int(60, 150),
    shareSessions: 2 + 14 * rng.next(),
    shareSpread: 0.5 + 0.8 * rng.next(),
    dailyNoise: 0.1 + 0.3 * rng.next(),
    heavyDayChance: 0.01 + 0.08 * rng.next(),
    linuxShare: 0.0 + 0.15 * rng.next(),
    leftOnShare: 0.05 + 0.4 * rng.next(),
    attendance: 0.8 + 0.17 * rng.next(),
    vacationShare: 0.03 + 0.12 * rng.next(),
    adminShare: 0.005 + 0.04 * rng.next(),
    helpdesk: rng.int(0, 6),
    teamShareShare: 0.0 + 0.03 * rng.next(),
    otherShareChance: 0.0 + 0.06 * rng.next(),
    oneOffPeerChance: rng.pick([0, 0.00005, 0.0001]),
    pushPerDay: rng.int(0, 60),
    scanWeekday: rng.int(0, 6),
    scanHour: rng.int(0, 23),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
