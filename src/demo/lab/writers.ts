/**
 * How a lab's sensors log its SMB sessions, one UTC day at a time, in the formats real sensors write (so that the
 * evaluation reads them through smbwatch's own parsers, quirks included):
 *
 * - Zeek `conn` TSV (one file per sensor): the demo's writer draws ports, bytes, durations and states.
 *   The ASIM Zeek mapping turns S0 into EventResult "Success"; REJ and resets into "Failure".
 * - Windows events as NXLog JSON lines: Sysmon event 3 (client `Initiated=true` when the connection was
 *   answered; server `Initiated=false`) and Windows Firewall 5156 (client outbound for every attempt; server
 *   inbound when answered) or 5157 at a target whose host firewall dropped it. No byte counts; an unanswered
 *   attempt leaves only the client's 5156, which the parser calls a success.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Micros } from '../../asim/record.js';
import { Random } from '../random.js';
import type { Session } from '../traffic.js';
import { connLine, connLogHeader, connLogTrailer } from '../zeek-writer.js';
import { SERVICES } from '../services.js';
import type { LabHost, LabNetwork } from './network.js';

export interface WrittenLog {
  /** Relative to the logs directory, `/`-separated. */
  readonly path: string;
  readonly records: number;
  readonly sha256: string;
}

/**
 * One log file written in order, day after day: a whole period per sensor (one Zeek block, or JSON lines), which
 * smbwatch ingests in one transaction — Zeek's through DuckDB's own CSV reader.
 */
class LogFile {
  private readonly stream: WriteStream;
  private readonly hash: Hash = createHash('sha256');
  records = 0;

  constructor(readonly path: string, absolute: string) {
    this.stream = createWriteStream(absolute);
  }

