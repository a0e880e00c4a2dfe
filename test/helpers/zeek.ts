/**
 * Zeek conn.log TSV text for tests: `count` SMB sessions from 10.0.5.21 to 10.0.1.10:445, one per microsecond
 * from 1709542801.000000, source ports counting up from `firstPort`.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tconn',
  '#open\t2024-03-04-09-00-00',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
];

export function zeekConnTsv(count: number, firstPort = 50000): string {
  const rows = Array.from({ length: count }, (_, i) => {
    const ts = `1709542801.${String(i).padStart(6, '0')}`;
    return [ts, `C${i}x`, '10.0.5.21', firstPort + i, '10.0.1.10', 445, 'tcp', 'smb', '0.5', 100, 200, 'SF', 'T', 'T', 0, 'ShADdaFf', 5, 400, 5, 500, '-'].join('\t');
  });
  return [...HEADER, ...rows, '#close\t2024-03-04-10-00-00'].join('\n') + '\n';
}

/** A large conn.log written as a stream: `lines` SMB sessions, a millisecond apart, from 65,536 sources. */
export async function writeBigConnLog(path: string, lines: number): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${HEADER.join('\n')}\n`);
  for (let i = 0; i < lines; i++) {
    const ts = 1709542801 + i / 1000;
    const row = `${ts.toFixed(6)}\tC${i}\t10.0.${(i >> 8) & 255}.${i & 255}\t${40000 + (i % 20000)}\t10.0.1.10\t445\ttcp\tsmb\t0.5\t100\t200\tSF\tT\tT\t0\tShADdaFf\t5\t400\t5\t500\t-\n`;
    if (!out.write(row)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
