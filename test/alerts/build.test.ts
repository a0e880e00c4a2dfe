import { describe, expect, it } from 'vitest';
import { AlertBuildError, buildAlerts, MAX_ALERTS_PER_RUN, type RunWindow } from '../../src/alerts/build.js';
import { uuidV5 } from '../../src/alerts/id.js';
import { triggerFires } from '../../src/alerts/trigger.js';
import { canonicalOrder, compareValues } from '../../src/alerts/order.js';
import type { KustoValue, TypedResult } from '../../src/alerts/types.js';
import { builtinRules, parseRule } from '../../src/rules/load.js';
import type { Rule } from '../../src/rules/rule.js';

const seed = builtinRules()[0]!;
const T = new Date('2024-03-15T00:00:00Z');
const window: RunWindow = { start: new Date('2024-03-01T00:00:00Z'), end: T };

/** The seed rule's result columns (seed-rule.md §2, "result") with two rows. */
const seedResult: TypedResult = {
  columns: [
    { name: 'SrcIpAddr', type: 'string' },
    { name: 'DstPortNumber', type: 'int' },
    { name: 'Deviation', type: 'real' },
    { name: 'Count', type: 'long' },
  ],
  rows: [
    ['10.0.0.5', 445, 51.5, 1000],
    ['10.0.0.6', 139, 60.25, 2000],
  ],
};

const withRows = (rows: TypedResult['rows'], result: TypedResult = seedResult): TypedResult => ({ columns: result.columns, rows });

describe('AlertPerResult (the seed rule)', () => {
  it('one alert per row, with the rule\'s details, the IP entity, the window and the row (seed-rule.md §3.16)', () => {
    const alerts = buildAlerts(seed, seedResult, window);
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toEqual({
      // UUID v5 in smbwatch's namespace of ["<rule id>","1.0.0","2024-03-15T00:00:00.000Z","<row values>"], computed with Python's uuid.uuid5
      alertId: '1de2df1e-15ed-5817-b8dc-65b4a161d356',
      ruleId: '8717e498-7b5d-4e23-9e7c-fa4913dbfd79',
      ruleName: 'Anomaly in SMB Traffic(ASIM Network Session schema)',
      ruleVersion: '1.0.0',
      parameters: {},
      severity: 'Medium',
      tactics: ['LateralMovement'],
      techniques: ['T1021', 'T1021.002'],
      displayName: 'Anomaly in SMB Traffic(ASIM Network Session schema)',
      description: seed.description,
      queryStartTime: '2024-03-01T00:00:00.000Z',
      queryEndTime: '2024-03-15T00:00:00.000Z',
      aggregationKind: 'AlertPerResult',
      entities: [{ type: 'ip', address: '10.0.0.5' }],
      customDetails: {},
      rows: [{ SrcIpAddr: '10.0.0.5', DstPortNumber: 445, Deviation: 51.5, Count: 1000 }],
    });
    expect(alerts[1]!.rows).toEqual([{ SrcIpAddr: '10.0.0.6', DstPortNumber: 139, Deviation: 60.25, Count: 2000 }]);
    expect(alerts[1]!.entities).toEqual([{ type: 'ip', address: '10.0.0.6' }]);
  });

  it('rows carry JSON numbers for numeric columns', () => {
    const json = JSON.stringify(buildAlerts(seed, seedResult, window)[0]!.rows);
    expect(json).toBe('[{"SrcIpAddr":"10.0.0.5","DstPortNumber":445,"Deviation":51.5,"Count":1000}]');
  });

  it('no rows: the trigger (gt 0) does not fire, no alerts', () => {
    expect(buildAlerts(seed, withRows([]), window)).toEqual([]);
  });

  it('an empty mapped value creates no entity', () => {
    const [alert] = buildAlerts(seed, withRows([['', 445, 60, 900]]), window);
    expect(alert!.entities).toEqual([]);
    expect(alert!.rows).toEqual([{ SrcIpAddr: '', DstPortNumber: 445, Deviation: 60, Count: 900 }]);
  });

  it('150 rows make 150 alerts; 151 make 149 single-row alerts and a 150th covering all 151', () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => [`10.0.${Math.floor(i / 250)}.${i % 250}`, 445, 100 + i, 5000]);
    const exactly = buildAlerts(seed, withRows(rows(MAX_ALERTS_PER_RUN)), window);
    expect(exactly).toHaveLength(150);
    expect(exactly.every((alert) => alert.rows.length === 1)).toBe(true);
    const over = buildAlerts(seed, withRows(rows(151)), window);
    expect(over).toHaveLength(150);
    // Rows 10.0.0.0 … 10.0.0.150 in canonical (text) order: 10.0.0.0, 10.0.0.1, 10.0.0.10, 10.0.0.100, …; the last two
    // in that order, 10.0.0.98 and 10.0.0.99, get no alert of their own.
    const canonical = rows(151).map((row) => String(row[0])).sort();
    expect(canonical.slice(0, 4)).toEqual(['10.0.0.0', '10.0.0.1', '10.0.0.10', '10.0.0.100']);
    expect(canonical.slice(149)).toEqual(['10.0.0.98', '10.0.0.99']);
    expect(over.slice(0, 149).map((alert) => alert.rows[0]!.SrcIpAddr)).toEqual(canonical.slice(0, 149));
    expect(over[149]!.rows).toHaveLength(151);
    expect(over[149]!.entities).toHaveLength(151);
    expect(new Set(over.map((alert) => alert.alertId)).size).toBe(150);
  });

  it('the engine\'s row order does not matter: any order of the same 400 rows gives the same 150 alerts', () => {
    const rows = Array.from({ length: 400 }, (_, i) => [`10.1.${i % 7}.${i % 251}`, i % 3 === 0 ? 139 : 445, (i * 37) % 101, 1000 + (i % 13)]);
    const reversed = [...rows].reverse();
    const interleaved = [...rows.filter((_, i) => i % 2 === 1), ...rows.filter((_, i) => i % 2 === 0)];
    const runs = [rows, reversed, interleaved].map((order) => buildAlerts(seed, withRows(order), window));
    for (const alerts of runs) expect(alerts).toHaveLength(150);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    // The 150th alert covers all 400 rows, in the same canonical order whatever order they arrived in.
    expect(runs[0]![149]!.rows).toHaveLength(400);
  });

  it('identical rows are told apart by their occurrence, whatever their position', () => {
    const twice = withRows([['10.0.0.9', 445, 60, 900], ['10.0.0.1', 445, 60, 900], ['10.0.0.9', 445, 60, 900]]);
    const again = withRows([['10.0.0.9', 445, 60, 900], ['10.0.0.9', 445, 60, 900], ['10.0.0.1', 445, 60, 900]]);
    const ids = buildAlerts(seed, twice, window).map((alert) => alert.alertId);
    expect(new Set(ids).size).toBe(3);
    expect(buildAlerts(seed, again, window).map((alert) => alert.alertId)).toEqual(ids);
  });
});

