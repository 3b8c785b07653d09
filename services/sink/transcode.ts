/**
 * Avro -> RowBinary without JS objects: a ScoredInteraction's Confluent-framed Avro bytes become its
 * `interactions` row in RowBinary (the bytes `rowBinaryEncoder` writes for the row `scoredUnit`
 * builds from the decoded record), with every string and bytes payload copied from the Avro buffer
 * into the RowBinary buffer: no strings decoded from UTF-8 and encoded back, no record object.
 * Avro strings are a zigzag-varint length and UTF-8; RowBinary strings an unsigned LEB128 length and
 * the same bytes.
 *
 * It takes only the common case and says null for anything else, which then takes the reference
 * path (`codec.decode` + `scoredUnit` + the encoder), so every outcome of that path (the DLQ and its
 * reason, a U+FFFD for a truncated sequence, a second PII pass) stays what it was:
 * - Avro framing with the newest ScoredInteraction schema id, no content-type header, at most the
 *   codec's size limit; the schema exactly the one this file was written for (`SCHEMA`);
 * - every string valid UTF-8, every long within ±2^52, booleans 0 or 1, no trailing byte;
 * - `withinScoredContract`'s rules all hold (lengths counted in UTF-16 units, as the contract does);
 * - no second PII pass due (effective text mode 'redacted' without the scorer's redaction header).
 * test/unit/sink-transcode.test.ts proves the bytes equal the reference path's, on awkward records
 * and on random corruptions of them (where this says null or the same bytes).
 */
import { isUtf8 } from 'node:buffer'
import type avro from 'avsc'
import type { Codec } from '../../shared/codec.js'
import { PII_REDACTION, REDACTION_HEADER } from '../../shared/pii.js'
import type { TextMode } from './config.js'
import { EncodedRow } from './rowbinary.js'
import { effectiveTextMode, TABLES, type Source } from './rows.js'
import type { Unit } from './writer.js'

/** The ScoredInteraction fields and Avro types this transcoder reads, in order (avsc's `schema()` of the reader type). */
const SCHEMA = [
  'event_id:string', 'app_name:string', 'environment:string', 'provider_name:string', 'operation_name:string', 'request_model:string',
  'response_model:null|string', 'prompt_template_id:null|string', 'prompt_template_version:null|string', 'trace_id:null|string',
  'session_id:null|string', 'user_id_hash:null|string', 'request_start_time:long', 'end_time:long', 'scored_time:long',
  'latency_ms:double', 'ttft_ms:null|double', 'usage_input_tokens:long', 'usage_output_tokens:long', 'usage_cached_input_tokens:long',
  'cost_usd:null|double', 'cache_hit:boolean', 'status:string', 'error_type:null|string', 'text_mode:string', 'prompt_text:null|string',
  'response_text:null|string',
  'scores:[name:string,target:string,version:string,status:string,value:null|double,label:string,flagged:boolean,details:string]',
].join(';')

/** The column kinds (rowbinary.ts) of the `interactions` columns this writes, in COMPACT_COLUMNS order. */
export const TRANSCODED_KINDS = [
  'uuid', 'dt64', 'dt64', 'dt64', 'str', 'str', 'str', 'str', 'str', 'str', 'str', 'str', 'str', 'str', 'str',
  'f64', 'nf64', 'u64', 'u64', 'u64', 'nf64', 'str', 'str', 'bool', 'str', 'str', 'str', 'astr', 'map', 'astr', 'astr',
  'astr', 'astr', 'astr', 'str', 'u32', 'u64',
].join(',')

/**
 * The `interactions` column types as system.columns spells them (migrations 0001 and 0004), the
 * ones the kinds above are written for; columns not listed are LowCardinality(String). For tests and
 * benchmarks that encode rows without a server (the sink reads the real types from system.columns).
 */
