/**
 * The wire codec. Avro in Confluent Schema Registry framing (magic byte 0, big-endian int32 schema id,
 * Avro binary) so standard Avro serializers interoperate; JSON accepted too, told apart by the
 * `content-type: application/json` header or a leading `{`. Every decoded record is validated with
 * the zod contract. Expected failures are data (`DecodeResult`), never exceptions.
 *
 * Schema ids come from schemas/registry.json, or, where SCHEMA_REGISTRY_URL is set, from a
 * Confluent-compatible schema registry (shared/schema-registry.ts builds that codec: `registry` ids,
 * writer schemas it `learn`s, unknown ids looked up by `resolveUnknownIds`). A reader resolves any
 * registered writer version of its record to the newest version it knows (Avro schema resolution), so
 * old and new producers and consumers interoperate while fields are added with defaults.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import avro from 'avsc'
import type { z } from 'zod'
import { checkAvroBounds } from './avro-guard.js'
import { jsonTimesToEpochMs, LIMITS, LlmInteractionSchema, ScoreEntrySchema, ScoredInteractionSchema, TOPICS, type LlmInteraction, type RecordName, type RecordOf, type ScoredInteraction } from './contract.js'
import { SCHEMAS_DIR } from './paths.js'

type AvroType = avro.Type
/** Plain objects for records (no prototype methods), so strict validation sees only the fields. */
export const avroOpts = (): Partial<avro.ForSchemaOptions> => ({ omitRecordMethods: true }) // fresh object: avsc stores its registry in it
export const MAGIC_BYTE = 0
export const JSON_CONTENT_TYPE = 'application/json'

export type DecodeErrorCode =
  | 'DECODE_EMPTY'
  | 'DECODE_TOO_LARGE'
  | 'DECODE_UNKNOWN_FORMAT'
  | 'DECODE_UNKNOWN_SCHEMA_ID'
  | 'DECODE_SCHEMA_MISMATCH'
  | 'DECODE_AVRO'
  | 'DECODE_JSON'
  | 'DECODE_INVALID_UTF8'
  | 'VALIDATION'

/**
 * Fields a consumer does not read, by record name (without namespace): decoding skips their bytes
 * (Avro schema resolution against a reader schema without them) and sets them to their schema
 * default, so the value keeps its type. Only the remaining fields are checked by the contract.
 */
export type SkipFields = Readonly<Record<string, readonly string[]>>

interface Projection {
  type: AvroType
  resolvers: Map<number, avro.Resolver>
  fill: (v: unknown) => void
}

export type DecodeResult<T> =
  | { ok: true; value: T; format: 'avro' | 'json'; schemaId: number | null }
  | { ok: false; code: DecodeErrorCode; reason: string }

interface RegistryFile {
  subjects: Record<string, { version: number; id: number; file: string }[]>
}

interface SchemaEntry {
  id: number
  subject: string
  version: number
  record: RecordName
  type: AvroType
}

const RECORD_SCHEMAS = Object.fromEntries(
  Object.values(TOPICS)
    .filter((t) => t.record !== null)
    .map((t) => [t.record, t.schema]),
) as unknown as Record<RecordName, z.ZodType>

export interface CodecOptions {
  /** Directory holding registry.json and the .avsc files. */
  schemasDir?: string
  /** Largest accepted payload in bytes. */
  maxBytes?: number
  /** Check Avro-typed LlmInteractions without zod (default true; false: zod for everything, the reference). */
  fastValidation?: boolean
  /**
   * Registry mode: the schema registry's id for each record's newest local schema, used instead of
   * registry.json's fixed ids (which are then not known at all: they mean nothing to a registry).
   */
  registry?: { ids: Record<RecordName, number> }
}

/** The local schemas: one per subject and version, from registry.json and the .avsc files. */
export function readLocalSchemas(dir: string = SCHEMAS_DIR): { subject: string; version: number; id: number; text: string; schema: { name: string } }[] {
  const reg = JSON.parse(readFileSync(path.join(dir, 'registry.json'), 'utf8')) as RegistryFile
  return Object.entries(reg.subjects).flatMap(([subject, versions]) =>
    versions.map((v) => {
      const text = readFileSync(path.join(dir, v.file), 'utf8')
      return { subject, version: v.version, id: v.id, text, schema: JSON.parse(text) as { name: string } }
    }),
  )
}

