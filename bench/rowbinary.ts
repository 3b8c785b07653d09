/**
 * Measured, not wired (bench/insert-formats.ts; docs/BENCHMARKS.md, "Insert format"):
 * RowBinary encoding of the sink's `interactions` rows (ClickHouse's binary row format: fixed-width
 * little-endian numbers, LEB128 lengths before strings, arrays and maps, a 0/1 byte before a
 * Nullable value). The column list is `COMPACT_COLUMNS.interactions`; the types are those of
 * migrations 0001 + 0004 (`INTERACTION_TYPES`); the bench checks that what ClickHouse stores from
 * it equals what it stores from the JSON insert of the same rows.
 *
 * Strings are written as UTF-8 with Buffer.write: a lone UTF-16 surrogate (possible in a
 * JSON-encoded record) becomes U+FFFD here, where the JSON formats reject the row.
 */
import { COMPACT_COLUMNS, TABLES } from '../services/sink/rows.js'

type Kind = 'uuid' | 'dt64' | 'str' | 'f64' | 'nf64' | 'u64' | 'u32' | 'bool' | 'astr' | 'map'

/** ClickHouse type of each interactions column the sink writes, in COMPACT_COLUMNS order. */
export const INTERACTION_TYPES: Readonly<Record<string, Kind>> = {
  event_id: 'uuid', event_time: 'dt64', end_time: 'dt64', scored_time: 'dt64',
  app_name: 'str', environment: 'str', provider_name: 'str', operation_name: 'str', request_model: 'str', response_model: 'str',
  prompt_template_id: 'str', prompt_template_version: 'str', trace_id: 'str', session_id: 'str', user_id_hash: 'str',
  latency_ms: 'f64', ttft_ms: 'nf64', input_tokens: 'u64', output_tokens: 'u64', cached_input_tokens: 'u64', cost_usd: 'nf64',
  status: 'str', error_type: 'str', cache_hit: 'bool', text_mode: 'str', prompt_text: 'str', response_text: 'str',
  flagged_scorers: 'astr', scores: 'map', flags: 'astr', score_versions: 'astr', score_statuses: 'astr', score_labels: 'astr',
  score_details: 'astr', _topic: 'str', _partition: 'u32', _offset: 'u64',
}

const COLUMNS = COMPACT_COLUMNS[TABLES.interactions]!
const KINDS: Kind[] = COLUMNS.map((c) => {
  const k = INTERACTION_TYPES[c]
  if (!k) throw new Error(`rowbinary: no type for interactions column ${c}`)
  return k
})

const HEX = new Int8Array(128).fill(-1)
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i
}

/** A growable byte buffer with the writes RowBinary needs. */
class Out {
  buf: Buffer
  pos = 0
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size)
  }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n))
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }
  varint(n: number): void {
    this.room(10)
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80
      n = Math.floor(n / 128)
    }
    this.buf[this.pos++] = n
  }
  str(s: string): void {
    // Short strings (nearly all): at most 3 bytes per UTF-16 unit, and a 1-2 byte length.
    if (s.length < 0x1000) {
      this.room(s.length * 3 + 2)
      const start = this.pos
      const max = s.length * 3
      // Reserve the length's bytes, write, then fill it in (2 bytes when it may exceed 127).
      const lenBytes = max < 0x80 ? 1 : 2
      const n = this.buf.write(s, start + lenBytes)
      if (lenBytes === 1) this.buf[start] = n
      else {
        this.buf[start] = (n & 0x7f) | 0x80
        this.buf[start + 1] = n >> 7
      }
      this.pos = start + lenBytes + n
      return
    }
    const n = Buffer.byteLength(s)
    this.varint(n)
    this.room(n)
    this.pos += this.buf.write(s, this.pos)
  }
  u8(n: number): void {
    this.room(1)
    this.buf[this.pos++] = n
  }
  u32(n: number): void {
    this.room(4)
    this.buf.writeUInt32LE(n, this.pos)
    this.pos += 4
  }
  /** A non-negative integer up to 2^53 (or a decimal string, as offsets come), as UInt64/Int64 LE. */
  u64(v: number | string): void {
    this.room(8)
    if (typeof v === 'string') {
      this.buf.writeBigUInt64LE(BigInt(v), this.pos)
    } else {
      this.buf.writeUInt32LE(v % 0x1_0000_0000, this.pos)
      this.buf.writeUInt32LE(Math.floor(v / 0x1_0000_0000), this.pos + 4)
    }
    this.pos += 8
  }
  i64(v: number): void {
    if (v >= 0) return this.u64(v)
    this.room(8)
    this.buf.writeBigInt64LE(BigInt(v), this.pos)
    this.pos += 8
  }
  f64(v: number): void {
    this.room(8)
    this.buf.writeDoubleLE(v, this.pos)
    this.pos += 8
  }
  /** ClickHouse's UUID: two UInt64 LE, the first from the UUID's first 8 bytes. */
  uuid(s: string): void {
    if (s.length !== 36) throw new Error(`rowbinary: not a UUID: ${s}`)
    this.room(16)
    for (let i = 0, half = 0; half < 2; half++) {
      const base = this.pos + half * 8 + 7
      for (let b = 0; b < 8; b++) {
        if (s.charCodeAt(i) === 45) i++ // '-'
        const hi = HEX[s.charCodeAt(i)]!
        const lo = HEX[s.charCodeAt(i + 1)]!
        if (hi < 0 || lo < 0) throw new Error(`rowbinary: not a UUID: ${s}`)
        this.buf[base - b] = (hi << 4) | lo
        i += 2
      }
    }
    this.pos += 16
  }
}

/** Encodes interactions rows (as rows.ts builds them) as a RowBinary body for COMPACT_COLUMNS.interactions. */
export function encodeInteractions(rows: readonly Record<string, unknown>[]): Buffer {
  const out = new Out(Math.max(4096, rows.length * 2048))
  const n = COLUMNS.length
  for (const row of rows) {
    for (let c = 0; c < n; c++) {
      const v = row[COLUMNS[c]!]
      switch (KINDS[c]!) {
        case 'str':
          out.str(v as string)
          break
        case 'dt64':
          out.i64(v as number)
          break
        case 'uuid':
          out.uuid(v as string)
          break
        case 'f64':
          out.f64(v as number)
          break
        case 'nf64':
          if (v === null || v === undefined) out.u8(1)
          else {
            out.u8(0)
            out.f64(v as number)
          }
          break
        case 'u64':
          out.u64(v as number | string)
          break
        case 'u32':
          out.u32(v as number)
          break
        case 'bool':
          out.u8(v ? 1 : 0)
          break
        case 'astr': {
          const a = v as string[]
          out.varint(a.length)
          for (const s of a) out.str(s)
          break
        }
        case 'map': {
          const m = v as Record<string, number | null>
          const keys = Object.keys(m)
          out.varint(keys.length)
          for (const k of keys) {
            out.str(k)
            const x = m[k]
            if (x === null || x === undefined) out.u8(1)
            else {
              out.u8(0)
              out.f64(x)
            }
          }
          break
        }
      }
    }
  }
  return out.buf.subarray(0, out.pos)
}