  async write(lines: readonly string[], records = lines.length): Promise<void> {
    if (lines.length === 0) return;
    const text = `${lines.join('\n')}\n`;
    this.hash.update(text);
    this.records += records;
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  async close(): Promise<WrittenLog> {
    await new Promise<void>((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
    return { path: this.path, records: this.records, sha256: this.hash.digest('hex') };
  }
}

/** The lab's sensors: each UTC day's sessions are appended to the files of the sensor layout. */
export class LabLogWriter {
  private readonly files = new Map<string, LogFile>();

  constructor(
    readonly network: LabNetwork,
    readonly logsDir: string,
    readonly periodStart: Micros,
    readonly periodEnd: Micros,
  ) {}

  async writeDay(sessions: readonly Session[], rng: Random): Promise<void> {
    const sorted = [...sessions].sort((a, b) => a.ts - b.ts);
    const layout = this.network.profile.sensors;
    let lines: string[] = [];
    if (layout !== 'endpoint') {
      lines = sorted.map((s) => connLine(s, rng));
      await this.zeek('zeek/conn.log', lines);
      if (layout === 'zeek-dual') {
        // The second sensor sits in front of the servers: it sees the same connections (same ports, bytes and
        // state) a moment later, under its own uid.
        const seen: string[] = [];
        sorted.forEach((s, i) => {
          if (isServer(this.network.byIp.get(s.dst))) seen.push(resensed(lines[i]!, s.ts + 1000 + Math.floor(rng.next() * 3000), rng));
        });
        await this.zeek('zeek-servers/conn.log', seen);
      }
    }
    if (layout === 'endpoint' || layout === 'mixed') {
      // With a network sensor too, both log the same connection: the endpoint takes the client port Zeek wrote.
      const events: string[] = [];
      sorted.forEach((s, i) => {
        const port = layout === 'mixed' ? Number(lines[i]!.split('\t', 4)[3]) : rng.int(49152, 65535);
        events.push(...endpointRecords(this.network, s, port, layout === 'mixed' ? 'servers' : 'all'));
      });
      await (await this.file('windows/events.jsonl')).write(events);
    }
  }

  /** Lines of other formats (the replayed real episodes). */
  async writeLines(path: string, lines: readonly string[]): Promise<void> {
    await (await this.file(path)).write(lines);
  }

  async close(): Promise<WrittenLog[]> {
    const written: WrittenLog[] = [];
    for (const [path, file] of this.files) {
      if (path.endsWith('conn.log')) await file.write([connLogTrailer(this.periodEnd)], 0);
      written.push(await file.close());
    }
    return written;
  }

  private async zeek(path: string, lines: readonly string[]): Promise<void> {
    const known = this.files.has(path);
    const file = await this.file(path);
    if (!known) await file.write(connLogHeader(this.periodStart), 0);
    await file.write(lines);
  }

  private async file(path: string): Promise<LogFile> {
    let file = this.files.get(path);
    if (!file) {
      const absolute = join(this.logsDir, ...path.split('/'));
      await mkdir(dirname(absolute), { recursive: true });
      file = new LogFile(path, absolute);
      this.files.set(path, file);
    }
    return file;
  }
}

/** A conn line as another sensor logs the same connection: its own timestamp and uid, the rest identical. */
function resensed(line: string, ts: Micros, rng: Random): string {
  const fields = line.split('\t');
  const seconds = Math.floor(ts / 1_000_000);
  fields[0] = `${seconds}.${String(ts - seconds * 1_000_000).padStart(6, '0')}`;
  fields[1] = `C${rng.uint32().toString(36)}${rng.uint32().toString(36)}`.slice(0, 18);
  return fields.join('\t');
}

function isServer(host: LabHost | undefined): boolean {
  return host !== undefined && host.role !== 'workstation' && host.role !== 'linux-workstation';
}

/** Which hosts run the endpoint sensors: every Windows host, or the Windows servers only. */
function logs(host: LabHost | undefined, scope: 'all' | 'servers'): host is LabHost {
  return host !== undefined && host.windows && (scope === 'all' || isServer(host));
}

function endpointRecords(network: LabNetwork, s: Session, clientPort: number, scope: 'all' | 'servers'): string[] {
  const client = network.byIp.get(s.src);
  const server = network.byIp.get(s.dst);
  const port = SERVICES[s.service].port;
  const answered = s.state !== 'S0' && s.state !== 'REJ';
  const records: string[] = [];
  const wfp = (host: LabHost, id: 5156 | 5157, inbound: boolean, ts: Micros): string =>
    JSON.stringify({
      '@timestamp': isoMillis(ts), EventID: id, SourceName: 'Microsoft-Windows-Security-Auditing', Channel: 'Security',
      Hostname: fqdn(host), ProcessID: '4', Application: 'System', Direction: inbound ? '%%14592' : '%%14593',
      SourceAddress: s.src, SourcePort: String(clientPort), DestAddress: s.dst, DestPort: String(port), Protocol: '6',
      FilterRTID: '70200', LayerName: inbound ? '%%14610' : '%%14611', LayerRTID: inbound ? '44' : '48',
      RemoteUserID: 'S-1-0-0', RemoteMachineID: 'S-1-0-0',
    });
  const sysmon = (host: LabHost, initiated: boolean, ts: Micros): string =>
    JSON.stringify({
      '@timestamp': isoMillis(ts), EventID: 3, SourceName: 'Microsoft-Windows-Sysmon', Channel: 'Microsoft-Windows-Sysmon/Operational',
      Hostname: fqdn(host), UtcTime: isoMillis(ts).replace('T', ' ').replace('Z', ''), Image: 'System', Protocol: 'tcp',
      Initiated: initiated ? 'true' : 'false', SourceIp: s.src, SourcePort: String(clientPort), DestinationIp: s.dst, DestinationPort: String(port),
    });
  if (logs(client, scope)) {
    records.push(wfp(client, 5156, false, s.ts));
    if (answered) records.push(sysmon(client, true, s.ts + 2000));
  }
  if (logs(server, scope)) {
    if (answered) {
      records.push(wfp(server, 5156, true, s.ts + 1000));
      records.push(sysmon(server, false, s.ts + 3000));
    } else if (server.role === 'workstation' && s.state === 'S0') {
      // A Windows workstation's own firewall dropping inbound SMB logs the block (an approximation: a machine that
      // was merely switched off would log nothing).
      records.push(wfp(server, 5157, true, s.ts + 1000));
    }
  }
  return records;
}

function fqdn(host: LabHost): string {
  return `${host.name}.lab.example`;
}

function isoMillis(micros: Micros): string {
  return new Date(Math.floor(micros / 1000)).toISOString();
}