export class Codec {
  private readonly byId = new Map<number, SchemaEntry>()
  /** Newest version per record: the reader schema and the id new messages are written with. */
  private readonly latest = new Map<RecordName, SchemaEntry>()
  private readonly resolvers = new Map<string, avro.Resolver>()
  /** Per SkipFields object (callers pass a constant) and reader schema id. */
  private readonly projections = new WeakMap<SkipFields, Map<number, Projection>>()
  /** Largest accepted payload in bytes. */
  readonly maxBytes: number
  /** Whether Avro-decoded LlmInteractions are checked by `withinInteractionContract` instead of zod. */
  private readonly fastInteractions: boolean
  /** The same for ScoredInteractions (`withinScoredContract`). */
  private readonly fastScored: boolean
  /**
   * Encoding scratch, reused: avsc's `toBuffer` writes into a 1 KB buffer and, for any larger record
   * (most of ours), writes the whole record a second time.
   */
  private scratch = Buffer.allocUnsafeSlow(64 * 1024)
  /** Registry mode: fetches unknown schema ids and `learn`s them (shared/schema-registry.ts). */
  private lookup: ((ids: number[]) => Promise<void>) | null = null

  constructor(entries: SchemaEntry[], opts: Omit<CodecOptions, 'schemasDir'> = {}) {
    this.maxBytes = opts.maxBytes ?? LIMITS.maxEventBytes
    for (const e of entries) {
      if (this.byId.has(e.id)) throw new Error(`schema id ${e.id} is registered twice`)
      this.byId.set(e.id, e)
      const cur = this.latest.get(e.record)
      if (!cur || e.version > cur.version) this.latest.set(e.record, e)
    }
    // The shortcut relies on the reader record having exactly the contract's fields (no drift).
    const fieldsOf = (t: AvroType | undefined): string | undefined => (t as avro.types.RecordType | undefined)?.fields.map((f) => f.name).join(',')
    const fast = opts.fastValidation ?? true
    this.fastInteractions = fast && fieldsOf(this.latest.get('LlmInteraction')?.type) === Object.keys(LlmInteractionSchema.shape).join(',')
    const scored = this.latest.get('ScoredInteraction')?.type as avro.types.RecordType | undefined
    const entry = scored?.fields.find((f) => f.name === 'scores')?.type as avro.types.ArrayType | undefined
    this.fastScored =
      fast && fieldsOf(scored) === Object.keys(ScoredInteractionSchema.shape).join(',') && fieldsOf(entry?.itemsType) === Object.keys(ScoreEntrySchema.shape).join(',')
  }

