/**
 * What each kind of session looks like on the wire, as Zeek logs it: port, transport, the `service` Zeek's
 * analyzers name, typical duration and byte counts, and how connections usually end. Data, not code: the
 * writer draws each session's details from its profile.
 */

export type ConnState = 'SF' | 'S0' | 'S1' | 'REJ' | 'RSTO' | 'RSTR' | 'SH' | 'OTH';

export interface ServiceProfile {
  readonly name: string;
  readonly port: number;
  readonly proto: 'tcp' | 'udp';
  /** Zeek's `service` field; "" is written as unset (`-`). */
  readonly service: string;
  /** Median seconds and log-normal spread. */
  readonly duration: readonly [number, number];
  readonly origBytes: readonly [number, number];
  readonly respBytes: readonly [number, number];
  /** How sessions end, with weights. */
  readonly states: ReadonlyArray<readonly [ConnState, number]>;
}

const TCP_USUAL: ServiceProfile['states'] = [['SF', 0.93], ['RSTO', 0.03], ['RSTR', 0.02], ['S1', 0.01], ['OTH', 0.01]];
const UDP_USUAL: ServiceProfile['states'] = [['SF', 0.97], ['S0', 0.03]];

function tcp(name: string, port: number, service: string, duration: number, orig: number, resp: number, states = TCP_USUAL): ServiceProfile {
  return { name, port, proto: 'tcp', service, duration: [duration, 1.1], origBytes: [orig, 1.2], respBytes: [resp, 1.4], states };
}

function udp(name: string, port: number, service: string, duration: number, orig: number, resp: number): ServiceProfile {
  return { name, port, proto: 'udp', service, duration: [duration, 0.8], origBytes: [orig, 0.4], respBytes: [resp, 0.6], states: UDP_USUAL };
}

export const SERVICES = {
  smb: tcp('smb', 445, 'gssapi,smb', 4, 3_500, 14_000),
  netbiosSmb: tcp('netbios-smb', 139, 'smb', 3, 2_500, 9_000),
  dns: udp('dns', 53, 'dns', 0.004, 38, 130),
  ntp: udp('ntp', 123, 'ntp', 0.01, 48, 48),
  kerberos: tcp('kerberos', 88, 'krb_tcp', 0.02, 1_600, 1_500),
  ldap: tcp('ldap', 389, 'ldap', 0.3, 900, 3_200),
  rpc: tcp('rpc', 135, 'dce_rpc', 0.05, 240, 180),
  https: tcp('https', 443, 'ssl', 12, 2_200, 38_000),
  http: tcp('http', 80, 'http', 2, 600, 9_000),
  rdp: tcp('rdp', 3389, 'rdp', 900, 250_000, 2_500_000),
  winrm: tcp('winrm', 5985, 'http', 3, 4_000, 6_000),
  ssh: tcp('ssh', 22, 'ssh', 40, 5_000, 30_000),
  rawPrint: tcp('raw-print', 9100, '', 4, 180_000, 300),
  snmp: udp('snmp', 161, 'snmp', 0.01, 90, 260),
  nodeExporter: tcp('node-exporter', 9100, 'http', 0.05, 220, 14_000),
  windowsExporter: tcp('windows-exporter', 9182, 'http', 0.08, 220, 22_000),
  syslog: udp('syslog', 514, 'syslog', 3_500, 120_000, 0),
  appHttp: tcp('app-http', 8080, 'http', 0.2, 900, 6_000),
  postgres: tcp('postgres', 5432, '', 0.1, 700, 4_000),
  /** A licence service on 1445: "445" is a substring of its port, never a term of it (seed-rule.md §3.6). */
  licence: tcp('licence', 1445, '', 0.2, 300, 500),
  /** A scanner's or flooder's connection attempt: its port is the session's own (`Session.port`); Zeek names no service. */
  probe: tcp('probe', 0, '', 0.001, 0, 0, [['REJ', 0.7], ['S0', 0.3]]),
  /** An RDP logon that fails: the server resets the connection (Zeek: RSTR, a Failure in ASIM). */
  rdpLogon: tcp('rdp-logon', 3389, 'rdp', 2, 2_000, 3_000, [['RSTR', 1]]),
  /** Mail read the old way: POP3 and IMAP without TLS, and a router's telnet console. */
  pop3: tcp('pop3', 110, 'pop3', 3, 400, 25_000),
  telnet: tcp('telnet', 23, '', 120, 2_000, 20_000),
  /** Tor Browser's SOCKS port (9150), which the solution's watchlist names. */
  tor: tcp('tor', 9150, '', 20, 1_500, 6_000),
} as const satisfies Record<string, ServiceProfile>;

export type ServiceName = keyof typeof SERVICES;

/** The destination port a session is logged with. */
export function sessionPort(session: { readonly service: ServiceName; readonly port?: number }): number {
  return session.port ?? SERVICES[session.service].port;
}
