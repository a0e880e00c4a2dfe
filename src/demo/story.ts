/**
 * What `smbwatch demo` tells the user: the network, what was planted, where the data is, what the seed rule
 * is expected to do at T (from the manifest, labelled as such), and what it did when run — with a check that
 * the two agree.
 */
import { isAbsolute, relative } from 'node:path';
import { renderAlertTable } from '../alerts/render.js';
import { isoToMicros } from '../util/time.js';
import type { DemoManifest } from './manifest.js';
import { DEMO_EVALUATION_TIME_ISO, MICROS_PER_MINUTE, OFFICE_UTC_OFFSET_MINUTES, isoMicros } from './period.js';
import type { DemoRunResult } from './run.js';

export interface StoryContext {
  /** Commands the CLI offers now: hints name only commands that exist. */
  readonly commands: ReadonlySet<string>;
  readonly cwd: string;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** A path as the user would type it: relative to the working directory when inside it. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : `./${rel}`;
}

/** `Tue 2025-02-18 14:27` in office time. */
function officeClock(iso: string): string {
  const micros = isoToMicros(iso);
  if (micros === null) return iso;
  const local = micros + OFFICE_UTC_OFFSET_MINUTES * MICROS_PER_MINUTE;
  const weekday = new Date(local / 1000).toLocaleDateString('en-US', { weekday: 'short', timeZone: 'UTC' });
  return `${weekday} ${isoMicros(local).slice(0, 16).replace('T', ' ')}`;
}

function roleCounts(manifest: DemoManifest): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const host of manifest.hosts) counts[host.role] = (counts[host.role] ?? 0) + 1;
  return counts;
}

