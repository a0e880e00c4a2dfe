/**
 * Kusto's series analysis functions, as plain functions over number arrays: the definition smbwatch implements.
 *
 * The SQL that runs these functions inside a query (series/sql.ts) is written to give the same numbers; the tests
 * hold the two equal on random series and hold this module to Microsoft's published examples. What Microsoft
 * documents, and what smbwatch decides where it does not (docs/kql.md, "Series analysis"):
 *
 * - series_fit_line: least squares over x = 1..n; `variance` is the sample variance of y, `rvariance` the residual
 *   sum of squares over n − 1 (both reproduce the documented example to its printed precision).
 * - series_outliers: Tukey's fences. `tukey` scores (x − p75)/(p75 − p25) above the fence, (x − p25)/(p75 − p25)
 *   below it, 0 between; `ctukey` uses p10/p90 and multiplies by a normalization factor so that its scores read
 *   like `tukey`'s. Percentiles interpolate linearly (R type 7). The factor for 10/90, 2.772605605507915, is the
 *   one Kusto's published scores imply (Kusto team's answer, stackoverflow.com/questions/75264555): every score
 *   of that example is reproduced exactly. Kusto's factor for other percentile pairs is not published, so other
 *   pairs are refused rather than guessed.
 * - series_periods_detect: Microsoft does not publish its scoring. smbwatch scores an integer period p by the
 *   adjusted R² of the phase-mean model of the linearly detrended series, prefers a divisor of the best period
 *   whose score is within 0.05 of it, and reports a period only when its score is at least 0.3, taking later
 *   periods from what the earlier ones leave unexplained. On the documented example it finds [14, 0] as Kusto
 *   does; its score for 14 differs from Kusto's 0.84.
 * - series_decompose: as documented — seasonal = per-phase median of the training points (period detected with
 *   the threshold, given, or none), trend of the deseasonalized training points (`avg`: their mean, `linefit`:
 *   series_fit_line extrapolated, `none`: 0), baseline = seasonal + trend, residual = x − baseline. Learning from
 *   no points (test points ≥ length) leaves seasonal and trend at 0, as does a phase with no learning point.
 * - series_decompose_anomalies: scores the residuals with series_outliers (percentiles over the training points)
 *   and flags +1 above the threshold, −1 below its negative.
 *
 * series_outliers and series_fit_line skip null (or NaN) elements, which score 0. series_decompose counts them as
 * 0 (Kusto documents null handling for series_outliers only).
 */

export type Trend = 'avg' | 'linefit' | 'none';
export type OutlierKind = 'tukey' | 'ctukey';
export type Series = ReadonlyArray<number | null>;

export class SeriesArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeriesArgumentError';
  }
}

const isValue = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Linear interpolation between closest ranks, h = (n − 1)·p over the sorted values (R type 7). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const low = sorted[lo]!;
  const high = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return low + (h - lo) * (high - low);
}

function sortedValues(values: Iterable<number | null>): number[] {
  const out: number[] = [];
  for (const v of values) if (isValue(v)) out.push(v);
  return out.sort((a, b) => a - b);
}

function median(values: Iterable<number | null>): number {
  return percentile(sortedValues(values), 0.5);
}

// ------------------------------------------------------------------------------------------ series_fit_line

export interface LineFit {
  readonly rsquare: number;
  readonly slope: number;
  readonly variance: number;
  readonly rvariance: number;
  readonly interception: number;
  /** The fitted line at x = 1..length (length defaults to the series length: extrapolation past the fit). */
  readonly linefit: number[];
}

export function seriesFitLine(y: Series, length: number = y.length): LineFit {
  let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  y.forEach((v, i) => {
    if (!isValue(v)) return;
    const x = i + 1;
    n++; sx += x; sy += v; sxx += x * x; sxy += x * v;
  });
  const denominator = n * sxx - sx * sx;
  const slope = n === 0 ? Number.NaN : denominator === 0 ? 0 : (n * sxy - sx * sy) / denominator;
  const interception = n === 0 ? Number.NaN : (sy - slope * sx) / n;
  const mean = sy / n;
  let sst = 0, sse = 0;
  y.forEach((v, i) => {
    if (!isValue(v)) return;
    sst += (v - mean) ** 2;
    sse += (v - (interception + slope * (i + 1))) ** 2;
  });
  return {
    rsquare: sst === 0 ? 1 : 1 - sse / sst,
    slope,
    variance: n > 1 ? sst / (n - 1) : 0,
    rvariance: n > 1 ? sse / (n - 1) : 0,
    interception,
    linefit: Array.from({ length }, (_, i) => interception + slope * (i + 1)),
  };
}

// ------------------------------------------------------------------------------------------ series_outliers

