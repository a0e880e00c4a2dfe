import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinWatchlists, loadWatchlists, parseWatchlistCsv, WatchlistError, watchlistSet } from '../../src/watchlists/load.js';
import { watchlistColumns, watchlistRows } from '../../src/watchlists/watchlist.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

describe('the built-in watchlist', () => {
  const [monitor] = builtinWatchlists();

  it('is the solution\'s NetworkSession_Monitor_Configuration, searched by Ports', () => {
    expect(builtinWatchlists()).toHaveLength(1);
    expect(monitor!.alias).toBe('NetworkSession_Monitor_Configuration');
    expect(monitor!.searchKey).toBe('Ports');
    expect(monitor!.columns).toEqual(['Ports', 'App', 'Protocol', 'Direction', 'Action', 'Type', 'ThresholdType', 'Threshold', 'Severity', 'Tactic', 'Name', 'Description']);
    expect(monitor!.rows).toHaveLength(72);
  });

  it('holds the rows as the solution wrote them (quoted lists, empty thresholds, trailing spaces)', () => {
    expect(monitor!.rows[0]).toEqual(['389,636', '*', '*', '*', '*', 'Detection', 'Anomaly', '', 'High', 'InitialAccess,Execution',
      'Suspicious LDAP Traffic', 'Adversary often abuse misconfigured LDAP servers or applications that use the LDAP servers in organizations. ']);
    expect(monitor!.rows[3]!.slice(0, 8)).toEqual(['139,445', 'smb', '*', '*', '*', 'Detection', 'Static', '1000']);
    expect(monitor!.rows.at(-1)!.slice(0, 5)).toEqual(['16379', '*', 'TCP', '*', 'Allow']);
    const byType = (type: string, threshold: string) => monitor!.rows.filter((r) => r[5] === type && r[6] === threshold).length;
    expect([byType('Detection', 'Anomaly'), byType('Detection', 'Static'), byType('Hunting', 'Anomaly'), byType('Hunting', 'Static')]).toEqual([2, 2, 1, 67]);
  });

  it("returns _GetWatchlist's columns: the fixed four, then the watchlist's as strings", () => {
    const columns = watchlistColumns(monitor!);
    expect(columns.slice(0, 5)).toEqual([
      { name: '_DTItemId', type: 'string' }, { name: 'LastUpdatedTimeUTC', type: 'datetime' }, { name: 'SearchKey', type: 'string' },
      { name: 'WatchlistItem', type: 'dynamic' }, { name: 'Ports', type: 'string' },
    ]);
    const [first] = watchlistRows(monitor!);
    expect(first![2]).toBe('389,636'); // SearchKey = the Ports value
    expect(first![3]).toMatchObject({ Ports: '389,636', Type: 'Detection' });
    expect(watchlistRows(monitor!)[0]![0]).toBe(first![0]); // ids are stable
  });
});

describe('user watchlists', () => {
  it('reads ALIAS.csv with the first column as search key, and Sentinel JSON with its itemsSearchKey', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'HighValueHosts.csv'), 'IpAddress,Owner\n10.0.0.5,finance\n10.0.0.6,"hr, payroll"\n');
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ resources: [{ properties: {
      watchlistAlias: 'Pairs', itemsSearchKey: 'B', numberOfLinesToSkip: 1, contentType: 'text/csv', rawContent: 'comment line\r\nA,B\r\n1,2\r\n' } }] }));
    const [hosts, pairs] = loadWatchlists(dir); // files in name order
    expect(hosts).toMatchObject({ alias: 'HighValueHosts', searchKey: 'IpAddress', rows: [['10.0.0.5', 'finance'], ['10.0.0.6', 'hr, payroll']] });
    expect(pairs).toMatchObject({ alias: 'Pairs', searchKey: 'B', columns: ['A', 'B'], rows: [['1', '2']] });
    expect(watchlistRows(pairs!)[0]![2]).toBe('2');
  });

  it('replaces a built-in watchlist of the same alias', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'NetworkSession_Monitor_Configuration.csv'), 'Ports,Type\n445,Detection\n');
    const set = watchlistSet(dir);
    expect(set.get('NetworkSession_Monitor_Configuration')!.rows).toEqual([['445', 'Detection']]);
    expect(watchlistSet().get('NetworkSession_Monitor_Configuration')!.rows).toHaveLength(72);
  });

  it('names the file and line of every problem, for all files at once', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.csv'), 'X,Y\n1,2\n3\n');
    writeFileSync(join(dir, 'b.csv'), 'X,X\n1,2\n');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'bad alias.csv'), 'X\n1\n');
    let error: WatchlistError | undefined;
    try { loadWatchlists(dir); } catch (e) { error = e as WatchlistError; }
    expect(error).toBeInstanceOf(WatchlistError);
    expect(error!.problems).toEqual([
      `${join(dir, 'a.csv')}:3: 1 fields, but the header has 2 (X, Y)`,
      `${join(dir, 'b.csv')}:1: column "X" appears twice`,
      `${join(dir, 'bad alias.csv')}: watchlist alias "bad alias" must be 1-64 letters, digits, _ or -`,
    ]);
  });

  it('refuses a search key that is not a column, and duplicate aliases', () => {
    expect(() => parseWatchlistCsv('A\n1\n', { alias: 'w', searchKey: 'B', source: 'w.csv', updatedMicros: null })).toThrow(/search key "B" is not a column/);
    const dir = tempDir();
    writeFileSync(join(dir, 'w.csv'), 'A\n1\n');
    writeFileSync(join(dir, 'w.json'), JSON.stringify({ properties: { watchlistAlias: 'w', rawContent: 'A\n2\n' } }));
    expect(() => loadWatchlists(dir)).toThrow(/watchlist alias "w" is also defined by/);
  });
});
