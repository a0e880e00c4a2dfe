/**
 * The traffic of the scale benchmark, defined in SQL so that DuckDB makes a billion records with no file in between:
 * N Zeek conn records over 14 days in time order (record i at start + i·14d/N), from ~20,000 internal hosts to 400
 * servers on common ports (35% SMB), 1% from public and 1% from IPv6 sources; plus ten sources that were nearly
 * silent and burst on SMB in the last 12 hours, so the seed rule has rows to return.
 *
 * The same records are written either as Zeek conn.log files (hourly and gzipped, as a sensor leaves them: what the
 * ingest measurement reads) or straight into the store through the Zeek bulk mapping (duckdb-bulk.ts), which gives
 * exactly the records an ingest of those files stores.
 */
import { Readable } from 'node:stream';
import { planZeekBulk } from '../sources/zeek-bulk.js';
import type { BulkPlan } from '../sources/types.js';
import { quoteString } from '../store/sql.js';

const SECOND_US = 1_000_000;
const HOUR_US = 3600 * SECOND_US;
const DAY_US = 24 * HOUR_US;
export const SCALE_DAYS = 14;
export const SCALE_HOURS = SCALE_DAYS * 24;
/** The first instant of the traffic. */
export const SCALE_START_US = Date.UTC(2024, 2, 1) * 1000;
/** The end of the traffic: rules run at this instant, their 14-day look-back covering all of it. */
export const SCALE_END_US = SCALE_START_US + SCALE_DAYS * DAY_US;
/** Records added to N: ten sources, each with one connection five days before the end and 600 in the last 12 hours. */
export const PLANTED_RECORDS = 10 * 601;

const FIELDS = [
  ['ts', 'time'], ['uid', 'string'], ['id.orig_h', 'addr'], ['id.orig_p', 'port'], ['id.resp_h', 'addr'], ['id.resp_p', 'port'],
  ['proto', 'enum'], ['service', 'string'], ['duration', 'interval'], ['orig_bytes', 'count'], ['resp_bytes', 'count'],
  ['conn_state', 'string'], ['local_orig', 'bool'], ['local_resp', 'bool'], ['missed_bytes', 'count'], ['history', 'string'],
  ['orig_pkts', 'count'], ['orig_ip_bytes', 'count'], ['resp_pkts', 'count'], ['resp_ip_bytes', 'count'],
  ['tunnel_parents', 'set[string]'],
] as const;

/** Zeek's stamp for #open/#close and rotated file names: 2024-03-01-00-00-00. */
function zeekStamp(us: number): string {
  return new Date(us / 1000).toISOString().slice(0, 19).replace('T', '-').replaceAll(':', '-');
}

/** The header lines of a conn.log opened at `openUs`. */
export function zeekHeader(openUs: number): string[] {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    `#open\t${zeekStamp(openUs)}`,
    `#fields\t${FIELDS.map(([name]) => name).join('\t')}`,
    `#types\t${FIELDS.map(([, type]) => type).join('\t')}`,
  ];
}

/** The first record of hour h: records [firstRecordOfHour(h), firstRecordOfHour(h + 1)) have their time in hour h. */
export function firstRecordOfHour(total: number, hour: number): number {
  return Math.ceil((hour * total) / SCALE_HOURS);
}

/** An epoch-µs expression as Zeek's `time` text (seconds with six decimals). */
const zeekTime = (us: string) => `printf('%d.%06d', ${us} // ${SECOND_US}, ${us} % ${SECOND_US})`;

/**
 * The records with index in [from, to) of `total`, and the planted ones with time in [fromUs, toUs): a column `us`
 * (the time, for ordering) and one text column per conn.log field, as the file holds it ('-' for unset).
 */
