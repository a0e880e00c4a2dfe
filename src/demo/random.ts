/**
 * Seeded pseudo-random numbers for the demo network. Same seed → same numbers on every machine: the generator
 * never reads the clock or Math.random, so the same seed writes byte-identical logs.
 *
 * Each concern (the network's layout, one day's traffic, the injected episode) draws from its own stream,
 * derived from the seed and a label. Changing how one day is drawn then leaves every other day unchanged, and
 * a smaller network in tests still gets the same episode and edge cases.
 */

/** A stream of numbers in [0, 1) with helpers for the distributions the generator needs. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** sfc32 state from a 32-bit seed, expanded with splitmix32 so nearby seeds give unrelated streams. */
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): passes PractRand, 4 words of state. */
  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Standard normal (Box–Muller; one of the pair is dropped to keep the stream simple). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal around a median, with `spread` the sigma of the underlying normal: sizes and durations. */
  logNormal(median: number, spread: number): number {
    return median * Math.exp(spread * this.normal());
  }

  /** A steady daily count: the mean ± `noise` (relative standard deviation), never negative. */
  around(mean: number, noise: number): number {
    return Math.max(0, Math.round(mean * (1 + noise * this.normal())));
  }

  /** A Fisher–Yates shuffled copy. */
  shuffled<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }
}

/** FNV-1a of a label: the stream's name becomes part of its seed. */
function hashLabel(label: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The stream for one concern of one seeded network, e.g. `streamFor(seed, 'day', 3)`. */
export function streamFor(seed: number, ...label: ReadonlyArray<string | number>): Random {
  return new Random((Math.imul(seed >>> 0, 0x9e3779b1) ^ hashLabel(label.join('/'))) >>> 0);
}