  /** Loads schemas/registry.json (cached per directory). */
  static load(opts: CodecOptions = {}): Codec {
    let entries: SchemaEntry[] = readLocalSchemas(opts.schemasDir).map((v) => ({
      id: v.id, subject: v.subject, version: v.version, record: v.schema.name as RecordName, type: avro.Type.forSchema(v.schema as avro.Schema, avroOpts()),
    }))
    const ids = opts.registry?.ids
    if (ids) {
      // Only each record's newest schema, under the registry's id.
      entries = entries.filter((e) => !entries.some((o) => o.record === e.record && o.version > e.version)).map((e) => ({ ...e, id: ids[e.record] }))
    }
    return new Codec(entries, { ...(opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes }), ...(opts.fastValidation === undefined ? {} : { fastValidation: opts.fastValidation }) })
  }

  /**
   * Adds a writer schema by id (registry mode: a schema the registry holds for one of our subjects).
   * A schema of another record is kept too, so decoding reports the mismatch. Known ids are ignored.
   */
  learn(id: number, schema: avro.Schema): void {
    if (this.byId.has(id)) return
    const type = avro.Type.forSchema(schema, avroOpts())
    const record = shortName((type as avro.types.RecordType).name ?? type.typeName) as RecordName
    this.byId.set(id, { id, subject: '(registry)', version: 0, record, type })
  }

  knowsSchemaId(id: number): boolean {
    return this.byId.has(id)
  }

  /** Registry mode: how unknown schema ids are looked up (they are then `learn`ed). */
  setLookup(lookup: (ids: number[]) => Promise<void>): void {
    this.lookup = lookup
  }

  /**
   * Registry mode: looks up the schema ids of these Confluent-framed values the codec does not know,
   * so `decode` can read them. Rejects when the registry cannot answer (retry later); an id the
   * registry does not have stays unknown (decode says DECODE_UNKNOWN_SCHEMA_ID). No-op otherwise.
   */
  async resolveUnknownIds(values: readonly (Buffer | null | undefined)[]): Promise<void> {
    const unknown = this.unknownIds(values)
    if (unknown) await this.lookup!([...unknown])
  }

  /** Whether unknown schema ids are looked up at all (registry mode): else `needsLookup` is always false. */
  looksUpIds(): boolean {
    return this.lookup !== null
  }

  /** Whether `resolveUnknownIds` has anything to look up (a registry, and an id not known yet). */
  needsLookup(values: readonly (Buffer | null | undefined)[]): boolean {
    return this.unknownIds(values) !== null
  }

  private unknownIds(values: readonly (Buffer | null | undefined)[]): Set<number> | null {
    if (!this.lookup) return null
    let unknown: Set<number> | null = null
    for (const v of values) {
      if (!v || v.length < 5 || v[0] !== MAGIC_BYTE) continue
      const id = v.readInt32BE(1)
      if (!this.byId.has(id)) (unknown ??= new Set()).add(id)
    }
    return unknown
  }

  /** The Avro type new messages of `record` are written with. */
  typeOf(record: RecordName): AvroType {
    return this.entry(record).type
  }

  schemaIdOf(record: RecordName): number {
    return this.entry(record).id
  }

  /** Avro binary in Confluent framing. Throws on a value that does not fit the schema (a bug, not input). */
  encode<R extends RecordName>(record: R, value: RecordOf<R>, schemaId?: number): Buffer {
    const view = this.encodeView(record, value, schemaId)
    const out = Buffer.allocUnsafe(view.length)
    view.copy(out)
    return out
  }

  /**
   * Like `encode`, but the bytes are a view of the codec's scratch buffer, valid only until its next
   * encode: for callers that copy them anyway (a worker packing a batch into one transfer).
   */
  encodeView<R extends RecordName>(record: R, value: RecordOf<R>, schemaId?: number): Buffer {
    const entry = schemaId === undefined ? this.entry(record) : this.byId.get(schemaId)
    if (!entry) throw new Error(`unknown schema id ${schemaId}`)
    let end = entry.type.encode(value, this.scratch, 5)
    if (end < 0) {
      // avsc returns minus the missing byte count: grow once and write again.
      this.scratch = Buffer.allocUnsafeSlow(Math.max(2 * this.scratch.length, this.scratch.length - end + 1024))
      end = entry.type.encode(value, this.scratch, 5)
    }
    this.scratch[0] = MAGIC_BYTE
    this.scratch.writeInt32BE(entry.id, 1)
    return this.scratch.subarray(0, end)
  }

  encodeJson(value: unknown): Buffer {
    return Buffer.from(JSON.stringify(value), 'utf8')
  }

  /** Decodes and validates; never throws. `skip`: fields the caller does not read (see SkipFields). */
  decode<R extends RecordName>(record: R, buf: Buffer | null | undefined, headers?: Record<string, unknown>, skip?: SkipFields): DecodeResult<RecordOf<R>> {
    if (!buf || buf.length === 0) return { ok: false, code: 'DECODE_EMPTY', reason: 'empty message value' }
    if (buf.length > this.maxBytes) {
      return { ok: false, code: 'DECODE_TOO_LARGE', reason: `message is ${buf.length} bytes; the limit is ${this.maxBytes}` }
    }
    const contentType = headerString(headers?.['content-type'])
    if (contentType?.startsWith(JSON_CONTENT_TYPE) || (contentType === undefined && buf[0] === 0x7b)) {
      return this.decodeJson(record, buf)
    }
    if (buf[0] !== MAGIC_BYTE || buf.length < 5) {
      return { ok: false, code: 'DECODE_UNKNOWN_FORMAT', reason: `neither Confluent-framed Avro (magic byte 0) nor JSON: first byte 0x${buf[0]!.toString(16).padStart(2, '0')}` }
    }
    const id = buf.readInt32BE(1)
    const writer = this.byId.get(id)
    if (!writer) return { ok: false, code: 'DECODE_UNKNOWN_SCHEMA_ID', reason: `unknown schema id ${id}` }
    const reader = this.entry(record)
    if (writer.record !== reader.record) {
      return { ok: false, code: 'DECODE_SCHEMA_MISMATCH', reason: `schema id ${id} is a ${writer.record}, expected ${reader.record}` }
    }
    // Lengths and counts in the data must fit in the bytes (avsc would allocate whatever they say).
    const bounds = checkAvroBounds(writer.type, buf, 5)
    if (!bounds.ok) return { ok: false, code: 'DECODE_AVRO', reason: `Avro data does not fit schema id ${id}: ${bounds.reason}` }
    if (skip !== undefined) {
      const projected = this.decodeProjected(record, reader, writer, buf, skip)
      // Anything unusual (invalid UTF-8, a broken rule) takes the full path, which gives the reason.
      if (projected !== null) return projected
    }
    let value: unknown
    try {
      const body = buf.subarray(5)
      if (writer.id === reader.id) value = reader.type.fromBuffer(body)
      else value = reader.type.fromBuffer(body, this.resolver(reader, writer), true)
    } catch (err) {
      return { ok: false, code: 'DECODE_AVRO', reason: `Avro decode failed with schema id ${id}: ${(err as Error).message}` }
    }
    // Avro strings decode invalid UTF-8 to U+FFFD silently; catch that without a full scan in the common case.
    if (scanFor(reader.type)(value) && writer.type.toBuffer(value).length !== buf.length - 5) {
      return { ok: false, code: 'DECODE_INVALID_UTF8', reason: 'a string field is not valid UTF-8' }
    }
    if (record === 'LlmInteraction' && this.fastInteractions && withinInteractionContract(value as LlmInteraction, Date.now())) {
      return { ok: true, value: value as RecordOf<R>, format: 'avro', schemaId: id }
    }
    if (record === 'ScoredInteraction' && this.fastScored && withinScoredContract(value as ScoredInteraction)) {
      return { ok: true, value: value as RecordOf<R>, format: 'avro', schemaId: id }
    }
    return this.validate(record, value, 'avro', id)
  }

  /** The projected decode of bounds-checked Avro; null when the full path must decide. */
  private decodeProjected<R extends RecordName>(record: R, reader: SchemaEntry, writer: SchemaEntry, buf: Buffer, skip: SkipFields): DecodeResult<RecordOf<R>> | null {
    const p = this.projection(reader, skip)
    let resolver = p.resolvers.get(writer.id)
    if (!resolver) {
      resolver = p.type.createResolver(writer.type)
      p.resolvers.set(writer.id, resolver)
    }
    let value: unknown
    try {
      value = p.type.fromBuffer(buf.subarray(5), resolver, false)
    } catch {
      return null
    }
    if (scanFor(p.type)(value)) return null
    p.fill(value)
    const ok =
      record === 'ScoredInteraction' && this.fastScored
        ? withinScoredContract(value as ScoredInteraction)
        : record === 'LlmInteraction' && this.fastInteractions
          ? withinInteractionContract(value as LlmInteraction, Date.now())
          : RECORD_SCHEMAS[record].safeParse(value).success
    return ok ? { ok: true, value: value as RecordOf<R>, format: 'avro', schemaId: writer.id } : null
  }

  private projection(reader: SchemaEntry, skip: SkipFields): Projection {
    let byReader = this.projections.get(skip)
    if (!byReader) {
      byReader = new Map()
      this.projections.set(skip, byReader)
    }
    let p = byReader.get(reader.id)
    if (!p) {
      const full = reader.type.schema() as avro.Schema
      const type = avro.Type.forSchema(withoutFields(full, skip), avroOpts())
      p = { type, resolvers: new Map(), fill: compileFill(reader.type, skip) ?? (() => {}) }
      byReader.set(reader.id, p)
    }
    return p
  }

  private decodeJson<R extends RecordName>(record: R, buf: Buffer): DecodeResult<RecordOf<R>> {
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf)
    } catch {
      return { ok: false, code: 'DECODE_INVALID_UTF8', reason: 'JSON payload is not valid UTF-8' }
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      return { ok: false, code: 'DECODE_JSON', reason: `invalid JSON: ${(err as Error).message}` }
    }
    // JSON may carry an interaction's times as RFC 3339 strings; the contract holds epoch ms.
    if (record === 'LlmInteraction') {
      const issues = jsonTimesToEpochMs(value)
      if (issues.length > 0) return { ok: false, code: 'VALIDATION', reason: `invalid ${record}: ${issues.join('; ')}` }
    }
    return this.validate(record, value, 'json', null)
  }

  private validate<R extends RecordName>(record: R, value: unknown, format: 'avro' | 'json', schemaId: number | null): DecodeResult<RecordOf<R>> {
    const parsed = RECORD_SCHEMAS[record].safeParse(value)
    if (parsed.success) return { ok: true, value: parsed.data as RecordOf<R>, format, schemaId }
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    return { ok: false, code: 'VALIDATION', reason: `invalid ${record}: ${issues.join('; ')}` }
  }

  private entry(record: RecordName): SchemaEntry {
    const e = this.latest.get(record)
    if (!e) throw new Error(`no schema registered for record ${record}`)
    return e
  }

  private resolver(reader: SchemaEntry, writer: SchemaEntry): avro.Resolver {
    const key = `${reader.id}:${writer.id}`
    let r = this.resolvers.get(key)
    if (!r) {
      r = reader.type.createResolver(writer.type)
      this.resolvers.set(key, r)
    }
    return r
  }
}

