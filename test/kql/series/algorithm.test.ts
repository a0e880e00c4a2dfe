/**
 * The series algorithm (src/kql/series/algorithm.ts) against Microsoft's published numbers, and against series
 * whose decomposition is known by construction.
 */
import { describe, expect, it } from 'vitest';
import {
  CTUKEY_10_90_NORMALIZATION, SeriesArgumentError, percentile, seriesDecompose, seriesDecomposeAnomalies, seriesFitLine,
  seriesOutliers, seriesPeriodsDetect,
} from '../../../src/kql/series/algorithm.js';

/** |actual − printed| within one unit of the printed value's last decimal (the docs print rounded or truncated). */
function expectPrinted(actual: number, printed: string): void {
  const decimals = printed.split('.')[1]?.length ?? 0;
  expect(Math.abs(actual - Number(printed))).toBeLessThanOrEqual(10 ** -decimals + 1e-12);
}

describe('series_fit_line', () => {
  // https://learn.microsoft.com/kusto/query/series-fit-line-function (example and its output table)
  const fit = seriesFitLine([2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30]);

  it('reproduces the documented statistics', () => {
    expectPrinted(fit.rsquare, '0.982');
    expectPrinted(fit.slope, '2.730');
    expectPrinted(fit.variance, '98.628');
    expectPrinted(fit.rvariance, '1.686');
    expectPrinted(fit.interception, '-1.666');
  });

  it('reproduces the documented line (x = 1..n)', () => {
    // The docs print 3.7945 for the second point: the least-squares value is 3.79487…, so that entry is compared
    // at three decimals like the rest of the table.
    const printed = ['1.064', '3.794', '6.526', '9.256', '11.987', '14.718', '17.449', '20.180', '22.910', '25.641', '28.371', '31.102'];
    fit.linefit.forEach((v, i) => expectPrinted(v, printed[i]!));
  });

  it('extrapolates the line past the fitted points', () => {
    const line = seriesFitLine([1, 3, 5], 5);
    expect(line.linefit).toEqual([1, 3, 5, 7, 9]);
    expect(line.slope).toBe(2);
    expect(line.interception).toBe(-1);
    expect(line.rsquare).toBe(1);
  });
});

describe('series_outliers', () => {
  // The Kusto team's worked example (stackoverflow.com/questions/75264555, answer by the series functions' author):
  // p10 = 2.7 and p90 = 11 by linear interpolation, scores normalized to read like p25/p75 Tukey scores.
  const series = [-3, 2.4, 15, 3.9, 5, 6, 4.5, 5.2, 3, 4, 5, 16, 7, 5, 5, 4];
  const kusto = [-1.9040785483608571, -0.10021466044004519, 1.3361954725339347, 0, 0, 0, 0, 0, 0, 0, 0, 1.6702443406674186, 0, 0, 0, 0];

  it('reproduces every published ctukey score', () => {
    const scores = seriesOutliers(series);
    scores.forEach((s, i) => expect(s).toBeCloseTo(kusto[i]!, 14));
  });

  it('interpolates percentiles linearly (p10 = 2.7, p90 = 11 in the example)', () => {
    const sorted = [...series].sort((a, b) => a - b);
    expect(percentile(sorted, 0.1)).toBeCloseTo(2.7, 12);
    expect(percentile(sorted, 0.9)).toBeCloseTo(11, 12);
    expect(CTUKEY_10_90_NORMALIZATION).toBeCloseTo(-1.9040785483608571 / ((-3 - 2.7) / 8.3), 12);
  });

  it('scores classic Tukey with p25/p75 and no normalization', () => {
    const scores = seriesOutliers([1, 2, 3, 4, 5, 6, 7, 8, 20], { kind: 'tukey' });
    const p25 = 3, p75 = 7; // 9 values: h = 2 and 6
    expect(scores[8]).toBeCloseTo((20 - p75) / (p75 - p25), 12);
    expect(scores.slice(0, 8)).toEqual([(1 - 3) / 4, (2 - 3) / 4, 0, 0, 0, 0, 0, (8 - 7) / 4]);
  });

  it('gives nulls and the ignore value a score of 0 and leaves them out of the percentiles', () => {
    const withNull = seriesOutliers([null, ...series, null]);
    expect(withNull[0]).toBe(0);
    expect(withNull.at(-1)).toBe(0);
    withNull.slice(1, -1).forEach((s, i) => expect(s).toBeCloseTo(kusto[i]!, 14));
    const ignored = seriesOutliers([-999, ...series], { ignoreValue: -999 });
    expect(ignored[0]).toBe(0);
  });

  it('refuses percentile pairs whose normalization Kusto does not publish', () => {
    expect(() => seriesOutliers(series, { minPercentile: 5, maxPercentile: 95 })).toThrow(SeriesArgumentError);
    expect(seriesOutliers(series, { minPercentile: 25, maxPercentile: 75 })).toEqual(seriesOutliers(series, { kind: 'tukey' }));
  });
});

