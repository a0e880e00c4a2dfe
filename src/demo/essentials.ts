/**
 * What the demo plants for the Network Session Essentials rules beside the seed rule (docs/essentials.md): one
 * episode per rule, each from its own address, placed so that the rule's scheduled run at T (the end of the
 * period) sees it. Hourly rules read [T−1h, T], the static-threshold rule the last 20-minute bin, the beaconing
 * rule the day before the last ([T−2d, T−1d]), the daily anomaly rules the 14 days before T.
 *
 * None of it is SMB or comes from a private IPv4 source talking SMB, so the seed rule's result and the edge
 * cases' numbers are unchanged. Public addresses are from the documentation ranges, outside the pool ordinary
 * hosts browse to (network.ts `internetPool`: final octets 10 + 7k up to 143) and away from the SMB scanner.
 */
import type { Micros } from '../asim/record.js';
import type { Network } from './network.js';
import { DEMO_EVALUATION_TIME, MICROS_PER_MINUTE, MICROS_PER_SECOND, dayStart, isoMicros } from './period.js';
import { streamFor } from './random.js';
import { LAST_DAY } from './scenario.js';
import type { ConnState, ServiceName } from './services.js';
import type { Session } from './traffic.js';

/** One planted episode and the rule that must fire on it (or the hunting query that must find it) at `runAt`. */
export interface EssentialsEpisode {
  readonly id: string;
  readonly kind: 'analytic' | 'hunting';
  /** The built-in analytic rule's or hunting query's id (`smbwatch rules`). */
  readonly ruleId: string;
  readonly title: string;
  readonly source: string;
  readonly start: string;
  readonly end: string;
  readonly sessions: number;
  /** A scheduled run time at which the rule's look-back holds the episode: `smbwatch run --rule ruleId --at runAt`. */
  readonly runAt: string;
}

export const ESSENTIALS_RULE_IDS = {
  excessiveFailures: '4902eddb-34f7-44a8-ac94-8486366e9494',
  portScan: '1da9853f-3dea-4ea9-b7e5-26730da3d537',
  portSweep: 'cd8faa84-4464-4b4e-96dc-b22f50c27541',
  rdpBruteForce: 'b7dc801e-1e79-48bb-91e8-2229a8e6d40b',
  portMisuseAnomaly: 'cbf07406-fa2a-48b0-82b8-efad58db14ec',
  portMisuseStatic: '156997bd-da0f-4729-b47a-0a3e02dd50c8',
  beaconing: 'fcb9d75c-c3c1-4910-8697-f136bfef2363',
  sessionAnomaly: 'cd6def0d-3ef0-4d55-a7e3-faa96c46ba12',
} as const;

export const ESSENTIALS_HUNTING_IDS = {
  outboundLdap: '5dca6047-24ed-4eb7-b44e-ec7f1bf42621',
  cleartext: '96f9fdd1-bb5b-4d32-8790-666457dc00c0',
  outboundRdp: '6fd69768-fdf1-4cfd-805f-b243be3f0c6d',
} as const;

export const ESSENTIALS_ADDRESSES = {
  flooder: '198.51.100.203',
  portScanner: '192.0.2.200',
  sweeper: '198.51.100.201',
  rdpBruteForcer: '203.0.113.202',
  rdpVendor: '192.0.2.150',
  torRelay: '203.0.113.209',
  beaconServer: '192.0.2.201',
  ldapServer: '198.51.100.210',
  mailServer: '203.0.113.211',
  router: '192.0.2.212',
  rdpHost: '198.51.100.213',
} as const;

/** Rule thresholds the episodes beat (the rules' own `let`s and the watchlist's TOR row). */
const FLOOD_FAILURES = 5_200; // > 5000 failures from one source in a 5-minute bin
const SCANNED_PORTS = 64; // > 50 ports from one outside source in a 5-minute bin
const SWEPT_HOSTS = 30; // > 20 hosts on one port from one outside source in the hour
const RDP_FAILURES = 40; // ≥ 25 failed RDP connections from an outside source in a 5-minute bin
const RDP_VENDOR_PER_DAY = 2; // the inbound RDP a support vendor makes every day: the anomaly rule's baseline
const TOR_SESSIONS = 1_100; // > 1000 sessions to 9150 in the last 20-minute bin
const BEACON_SECONDS = 60;
const BEACON_HOURS = 3;

export interface EssentialsPlan {
  readonly byDay: ReadonlyMap<number, Session[]>;
  readonly episodes: readonly EssentialsEpisode[];
}

