-- The seed rule "Anomaly in SMB Traffic (ASIM Network Session schema)", written by hand in DuckDB SQL from
-- shared/docs/seed-rule.md §3, as an oracle independent of the KQL compiler and of the demo generator.
-- Placeholders (replaced with numeric literals by the test, never with text):
--   {{now_us}}     the evaluation instant T, microseconds since the epoch (UTC)
--   {{threshold}}  50 for v1.0.0, 0.5 for v1.0.1
WITH params AS (
  -- §3.1: one instant for every ago(); §3.3: the scheduled look-back caps everything at T.
  SELECT make_timestamp({{now_us}}) AS now_ts, CAST({{threshold}} AS DOUBLE) AS threshold
),
parsed AS (
  -- §3.5: a.b.c.d with an optional /0–/32 suffix; anything else is not IPv4 (ipv4_is_private → null).
  SELECT
    s.SrcIpAddr,
    s.DstIpAddr,
    s.DstPortNumber,
    s.TimeGenerated,
    regexp_extract(s.SrcIpAddr, '^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})(/([0-9]{1,2}))?$',
                   ['a', 'b', 'c', 'd', 'slash', 'prefix']) AS ip
  FROM ASimNetworkSessionLogs s
),
octets AS (
  -- TRY_CAST: DuckDB may evaluate every conjunct, and a non-IPv4 source has empty parts ('' → null).
  SELECT SrcIpAddr, DstIpAddr, DstPortNumber, TimeGenerated,
         TRY_CAST(ip.a AS INTEGER) AS a, TRY_CAST(ip.b AS INTEGER) AS b,
         TRY_CAST(ip.c AS INTEGER) AS c, TRY_CAST(ip.d AS INTEGER) AS d,
         ip.slash <> '' AS has_prefix, TRY_CAST(ip.prefix AS INTEGER) AS prefix
  FROM parsed
),
kept AS (
  SELECT o.SrcIpAddr, o.DstPortNumber, o.TimeGenerated
  FROM octets o
  WHERE o.a IS NOT NULL AND o.a <= 255 AND o.b <= 255 AND o.c <= 255 AND o.d <= 255
    AND (NOT o.has_prefix OR o.prefix <= 32)
    -- private: 10/8, 172.16/12, 192.168/16
    AND (o.a = 10 OR (o.a = 172 AND o.b BETWEEN 16 AND 31) OR (o.a = 192 AND o.b = 168))
    -- §3.6: tostring(DstPortNumber) has_any ("139", "445") is a whole-term match: |port| is 139 or 445, null excluded.
    AND o.DstPortNumber IS NOT NULL AND abs(o.DstPortNumber) IN (139, 445)
    -- §3.7: plain, case-sensitive string inequality ("" for a missing destination passes).
    AND o.SrcIpAddr <> o.DstIpAddr
),
per_pair_baseline AS (
  -- §3.2, §3.4: baseline = T−14d ≤ TimeGenerated ≤ T−1d, both ends included.
  SELECT k.SrcIpAddr, k.DstPortNumber, count(*) AS Count
  FROM kept k, params
  WHERE k.TimeGenerated >= params.now_ts - INTERVAL 14 DAY
    AND k.TimeGenerated <= params.now_ts - INTERVAL 1 DAY
  GROUP BY k.SrcIpAddr, k.DstPortNumber
),
user_baseline AS (
  -- §3.10: the second summarize by the same keys: avg over one row, i.e. the 13-day total as a real.
  SELECT SrcIpAddr, DstPortNumber, avg(Count) AS AvgCount
  FROM per_pair_baseline
  GROUP BY SrcIpAddr, DstPortNumber
),
recent_user_activity AS (
  -- §3.2–3.4: recent = T−1d ≤ TimeGenerated ≤ T (the upper bound is the look-back's).
  SELECT k.SrcIpAddr, k.DstPortNumber, min(k.TimeGenerated) AS StartTimeUtc, max(k.TimeGenerated) AS EndTimeUtc,
         count(*) AS RecentCount
  FROM kept k, params
  WHERE k.TimeGenerated >= params.now_ts - INTERVAL 1 DAY
    AND k.TimeGenerated <= params.now_ts
  GROUP BY k.SrcIpAddr, k.DstPortNumber
),
user_behavior_analysis AS (
  -- §3.11: inner join on both keys; §3.12: deviation in double precision.
  SELECT b.SrcIpAddr, b.DstPortNumber, b.AvgCount, r.RecentCount,
         abs(CAST(r.RecentCount AS DOUBLE) - b.AvgCount) / b.AvgCount AS Deviation
  FROM user_baseline b
  JOIN recent_user_activity r ON b.SrcIpAddr = r.SrcIpAddr AND b.DstPortNumber = r.DstPortNumber
)
-- §3.13: strictly greater; §3.14: the projected columns (the rule does not sort; the test orders for comparison).
SELECT u.SrcIpAddr, u.DstPortNumber, u.Deviation, u.RecentCount AS Count
FROM user_behavior_analysis u, params
WHERE u.Deviation > params.threshold
ORDER BY u.SrcIpAddr, u.DstPortNumber
