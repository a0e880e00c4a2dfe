/**
 * The seed rule as an expert would write it by hand, for DuckDB and for ClickHouse (seed-rule.md §3): the baselines
 * of the KQL and run benchmarks. No imports, so that a baseline process loads nothing of smbwatch.
 */
const DAY_US = 86_400_000_000;

const PRIVATE_IPV4 =
  '^(10\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])|172\\.(1[6-9]|2[0-9]|3[01])|192\\.168)(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){2}(/(3[0-2]|[12]?[0-9]))?$';

/** For DuckDB, at `nowUs` (epoch microseconds) with the rule's threshold. */
export function handDuckDbSql(nowUs: number, threshold: number): string {
  const ts = (micros: number) => `make_timestamp(${micros})`;
  return `WITH smb AS (
  SELECT TimeGenerated, SrcIpAddr, DstPortNumber FROM ASimNetworkSessionLogs
  WHERE TimeGenerated BETWEEN ${ts(nowUs - 14 * DAY_US)} AND ${ts(nowUs)}
    AND abs(DstPortNumber) IN (139, 445) AND SrcIpAddr <> DstIpAddr
    AND regexp_full_match(SrcIpAddr, '${PRIVATE_IPV4}')),
base AS (SELECT SrcIpAddr, DstPortNumber, count(*)::DOUBLE AS total FROM smb WHERE TimeGenerated <= ${ts(nowUs - DAY_US)} GROUP BY ALL),
recent AS (SELECT SrcIpAddr, DstPortNumber, count(*) AS recent FROM smb WHERE TimeGenerated >= ${ts(nowUs - DAY_US)} GROUP BY ALL)
SELECT SrcIpAddr, DstPortNumber, abs(recent - total) / total AS Deviation, recent AS Count
FROM base JOIN recent USING (SrcIpAddr, DstPortNumber) WHERE abs(recent - total) / total > ${threshold}`;
}

/** The same by hand for ClickHouse. */
export function handClickHouseSql(nowUs: number, threshold: number): string {
  const ts = (micros: number) => `fromUnixTimestamp64Micro(toInt64(${micros}), 'UTC')`;
  return `WITH smb AS (
  SELECT TimeGenerated, SrcIpAddr, DstPortNumber FROM ASimNetworkSessionLogs
  WHERE TimeGenerated BETWEEN ${ts(nowUs - 14 * DAY_US)} AND ${ts(nowUs)}
    AND abs(DstPortNumber) IN (139, 445) AND SrcIpAddr != DstIpAddr
    AND match(SrcIpAddr, '${PRIVATE_IPV4.replaceAll('\\', '\\\\')}')),
base AS (SELECT SrcIpAddr, DstPortNumber, toFloat64(count()) AS total FROM smb WHERE TimeGenerated <= ${ts(nowUs - DAY_US)} GROUP BY SrcIpAddr, DstPortNumber),
recent AS (SELECT SrcIpAddr, DstPortNumber, count() AS recent FROM smb WHERE TimeGenerated >= ${ts(nowUs - DAY_US)} GROUP BY SrcIpAddr, DstPortNumber)
SELECT base.SrcIpAddr AS SrcIpAddr, base.DstPortNumber AS DstPortNumber, abs(recent - total) / total AS Deviation, recent AS Count
FROM base INNER JOIN recent ON base.SrcIpAddr = recent.SrcIpAddr AND base.DstPortNumber = recent.DstPortNumber
WHERE abs(recent - total) / total > ${threshold}`;
}