export function essentialsEpisodes(network: Network, seed: number): EssentialsPlan {
  const rng = streamFor(seed, 'essentials');
  const byDay = new Map<number, Session[]>();
  const episodes: EssentialsEpisode[] = [];
  const ip = (name: string): string => network.byName.get(name)!.ip;
  const T = DEMO_EVALUATION_TIME;
  const lastDay = (hour: number, minute: number): Micros => dayStart(LAST_DAY) + (hour * 60 + minute) * MICROS_PER_MINUTE;
  const spread = (from: Micros, to: Micros): Micros => from + Math.floor(rng.next() * (to - from));

  const plant = (
    spec: Omit<EssentialsEpisode, 'kind' | 'start' | 'end' | 'sessions' | 'runAt'> & { kind?: EssentialsEpisode['kind']; runAt?: Micros },
    sessions: Session[],
  ): void => {
    for (const s of sessions) {
      const day = Math.floor((s.ts - dayStart(0)) / (dayStart(1) - dayStart(0)));
      const list = byDay.get(day) ?? [];
      list.push(s);
      byDay.set(day, list);
    }
    const times = sessions.map((s) => s.ts);
    const { runAt, kind, ...rest } = spec;
    episodes.push({
      kind: kind ?? 'analytic',
      ...rest,
      start: isoMicros(Math.min(...times)),
      end: isoMicros(Math.max(...times)),
      sessions: sessions.length,
      runAt: new Date((runAt ?? T) / 1000).toISOString().replace('.000Z', 'Z'),
    });
  };
  const session = (ts: Micros, src: string, dst: string, service: ServiceName, state?: ConnState, port?: number): Session => ({
    ts,
    src,
    dst,
    service,
    ...(state ? { state } : {}),
    ...(port !== undefined ? { port } : {}),
  });

  // A SYN flood against the public web server: thousands of rejected connections in one 5-minute bin.
  const flood = Array.from({ length: FLOOD_FAILURES }, () =>
    session(spread(lastDay(23, 5), lastDay(23, 9) + 50 * MICROS_PER_SECOND), ESSENTIALS_ADDRESSES.flooder, ip('WEB01'), 'probe', 'REJ', 443),
  );
  plant({ id: 'syn-flood', ruleId: ESSENTIALS_RULE_IDS.excessiveFailures, title: `A SYN flood: ${FLOOD_FAILURES} rejected connections to WEB01:443 within 5 minutes`, source: ESSENTIALS_ADDRESSES.flooder }, flood);

  // A port scan from the internet: one host, 64 ports in two minutes; the few open ones answer.
  const ports = rng.shuffled(Array.from({ length: 1024 }, (_, i) => i + 1).filter((p) => p !== 3389)).slice(0, SCANNED_PORTS);
  const open = new Set([22, 80, 443]);
  const scan = ports.map((port) =>
    session(spread(lastDay(23, 21), lastDay(23, 23)), ESSENTIALS_ADDRESSES.portScanner, ip('WEB02'), 'probe', open.has(port) ? 'SF' : 'REJ', port),
  );
  plant({ id: 'port-scan', ruleId: ESSENTIALS_RULE_IDS.portScan, title: `A port scan from the internet: ${SCANNED_PORTS} ports of WEB02 in two minutes`, source: ESSENTIALS_ADDRESSES.portScanner }, scan);

  // A sweep from the internet: SSH on 30 internal hosts; desktops do not answer, Linux servers do.
  const servers = new Set(network.linuxServers.map((h) => h.ip));
  const targets = rng.shuffled(network.hosts.map((h) => h.ip)).slice(0, SWEPT_HOSTS);
  const sweep = targets.map((dst, k) =>
    session(lastDay(23, 30) + Math.floor(((10 * k) / SWEPT_HOSTS + rng.next() * 0.2) * MICROS_PER_MINUTE), ESSENTIALS_ADDRESSES.sweeper, dst, 'probe', servers.has(dst) ? 'SF' : rng.chance(0.5) ? 'S0' : 'REJ', 22),
  );
  plant({ id: 'port-sweep', ruleId: ESSENTIALS_RULE_IDS.portSweep, title: `A sweep from the internet: SSH (22) on ${SWEPT_HOSTS} internal hosts in ten minutes`, source: ESSENTIALS_ADDRESSES.sweeper }, sweep);

  // RDP brute force from the internet against FS02 (reachable through a forgotten port forward): failed logons.
  const brute = Array.from({ length: RDP_FAILURES }, () =>
    session(spread(lastDay(23, 46), lastDay(23, 49) + 30 * MICROS_PER_SECOND), ESSENTIALS_ADDRESSES.rdpBruteForcer, ip('FS02'), 'rdpLogon'),
  );
  plant({ id: 'rdp-brute-force', ruleId: ESSENTIALS_RULE_IDS.rdpBruteForce, title: `RDP brute force from the internet: ${RDP_FAILURES} failed logons on FS02 within 4 minutes`, source: ESSENTIALS_ADDRESSES.rdpBruteForcer }, brute);

  // The same port forward is how a support vendor reaches FS02 every day: inbound RDP is ordinary at 2 a day,
  // so the brute force on the last day is an anomaly of port 3389's daily series (the watchlist's RDP row).
  const vendor: Session[] = [];
  for (let day = 0; day <= LAST_DAY; day++) {
    for (let i = 0; i < RDP_VENDOR_PER_DAY; i++) vendor.push(session(dayStart(day) + Math.floor((9 + 8 * rng.next()) * 60 * MICROS_PER_MINUTE), ESSENTIALS_ADDRESSES.rdpVendor, ip('FS02'), 'rdp', 'SF'));
  }
  plant(
    { id: 'rdp-anomaly', ruleId: ESSENTIALS_RULE_IDS.portMisuseAnomaly, title: `Inbound RDP: a vendor's ${RDP_VENDOR_PER_DAY} sessions a day, then the brute force on the last day`, source: ESSENTIALS_ADDRESSES.rdpVendor },
    vendor,
  );

  // A compromised application server talking to a TOR relay on 9150 in the last 20 minutes.
  const tor = Array.from({ length: TOR_SESSIONS }, () =>
    session(spread(lastDay(23, 40) + 30 * MICROS_PER_SECOND, lastDay(23, 59) + 30 * MICROS_PER_SECOND), ip('APP01'), ESSENTIALS_ADDRESSES.torRelay, 'tor', 'SF'),
  );
  plant({ id: 'tor', ruleId: ESSENTIALS_RULE_IDS.portMisuseStatic, title: `TOR: APP01 opens ${TOR_SESSIONS} connections to a relay's port 9150 in 20 minutes`, source: ip('APP01') }, tor);

  // An implant on WIKI01 calling home every 60 seconds for three hours, the night before the last day.
  const beaconStart = dayStart(LAST_DAY - 1) + 60 * MICROS_PER_MINUTE + rng.int(0, 59) * MICROS_PER_SECOND;
  const beacon = Array.from({ length: (BEACON_HOURS * 3600) / BEACON_SECONDS }, (_, k) =>
    session(beaconStart + k * BEACON_SECONDS * MICROS_PER_SECOND, ip('WIKI01'), ESSENTIALS_ADDRESSES.beaconServer, 'https', 'SF'),
  );
  plant({ id: 'beaconing', ruleId: ESSENTIALS_RULE_IDS.beaconing, title: `Beaconing: WIKI01 calls ${ESSENTIALS_ADDRESSES.beaconServer}:443 every ${BEACON_SECONDS} s for ${BEACON_HOURS} hours`, source: ip('WIKI01') }, beacon);

  // For the hunting queries, in office hours of the last day, from ordinary desktops (none the seed rule's cases use).
  const desktops = rng.shuffled(network.workstations.filter((ws) => ws.windows && !ws.script).map((ws) => ws.host.ip));
  const officeHours = (): Micros => lastDay(9, 0) + Math.floor(rng.next() * 7 * 60) * MICROS_PER_MINUTE;
  const ldapClient = desktops[0]!;
  plant(
    { kind: 'hunting', id: 'outbound-ldap', ruleId: ESSENTIALS_HUNTING_IDS.outboundLdap, title: 'An application on a desktop trying LDAP (389) on an internet address: 6 rejected attempts', source: ldapClient },
    Array.from({ length: 6 }, () => session(officeHours(), ldapClient, ESSENTIALS_ADDRESSES.ldapServer, 'ldap', 'REJ')),
  );
  const mailReader = desktops[1]!;
  plant(
    { kind: 'hunting', id: 'cleartext', ruleId: ESSENTIALS_HUNTING_IDS.cleartext, title: "A desktop reading mail over POP3 (110) and a router's telnet console (23), both in cleartext", source: mailReader },
    [
      ...Array.from({ length: 12 }, () => session(officeHours(), mailReader, ESSENTIALS_ADDRESSES.mailServer, 'pop3', 'SF')),
      ...Array.from({ length: 2 }, () => session(officeHours(), mailReader, ESSENTIALS_ADDRESSES.router, 'telnet', 'SF')),
    ],
  );
  const rdpClient = desktops[2]!;
  plant(
    { kind: 'hunting', id: 'outbound-rdp', ruleId: ESSENTIALS_HUNTING_IDS.outboundRdp, title: 'A desktop trying RDP (3389) on an internet address: 3 rejected attempts', source: rdpClient },
    Array.from({ length: 3 }, () => session(officeHours(), rdpClient, ESSENTIALS_ADDRESSES.rdpHost, 'rdp', 'REJ')),
  );

  return { byDay, episodes };
}
