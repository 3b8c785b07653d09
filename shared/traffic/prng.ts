/**
 * A small seeded PRNG (mulberry32) with the sampling helpers the traffic generator needs.
 * Deterministic across platforms: only 32-bit integer arithmetic and Math.imul.
 */
export class Rng {
  private state: number

  constructor(seed: number | string) {
    this.state = typeof seed === 'number' ? seed >>> 0 : hashString(seed)
    // Warm up so that nearby seeds (1, 2, 3) do not start with correlated outputs.
    for (let i = 0; i < 4; i++) this.u32()
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1))
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick on an empty list')
    return items[Math.floor(this.float() * items.length)] as T
  }

  /** Picks `k` distinct items (k is clamped to the list length), in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = items.slice()
    const n = Math.min(k, copy.length)
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.float() * (copy.length - i))
      const tmp = copy[i] as T
      copy[i] = copy[j] as T
      copy[j] = tmp
    }
    return copy.slice(0, n)
  }

  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0
    for (const [, w] of items) total += w
    let r = this.float() * total
    for (const [item, w] of items) {
      r -= w
      if (r < 0) return item
    }
    const last = items[items.length - 1]
    if (!last) throw new Error('Rng.weighted on an empty list')
    return last[0]
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.float() // (0, 1]
    const v = this.float()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** Log-normal with the given median and log-space sigma: the usual shape of service latencies. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal())
  }

  /** Lower-case hex string of `len` characters. */
  hex(len: number): string {
    let out = ''
    while (out.length < len) out += this.u32().toString(16).padStart(8, '0')
    return out.slice(0, len)
  }

  /** Alphanumeric (base62) string, as in provider response ids. */
  base62(len: number): string {
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
    let out = ''
    for (let i = 0; i < len; i++) out += alphabet[this.u32() % 62]
    return out
  }

  /** RFC 4122 version-4 UUID drawn from this generator. */
  uuid(): string {
    const h = this.hex(32)
    const variant = ((parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16)
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
  }

  /** A child generator with an independent stream, so one consumer of randomness cannot shift another's. */
  fork(label: string): Rng {
    return new Rng((this.u32() ^ hashString(label)) >>> 0)
  }
}

/** FNV-1a 32-bit hash, used to turn string seeds and labels into numbers. */
export function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** Fills `{slot}` placeholders from `values`; an unknown slot is a programming error. */
export function fill(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const v = values[key]
    if (v === undefined) throw new Error(`template slot {${key}} has no value in: ${template}`)
    return String(v)
  })
}
