/**
 * RowBinary bodies for the sink's inserts (ClickHouse's binary row format: fixed-width
 * little-endian numbers, LEB128 lengths before strings, arrays and maps, a 0/1 byte before a
 * Nullable value). An encoder is compiled from a table's column types as the server reports them
 * (`system.columns`), so the bytes always fit the table they go to; a type it does not know makes
 * `rowBinaryEncoder` throw, and the writer sends that table as JSONCompactEachRow instead.
 *
 * Values follow what the JSONCompactEachRow insert of the same rows stores (a test compares both):
 * times are epoch milliseconds (DateTime64(3) ticks), a missing Nullable is NULL, a null Float64 is
 * 0. A string with a lone UTF-16 surrogate (possible in a JSON-encoded record) is refused, as
 * ClickHouse's JSON parser refuses it (code 25): the writer isolates the row and dead-letters it.
 */

/** An encoding failure of one row, with the ClickHouse code its JSON insert would fail with. */
export class RowBinaryError extends Error {
  /** A ClickHouse error code as a string, as @clickhouse/client's errors carry it (writer.ts classifies by it). */
  readonly code: string
  constructor(code: number, message: string) {
    super(message)
    this.code = String(code)
    this.name = 'RowBinaryError'
  }
}

/** String.prototype.isWellFormed (Node 20; the project's TypeScript lib predates it). */
type WellFormed = string & { isWellFormed(): boolean }

type Kind = 'uuid' | 'dt64' | 'str' | 'f64' | 'nf64' | 'u64' | 'u32' | 'bool' | 'astr' | 'map'

/** The kind of a ClickHouse type this encoder writes, or undefined. */
function kindOf(type: string): Kind | undefined {
  const t = type.replace(/\s+/g, ' ').trim()
  if (t === 'UUID') return 'uuid'
  if (/^DateTime64\(3(, ?'[^']*')?\)$/.test(t)) return 'dt64'
  if (t === 'String' || t === 'LowCardinality(String)') return 'str'
  if (t === 'Float64') return 'f64'
  if (t === 'Nullable(Float64)') return 'nf64'
  if (t === 'UInt64') return 'u64'
  if (t === 'UInt32') return 'u32'
  if (t === 'Bool') return 'bool'
  if (t === 'Array(String)' || t === 'Array(LowCardinality(String))') return 'astr'
  if (/^Map\((LowCardinality\(String\)|String), ?Nullable\(Float64\)\)$/.test(t)) return 'map'
  return undefined
}

const HEX = new Int8Array(128).fill(-1)
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i
}

/** A byte buffer with the writes RowBinary needs; grows when a row does not fit. */
class Out {
  buf: Buffer
  pos = 0
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size)
  }
  room(n: number): void {
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
  str(s: unknown, column: string): void {
    if (typeof s !== 'string') throw new RowBinaryError(53, `${column}: expected a string, got ${s === null ? 'null' : typeof s}`)
    if (!(s as WellFormed).isWellFormed()) throw new RowBinaryError(25, `${column}: the text holds a lone UTF-16 surrogate (not valid Unicode)`)
    // Short strings (nearly all): at most 3 bytes per UTF-16 unit, so the length takes 1 or 2
    // bytes: reserve them, write, fill the length in (a 2-byte LEB128 of a small n is still n).
    if (s.length < 0x1000) {
      this.room(s.length * 3 + 2)
      const start = this.pos
      if (s.length * 3 < 0x80) {
        const n = this.buf.write(s, start + 1)
        this.buf[start] = n
        this.pos = start + 1 + n
      } else {
        const n = this.buf.write(s, start + 2)
        this.buf[start] = (n & 0x7f) | 0x80
        this.buf[start + 1] = n >> 7
        this.pos = start + 2 + n
      }
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
  u32(v: unknown, column: string): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RowBinaryError(70, `${column}: expected a UInt32, got ${String(v)}`)
    this.room(4)
    this.buf.writeUInt32LE(v, this.pos)
    this.pos += 4
  }
  /** UInt64 from a safe non-negative integer or a decimal string (offsets come as strings). */
  u64(v: unknown, column: string): void {
    this.room(8)
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      this.buf.writeUInt32LE(v % 0x1_0000_0000, this.pos)
      this.buf.writeUInt32LE(Math.floor(v / 0x1_0000_0000), this.pos + 4)
    } else if (typeof v === 'string' && /^\d{1,20}$/.test(v) && BigInt(v) < 2n ** 64n) {
      this.buf.writeBigUInt64LE(BigInt(v), this.pos)
    } else throw new RowBinaryError(70, `${column}: expected a UInt64, got ${String(v)}`)
    this.pos += 8
  }
  /** DateTime64(3): Int64 milliseconds since the epoch. */
  dt64(v: unknown, column: string): void {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new RowBinaryError(41, `${column}: expected epoch milliseconds, got ${String(v)}`)
    this.room(8)
    this.buf.writeInt32LE(v % 0x1_0000_0000 | 0, this.pos)
    this.buf.writeInt32LE(Math.floor(v / 0x1_0000_0000), this.pos + 4)
    this.pos += 8
  }
  f64(v: unknown, column: string): void {
    if (v === null || v === undefined) v = 0 // as JSON's null into a Float64 column (input_format_null_as_default)
    if (typeof v !== 'number') throw new RowBinaryError(53, `${column}: expected a number, got ${typeof v}`)
    this.room(8)
    this.buf.writeDoubleLE(v, this.pos)
    this.pos += 8
  }
  nf64(v: unknown, column: string): void {
    if (v === null || v === undefined) return this.u8(1)
    this.u8(0)
    this.f64(v, column)
  }
  /** ClickHouse's UUID: two UInt64 LE, the first from the UUID's first 8 bytes. */
  uuid(s: unknown, column: string): void {
    if (typeof s !== 'string' || s.length !== 36) throw new RowBinaryError(376, `${column}: not a UUID: ${String(s)}`)
    this.room(16)
    for (let i = 0, half = 0; half < 2; half++) {
      const base = this.pos + half * 8 + 7
      for (let b = 0; b < 8; b++) {
        if (s.charCodeAt(i) === 45) i++ // '-'
        const hi = HEX[s.charCodeAt(i)] ?? -1
        const lo = HEX[s.charCodeAt(i + 1)] ?? -1
        if (hi < 0 || lo < 0) throw new RowBinaryError(376, `${column}: not a UUID: ${s}`)
        this.buf[base - b] = (hi << 4) | lo
        i += 2
      }
    }
    this.pos += 16
  }
}

