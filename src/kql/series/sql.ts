/**
 * series_decompose_anomalies (and series_decompose) as one SQL expression, on any engine with array lambdas
 * (array-sql.ts). It computes exactly what algorithm.ts defines — the tests hold the two equal on random series on
 * DuckDB and ClickHouse — step by step, each intermediate array named once with `bind`:
 *
 *   y          the series (NULL elements count as 0), n = its length, t = n − test points (the learning part)
 *   period     given, none, or detected on the learning part: adjusted R² of the phase-mean model of the
 *              linearly detrended points, best candidate in [4, t/2], a divisor within 0.05 preferred, kept when
 *              its score exceeds the seasonality threshold
 *   seasonal   per-phase medians of the learning points
 *   trend      of the deseasonalized learning points: their mean, their least-squares line (x = 1..t,
 *              extrapolated), or 0
 *   baseline   seasonal + trend; residual = y − baseline
 *   score      Tukey fences over the learning residuals (p10/p90 normalized, or p25/p75); flag ±1 beyond ±k
 *
 * The result is a dynamic bag `{flags, scores, baseline, seasonal, trend, residual}` of arrays; the Kusto
 * functions are projections of it.
 */
import { CTUKEY_10_90_NORMALIZATION, DIVISOR_TOLERANCE, MIN_PERIOD, type OutlierKind, type Trend } from './algorithm.js';
import type { ArraySql } from './array-sql.js';

export interface DecomposeParameters {
  /** −1 detect, 0 none, p > 0 that period. */
  readonly seasonality: number;
  readonly trend: Trend;
  readonly testPoints: number;
  readonly seasonalityThreshold: number;
}

export interface AnomalyParameters extends DecomposeParameters {
  readonly threshold: number;
  readonly adMethod: OutlierKind;
}

/** Unique lambda parameter names: `__sN_name` cannot be a Kusto column the query sees. */
class Names {
  private next = 0;
  fresh(hint: string): string {
    return `__s${this.next++}_${hint}`;
  }
}

/** SQL builder over the engine's arrays, with `let` (bind) that names each intermediate value once. */
class SeriesSql {
  readonly names = new Names();
  constructor(readonly a: ArraySql) {}

  let(value: string, hint: string, body: (name: string) => string): string {
    const name = this.names.fresh(hint);
    return this.a.bind(value, name, body(name));
  }

  map(array: string, body: (v: string, i: string) => string): string {
    const v = this.names.fresh('v');
    const i = this.names.fresh('i');
    return this.a.map(array, v, i, body(v, i));
  }

  filter(array: string, predicate: (v: string, i: string) => string): string {
    const v = this.names.fresh('v');
    const i = this.names.fresh('i');
    return this.a.filter(array, v, i, predicate(v, i));
  }

  real(value: number): string {
    return this.a.real(value);
  }

  /** The first element, or `fallback` when the array is empty (engines differ on out-of-range elements). */
  firstOr(array: string, fallback: string): string {
    return this.let(array, 'f', (f) => `CASE WHEN ${this.a.length(f)} = 0 THEN ${fallback} ELSE ${this.a.at(f, '1')} END`);
  }

  /** Least-squares line over x = 1..length(ys) (no NULLs): [intercept, slope] as a two-element array. */
  lineFit(ys: string): string {
    const { a } = this;
    return this.let(a.length(ys), 'n', (n) =>
      this.let(`CAST(${n} AS DOUBLE)`, 'nr', (nr) => {
        const sx = `(${nr} * (${nr} + 1.0) / 2.0)`;
        const sxx = `(${nr} * (${nr} + 1.0) * (2.0 * ${nr} + 1.0) / 6.0)`;
        const sy = a.sum(ys);
        const sxy = a.sum(this.map(ys, (v, i) => `(${v} * ${i})`));
        return this.let(`(${nr} * ${sxx} - ${sx} * ${sx})`, 'den', (den) =>
          this.let(`CASE WHEN ${den} = 0 THEN 0.0 ELSE (${nr} * ${sxy} - ${sx} * ${sy}) / ${den} END`, 'slope', (slope) =>
            `[(${sy} - ${slope} * ${sx}) / ${nr}, ${slope}]`,
          ),
        );
      }),
    );
  }