function headerString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  if (Buffer.isBuffer(v)) return v.toString('utf8').toLowerCase()
  if (Array.isArray(v)) return headerString(v[0])
  return String(v).toLowerCase()
}

function containsReplacementChar(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\uFFFD')
  if (Array.isArray(v)) return v.some(containsReplacementChar)
  if (v !== null && typeof v === 'object') return Object.values(v).some(containsReplacementChar)
  return false
}

const shortName = (name: string | undefined): string => (name ?? '').split('.').pop() ?? ''

/** The schema (JSON) without the skipped fields. */
function withoutFields(schema: unknown, skip: SkipFields): avro.Schema {
  const strip = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(strip)
    if (s === null || typeof s !== 'object') return s
    const o = { ...(s as Record<string, unknown>) }
    if (o.type === 'record' || o.type === 'error') {
      const gone = skip[shortName(o.name as string)] ?? []
      o.fields = (o.fields as { name: string; type: unknown }[]).filter((f) => !gone.includes(f.name)).map((f) => ({ ...f, type: strip(f.type) }))
    } else if (o.type === 'array') o.items = strip(o.items)
    else if (o.type === 'map') o.values = strip(o.values)
    return o
  }
  return strip(schema) as avro.Schema
}

/** Sets the skipped fields of a projected value to their defaults (compiled against the full type). */
function compileFill(t: AvroType, skip: SkipFields): ((v: unknown) => void) | null {
  const name = t.typeName
  if (name === 'record' || name === 'error') {
    const rec = t as avro.types.RecordType
    const gone = skip[shortName(rec.name)] ?? []
    const defaults = rec.fields.filter((f) => gone.includes(f.name)).map((f) => [f.name, f.defaultValue()] as const)
    const children: [string, (v: unknown) => void][] = []
    for (const f of rec.fields) {
      if (gone.includes(f.name)) continue
      const fill = compileFill(f.type, skip)
      if (fill) children.push([f.name, fill])
    }
    if (defaults.length === 0 && children.length === 0) return null
    return (v) => {
      const r = v as Record<string, unknown>
      for (const [k, d] of defaults) r[k] = d !== null && typeof d === 'object' ? structuredClone(d) : d
      for (const [k, fill] of children) fill(r[k])
    }
  }
  if (name === 'array') {
    const item = compileFill((t as avro.types.ArrayType).itemsType, skip)
    return item && ((v) => (v as unknown[]).forEach(item))
  }
  if (name === 'map') {
    const value = compileFill((t as avro.types.MapType).valuesType, skip)
    return value && ((v) => Object.values(v as Record<string, unknown>).forEach(value))
  }
  if (name.startsWith('union')) {
    const fills = (t as avro.types.UnwrappedUnionType).types.map((b) => compileFill(b, skip)).filter((f) => f !== null)
    if (fills.length === 0) return null
    if (fills.length > 1 || name !== 'union:unwrapped') throw new Error('SkipFields: unions of several records are not supported')
    const fill = fills[0]!
    return (v) => {
      if (v !== null && typeof v === 'object') fill(v)
    }
  }
  return null
}