describe('series_periods_detect', () => {
  // https://learn.microsoft.com/kusto/query/series-periods-detect-function: a month of traffic in 12 h bins; Kusto
  // finds the weekly period (14 bins) and no second one.
  const traffic = [80, 139, 87, 110, 68, 54, 50, 51, 53, 133, 86, 141, 97, 156, 94, 149, 95, 140, 77, 61, 50, 54, 47, 133, 72, 152, 94, 148, 105,
    162, 101, 160, 87, 63, 53, 55, 54, 151, 103, 189, 108, 183, 113, 175, 113, 178, 90, 71, 62, 62, 65, 165, 109, 181, 115, 182, 121, 178, 114, 170];

  it('finds the documented periods [14, 0]', () => {
    const { periods, scores } = seriesPeriodsDetect(traffic, 0, 50, 2);
    expect(periods).toEqual([14, 0]);
    expect(scores[1]).toBe(0);
    // Kusto prints 0.84 (its scoring is unpublished); smbwatch's score is its own but clears the 0.6 seasonality
    // threshold of series_decompose in the same way.
    expect(scores[0]).toBeGreaterThan(0.6);
    expect(scores[0]).toBeLessThanOrEqual(1);
  });

  it('only searches periods of at least 4 points and at most half the series', () => {
    const alternating = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 10 : 0));
    expect(seriesPeriodsDetect(alternating, 0, 40, 1).periods).toEqual([4]);
    expect(seriesPeriodsDetect([1, 2, 3, 4, 5, 6, 7], 0, 10, 1).periods).toEqual([0]);
  });

  it('prefers a divisor of the best period that explains it (7 rather than 14 for a weekly pattern)', () => {
    const weekly = Array.from({ length: 42 }, (_, i) => [5, 9, 9, 9, 9, 9, 4][i % 7]! + (i % 3) * 0.01);
    expect(seriesPeriodsDetect(weekly, 0, 21, 1).periods).toEqual([7]);
  });
});

describe('series_decompose', () => {
  const weekly = [10, 20, 20, 20, 20, 20, 5];

  it('takes the seasonal component as per-phase medians of the series itself, then the trend of the rest', () => {
    // The documented order: seasonal first (medians over the raw points of each phase), trend of x − seasonal.
    const y = Array.from({ length: 21 }, (_, i) => weekly[i % 7]! + (i === 8 ? 30 : 0));
    const d = seriesDecompose(y, { seasonality: 7, trend: 'avg' });
    expect(d.period).toBe(7);
    expect(d.seasonal.slice(0, 7)).toEqual(weekly); // the spike at i = 8 does not move phase 1's median
    d.trend.forEach((t) => expect(t).toBeCloseTo(30 / 21, 12)); // the mean of x − seasonal
    expect(d.residual[8]).toBeCloseTo(30 - 30 / 21, 12);
    expect(d.residual[1]).toBeCloseTo(-30 / 21, 12);
  });

  it('fits a pure linear trend exactly without seasonality', () => {
    const y = Array.from({ length: 10 }, (_, i) => 3 + 2 * i);
    const d = seriesDecompose(y, { seasonality: 0, trend: 'linefit' });
    d.residual.forEach((r) => expect(Math.abs(r)).toBeLessThan(1e-9));
  });

  it('detects the period when asked to (seasonality −1)', () => {
    const y = Array.from({ length: 28 }, (_, i) => weekly[i % 7]!);
    expect(seriesDecompose(y).period).toBe(7);
    expect(seriesDecompose(y, { seasonality: 0 }).period).toBe(0);
  });

  it("uses the mean for 'avg', nothing for 'none'", () => {
    const y = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(seriesDecompose(y, { seasonality: 0, trend: 'avg' }).baseline).toEqual(new Array(8).fill(4.5));
    const none = seriesDecompose(y, { seasonality: 0, trend: 'none' });
    expect(none.baseline).toEqual(new Array(8).fill(0));
    expect(none.residual).toEqual(y);
  });

  it('learns from all but the test points and extrapolates to them', () => {
    const y = [1, 2, 3, 4, 5, 6, 100, 200];
    const d = seriesDecompose(y, { seasonality: 0, trend: 'linefit', testPoints: 2 });
    expect(d.baseline[6]).toBeCloseTo(7, 9);
    expect(d.baseline[7]).toBeCloseTo(8, 9);
  });
});