export const INTERACTIONS_COLUMN_TYPES: Record<string, string> = {
  event_id: 'UUID', event_time: "DateTime64(3, 'UTC')", end_time: "DateTime64(3, 'UTC')", scored_time: "DateTime64(3, 'UTC')",
  trace_id: 'String', session_id: 'String', user_id_hash: 'String', latency_ms: 'Float64', ttft_ms: 'Nullable(Float64)',
  input_tokens: 'UInt64', output_tokens: 'UInt64', cached_input_tokens: 'UInt64', cost_usd: 'Nullable(Float64)', cache_hit: 'Bool',
  prompt_text: 'String', response_text: 'String', flagged_scorers: 'Array(LowCardinality(String))',
  scores: 'Map(LowCardinality(String), Nullable(Float64))', flags: 'Array(LowCardinality(String))', score_versions: 'Array(LowCardinality(String))',
  score_statuses: 'Array(LowCardinality(String))', score_labels: 'Array(LowCardinality(String))', score_details: 'Array(String)',
  _topic: 'LowCardinality(String)', _partition: 'UInt32', _offset: 'UInt64',
}

function describe(t: avro.Type): string {
  const name = t.typeName
  if (name === 'record') return `[${(t as avro.types.RecordType).fields.map((f) => `${f.name}:${describe(f.type)}`).join(',')}]`
  if (name === 'array') return describe((t as avro.types.ArrayType).itemsType)
  if (name.startsWith('union')) return (t as avro.types.UnwrappedUnionType).types.map(describe).join('|')
  return name
}

/** The Avro type's shape as SCHEMA spells it. */
export function schemaShape(t: avro.Type): string {
  return (t as avro.types.RecordType).fields.map((f) => `${f.name}:${describe(f.type)}`).join(';')
}

const HEX = new Int8Array(256).fill(-1)
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i
}

const TARGETS = ['prompt', 'response', 'context', 'event'] as const
const STATUSES = ['ok', 'not_applicable', 'error'] as const
const TEXT_MODES: readonly TextMode[] = ['full', 'redacted', 'none']
const MAX_ENTRIES = 256

/**
 * Slab size: units take slices of it (a unit's row is ~2.5 KB), and the encoder sends runs of them
 * as they lie. 64 KiB slabs (below glibc's mmap threshold, so no fresh pages) measured slower: more,
 * smaller writes to the socket (docs/BENCHMARKS.md, Sink, "Avro straight to RowBinary").
 */
const SLAB = 1 << 20

/**
 * Reading state of one record, reused: positions of the fields, by index in Avro order. Strings:
 * start and end byte offsets (start -1: null). Doubles: offset of the 8 bytes (-1: null).
 */
class Fields {
  s = new Int32Array(17) // string starts (slot 14: the text mode's index)
  e = new Int32Array(17) // string ends
  // Score entries.
  nameS = new Int32Array(MAX_ENTRIES)
  nameE = new Int32Array(MAX_ENTRIES)
  target = new Uint8Array(MAX_ENTRIES)
  verS = new Int32Array(MAX_ENTRIES)
  verE = new Int32Array(MAX_ENTRIES)
  status = new Uint8Array(MAX_ENTRIES)
  value = new Int32Array(MAX_ENTRIES)
  labelS = new Int32Array(MAX_ENTRIES)
  labelE = new Int32Array(MAX_ENTRIES)
  flagged = new Uint8Array(MAX_ENTRIES)
  detS = new Int32Array(MAX_ENTRIES)
  detE = new Int32Array(MAX_ENTRIES)
  /** The entries kept (the first of each key). */
  keep = new Int32Array(MAX_ENTRIES)
}

/** A failed read: the record takes the reference path. */
const BAIL = -1
const EMPTY = Buffer.alloc(0)

/**
 * The transcoder of one sink: `unit(...)` gives the record's unit with its row already RowBinary
 * (an EncodedRow), or null (the reference path must handle it).
 */
export class ScoredTranscoder {
  private readonly schemaId: number
  private readonly maxBytes: number
  private buf: Buffer = EMPTY
  private pos = 0
  private end = 0
  private readonly f = new Fields()
  private slab = Buffer.allocUnsafeSlow(SLAB)
  private at = 0
  private topic = ''
  private topicBytes = Buffer.alloc(0)

  private constructor(schemaId: number, maxBytes: number) {
    this.schemaId = schemaId
    this.maxBytes = maxBytes
  }

  /** A transcoder for the codec's newest ScoredInteraction schema, or null when its shape is not SCHEMA. */
  static create(codec: Codec): ScoredTranscoder | null {
    if (schemaShape(codec.typeOf('ScoredInteraction')) !== SCHEMA) return null
    return new ScoredTranscoder(codec.schemaIdOf('ScoredInteraction'), codec.maxBytes)
  }