type Scan = (v: unknown) => boolean
const hasReplacement: Scan = (v) => typeof v === 'string' && v.includes('\uFFFD')

/**
 * `containsReplacementChar` for values of one Avro type, compiled once: visits only the strings the
 * type can hold (null when it holds none). Other shapes (unions of records, recursion) fall back to
 * the generic walk.
 */
function compileScan(t: AvroType): Scan | null {
  const name = t.typeName
  if (name === 'string') return hasReplacement
  if (name === 'record' || name === 'error') {
    const parts: [string, Scan][] = []
    for (const f of (t as avro.types.RecordType).fields) {
      const scan = compileScan(f.type)
      if (scan) parts.push([f.name, scan])
    }
    if (parts.length === 0) return null
    return (v) => {
      const r = v as Record<string, unknown>
      for (let i = 0; i < parts.length; i++) if (parts[i]![1](r[parts[i]![0]])) return true
      return false
    }
  }
  if (name === 'array') {
    const item = compileScan((t as avro.types.ArrayType).itemsType)
    if (!item) return null
    return (v) => {
      const xs = v as unknown[]
      for (let i = 0; i < xs.length; i++) if (item(xs[i])) return true
      return false
    }
  }
  if (name === 'map') {
    const value = compileScan((t as avro.types.MapType).valuesType) ?? (() => false)
    return (v) => {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (k.includes('\uFFFD') || value(x)) return true
      return false
    }
  }
  if (name.startsWith('union')) {
    const branches = (t as avro.types.UnwrappedUnionType).types.map((b) => b.typeName)
    if (branches.every((b) => b === 'null' || b === 'string')) return branches.includes('string') ? hasReplacement : null
    if (branches.every((b) => !['string', 'record', 'error', 'array', 'map'].includes(b) && !b.startsWith('union'))) return null
    return containsReplacementChar
  }
  if (['null', 'boolean', 'int', 'long', 'float', 'double', 'enum', 'bytes', 'fixed'].includes(name)) return null
  return containsReplacementChar
}