/** The normalization that makes a p10/p90 score read like a p25/p75 Tukey score (see the module comment). */
export const CTUKEY_10_90_NORMALIZATION = 2.772605605507915;

export interface OutlierOptions {
  readonly kind?: OutlierKind;
  readonly ignoreValue?: number | null;
  readonly minPercentile?: number;
  readonly maxPercentile?: number;
  /** Only these positions form the percentiles (decompose excludes its test points); all positions are scored. */
  readonly learnLength?: number;
}

function outlierBounds(options: OutlierOptions): { lo: number; hi: number; factor: number } {
  const kind = options.kind ?? 'ctukey';
  if (kind === 'tukey') return { lo: 0.25, hi: 0.75, factor: 1 };
  const lo = options.minPercentile ?? 10;
  const hi = options.maxPercentile ?? 90;
  if (lo < 2 || hi > 98 || lo >= hi) throw new SeriesArgumentError(`series_outliers percentiles must satisfy 2 ≤ min < max ≤ 98; got ${lo}, ${hi}`);
  if (lo === 10 && hi === 90) return { lo: 0.1, hi: 0.9, factor: CTUKEY_10_90_NORMALIZATION };
  if (lo === 25 && hi === 75) return { lo: 0.25, hi: 0.75, factor: 1 };
  throw new SeriesArgumentError(
    `series_outliers with percentiles ${lo}/${hi}: Kusto's normalization for them is not published (10/90 and 25/75 are supported)`,
  );
}

export function seriesOutliers(y: Series, options: OutlierOptions = {}): number[] {
  const { lo, hi, factor } = outlierBounds(options);
  const counts = (v: number | null | undefined): v is number =>
    isValue(v) && (options.ignoreValue === null || options.ignoreValue === undefined || v !== options.ignoreValue);
  const learn = y.slice(0, options.learnLength ?? y.length);
  const sorted = sortedValues(learn.filter(counts));
  const low = percentile(sorted, lo);
  const high = percentile(sorted, hi);
  const range = high - low;
  return y.map((v) => {
    if (!counts(v) || sorted.length === 0) return 0;
    if (v > high) return ((v - high) / range) * factor;
    if (v < low) return ((v - low) / range) * factor;
    return 0;
  });
}

// ------------------------------------------------------------------------------------------ series_periods_detect

/** A period must be at least this long and at most half the series (Kusto's documented bounds). */
export const MIN_PERIOD = 4;
/** A divisor of the best period wins when its score is at most this much lower: the shorter period explains it. */
export const DIVISOR_TOLERANCE = 0.05;
/** Periods scoring below this are not reported. */
export const MIN_PERIOD_SCORE = 0.3;

export interface Periods {
  readonly periods: number[];
  readonly scores: number[];
}

function phaseMeans(z: readonly number[], period: number): number[] {
  const sums = new Array<number>(period).fill(0);
  const counts = new Array<number>(period).fill(0);
  z.forEach((v, i) => {
    sums[i % period]! += v;
    counts[i % period]! += 1;
  });
  return sums.map((s, j) => s / counts[j]!);
}

/** Adjusted R² of the phase-mean model of period p, clamped to [0, 1]. */
export function periodScore(z: readonly number[], period: number): number {
  const n = z.length;
  const mean = z.reduce((a, b) => a + b, 0) / n;
  const sst = z.reduce((a, v) => a + (v - mean) ** 2, 0);
  if (sst === 0 || n <= period) return 0;
  const means = phaseMeans(z, period);
  const sse = z.reduce((a, v, i) => a + (v - means[i % period]!) ** 2, 0);
  const adjusted = 1 - ((sse / sst) * (n - 1)) / (n - period);
  return Math.min(1, Math.max(0, adjusted));
}

function candidatePeriods(n: number, minPeriod: number, maxPeriod: number): number[] {
  const first = Math.max(MIN_PERIOD, Math.ceil(minPeriod));
  const last = Math.min(Math.floor(n / 2), Math.floor(maxPeriod));
  const out: number[] = [];
  for (let p = first; p <= last; p++) out.push(p);
  return out;
}

/** The best period of z among the candidates, preferring a divisor that scores almost as well; 0 if none. */
export function bestPeriod(z: readonly number[], candidates: readonly number[]): { period: number; score: number } {
  const scores = new Map(candidates.map((p) => [p, periodScore(z, p)] as const));
  let period = 0;
  let score = 0;
  for (const [p, s] of scores) if (s > score) [period, score] = [p, s];
  if (period === 0) return { period: 0, score: 0 };
  const divisor = candidates.find((d) => d < period && period % d === 0 && scores.get(d)! >= score - DIVISOR_TOLERANCE);
  return divisor === undefined ? { period, score } : { period: divisor, score: scores.get(divisor)! };
}

