/**
 * Scoring against labels, on a hand-made manifest and hand-made flagged rows.
 */
import { describe, expect, it } from 'vitest';
import type { EpisodeLabel } from '../../src/demo/lab/episodes.js';
import type { LabManifest } from '../../src/demo/lab/generate.js';
import { scoreLab, type FlaggedRow } from '../../src/evaluate/score.js';

const attack = (id: string, source: string, days: number[]): EpisodeLabel => ({ id, kind: 'burst-sweep', malicious: true, title: id, sources: [source], days, details: {} });
const benign = (id: string, source: string, days: number[]): EpisodeLabel => ({ id, kind: 'backup', malicious: false, title: id, sources: [source], days, details: {} });

const manifest = {
  period: { start: '2025-03-03T00:00:00Z', end: '2025-03-31T00:00:00Z', days: 28 },
  runTimes: Array.from({ length: 15 }, (_, i) => new Date(Date.UTC(2025, 2, 17 + i)).toISOString()),
  hosts: { total: 200, byRole: {} },
  episodes: [attack('a1', '10.0.0.1', [20]), attack('a2', '10.0.0.2', [21, 22]), benign('b1', '10.0.0.9', [20, 21])],
} as unknown as LabManifest;

const row = (source: string, day: number): FlaggedRow => ({ at: new Date(Date.UTC(2025, 2, 4 + day)).toISOString(), day, source, row: {} });

describe('scoreLab', () => {
  it('counts detections on active days, late rows apart, and false alerts per 1,000 host-days', () => {
    const rows = [row('10.0.0.1', 20), row('10.0.0.1', 21), row('10.0.0.2', 25), row('10.0.0.9', 21), row('10.0.0.9', 24), row('10.0.0.7', 20)];
    const score = scoreLab(manifest, rows);
    expect(score.attacks.map((a) => [a.label.id, a.detected, a.detectedAt])).toEqual([
      ['a1', true, '2025-03-24T00:00:00.000Z'],
      ['a2', false, undefined],
    ]);
    expect(score.lateAlerts).toBe(2);
    expect(score.falseAlerts).toBe(3);
    expect(score.hostDays).toBe(3000);
    expect(score.falsePer1000HostDays).toBeCloseTo(1);
    expect(score.alertsPerDay).toBeCloseTo(6 / 15);
    expect(score.lookalikes.map((l) => [l.label.id, l.falseAlerts])).toEqual([['b1', 1]]);
    expect(score.topFalseSources).toEqual([
      { source: '10.0.0.9', alerts: 2, lookalike: 'backup' },
      { source: '10.0.0.7', alerts: 1 },
    ]);
  });
});
