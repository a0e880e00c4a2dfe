/**
 * A synthetic but realistic Zeek conn.log (TSV) for benchmarks: a /16 of clients talking to a few hundred
 * servers on common ports, SMB among them, with the usual mix of connection states and unset fields.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const PORTS = [445, 139, 53, 443, 80, 88, 389, 135, 3389, 5985, 123, 8080];
const STATES = ['SF', 'SF', 'SF', 'S0', 'REJ', 'RSTO', 'RSTR', 'SH', 'OTH', 'S1'];
const SERVICES = ['smb,gssapi', 'dns', 'ssl', 'http', 'krb', 'ldap', '-', '-'];
const FIELDS =
  'ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents';
const TYPES =
  'time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]';

/** Deterministic pseudo-random numbers (mulberry32), so every run benchmarks the same bytes. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function writeZeekConnLog(path: string, records: number, startEpochSeconds = 1_709_251_200): Promise<number> {
  const next = random(42);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  out.write(
    `#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2024-03-01-00-00-00\n#fields\t${FIELDS}\n#types\t${TYPES}\n`,
  );
  const spanSeconds = 14 * 86_400;
  let buffer = '';
  for (let i = 0; i < records; i++) {
    const ts = startEpochSeconds + (i / records) * spanSeconds;
    const port = PORTS[Math.floor(next() * PORTS.length)]!;
    const state = STATES[Math.floor(next() * STATES.length)]!;
    const service = port === 445 || port === 139 ? 'smb,gssapi' : SERVICES[Math.floor(next() * SERVICES.length)]!;
    const unsetBytes = state === 'S0' || state === 'REJ';
    const origBytes = unsetBytes ? '-' : String(Math.floor(next() * 50_000));
    const respBytes = unsetBytes ? '-' : String(Math.floor(next() * 500_000));
    buffer +=
      `${ts.toFixed(6)}\tC${i.toString(36)}k\t10.${1 + Math.floor(next() * 4)}.${Math.floor(next() * 256)}.${Math.floor(next() * 254) + 1}` +
      `\t${49152 + Math.floor(next() * 16000)}\t10.0.${Math.floor(next() * 2)}.${Math.floor(next() * 200) + 1}\t${port}\t` +
      `${port === 53 || port === 123 ? 'udp' : 'tcp'}\t${service}\t${unsetBytes ? '-' : (next() * 30).toFixed(6)}\t${origBytes}\t${respBytes}\t` +
      `${state}\tT\tT\t0\tShADadFf\t${Math.floor(next() * 100)}\t${Math.floor(next() * 60_000)}\t${Math.floor(next() * 100)}\t${Math.floor(next() * 600_000)}\t-\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.write(`${buffer}#close\t2024-03-15-00-00-00\n`);
  out.end();
  await once(out, 'finish');
  return records;
}