function average(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** What the rule did at T, its alerts, and whether that is what the manifest expects. */
function ruleOutcome(result: DemoRunResult): string[] {
  const { run, fresh } = result.rule;
  const expected = result.manifest.expected['50'];
  const got = run.alerts.flatMap((alert) => alert.rows).map((row) => `${String(row['SrcIpAddr'])}|${String(row['DstPortNumber'])}|${String(row['Count'])}`).sort();
  const want = expected.map((row) => `${row.SrcIpAddr}|${row.DstPortNumber}|${row.Count}`).sort();
  const agrees = JSON.stringify(got) === JSON.stringify(want);
  const lines = [
    `  Ran it: ${run.resultRows} result row${run.resultRows === 1 ? '' : 's'}, ${run.alerts.length} alert${run.alerts.length === 1 ? '' : 's'} ` +
      `(${fresh.length} new in the store, ${run.alerts.length - fresh.length} already there). ` +
      (agrees ? 'This is the expected result.' : 'THIS DIFFERS from the expected result in manifest.json.'),
  ];
  if (run.alerts.length > 0) lines.push('', ...renderAlertTable(run.alerts, new Set(fresh.map((a) => a.alertId))).split('\n').map((l) => `  ${l}`));
  lines.push(
    '',
    `  What the rule cannot see: it fired on volume, not on the ${result.manifest.episode.newDestinations} destinations never contacted before;`,
    '  a brand-new SMB source, IPv6 sources and most drops raise nothing. The edge cases in manifest.json show each',
    "  one; docs/rules.md (\"The seed rule's known weaknesses\") says why.",
  );
  return lines;
}

export function renderStory(result: DemoRunResult, context: StoryContext): string {
  const m = result.manifest;
  const roles = roleCounts(m);
  const weekdays = m.totals.perDay.filter((d) => !d.weekend).map((d) => d.sessions);
  const weekends = m.totals.perDay.filter((d) => d.weekend).map((d) => d.sessions);
  const episode = m.episode;
  const pair = episode.pair;
  const shareName = m.hosts.find((h) => h.ip === episode.share)?.name ?? episode.share;
  const fires50 = m.expected['50'];
  const fires05 = m.expected['0.5'];
  const added = result.ingest.outcomes.reduce((sum, o) => sum + o.records, 0);
  const rejected = result.ingest.outcomes.reduce((sum, o) => sum + o.rejects, 0);
  const db = shown(result.db, context.cwd);
  const lines = [
    `smbwatch demo: a simulated office network (seed ${m.seed})`,
    '',
    'The network',
    `  ${count(m.hosts.length)} hosts in 10.10.0.0/16: ${count(roles['workstation'] ?? 0)} Windows and ${count(roles['linux-workstation'] ?? 0)} Linux ` +
      `workstations in 4 departments, ${roles['domain-controller'] ?? 0} domain controllers, ${roles['file-server'] ?? 0} file servers, ` +
      `${roles['linux-server'] ?? 0} Linux servers, ${roles['printer'] ?? 0} printers.`,
    `  ${m.period.days} days, ${m.totals.perDay[0]!.date} to ${m.totals.perDay.at(-1)!.date} (office hours 09:00-18:00 ${m.officeTimeZone}): ` +
      `${count(m.totals.sessions)} sessions, ${count(m.totals.smbSessions)} of them SMB (139/445); ` +
      `about ${count(Math.round(average(weekdays)))} a weekday, ${count(Math.round(average(weekends)))} a weekend day.`,
    '',
    'Planted (see manifest.json)',
    `  Lateral movement: at ${officeClock(episode.start)}, ${episode.host} (${episode.ip}), a Linux desktop that mounted its share ` +
      `${pair.ruleBaseline} times in 13 days, sweeps SMB across ${episode.newDestinations} hosts it had never contacted ` +
      `(${episode.unanswered} never answer), runs services on ${episode.lateralHosts} of them, then pulls data from ${shareName}: ` +
      `${count(pair.ruleRecent)} SMB sessions on the last day.`,
    `  ${m.cases.length} edge cases the rule mishandles: ${m.cases.map((c) => c.id).join(', ')}.`,
    `  For the other Network Session Essentials rules and hunting queries (docs/essentials.md), each seen by its run at T: ${m.essentials.map((e) => e.id).join(', ')}.`,
    '',
    'Data',
    `  Logs:  ${shown(result.logsDir, context.cwd)}/  (${count(m.totals.files)} hourly Zeek conn logs, gzipped; ` +
      (result.generated ? `generated in ${result.generateSeconds.toFixed(1)} s)` : `seed ${m.seed} data already there, reused)`),
    `  Store: ${db}  (${count(result.storeRecords)} records; ` +
      (added > 0 ? `${count(added)} ingested in ${result.ingest.seconds.toFixed(1)} s` : 'nothing new to ingest') +
      `${rejected > 0 ? `, ${count(rejected)} rejected` : ''}${result.replacedStore ? '; an older demo store was replaced' : ''})`,
    '',
    'The seed rule',
    `  Evaluated at T = ${DEMO_EVALUATION_TIME_ISO} (the end of the period): baseline [T-14d, T-1d], recent [T-1d, T].`,
    `  Expected by construction (manifest.json "expected"): v1.0.0 (threshold 50) returns ${fires50.length} row${fires50.length === 1 ? '' : 's'}` +
      (fires50.length > 0 ? `: ${fires50.map((r) => `${r.SrcIpAddr} port ${r.DstPortNumber}, deviation ${r.Deviation.toFixed(1)}, ${r.Count} sessions`).join('; ')}` : '') +
      `; v1.0.1 (threshold 0.5) returns ${count(fires05.length)}.`,
    ...ruleOutcome(result),
  ];
  const next: string[] = [];
  if (context.commands.has('run')) {
    next.push(`  npx smbwatch run --db ${db} --at ${DEMO_EVALUATION_TIME_ISO}  # the seed rule v1.0.0 at T`);
    next.push(`  npx smbwatch run --db ${db} --at ${DEMO_EVALUATION_TIME_ISO} --param threshold=0.5  # as upstream v1.0.1`);
  }
  if (context.commands.has('run') && m.essentials.length > 0) {
    const example = m.essentials.find((e) => e.id === 'port-scan') ?? m.essentials[0]!;
    next.push(`  npx smbwatch run --db ${db} --rule ${example.ruleId} --at ${example.runAt}  # a sibling rule on its episode (${example.id}); \`npx smbwatch rules\` lists them all`);
  }
  if (context.commands.has('query')) {
    next.push(
      `  npx smbwatch query --db ${db} --at ${DEMO_EVALUATION_TIME_ISO} ` +
        `'_Im_NetworkSession(starttime=ago(1d)) | where DstPortNumber == 445 | summarize Sessions = count(), Hosts = dcount(DstIpAddr) by SrcIpAddr | top 5 by Hosts'`,
    );
  }
  const alert = result.rule.run.alerts[0];
  if (context.commands.has('explain') && alert) {
    next.push(`  npx smbwatch explain ${alert.alertId.slice(0, 8)} --db ${db}  # the alert's evidence: daily series, new destinations, the arithmetic`);
  }
  if (context.commands.has('rules')) {
    next.push(`  npx smbwatch rules show ${alert?.ruleId ?? '8717e498-7b5d-4e23-9e7c-fa4913dbfd79'} --db ${db} --at ${DEMO_EVALUATION_TIME_ISO}  # the rule's stages, with counts`);
  }
  if (context.commands.has('ui')) next.push(`  npx smbwatch ui --db ${db}  # a local web app: alerts, charts, rules with stage counts, backtest tuning`);
  if (context.commands.has('report')) next.push(`  npx smbwatch report --db ${db} -o smbwatch-report.html  # one HTML file: the alert, its charts, the rule`);
  next.push(`  npx smbwatch status --db ${db}`);
  lines.push('', 'Continue', ...next);
  return `${lines.join('\n')}\n`;
}