describe('canonical row order', () => {
  it('null, then booleans, numbers (NaN first), text by code unit, dynamic values by their JSON', () => {
    const values: KustoValue[] = ['b', { k: 1 }, 2, null, 'B', true, Number.NaN, -1, false, 'a', [1], 10];
    const sorted = [...values].sort(compareValues);
    expect(sorted).toEqual([null, false, true, Number.NaN, -1, 2, 10, 'B', 'a', 'b', [1], { k: 1 }]);
  });

  it('rows compare column by column', () => {
    expect(canonicalOrder([['x', 2], ['x', 1], ['a', 9]])).toEqual([['a', 9], ['x', 1], ['x', 2]]);
  });
});

describe('SingleAlert', () => {
  const single: Rule = { ...seed, aggregationKind: 'SingleAlert' };

  it('one alert covering every row, entities once each', () => {
    const result = withRows([...seedResult.rows, ['10.0.0.5', 139, 70, 3000]]);
    const alerts = buildAlerts(single, result, window);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.aggregationKind).toBe('SingleAlert');
    // In canonical order: 10.0.0.5 port 139, 10.0.0.5 port 445, 10.0.0.6.
    expect(alerts[0]!.rows.map((row) => `${row.SrcIpAddr}:${row.DstPortNumber}`)).toEqual(['10.0.0.5:139', '10.0.0.5:445', '10.0.0.6:139']);
    expect(alerts[0]!.entities).toEqual([
      { type: 'ip', address: '10.0.0.5' },
      { type: 'ip', address: '10.0.0.6' },
    ]);
  });

  it('its id does not depend on the rows: one alert per rule run', () => {
    const [a] = buildAlerts(single, seedResult, window);
    const [b] = buildAlerts(single, withRows([seedResult.rows[0]!]), window);
    expect(a!.alertId).toBe(b!.alertId);
  });
});