const scans = new WeakMap<AvroType, Scan>()

function scanFor(t: AvroType): Scan {
  let scan = scans.get(t)
  if (!scan) {
    scan = compileScan(t) ?? (() => false)
    scans.set(t, scan)
  }
  return scan
}

// --- The LlmInteraction contract for Avro-typed values -------------------------------------------
// Avro guarantees every field and its type (strings, safe-integer longs, booleans, null unions,
// arrays, string maps); these are the rest of LlmInteractionSchema's rules, one for one.

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const strIn = (s: string, min: number, max: number): boolean => s.length >= min && s.length <= max
const nullableStrOk = (s: string | null): boolean => s === null || s.length <= 512
const countOk = (n: number): boolean => Number.isSafeInteger(n) && n >= 0
const timeOk = (t: number, now: number): boolean => Number.isSafeInteger(t) && t >= now - LIMITS.maxPastMs && t <= now + LIMITS.maxFutureMs

function textsOk(xs: readonly string[], maxItems: number, maxChars: number): boolean {
  if (xs.length > maxItems) return false
  for (const x of xs) if (x.length > maxChars) return false
  return true
}

/** True when an Avro-decoded LlmInteraction satisfies every rule of LlmInteractionSchema. */
export function withinInteractionContract(e: LlmInteraction, now: number): boolean {
  if (!UUID_RE.test(e.event_id)) return false
  if (!strIn(e.app_name, 1, 128) || !strIn(e.environment, 1, 64) || !strIn(e.provider_name, 1, 64)) return false
  if (!strIn(e.operation_name, 1, 64) || !strIn(e.request_model, 1, 128)) return false
  if (!nullableStrOk(e.response_model) || !nullableStrOk(e.response_id) || !nullableStrOk(e.trace_id) || !nullableStrOk(e.span_id)) return false
  if (!nullableStrOk(e.session_id) || !nullableStrOk(e.user_id_hash) || !nullableStrOk(e.prompt_template_id)) return false
  if (!nullableStrOk(e.prompt_template_version) || !nullableStrOk(e.error_type)) return false
  if (!textsOk(e.response_finish_reasons, 16, 64)) return false
  if (!countOk(e.usage_input_tokens) || !countOk(e.usage_output_tokens) || !countOk(e.usage_cached_input_tokens)) return false
  if (!timeOk(e.request_start_time, now) || !timeOk(e.end_time, now)) return false
  if (e.first_token_time !== null && !timeOk(e.first_token_time, now)) return false
  if (e.messages.length > LIMITS.maxMessages) return false
  for (const m of e.messages) if (!strIn(m.role, 1, 32) || m.content.length > LIMITS.maxTextChars) return false
  if (e.response_text.length > LIMITS.maxTextChars) return false
  if (!textsOk(e.retrieved_context, LIMITS.maxContextChunks, LIMITS.maxTextChars)) return false
  if (!textsOk(e.sampled_responses, LIMITS.maxSamples, LIMITS.maxTextChars)) return false
  if (e.status !== 'ok' && e.status !== 'error') return false
  let attributes = 0
  for (const k of Object.keys(e.attributes)) {
    if (k.length > 256 || e.attributes[k]!.length > LIMITS.maxAttributeChars) return false
    attributes++
  }
  if (attributes > LIMITS.maxAttributes) return false
  // The schema's cross-field rules.
  if (e.end_time < e.request_start_time) return false
  if (e.first_token_time !== null && (e.first_token_time < e.request_start_time || e.first_token_time > e.end_time)) return false
  return e.usage_cached_input_tokens <= e.usage_input_tokens
}

