/**
 * A small seeded PRNG for the synthetic data. No dependency and no `Math.random`: the same seed
 * must give the same emails on every runtime, forever, because golden sets and demo stores are
 * regenerated from seeds rather than committed. The generator is the SDK's `seededRandom`, whose
 * sequence the tests below pin.
 */
import { seededRandom } from "@seamtrace/sdk";

/** FNV-1a over the parts' text, so any mix of numbers and labels names an independent stream. */
export function hashSeed(...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  const text = parts.join("\u0000");
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Seeded random helpers over the SDK's `seededRandom` (mulberry32).
 * @example
 * const rng = new Rng(hashSeed(42, "case", 7));
 * rng.pick(["auto", "property"]); rng.chance(0.1); rng.int(1, 6);
 */
export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: ReadonlyArray<T>): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks a key with probability proportional to its (non-negative) weight. */
  weighted<K extends string>(weights: Readonly<Partial<Record<K, number>>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    if (entries.length === 0) throw new RangeError("weighted pick from no choices");
    let total = 0;
    for (const [, w] of entries) total += Math.max(0, w);
    let r = this.next() * total;
    for (const [k, w] of entries) {
      r -= Math.max(0, w);
      if (r < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }

  /** A standard normal draw (Box–Muller); used for log-normal claim sizes. */
  normal(): number {
    const u = 1 - this.next(); // in (0, 1], so the log is finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Hex digits, for message ids and references. */
  hex(length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) s += Math.floor(this.next() * 16).toString(16);
    return s;
  }
}