export function zeekRecordsSql(total: number, from: number, to: number, fromUs: number, toUs: number): string {
  const span = SCALE_DAYS * DAY_US;
  const generated = `SELECT us, ${zeekTime('us')} AS ts, 'C' || lpad(to_hex(h7), 16, '0') AS uid,
    CASE WHEN i % 100 = 0 THEN 'fe80::' || to_hex(h2 % 5000) WHEN i % 100 = 1 THEN '203.0.113.' || (h2 % 250)::VARCHAR
         ELSE '10.1.' || (h2 % 20000 // 256)::VARCHAR || '.' || (h2 % 20000 % 256)::VARCHAR END AS "id.orig_h",
    (49152 + h4 // 100 % 16000)::VARCHAR AS "id.orig_p",
    '10.0.' || (h3 % 2)::VARCHAR || '.' || (h3 // 2 % 200 + 1)::VARCHAR AS "id.resp_h",
    port::VARCHAR AS "id.resp_p",
    CASE WHEN port IN (53, 123) THEN 'udp' ELSE 'tcp' END AS proto,
    CASE port WHEN 445 THEN 'smb,gssapi' WHEN 139 THEN 'smb,gssapi' WHEN 53 THEN 'dns' WHEN 443 THEN 'ssl' WHEN 80 THEN 'http'
      WHEN 88 THEN 'krb' WHEN 389 THEN 'ldap' ELSE '-' END AS service,
    CASE WHEN unset THEN '-' ELSE ${zeekTime(`(h5 // 10 % ${30 * SECOND_US})`)} END AS duration,
    CASE WHEN unset THEN '-' ELSE (h6 % 50000)::VARCHAR END AS orig_bytes,
    CASE WHEN unset THEN '-' ELSE (h6 // 50000 % 500000)::VARCHAR END AS resp_bytes,
    state AS conn_state,
    CASE WHEN i % 100 = 1 THEN 'F' ELSE 'T' END AS local_orig, 'T' AS local_resp, '0' AS missed_bytes,
    CASE state WHEN 'SF' THEN 'ShADadFf' WHEN 'S0' THEN 'S' WHEN 'REJ' THEN 'Sr' WHEN 'RSTO' THEN 'ShADR' WHEN 'RSTR' THEN 'ShADr'
      WHEN 'SH' THEN 'ShF' WHEN 'OTH' THEN 'D' ELSE 'ShAD' END AS history,
    (h6 // 25000000000 % 100)::VARCHAR AS orig_pkts, (h6 // 2500000000000 % 60000)::VARCHAR AS orig_ip_bytes,
    (h7 % 100)::VARCHAR AS resp_pkts, (h7 // 100 % 600000)::VARCHAR AS resp_ip_bytes, '-' AS tunnel_parents
  FROM (SELECT *, ['SF', 'SF', 'SF', 'S0', 'REJ', 'RSTO', 'RSTR', 'SH', 'OTH', 'S1'][(h5 % 10 + 1)::INTEGER] AS state,
          h5 % 10 IN (3, 4) AS unset,
          CASE WHEN h4 % 100 < 30 THEN 445 WHEN h4 % 100 < 35 THEN 139
               ELSE [53, 443, 80, 88, 389, 135, 3389, 5985, 123, 8080][(h4 % 10 + 1)::INTEGER] END AS port
        FROM (SELECT i, (${SCALE_START_US} + i::HUGEINT * ${span} // ${total})::BIGINT AS us,
                hash(i, 2) AS h2, hash(i, 3) AS h3, hash(i, 4) AS h4, hash(i, 5) AS h5, hash(i, 6) AS h6, hash(i, 7) AS h7
              FROM range(${from}, ${to}) t(i)))`;
  const planted = `SELECT us, ${zeekTime('us')} AS ts, 'CP' || k::VARCHAR || 'x' || j::VARCHAR AS uid, '10.250.0.' || k::VARCHAR AS "id.orig_h",
    (50000 + j)::VARCHAR AS "id.orig_p", '10.0.0.1' AS "id.resp_h", '445' AS "id.resp_p", 'tcp' AS proto, 'smb,gssapi' AS service,
    '0.100000' AS duration, '1000' AS orig_bytes, '2000' AS resp_bytes, 'SF' AS conn_state, 'T' AS local_orig, 'T' AS local_resp,
    '0' AS missed_bytes, 'ShADadFf' AS history, '10' AS orig_pkts, '1500' AS orig_ip_bytes, '10' AS resp_pkts, '2500' AS resp_ip_bytes,
    '-' AS tunnel_parents
  FROM (SELECT k, j, CASE WHEN j = 0 THEN ${SCALE_END_US - 5 * DAY_US} + k ELSE ${SCALE_END_US - 12 * HOUR_US} + j * ${SECOND_US} + k END AS us
        FROM range(1, 11) a(k), range(0, 601) b(j))
  WHERE us >= ${fromUs} AND us < ${toUs}`;
  return `${generated}\nUNION ALL\n${planted}`;
}

/** The records of hour h, as the relation zeekRecordsSql gives. */
export function hourRecordsSql(total: number, hour: number): string {
  return zeekRecordsSql(total, firstRecordOfHour(total, hour), firstRecordOfHour(total, hour + 1), SCALE_START_US + hour * HOUR_US, SCALE_START_US + (hour + 1) * HOUR_US);
}

/** The rotated name of hour h's log, as Zeek archives it: 2024-03-01/conn.00:00:00-01:00:00.log.gz. */
export function hourFileName(hour: number): string {
  const start = new Date(SCALE_START_US / 1000 + hour * 3_600_000);
  const clock = (date: Date) => date.toISOString().slice(11, 19);
  return `${start.toISOString().slice(0, 10)}/conn.${clock(start)}-${clock(new Date(start.getTime() + 3_600_000))}.log.gz`;
}

/** `COPY … TO path`: hour h's conn.log, header and #close trailer included, gzipped. */
export function copyHourSql(total: number, hour: number, path: string): string {
  const openUs = SCALE_START_US + hour * HOUR_US;
  const header = zeekHeader(openUs).map((line, n) => `SELECT 0 AS part, ${n} AS k, ${quoteString(line)} AS line`);
  const body = `SELECT 1 AS part, us AS k, concat_ws(chr(9), ${FIELDS.map(([name]) => `"${name}"`).join(', ')}) AS line FROM (${hourRecordsSql(total, hour)})`;
  const trailer = `SELECT 2 AS part, 0 AS k, ${quoteString(`#close\t${zeekStamp(openUs + HOUR_US)}`)} AS line`;
  return `COPY (SELECT line FROM (${[...header, body, trailer].join('\nUNION ALL\n')}) ORDER BY part, k)
TO ${quoteString(path)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '|', COMPRESSION gzip)`;
}

/** The Zeek bulk plan for these files (their header), to map generated records as ingest maps the files. */
export async function scaleBulkPlan(): Promise<BulkPlan> {
  const sample = `${zeekHeader(SCALE_START_US).join('\n')}\n${['0.000000', 'C1', '10.1.0.1', '1', '10.0.0.1', '445', 'tcp', '-', '-', '-', '-', 'SF', 'T', 'T', '0', 'S', '1', '1', '1', '1', '-'].join('\t')}\n`;
  const verdict = await planZeekBulk(Readable.from([Buffer.from(sample)]), 0);
  if (!verdict.plan) throw new Error(`scale traffic: the Zeek bulk path refuses the generated header (${verdict.reason})`);
  return verdict.plan;
}