  /** The unit of one llm.scores message (with the record's end_time), or null: take the reference path. */
  unit(value: Buffer | null, headers: Readonly<Record<string, string>>, src: Source, sinkMode: TextMode): (Unit & { endTime: number }) | null {
    const u = this.transcode(value, headers, src, sinkMode)
    this.buf = EMPTY // not to hold the fetch the record came in
    return u
  }

  private transcode(value: Buffer | null, headers: Readonly<Record<string, string>>, src: Source, sinkMode: TextMode): (Unit & { endTime: number }) | null {
    if (!value || value.length < 6 || value.length > this.maxBytes || value[0] !== 0) return null
    if (headers['content-type'] !== undefined || value.readInt32BE(1) !== this.schemaId) return null
    this.buf = value
    this.pos = 5
    this.end = value.length
    const n = this.read()
    if (n < 0) return null
    const f = this.f
    const eventMode = TEXT_MODES[f.s[14]!]!
    const mode = effectiveTextMode(eventMode, sinkMode)
    // A second PII pass is due: the reference path runs it.
    if (mode === 'redacted' && !(eventMode === 'redacted' && headers[REDACTION_HEADER] === PII_REDACTION)) return null
    const bytes = this.write(n, mode, src)
    if (bytes === null) return null
    const endTime = this.endTime
    return { topic: src.topic, partition: src.partition, offset: BigInt(src.offset), rows: { [TABLES.interactions]: [new EncodedRow(bytes) as unknown as Record<string, unknown>] }, endTime }
  }

  // Scalars read by read(), used by write().
  private times = [0, 0, 0]
  private tokens = [0, 0, 0]
  private endTime = 0
  private latencyAt = 0
  private ttftAt = -1
  private costAt = -1
  private cacheHit = 0
  private status = 0 // 0 ok, 1 error

  /** A zigzag varint long; NaN when it is not a safe integer below 2^52 or runs past the end. */
  private long(): number {
    const buf = this.buf
    let pos = this.pos
    if (pos >= this.end) return NaN
    let b = buf[pos++]!
    if (b < 0x80) {
      this.pos = pos
      return (b >>> 1) ^ -(b & 1)
    }
    let raw = b & 0x7f
    let mul = 128
    for (let i = 1; i < 8; i++) {
      if (pos >= this.end) return NaN
      b = buf[pos++]!
      raw += (b & 0x7f) * mul
      if (b < 0x80) {
        this.pos = pos
        if (raw >= 2 ** 53) return NaN
        return raw % 2 === 1 ? -(raw + 1) / 2 : raw / 2
      }
      mul *= 128
    }
    return NaN
  }

  /**
   * A string: its first byte's offset (its end is then this.pos), or BAIL when it does not fit. Its
   * UTF-8 is checked by write(), as it copies it (`invalid`).
   */
  private str(): number {
    const len = this.long()
    if (!(len >= 0) || this.pos + len > this.end) return BAIL
    const start = this.pos
    this.pos += len
    return start
  }

  /** Union [null, x]: 0 null, 1 x, BAIL otherwise. */
  private branch(): number {
    if (this.pos >= this.end) return BAIL
    const b = this.buf[this.pos++]!
    return b === 0 ? 0 : b === 2 ? 1 : BAIL
  }

  private double(): number {
    if (this.pos + 8 > this.end) return BAIL
    const at = this.pos
    this.pos += 8
    return at
  }

  private bool(): number {
    if (this.pos >= this.end) return BAIL
    const b = this.buf[this.pos++]!
    return b <= 1 ? b : BAIL
  }