describe('trigger', () => {
  it.each([
    ['gt', 0, 0, false],
    ['gt', 0, 1, true],
    ['gt', 2, 2, false],
    ['lt', 2, 1, true],
    ['lt', 2, 2, false],
    ['eq', 2, 2, true],
    ['eq', 2, 3, false],
    ['ne', 0, 0, false],
    ['ne', 0, 3, true],
  ] as const)('%s %i with %i rows fires: %s', (operator, threshold, rows, fires) => {
    expect(triggerFires(operator, threshold, rows)).toBe(fires);
  });

  it('counts result rows: gt 1 needs two rows', () => {
    const rule: Rule = { ...seed, triggerThreshold: 1 };
    expect(buildAlerts(rule, withRows([seedResult.rows[0]!]), window)).toEqual([]);
    expect(buildAlerts(rule, seedResult, window)).toHaveLength(2);
  });

  it('a trigger that fires on no rows (lt) raises one alert without rows', () => {
    const rule: Rule = { ...seed, triggerOperator: 'lt', triggerThreshold: 1 };
    const alerts = buildAlerts(rule, withRows([]), window);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.rows).toEqual([]);
    expect(alerts[0]!.entities).toEqual([]);
  });
});

describe('deterministic ids', () => {
  it('the same run gives the same ids; another window end, version or parameters other ids', () => {
    const ids = (rule: Rule, end: Date, parameters: Record<string, string> = {}) =>
      buildAlerts(rule, seedResult, { start: new Date(end.getTime() - rule.queryPeriodMs), end }, parameters).map((alert) => alert.alertId);
    const first = ids(seed, T);
    expect(ids(seed, T)).toEqual(first);
    expect(first.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toBe(true);
    const nextDay = ids(seed, new Date('2024-03-16T00:00:00Z'));
    expect(nextDay.filter((id) => first.includes(id))).toEqual([]);
    expect(ids({ ...seed, version: '1.0.1' }, T).filter((id) => first.includes(id))).toEqual([]);
    // with threshold=0.5 — again computed with Python's uuid.uuid5, the overrides appended to the name
    expect(ids(seed, T, { threshold: '0.5' })[0]).toBe('2eaae2f2-b914-518e-9f87-689884e03788');
  });

  it('do not depend on row order; identical rows still get distinct ids', () => {
    const forward = buildAlerts(seed, seedResult, window).map((alert) => alert.alertId);
    const reversed = buildAlerts(seed, withRows([...seedResult.rows].reverse()), window).map((alert) => alert.alertId);
    expect([...reversed].sort()).toEqual([...forward].sort());
    const twice = buildAlerts(seed, withRows([seedResult.rows[0]!, seedResult.rows[0]!]), window);
    expect(new Set(twice.map((alert) => alert.alertId)).size).toBe(2);
  });

  it('are RFC 9562 version-5 UUIDs (the RFC example: www.example.com in the DNS namespace)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});

/** A rule with every enrichment: entity mappings, custom details and alert details overrides. */
const enriched = parseRule(
  `id: 0f4b1d2e-3c5a-4e6f-8a7b-9c0d1e2f3a4b
name: SMB fan-out
description: Hosts that reached many SMB servers.
severity: Low
queryFrequency: 1h
queryPeriod: 1d
triggerOperator: gt
triggerThreshold: 0
tactics: [LateralMovement]
relevantTechniques: [T1021.002]
query: print x = 1
entityMappings:
  - entityType: IP
    fieldMappings:
      - { identifier: Address, columnName: SrcIpAddr }
  - entityType: Account
    fieldMappings:
      - { identifier: Name, columnName: User }
      - { identifier: NTDomain, columnName: Domain }
customDetails:
  ServerCount: Servers
  FirstServer: First
alertDetailsOverride:
  alertDisplayNameFormat: SMB fan-out from {{User}} to {{Servers}} servers
  alertDescriptionFormat: '{{SrcIpAddr}} reached {{ Servers }} SMB servers'
  alertSeverityColumnName: Level
  alertTacticsColumnName: Tactic
eventGroupingSettings:
  aggregationKind: AlertPerResult
version: 2.1.0
kind: Scheduled
`,
  'enriched.yaml',
);

const enrichedResult: TypedResult = {
  columns: [
    { name: 'SrcIpAddr', type: 'string' },
    { name: 'User', type: 'string' },
    { name: 'Domain', type: 'string' },
    { name: 'Servers', type: 'long' },
    { name: 'First', type: 'dynamic' },
    { name: 'Level', type: 'string' },
    { name: 'Tactic', type: 'dynamic' },
  ],
  rows: [
    ['10.0.0.1', 'alice', 'CORP', 7, { host: 'fs1' }, 'high', ['Discovery', 'LateralMovement']],
    ['10.0.0.2', 'bob', '', 4, null, 'Severe', 'Discovery, Bogus'],
    ['10.0.0.3', '', 'CORP', 5, 'fs3', '', ''],
  ],
};

describe('entity mapping, custom details and alert details override', () => {
  const alerts = buildAlerts(enriched, enrichedResult, window);

  it('maps several entities; identifiers in camelCase; empty identifiers left out; an entity without a required identifier dropped', () => {
    expect(alerts.map((alert) => alert.entities)).toEqual([
      [{ type: 'ip', address: '10.0.0.1' }, { type: 'account', name: 'alice', ntDomain: 'CORP' }],
      [{ type: 'ip', address: '10.0.0.2' }, { type: 'account', name: 'bob' }],
      [{ type: 'ip', address: '10.0.0.3' }], // NTDomain alone is not an Account identifier set
    ]);
  });

  it('custom details hold the columns\' values, typed', () => {
    expect(alerts.map((alert) => alert.customDetails)).toEqual([
      { ServerCount: [7], FirstServer: [{ host: 'fs1' }] },
      { ServerCount: [4], FirstServer: [null] },
      { ServerCount: [5], FirstServer: ['fs3'] },
    ]);
    const [single] = buildAlerts({ ...enriched, aggregationKind: 'SingleAlert' }, enrichedResult, window);
    expect(single!.customDetails).toEqual({ ServerCount: [7, 4, 5], FirstServer: [{ host: 'fs1' }, null, 'fs3'] });
  });

  it('display name and description from {{Column}}; an empty value reverts to the rule\'s text', () => {
    expect(alerts.map((alert) => alert.displayName)).toEqual([
      'SMB fan-out from alice to 7 servers',
      'SMB fan-out from bob to 4 servers',
      'SMB fan-out', // {{User}} is empty
    ]);
    expect(alerts.map((alert) => alert.description)).toEqual([
      '10.0.0.1 reached 7 SMB servers',
      '10.0.0.2 reached 4 SMB servers',
      '10.0.0.3 reached 5 SMB servers',
    ]);
  });

  it('severity and tactics from columns when valid, else the rule\'s', () => {
    expect(alerts.map((alert) => [alert.severity, alert.tactics])).toEqual([
      ['High', ['Discovery', 'LateralMovement']],
      ['Low', ['LateralMovement']], // "Severe" and "Bogus" are not valid
      ['Low', ['LateralMovement']], // empty
    ]);
  });

  it('a SingleAlert takes its details from the first row', () => {
    const [single] = buildAlerts({ ...enriched, aggregationKind: 'SingleAlert' }, enrichedResult, window);
    expect([single!.displayName, single!.severity]).toEqual(['SMB fan-out from alice to 7 servers', 'High']);
  });

  it('a mapped column missing from the result is an error naming the key and the column', () => {
    const result: TypedResult = { columns: enrichedResult.columns.filter((c) => c.name !== 'Domain' && c.name !== 'Level'), rows: [] };
    expect(() => buildAlerts(enriched, result, window)).toThrow(AlertBuildError);
    expect(() => buildAlerts(enriched, result, window)).toThrow(
      'enriched.yaml: the query result has no such column — entityMappings[1].fieldMappings[1].columnName: column "Domain"; ' +
        'alertDetailsOverride.alertSeverityColumnName: column "Level". Result columns: SrcIpAddr, User, Servers, First, Tactic',
    );
  });
});

describe('custom details size', () => {
  it('are cut from the end to stay within Sentinel\'s 64 KB', () => {
    const rule: Rule = { ...seed, aggregationKind: 'SingleAlert', customDetails: { Source: 'SrcIpAddr' } };
    const rows = Array.from({ length: 4000 }, (_, i) => [`host-${String(i).padStart(4, '0')}-${'x'.repeat(20)}`, 445, 60, 1000]);
    const [alert] = buildAlerts(rule, withRows(rows), window);
    const values = alert!.customDetails.Source!;
    // Each value is 30 characters, 33 bytes in JSON with quotes and comma: 1985 fit in 65536 bytes with {"Source":[…]}.
    expect(Buffer.byteLength(JSON.stringify(alert!.customDetails))).toBeLessThanOrEqual(64 * 1024);
    expect(values).toHaveLength(1985);
    expect(values).toEqual(rows.slice(0, 1985).map((row) => row[0]));
    expect(alert!.rows).toHaveLength(4000);
  });
});