function detrended(y: readonly number[]): number[] {
  const line = seriesFitLine(y);
  return y.map((v, i) => v - line.linefit[i]!);
}

export function seriesPeriodsDetect(y: Series, minPeriod: number, maxPeriod: number, count: number): Periods {
  const periods = new Array<number>(count).fill(0);
  const scores = new Array<number>(count).fill(0);
  if (!y.every(isValue)) return { periods, scores };
  const candidates = candidatePeriods(y.length, minPeriod, maxPeriod);
  let z = detrended(y as readonly number[]);
  for (let k = 0; k < count; k++) {
    const found = bestPeriod(z, candidates);
    if (found.period === 0 || found.score < MIN_PERIOD_SCORE) break;
    periods[k] = found.period;
    scores[k] = found.score;
    const means = phaseMeans(z, found.period);
    z = z.map((v, i) => v - means[i % found.period]!);
  }
  return { periods, scores };
}

// ------------------------------------------------------------------------------------------ series_decompose

export interface DecomposeOptions {
  /** −1: detect (default); 0: none; p > 0: that period in bins. */
  readonly seasonality?: number;
  readonly trend?: Trend;
  readonly testPoints?: number;
  readonly seasonalityThreshold?: number;
}

export interface Decomposition {
  readonly baseline: number[];
  readonly seasonal: number[];
  readonly trend: number[];
  readonly residual: number[];
  /** The period used, 0 for none. */
  readonly period: number;
}

export function seasonalPeriod(train: readonly number[], seasonality: number, threshold: number): number {
  if (seasonality === 0) return 0;
  if (seasonality > 0) return Math.floor(seasonality);
  if (seasonality !== -1) throw new SeriesArgumentError(`seasonality must be -1 (detect), 0 (none) or a period; got ${seasonality}`);
  const found = bestPeriod(detrended(train), candidatePeriods(train.length, 0, train.length / 2));
  return found.score > threshold ? found.period : 0;
}

export function seriesDecompose(y: Series, options: DecomposeOptions = {}): Decomposition {
  const n = y.length;
  const testPoints = options.testPoints ?? 0;
  if (testPoints < 0) throw new SeriesArgumentError(`test_points must not be negative; got ${testPoints}`);
  const trendKind = options.trend ?? 'avg';
  const values = y.map((v) => (isValue(v) ? v : 0));
  // Learning from no points (test_points ≥ length) leaves seasonal and trend at 0.
  const train = values.slice(0, Math.max(0, n - testPoints));
  const period = train.length === 0 ? 0 : seasonalPeriod(train, options.seasonality ?? -1, options.seasonalityThreshold ?? 0.6);
  // A phase without learning points (a given period longer than them) has a seasonal value of 0.
  const phaseMedians = period > 0
    ? Array.from({ length: period }, (_, j) => {
      const points = train.filter((_, i) => i % period === j);
      return points.length === 0 ? 0 : median(points);
    })
    : [];
  const seasonal = values.map((_, i) => (period > 0 ? phaseMedians[i % period]! : 0));
  const deseasonal = train.map((v, i) => v - seasonal[i]!);
  let trend: number[];
  if (trendKind === 'none') trend = values.map(() => 0);
  else if (trendKind === 'avg') {
    const mean = deseasonal.length === 0 ? 0 : deseasonal.reduce((a, b) => a + b, 0) / deseasonal.length;
    trend = values.map(() => mean);
  } else if (trendKind === 'linefit') trend = deseasonal.length === 0 ? values.map(() => 0) : seriesFitLine(deseasonal, n).linefit;
  else throw new SeriesArgumentError(`trend must be 'avg', 'linefit' or 'none'; got '${String(trendKind)}'`);
  const baseline = values.map((_, i) => seasonal[i]! + trend[i]!);
  const residual = values.map((v, i) => v - baseline[i]!);
  return { baseline, seasonal, trend, residual, period };
}

// ------------------------------------------------------------------------------------------ series_decompose_anomalies

export interface AnomalyOptions extends DecomposeOptions {
  readonly threshold?: number;
  readonly adMethod?: OutlierKind;
}

export interface Anomalies {
  readonly flags: number[];
  readonly scores: number[];
  readonly baseline: number[];
}

export function seriesDecomposeAnomalies(y: Series, options: AnomalyOptions = {}): Anomalies {
  const threshold = options.threshold ?? 1.5;
  const decomposition = seriesDecompose(y, options);
  const scores = seriesOutliers(decomposition.residual, {
    kind: options.adMethod ?? 'ctukey',
    learnLength: y.length - (options.testPoints ?? 0),
  });
  const flags = scores.map((s) => (s > threshold ? 1 : s < -threshold ? -1 : 0));
  return { flags, scores, baseline: decomposition.baseline };
}