  /** Reads and checks the record; the number of score entries, or BAIL. */
  private read(): number {
    const f = this.f
    const buf = this.buf
    // event_id: a UUID (UUID_RE of the contract).
    let s = this.str()
    if (s < 0 || this.pos - s !== 36) return BAIL
    for (let i = 0; i < 36; i++) {
      const c = buf[s + i]!
      if (i === 8 || i === 13 || i === 18 || i === 23 ? c !== 45 : HEX[c]! < 0) return BAIL
    }
    f.s[0] = s
    // app_name, environment, provider_name, operation_name, request_model.
    const max = [128, 64, 64, 64, 128]
    for (let k = 1; k <= 5; k++) {
      s = this.str()
      if (s < 0 || !lengthIn(buf, s, this.pos, 1, max[k - 1]!)) return BAIL
      f.s[k] = s
      f.e[k] = this.pos
    }
    // response_model, prompt_template_id, prompt_template_version, trace_id, session_id, user_id_hash: null or <= 512.
    for (let k = 6; k <= 11; k++) {
      const b = this.branch()
      if (b < 0) return BAIL
      if (b === 0) f.s[k] = -1
      else {
        s = this.str()
        if (s < 0 || !lengthIn(buf, s, this.pos, 0, 512)) return BAIL
        f.s[k] = s
        f.e[k] = this.pos
      }
    }
    for (let k = 0; k < 3; k++) {
      const t = this.long()
      if (Number.isNaN(t)) return BAIL
      this.times[k] = t
    }
    this.endTime = this.times[1]!
    this.latencyAt = this.double()
    if (this.latencyAt < 0 || !finiteNonNeg(buf.readDoubleLE(this.latencyAt))) return BAIL
    let b = this.branch()
    if (b < 0) return BAIL
    this.ttftAt = b === 0 ? -1 : this.double()
    if (b === 1 && (this.ttftAt < 0 || !finiteNonNeg(buf.readDoubleLE(this.ttftAt)))) return BAIL
    for (let k = 0; k < 3; k++) {
      const t = this.long()
      if (!(t >= 0)) return BAIL
      this.tokens[k] = t
    }
    b = this.branch()
    if (b < 0) return BAIL
    this.costAt = b === 0 ? -1 : this.double()
    if (b === 1 && (this.costAt < 0 || !finiteNonNeg(buf.readDoubleLE(this.costAt)))) return BAIL
    const hit = this.bool()
    if (hit < 0) return BAIL
    this.cacheHit = hit
    // status: 'ok' | 'error'.
    s = this.str()
    if (s < 0) return BAIL
    const st = oneOf(buf, s, this.pos, ['ok', 'error'])
    if (st < 0) return BAIL
    this.status = st
    // error_type: slot 12.
    b = this.branch()
    if (b < 0) return BAIL
    if (b === 0) f.s[12] = -1
    else {
      s = this.str()
      if (s < 0 || !lengthIn(buf, s, this.pos, 0, 512)) return BAIL
      f.s[12] = s
      f.e[12] = this.pos
    }
    // text_mode: its index in slot 14.
    s = this.str()
    if (s < 0) return BAIL
    const tm = oneOf(buf, s, this.pos, TEXT_MODES)
    if (tm < 0) return BAIL
    f.s[14] = tm
    // prompt_text, response_text: slots 15, 16 (the contract sets no length on them).
    for (let k = 15; k <= 16; k++) {
      b = this.branch()
      if (b < 0) return BAIL
      if (b === 0) f.s[k] = -1
      else {
        s = this.str()
        if (s < 0) return BAIL
        f.s[k] = s
        f.e[k] = this.pos
      }
    }
    // scores: blocks of entries.
    let n = 0
    for (;;) {
      let count = this.long()
      if (Number.isNaN(count)) return BAIL
      if (count === 0) break
      if (count < 0) {
        count = -count
        // The block's size in bytes: unused, but it must fit (shared/avro-guard.ts refuses it otherwise).
        const size = this.long()
        if (!(size >= 0) || this.pos + size > this.end) return BAIL
      }
      if (n + count > MAX_ENTRIES) return BAIL
      for (let i = 0; i < count; i++, n++) {
        s = this.str()
        if (s < 0 || !lengthIn(buf, s, this.pos, 1, 64)) return BAIL
        f.nameS[n] = s
        f.nameE[n] = this.pos
        s = this.str()
        if (s < 0) return BAIL
        const t = oneOf(buf, s, this.pos, TARGETS)
        if (t < 0) return BAIL
        f.target[n] = t
        s = this.str()
        if (s < 0 || !lengthIn(buf, s, this.pos, 1, 32)) return BAIL
        f.verS[n] = s
        f.verE[n] = this.pos
        s = this.str()
        if (s < 0) return BAIL
        const es = oneOf(buf, s, this.pos, STATUSES)
        if (es < 0) return BAIL
        f.status[n] = es
        b = this.branch()
        if (b < 0) return BAIL
        if (b === 0) f.value[n] = -1
        else {
          const at = this.double()
          if (at < 0 || !Number.isFinite(buf.readDoubleLE(at))) return BAIL
          f.value[n] = at
        }
        s = this.str()
        if (s < 0 || !lengthIn(buf, s, this.pos, 0, 128)) return BAIL
        f.labelS[n] = s
        f.labelE[n] = this.pos
        const fl = this.bool()
        if (fl < 0) return BAIL
        f.flagged[n] = fl
        s = this.str()
        if (s < 0 || !lengthIn(buf, s, this.pos, 0, 64 * 1024)) return BAIL
        f.detS[n] = s
        f.detE[n] = this.pos
      }
    }
    if (this.pos !== this.end) return BAIL // trailing data: avsc refuses it
    // Slot 0's end: the UUID (36 bytes).
    f.e[0] = f.s[0]! + 36
    return n
  }