describe('series_decompose_anomalies', () => {
  it("flags a spike on the last day of a flat series with 'linefit'", () => {
    const y = [100, 102, 98, 101, 99, 100, 103, 97, 100, 101, 99, 102, 98, 400];
    const { flags, scores, baseline } = seriesDecomposeAnomalies(y, { threshold: 2.5, trend: 'linefit' });
    expect(flags.at(-1)).toBe(1);
    expect(scores.at(-1)).toBeGreaterThan(5);
    expect(flags.slice(0, -1).every((f) => f === 0)).toBe(true);
    expect(baseline.at(-1)).toBeGreaterThan(0);
  });

  it('flags a dip as −1', () => {
    const y = [50, 52, 48, 51, 49, 50, 53, 47, 50, 51, 49, 52, 48, 0];
    expect(seriesDecomposeAnomalies(y, { threshold: 1.5, seasonality: 0 }).flags.at(-1)).toBe(-1);
  });
});

describe("series_decompose_anomalies: the documentation's examples", () => {
  // https://learn.microsoft.com/kusto/query/series-decompose-anomalies-function, "Examples": five weeks of hourly
  // points with weekly seasonality (weekends lower), three dips (t = 150, 200, 780) and three spikes (300, 400, 600)
  // of 8. The docs add noise with 2*rand() and show charts, not numbers; here the noise is the deterministic
  // 2 × ((t × 7919) mod 1000) / 1000 — uniform on [0, 2) like rand() — and the assertions are the docs' own words.
  const DIPS = [150, 200, 780];
  const SPIKES = [300, 400, 600];
  const series = (trend: boolean): number[] =>
    Array.from({ length: 24 * 7 * 5 }, (_, i) => {
      const t = i + 1;
      const hourShape = Math.trunc((t % 24) / 10) ** 2;
      let y = (2 * ((t * 7919) % 1000)) / 1000 + (Math.trunc(t / 24) % 7 >= 5 ? (trend ? 5 : 10) : 15) - hourShape + (trend ? t / 72 : 0);
      if (DIPS.includes(t)) y -= 8;
      if (SPIKES.includes(t)) y += 8;
      return y;
    });
  const flagged = (flags: readonly number[]): Array<[number, number]> => flags.flatMap((f, i) => (f === 0 ? [] : [[i + 1, f] as [number, number]]));
  const inserted = [...DIPS.map((t) => [t, -1]), ...SPIKES.map((t) => [t, 1])].sort((a, b) => a[0]! - b[0]!);

  it('weekly seasonality, default parameters: the inserted outliers stand out in ad_score', () => {
    const { flags, scores } = seriesDecomposeAnomalies(series(false));
    for (const [t, sign] of inserted) expect([t, flags[t! - 1]]).toEqual([t, sign]);
    const strongest = scores.map((s, i) => [Math.abs(s), i + 1] as const).sort((a, b) => b[0] - a[0]).slice(0, 6).map(([, t]) => t).sort((a, b) => a - b);
    expect(strongest).toEqual(inserted.map(([t]) => t));
  });

  it("with a trend, the default 'avg' misses some of them", () => {
    const found = new Set(flagged(seriesDecomposeAnomalies(series(true)).flags).map(([t]) => t));
    expect(inserted.some(([t]) => !found.has(t!))).toBe(true);
  });

  it("'linefit' detects all of them (threshold 1.5)", () => {
    const found = flagged(seriesDecomposeAnomalies(series(true), { threshold: 1.5, seasonality: -1, trend: 'linefit' }).flags);
    for (const point of inserted) expect(found).toContainEqual(point);
  });

  it("'linefit' with threshold 2.5 detects only them", () => {
    expect(flagged(seriesDecomposeAnomalies(series(true), { threshold: 2.5, seasonality: -1, trend: 'linefit' }).flags)).toEqual(inserted);
  });
});