// --- The ScoredInteraction contract for Avro-typed values ----------------------------------------
// Same idea: Avro guarantees fields, types, safe-integer longs and booleans; these are the rest of
// ScoredInteractionSchema's and ScoreEntrySchema's rules. A false here sends the record to zod,
// which produces the reason.

const finiteNonNeg = (x: number): boolean => Number.isFinite(x) && x >= 0
const SCORE_TARGETS = new Set(['prompt', 'response', 'context', 'event'])
const SCORE_STATUSES = new Set(['ok', 'not_applicable', 'error'])
const TEXT_MODES = new Set(['full', 'redacted', 'none'])

/** True when an Avro-decoded ScoredInteraction satisfies every rule of ScoredInteractionSchema. */
export function withinScoredContract(v: ScoredInteraction): boolean {
  if (!UUID_RE.test(v.event_id)) return false
  if (!strIn(v.app_name, 1, 128) || !strIn(v.environment, 1, 64) || !strIn(v.provider_name, 1, 64)) return false
  if (!strIn(v.operation_name, 1, 64) || !strIn(v.request_model, 1, 128)) return false
  if (!nullableStrOk(v.response_model) || !nullableStrOk(v.prompt_template_id) || !nullableStrOk(v.prompt_template_version)) return false
  if (!nullableStrOk(v.trace_id) || !nullableStrOk(v.session_id) || !nullableStrOk(v.user_id_hash) || !nullableStrOk(v.error_type)) return false
  if (!finiteNonNeg(v.latency_ms) || (v.ttft_ms !== null && !finiteNonNeg(v.ttft_ms)) || (v.cost_usd !== null && !finiteNonNeg(v.cost_usd))) return false
  if (!countOk(v.usage_input_tokens) || !countOk(v.usage_output_tokens) || !countOk(v.usage_cached_input_tokens)) return false
  if (v.status !== 'ok' && v.status !== 'error') return false
  if (!TEXT_MODES.has(v.text_mode)) return false
  if (v.scores.length > 256) return false
  for (const e of v.scores) {
    if (!strIn(e.name, 1, 64) || !strIn(e.version, 1, 32) || e.label.length > 128 || e.details.length > 64 * 1024) return false
    if (!SCORE_TARGETS.has(e.target) || !SCORE_STATUSES.has(e.status)) return false
    if (e.value !== null && !Number.isFinite(e.value)) return false
  }
  return true
}