  /** Room for `n` more bytes in the slab. */
  private room(n: number): void {
    if (this.at + n <= this.slab.length) return
    this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB, n))
    this.at = 0
  }

  /** Writes the row (COMPACT_COLUMNS order) and returns its bytes (a slice of the slab), or null. */
  private write(n: number, mode: TextMode, src: Source): Buffer | null {
    const f = this.f
    const buf = this.buf
    if (src.topic !== this.topic) {
      this.topic = src.topic
      this.topicBytes = Buffer.from(src.topic, 'utf8')
      // A lone surrogate: the reference encoder refuses it (topic names are ASCII in practice).
      if (!(src.topic as string & { isWellFormed(): boolean }).isWellFormed()) {
        this.topic = ''
        return null
      }
    }
    // At most: every Avro string grows by nothing (LEB128 <= zigzag), longs to 8 bytes, keys and
    // names repeated per entry; 4 times the record plus the topic is more than enough.
    this.room(4 * this.end + 4096 + this.topicBytes.length)
    const out = this.slab
    const start = this.at
    let p = start
    invalid = false
    // event_id: ClickHouse's UUID, two UInt64 LE.
    {
      const s = f.s[0]!
      let i = s
      for (let half = 0; half < 2; half++) {
        const base = p + half * 8 + 7
        for (let k = 0; k < 8; k++) {
          if (buf[i] === 45) i++
          out[base - k] = (HEX[buf[i]!]! << 4) | HEX[buf[i + 1]!]!
          i += 2
        }
      }
      p += 16
    }
    for (let k = 0; k < 3; k++) p = int64(out, p, this.times[k]!)
    // app_name .. user_id_hash (slots 1..11).
    for (let k = 1; k <= 11; k++) p = f.s[k]! < 0 ? zero(out, p) : copy(buf, f.s[k]!, f.e[k]!, out, p)
    p = copyBytes(buf, this.latencyAt, 8, out, p)
    p = nullableDouble(buf, this.ttftAt, out, p)
    for (let k = 0; k < 3; k++) p = uint64(out, p, this.tokens[k]!)
    p = nullableDouble(buf, this.costAt, out, p)
    p = ascii(out, p, this.status === 0 ? 'ok' : 'error')
    p = f.s[12]! < 0 ? zero(out, p) : copy(buf, f.s[12]!, f.e[12]!, out, p)
    out[p++] = this.cacheHit
    p = ascii(out, p, mode)
    for (let k = 15; k <= 16; k++) {
      if (f.s[k]! < 0) p = zero(out, p)
      else if (mode !== 'none') p = copy(buf, f.s[k]!, f.e[k]!, out, p)
      else {
        p = zero(out, p)
        check(buf, f.s[k]!, f.e[k]!) // not stored, but the reference path refuses it all the same
      }
    }
    // Entries: the first of each key (scoredUnit keeps the first), compared as bytes.
    const keep = f.keep
    let kept = 0
    let flaggedNames: string[] | null = null
    for (let i = 0; i < n; i++) {
      const s = f.nameS[i]!
      const len = f.nameE[i]! - s
      const t = f.target[i]!
      let seen = false
      for (let k = 0; k < kept && !seen; k++) {
        const j = keep[k]!
        seen = f.target[j] === t && f.nameE[j]! - f.nameS[j]! === len && buf.compare(buf, s, s + len, f.nameS[j]!, f.nameE[j]!) === 0
      }
      if (seen) {
        // Not stored, but the reference path checks its strings all the same.
        check(buf, f.verS[i]!, f.verE[i]!)
        check(buf, f.labelS[i]!, f.labelE[i]!)
        check(buf, f.detS[i]!, f.detE[i]!)
        continue
      }
      keep[kept++] = i
      if (f.flagged[i]) {
        const name = buf.toString('utf8', s, s + len)
        if (!(flaggedNames ??= []).includes(name)) flaggedNames.push(name)
      }
    }
    if (flaggedNames === null) out[p++] = 0
    else {
      flaggedNames.sort()
      p = leb(out, p, flaggedNames.length)
      for (const name of flaggedNames) p = utf8Str(out, p, name)
    }
    // scores: Map(key, Nullable(Float64)).
    p = leb(out, p, kept)
    for (let k = 0; k < kept; k++) {
      const i = keep[k]!
      p = key(buf, f.nameS[i]!, f.nameE[i]!, f.target[i]!, out, p)
      p = nullableDouble(buf, f.value[i]!, out, p)
    }
    let flags = 0
    for (let k = 0; k < kept; k++) flags += f.flagged[keep[k]!]!
    p = leb(out, p, flags)
    for (let k = 0; k < kept; k++) if (f.flagged[keep[k]!]) p = key(buf, f.nameS[keep[k]!]!, f.nameE[keep[k]!]!, f.target[keep[k]!]!, out, p)
    p = leb(out, p, kept)
    for (let k = 0; k < kept; k++) p = copy(buf, f.verS[keep[k]!]!, f.verE[keep[k]!]!, out, p)
    p = leb(out, p, kept)
    for (let k = 0; k < kept; k++) p = ascii(out, p, STATUSES[f.status[keep[k]!]!]!)
    p = leb(out, p, kept)
    for (let k = 0; k < kept; k++) p = copy(buf, f.labelS[keep[k]!]!, f.labelE[keep[k]!]!, out, p)
    p = leb(out, p, kept)
    for (let k = 0; k < kept; k++) {
      const i = keep[k]!
      if (mode !== 'none') p = copy(buf, f.detS[i]!, f.detE[i]!, out, p)
      else {
        p = ascii(out, p, '{}')
        check(buf, f.detS[i]!, f.detE[i]!)
      }
    }
    // _topic, _partition, _offset.
    p = leb(out, p, this.topicBytes.length)
    p += this.topicBytes.copy(out, p)
    if (!Number.isInteger(src.partition) || src.partition < 0 || src.partition > 0xffff_ffff) return null
    out.writeUInt32LE(src.partition, p)
    p += 4
    const off = src.offset
    if (!/^\d{1,15}$/.test(off)) return null
    p = uint64(out, p, Number(off))
    if (invalid) return null // a string is not valid UTF-8
    this.at = p
    return out.subarray(start, p)
  }
}