  /** The adjusted-R² score of each candidate period for z (detrended), as an array aligned with `candidates`. */
  periodScores(z: string, candidates: string): string {
    const { a } = this;
    return this.let(a.length(z), 'n', (n) =>
      this.let(a.avg(z), 'mean', (mean) =>
        this.let(a.sum(this.map(z, (v) => `((${v} - ${mean}) * (${v} - ${mean}))`)), 'sst', (sst) =>
          this.map(candidates, (p) =>
            this.let(
              this.map(a.range('0', `${p} - 1`), (j) => a.avg(this.filter(z, (_, i) => `((${i} - 1) % ${p}) = ${j}`))),
              'means',
              (means) => {
                const sse = a.sum(this.map(z, (v, i) => {
                  const m = a.at(means, `((${i} - 1) % ${p}) + 1`);
                  return `((${v} - ${m}) * (${v} - ${m}))`;
                }));
                const adjusted = `(1.0 - (${sse} / ${sst}) * (${n} - 1) / (${n} - ${p}))`;
                return `CASE WHEN ${sst} = 0 OR ${n} <= ${p} THEN 0.0 ELSE least(1.0, greatest(0.0, ${adjusted})) END`;
              },
            ),
          ),
        ),
      ),
    );
  }

  /** The detected period of the learning points `train` (0 when none clears the threshold). */
  detectPeriod(train: string, threshold: number): string {
    const { a } = this;
    return this.let(a.length(train), 't', (t) =>
      this.let(a.range(String(MIN_PERIOD), a.intDiv(t, '2')), 'cand', (cand) =>
        this.let(this.lineFit(train), 'line', (line) =>
          this.let(this.map(train, (v, i) => `(${v} - (${a.at(line, '1')} + ${a.at(line, '2')} * ${i}))`), 'z', (z) =>
            this.let(this.periodScores(z, cand), 'sc', (sc) =>
              this.let(`coalesce(${a.max(sc)}, 0.0)`, 'best', (best) =>
                this.let(
                  // The first (shortest) candidate with the best score.
                  this.firstOr(this.filter(cand, (_, i) => `${a.at(sc, i)} = ${best}`), '0'),
                  'top',
                  (top) =>
                    this.let(
                      // A divisor of it scoring within the tolerance wins (the shortest such).
                      this.firstOr(this.filter(cand, (p, i) =>
                        `${p} < ${top} AND ${top} % ${p} = 0 AND ${a.at(sc, i)} >= ${best} - ${this.real(DIVISOR_TOLERANCE)}`), top),
                      'chosen',
                      (chosen) =>
                        `CASE WHEN ${best} > 0 AND ${a.at(sc, `${chosen} - ${MIN_PERIOD} + 1`)} > ${this.real(threshold)} THEN ${chosen} ELSE 0 END`,
                    ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  /** Per-position seasonal value: the median of the learning points in the same phase, or 0. */
  seasonal(y: string, train: string, period: string): string {
    const { a } = this;
    // The modulus is never 0, even where the period is (ClickHouse evaluates both branches of a CASE).
    return this.let(`greatest(${period}, 1)`, 'pm', (pm) =>
      this.map(y, (_, i) =>
        this.let(this.filter(train, (__, j) => `((${j} - 1) % ${pm}) = ((${i} - 1) % ${pm})`), 'phase', (phase) =>
          `CASE WHEN ${period} > 0 AND ${a.length(phase)} > 0 THEN ${a.quantile(phase, 0.5)} ELSE 0.0 END`,
        ),
      ),
    );
  }

  trend(y: string, deseasonal: string, kind: Trend): string {
    const { a } = this;
    if (kind === 'none') return this.map(y, () => '0.0');
    const empty = `${a.length(deseasonal)} = 0`;
    if (kind === 'avg') return this.let(`CASE WHEN ${empty} THEN 0.0 ELSE ${a.avg(deseasonal)} END`, 'm', (m) => this.map(y, () => m));
    return this.let(this.lineFit(deseasonal), 'lf', (lf) =>
      this.map(y, (_, i) => `CASE WHEN ${empty} THEN 0.0 ELSE (${a.at(lf, '1')} + ${a.at(lf, '2')} * ${i}) END`));
  }

  scores(residual: string, t: string, method: OutlierKind, learnFrom?: (learn: string) => string): string {
    const { a } = this;
    const [lo, hi, factor] = method === 'tukey' ? [0.25, 0.75, 1] : [0.1, 0.9, CTUKEY_10_90_NORMALIZATION];
    return this.let(learnFrom ? learnFrom(residual) : a.slice(residual, '1', t), 'learn', (learn) =>
      this.let(a.quantile(learn, lo), 'qlo', (qlo) =>
        this.let(a.quantile(learn, hi), 'qhi', (qhi) =>
          this.let(`(${qhi} - ${qlo})`, 'range', (range) =>
            this.map(residual, (r) =>
              `CASE WHEN ${r} > ${qhi} THEN (CASE WHEN ${range} = 0 THEN ${a.infinity(false)} ELSE (${r} - ${qhi}) / ${range} * ${this.real(factor)} END)` +
              ` WHEN ${r} < ${qlo} THEN (CASE WHEN ${range} = 0 THEN ${a.infinity(true)} ELSE (${r} - ${qlo}) / ${range} * ${this.real(factor)} END)` +
              ' ELSE 0.0 END',
            ),
          ),
        ),
      ),
    );
  }
}

/** The arrays of the result bag, in order. */
export const SERIES_FIELDS = ['flags', 'scores', 'baseline', 'seasonal', 'trend', 'residual'] as const;

/**
 * SQL of a dynamic bag `{"flags", "scores", "baseline", "seasonal", "trend", "residual"}` for a series given as
 * SQL of an array of nullable doubles (the dialect's `jsonArrayNumbers` of the dynamic value: non-numbers are null). Parameters are constants (the caller refuses computed ones).
 */
export function decomposeAnomaliesSql(a: ArraySql, numbers: string, p: AnomalyParameters): string {
  const bag = (fields: Record<(typeof SERIES_FIELDS)[number], string>): string =>
    a.bagOfArrays(SERIES_FIELDS.map((name) => [name, fields[name]] as const));
  const s = new SeriesSql(a);
  return s.let(s.map(numbers, (v) => `coalesce(${v}, 0.0)`), 'y', (y) =>
    s.let(a.length(y), 'n', (n) =>
      s.let(`greatest(0, ${n} - ${p.testPoints})`, 't', (t) =>
        s.let(a.slice(y, '1', t), 'train', (train) =>
          s.let(
            p.seasonality === -1
              ? `CASE WHEN ${t} = 0 THEN 0 ELSE ${s.detectPeriod(train, p.seasonalityThreshold)} END`
              : String(Math.max(0, Math.floor(p.seasonality))),
            'period',
            (period) =>
              s.let(s.seasonal(y, train, period), 'seas', (seas) =>
                s.let(s.map(train, (v, i) => `(${v} - ${a.at(seas, i)})`), 'des', (des) =>
                  s.let(s.trend(y, des, p.trend), 'tr', (tr) =>
                    s.let(s.map(y, (_, i) => `(${a.at(seas, i)} + ${a.at(tr, i)})`), 'base', (base) =>
                      s.let(s.map(y, (v, i) => `(${v} - ${a.at(base, i)})`), 'res', (res) =>
                        s.let(s.scores(res, t, p.adMethod), 'sc', (sc) =>
                          bag({
                            flags: s.map(sc, (v) => `CAST(CASE WHEN ${v} > ${s.real(p.threshold)} THEN 1 WHEN ${v} < ${s.real(-p.threshold)} THEN -1 ELSE 0 END AS BIGINT)`),
                            scores: sc,
                            baseline: base,
                            seasonal: seas,
                            trend: tr,
                            residual: res,
                          }),
                        ),
                      ),
                    ),
                  ),
                ),
              ),
          ),
        ),
      ),
    ),
  );
}

/**
 * series_outliers over an array of nullable doubles (as decomposeAnomaliesSql takes it): the fences from the elements that are numbers other than `ignore`, the
 * others scored 0 (algorithm.ts seriesOutliers).
 */
export function outliersSql(a: ArraySql, numbers: string, method: OutlierKind, ignore: number | null): string {
  const s = new SeriesSql(a);
  const counts = (v: string): string => `(${v} IS NOT NULL AND ${v} = ${v}${ignore === null ? '' : ` AND ${v} <> ${s.real(ignore)}`})`;
  return s.let(numbers, 'y', (y) =>
    s.let(s.scores(y, a.length(y), method, (all) => s.filter(all, (v) => counts(v))), 'sc', (sc) =>
      a.numbersToDynamic(s.map(y, (v, i) => `CASE WHEN ${counts(v)} THEN coalesce(${a.at(sc, i)}, 0.0) ELSE 0.0 END`)),
    ),
  );
}
