/**
 * Why a rule missed an attack: for each miss, what the rule's own statistic was on the attack's first day, worked
 * out in SQL over the lab's store with the rule's windows (so the reason is checkable by hand), and said in one line.
 */
import type { Store } from '../store/engine.js';
import { quoteString } from '../store/sql.js';

const MICROS_PER_DAY = 86_400_000_000;
const SESSIONS = 'ASimNetworkSessionLogs';

export type MissExplainer = (store: Store, source: string, at: Date) => Promise<string>;

/** Seed rule: per (source, port), the last day against the 13-day total, as the query computes it. */
export function seedRuleReason(threshold: number): MissExplainer {
  return async (store, source, at) => {
    const t = at.getTime() * 1000;
    const sql = `
      SELECT DstPortNumber AS port,
             count(*) FILTER (WHERE t >= ${t - 14 * MICROS_PER_DAY} AND t <= ${t - MICROS_PER_DAY}) AS base,
             count(*) FILTER (WHERE t >= ${t - MICROS_PER_DAY} AND t <= ${t}) AS recent
      FROM (SELECT epoch_us(TimeGenerated) AS t, DstPortNumber FROM ${SESSIONS}
            WHERE SrcIpAddr = ${quoteString(source)} AND DstPortNumber IN (139, 445) AND SrcIpAddr <> DstIpAddr)
      GROUP BY port ORDER BY port`;
    const rows = (await store.query(sql)).rows.map(([port, base, recent]) => ({ port: Number(port), base: Number(base), recent: Number(recent) }));
    if (!/^(10|172\.(1[6-9]|2\d|3[01])|192\.168)\./.test(source)) return 'the source is not a private IPv4 address (ipv4_is_private)';
    const parts = rows.filter((r) => r.recent > 0).map((r) => {
      if (r.base === 0) return `port ${r.port}: no baseline record, the inner join drops the pair (recent ${r.recent})`;
      const deviation = Math.abs(r.recent - r.base) / r.base;
      return `port ${r.port}: deviation |${r.recent} − ${r.base}| / ${r.base} = ${deviation.toFixed(2)} ≤ ${threshold}`;
    });
    return parts.length > 0 ? parts.join('; ') : 'no SMB record from the source in the last day';
  };
}

/** Splunk-style spike: the largest hourly count of the last day against mean + 2σ of the earlier non-empty hours. */
export function spikeRuleReason(deviations = 2, minSamples = 50): MissExplainer {
  return async (store, source, at) => {
    const t = at.getTime() * 1000;
    const sql = `
      WITH hourly AS (
        SELECT (epoch_us(TimeGenerated) // 3600000000) * 3600000000 AS hour, count(*) AS n FROM ${SESSIONS}
        WHERE SrcIpAddr = ${quoteString(source)} AND DstPortNumber IN (139, 445)
          AND epoch_us(TimeGenerated) BETWEEN ${t - 14 * MICROS_PER_DAY} AND ${t}
        GROUP BY hour)
      SELECT (SELECT max(n) FROM hourly WHERE hour >= ${t - MICROS_PER_DAY}),
             (SELECT avg(n) FROM hourly WHERE hour < ${t - MICROS_PER_DAY}),
             (SELECT coalesce(stddev_samp(n), 0) FROM hourly WHERE hour < ${t - MICROS_PER_DAY}),
             (SELECT count(*) FROM hourly WHERE hour < ${t - MICROS_PER_DAY})`;
    const [current, mean, sigma, samples] = (await store.query(sql)).rows[0]!.map((v) => (v === null ? null : Number(v)));
    if (!current) return 'no SMB record from the source in the last day';
    if ((samples ?? 0) < minSamples) return `${samples ?? 0} baseline hours with SMB < ${minSamples} samples (a new or quiet source is never judged)`;
    const bound = (mean ?? 0) + deviations * (sigma ?? 0);
    return `busiest hour ${current} ≤ mean + ${deviations}σ = ${bound.toFixed(1)} over ${samples} active hours`;
  };
}