/**
 * A row already in RowBinary (services/sink/transcode.ts), for an encoder whose `kinds` are the
 * ones it was written for: the encoder sends its bytes as they are.
 */
export class EncodedRow {
  constructor(readonly bytes: Buffer) {}
}

export interface RowBinaryEncoder {
  readonly columns: readonly string[]
  /** The column kinds, comma-separated (what an EncodedRow must have been written for). */
  readonly kinds: string
  /**
   * The RowBinary body of `rows` (objects keyed by column) as chunks of about `chunkBytes`, encoded
   * as they are read: a big insert never sits in memory whole. Throws RowBinaryError on a value
   * the column cannot hold.
   */
  chunks(rows: readonly Record<string, unknown>[], chunkBytes?: number): Generator<Buffer>
}

/**
 * An encoder for `columns` (in this order) of the given ClickHouse types (as `system.columns`
 * spells them). Throws when a type is not one it writes.
 */
export function rowBinaryEncoder(columns: readonly string[], types: readonly string[]): RowBinaryEncoder {
  if (columns.length !== types.length) throw new Error('rowBinaryEncoder: one type per column')
  const kinds = types.map((t, i) => {
    const k = kindOf(t)
    if (!k) throw new Error(`no RowBinary encoding for column ${columns[i]} of type ${t}`)
    return k
  })
  const n = columns.length
  function encodeRow(out: Out, row: Record<string, unknown>): void {
    for (let c = 0; c < n; c++) {
      const col = columns[c]!
      const v = row[col]
      switch (kinds[c]!) {
        case 'str':
          out.str(v, col)
          break
        case 'dt64':
          out.dt64(v, col)
          break
        case 'uuid':
          out.uuid(v, col)
          break
        case 'f64':
          out.f64(v, col)
          break
        case 'nf64':
          out.nf64(v, col)
          break
        case 'u64':
          out.u64(v, col)
          break
        case 'u32':
          out.u32(v, col)
          break
        case 'bool':
          out.u8(v ? 1 : 0)
          break
        case 'astr': {
          if (!Array.isArray(v)) throw new RowBinaryError(53, `${col}: expected an array`)
          out.varint(v.length)
          for (const s of v) out.str(s, col)
          break
        }
        case 'map': {
          if (v === null || typeof v !== 'object') throw new RowBinaryError(53, `${col}: expected a map`)
          const m = v as Record<string, unknown>
          const keys = Object.keys(m)
          out.varint(keys.length)
          for (const k of keys) {
            out.str(k, col)
            out.nf64(m[k], col)
          }
          break
        }
      }
    }
  }
  return {
    columns,
    kinds: kinds.join(','),
    *chunks(rows, chunkBytes = 1 << 20) {
      let out: Out | null = null
      // EncodedRows that lie one after another in memory (a transcoder writes a batch's rows so)
      // are sent as one slice of their buffer, without a copy.
      let run: ArrayBufferLike | null = null
      let runStart = 0
      let runEnd = 0
      for (const row of rows) {
        if (row instanceof EncodedRow) {
          const b = row.bytes
          if (out !== null && out.pos > 0) yield out.buf.subarray(0, out.pos)
          out = null
          if (run === b.buffer && runEnd === b.byteOffset) runEnd += b.length
          else {
            if (run !== null) yield Buffer.from(run, runStart, runEnd - runStart)
            run = b.buffer
            runStart = b.byteOffset
            runEnd = runStart + b.length
          }
          if (runEnd - runStart >= chunkBytes) {
            yield Buffer.from(run, runStart, runEnd - runStart)
            run = null
          }
          continue
        }
        if (run !== null) yield Buffer.from(run, runStart, runEnd - runStart)
        run = null
        out ??= new Out(chunkBytes + (chunkBytes >> 2))
        encodeRow(out, row)
        if (out.pos >= chunkBytes) {
          yield out.buf.subarray(0, out.pos)
          out = null
        }
      }
      if (run !== null) yield Buffer.from(run, runStart, runEnd - runStart)
      if (out !== null && out.pos > 0) yield out.buf.subarray(0, out.pos)
    },
  }
}