const finiteNonNeg = (x: number): boolean => Number.isFinite(x) && x >= 0

/** Set by copy() and check() on a string that is not valid UTF-8; write() gives null then. */
let invalid = false

const view = (buf: Buffer, s: number, e: number): Uint8Array => new Uint8Array(buf.buffer, buf.byteOffset + s, e - s)

/** Checks that bytes [s, e) are valid UTF-8 (`invalid`). */
function check(buf: Buffer, s: number, e: number): void {
  if (!isUtf8(view(buf, s, e))) invalid = true
}

/** Whether the valid UTF-8 [s, e) is between min and max UTF-16 units long (the contract counts units). */
function lengthIn(buf: Buffer, s: number, e: number, min: number, max: number): boolean {
  const bytes = e - s
  if (bytes < min) return false // units <= bytes
  if (bytes <= max) return true
  const n = units(buf, s, e)
  return n >= min && n <= max
}

/** The index of the ASCII word [s, e) in `words`, or -1. */
function oneOf(buf: Buffer, s: number, e: number, words: readonly string[]): number {
  next: for (let w = 0; w < words.length; w++) {
    const word = words[w]!
    if (word.length !== e - s) continue
    for (let i = 0; i < word.length; i++) if (buf[s + i] !== word.charCodeAt(i)) continue next
    return w
  }
  return -1
}

function leb(out: Buffer, p: number, n: number): number {
  while (n >= 0x80) {
    out[p++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  out[p++] = n
  return p
}

const zero = (out: Buffer, p: number): number => {
  out[p] = 0
  return p + 1
}

function copyBytes(buf: Buffer, s: number, n: number, out: Buffer, p: number): number {
  for (let i = 0; i < n; i++) out[p + i] = buf[s + i]!
  return p + n
}

/** UTF-16 units of the valid UTF-8 [s, e). */
function units(buf: Buffer, s: number, e: number): number {
  let n = 0
  for (let i = s; i < e; i++) {
    const b = buf[i]!
    if ((b & 0xc0) !== 0x80) n += b >= 0xf0 ? 2 : 1
  }
  return n
}

/**
 * A string's length as rowbinary.ts writes it: a string of 43 to 4,095 UTF-16 units gets two
 * length bytes even when one would do (its encoder reserves them before it knows the UTF-8 length),
 * ClickHouse reads both forms alike. Only a length below 128 can differ from plain LEB128.
 */
function length(out: Buffer, p: number, bytes: number, units: number): number {
  if (bytes < 0x80 && units * 3 >= 0x80) {
    out[p] = bytes | 0x80
    out[p + 1] = 0
    return p + 2
  }
  return leb(out, p, bytes)
}

/**
 * A string from bytes [s, e) of the record, then the ASCII `suffix`: its length (as `length`
 * writes it) and its bytes, checked as UTF-8 as they are copied (`invalid`).
 */
function copyStr(buf: Buffer, s: number, e: number, out: Buffer, p: number, suffix: string): number {
  const bytes = e - s
  const n = bytes + suffix.length
  if (n >= 0x80) {
    const v = view(buf, s, e)
    if (!isUtf8(v)) invalid = true
    p = leb(out, p, n)
    out.set(v, p)
    p += bytes
  } else {
    // Copied where the bytes go if the string is ASCII (units = bytes), checked on the way.
    const q = p + (n < 43 ? 1 : 2)
    let or = 0
    for (let i = 0; i < bytes; i++) {
      const b = buf[s + i]!
      or |= b
      out[q + i] = b
    }
    let two = n >= 43
    if (or >= 0x80) {
      if (!isUtf8(view(buf, s, e))) invalid = true
      else if (two && (units(buf, s, e) + suffix.length) * 3 < 0x80) {
        out.copyWithin(p + 1, q, q + bytes)
        two = false
      }
    }
    if (two) {
      out[p] = n | 0x80
      out[p + 1] = 0
      p += 2
    } else out[p++] = n
    p += bytes
  }
  for (let i = 0; i < suffix.length; i++) out[p++] = suffix.charCodeAt(i)
  return p
}

/** A string: its length, then its bytes. */
const copy = (buf: Buffer, s: number, e: number, out: Buffer, p: number): number => copyStr(buf, s, e, out, p, '')

const SUFFIXES = TARGETS.map((t) => `:${t}`)

/** A map key `name:target` from the name's bytes. */
const key = (buf: Buffer, s: number, e: number, target: number, out: Buffer, p: number): number => copyStr(buf, s, e, out, p, SUFFIXES[target]!)

function ascii(out: Buffer, p: number, s: string): number {
  out[p++] = s.length
  for (let i = 0; i < s.length; i++) out[p++] = s.charCodeAt(i)
  return p
}

function utf8Str(out: Buffer, p: number, s: string): number {
  const n = Buffer.byteLength(s)
  p = length(out, p, n, s.length)
  return p + out.write(s, p)
}

function nullableDouble(buf: Buffer, at: number, out: Buffer, p: number): number {
  if (at < 0) {
    out[p] = 1
    return p + 1
  }
  out[p++] = 0
  return copyBytes(buf, at, 8, out, p)
}

/** DateTime64(3): Int64 LE, as rowbinary.ts writes it. */
function int64(out: Buffer, p: number, v: number): number {
  out.writeInt32LE(v % 0x1_0000_0000 | 0, p)
  out.writeInt32LE(Math.floor(v / 0x1_0000_0000), p + 4)
  return p + 8
}

function uint64(out: Buffer, p: number, v: number): number {
  out.writeUInt32LE(v % 0x1_0000_0000, p)
  out.writeUInt32LE(Math.floor(v / 0x1_0000_0000), p + 4)
  return p + 8
}
