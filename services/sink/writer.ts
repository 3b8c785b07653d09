/**
 * Buffered, exactly-once-effect writer into ClickHouse.
 *
 * - Buffers units (the rows one Kafka message produces, per table) and flushes when SINK_BATCH_ROWS
 *   rows are buffered or SINK_FLUSH_MS after the first buffered row, whichever comes first.
 *   `write()` resolves only once its rows are inserted (or dead-lettered), so the caller may commit.
 * - Flushes never overlap: each waits for the previous one.
 * - Dedup before insert: each row carries (_topic, _partition, _offset). Per table and partition the
 *   writer knows the highest offset ClickHouse already holds (read from the table on first use and
 *   after every assignment or failure, then kept up to date) and drops units at or below it. Rows
 *   of one table and partition are inserted in offset order, so what is stored is always a prefix.
 *   Materialized views therefore never see a row twice.
 * - An outage (any error that is not about the data) is retried with exponential backoff for
 *   `retryBudgetMs`, re-reading the watermark before each try; then the flush fails and the
 *   consumer runner pauses the partition and retries the batch later.
 * - A content error (ClickHouse rejects the data: constraint, parse, type) bisects the batch until
 *   the offending unit is isolated; that unit goes to `deadLetter` with the reason, the rest goes in.
 *   "Too many partitions / too large" errors also bisect.
 * - Formats: tables listed in `rowBinary` go as RowBinary (services/sink/rowbinary.ts, an encoder
 *   compiled from the table's column types read once from the server), others as
 *   JSONCompactEachRow (`compactColumns`) or JSONEachRow.
 */
import { Readable } from 'node:stream'
import type { ClickHouseClient } from '@clickhouse/client'
import { errorMessage, LlmwatchError } from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import { EncodedRow, rowBinaryEncoder, type RowBinaryEncoder } from './rowbinary.js'

/** The rows one source message produces, by table. */
export interface Unit {
  topic: string
  partition: number
  offset: bigint
  /** Row objects, or EncodedRows (already RowBinary) for a table whose encoder has their kinds (`rowBinaryKinds`). */
  rows: Record<string, Record<string, unknown>[]>
  /** The decoded source record, or a function that decodes it, for the dead-letter topic. */
  source?: unknown
}

export interface Rejected {
  unit: Unit
  table: string
  /** ClickHouse error code. */
  code: number
  reason: string
}

export interface WriterOptions {
  /** `exec` only for the RowBinary inserts (`rowBinary`). */
  client: Pick<ClickHouseClient, 'insert' | 'query'> & Partial<Pick<ClickHouseClient, 'exec'>>
  /** Tables in insert order. */
  tables: readonly string[]
  batchRows: number
  flushMs: number
  /** How long one flush keeps retrying an outage before failing. */
  retryBudgetMs: number
  backoff?: { initialMs?: number; maxMs?: number }
  logger: Logger
  /** Must resolve only when the rejected units are durably dead-lettered. */
  deadLetter: (rejected: Rejected[]) => Promise<void>
  /**
   * Tables inserted as JSONCompactEachRow with these columns, in this order (a JSON array per row:
   * cheaper to build and to parse than JSONEachRow). Every row must have every listed key. Other
   * tables go as JSONEachRow.
   */
  compactColumns?: Readonly<Record<string, readonly string[]>>
  /**
   * Tables inserted as RowBinary with these columns, in this order (`exec` with the encoded rows as
   * the body): about a third of the bytes of JSON, and no JSON to build or parse. The encoder is
   * compiled from the column types the server reports for the table on its first insert; a type
   * it cannot write (or a client without `exec`) sends the table as JSONCompactEachRow instead,
   * with a warning. Every row must have every listed key.
   */
  rowBinary?: Readonly<Record<string, readonly string[]>>
}

export interface WriterStats {
  flushes: number
  insertedRows: Record<string, number>
  /** Units dropped because ClickHouse already held them (re-delivery). */
  skippedUnits: number
  deadLettered: number
  retries: number
}

/**
 * ClickHouse codes that mean "this data is wrong", not "the server is unwell".
 * Decisions read codes, never messages.
 */
const CONTENT_ERRORS = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE (e.g. a lone UTF-16 surrogate from a JSON-encoded record)
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  32, // ATTEMPT_TO_READ_AFTER_EOF
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  376, // CANNOT_PARSE_UUID
  407, // DECIMAL_OVERFLOW
  467, // CANNOT_PARSE_BOOL
  469, // VIOLATED_CONSTRAINT
])
/** Codes where a smaller insert may succeed. */
const SPLIT_ERRORS = new Set([
  241, // MEMORY_LIMIT_EXCEEDED
  252, // TOO_MANY_PARTS (incl. too many partitions for a single insert block)
])

export type ErrorKind = 'content' | 'split' | 'outage'

export function classifyInsertError(err: unknown): { kind: ErrorKind; code: number } {
  // Duck-typed: chDB raises ClickHouseError from its own copy of client-common, so instanceof fails.
  const raw = err instanceof Error && 'code' in err ? String(err.code) : ''
  if (/^\d+$/.test(raw)) {
    const code = Number(raw)
    if (CONTENT_ERRORS.has(code)) return { kind: 'content', code }
    if (SPLIT_ERRORS.has(code)) return { kind: 'split', code }
    return { kind: 'outage', code }
  }
  return { kind: 'outage', code: 0 }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const key = (table: string, topic: string, partition: number) => `${table}\u0000${topic}\u0000${partition}`
const byOffset = (a: Unit, b: Unit) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0))

interface Pending {
  units: Unit[]
  resolve: () => void
  reject: (err: unknown) => void
}

export class BufferedWriter {
  private readonly opts: WriterOptions
  private buffer: Pending[] = []
  private bufferedRows = 0
  private timer: NodeJS.Timeout | null = null
  private chain: Promise<void> = Promise.resolve()
  private readonly watermarks = new Map<string, bigint>()
  /** Per RowBinary table: its encoder, or null once it fell back to JSON. */
  private readonly encoders = new Map<string, RowBinaryEncoder | null>()
  private closed = false
  readonly stats: WriterStats = { flushes: 0, insertedRows: {}, skippedUnits: 0, deadLettered: 0, retries: 0 }

  constructor(opts: WriterOptions) {
    this.opts = opts
  }

  /** Buffers the units; resolves when they are stored (or dead-lettered), rejects if the flush failed. */
  write(units: Unit[]): Promise<void> {
    if (this.closed) return Promise.reject(new LlmwatchError('CLICKHOUSE', 'writer is closed'))
    if (units.length === 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.buffer.push({ units, resolve, reject })
      for (const u of units) for (const rows of Object.values(u.rows)) this.bufferedRows += rows.length
      if (this.bufferedRows >= this.opts.batchRows) void this.flush()
      else this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs)
    })
  }

  /** Flushes what is buffered now (after any flush in progress). Never rejects: waiters get the error. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const taken = this.buffer
    this.buffer = []
    this.bufferedRows = 0
    if (taken.length === 0) return this.chain
    this.chain = this.chain.then(async () => {
      try {
        await this.insertAll(taken.flatMap((p) => p.units))
        for (const p of taken) p.resolve()
      } catch (err) {
        for (const p of taken) p.reject(err)
      }
    })
    return this.chain
  }

  /**
   * Forgets the cached watermarks of these partitions: called on every assignment, because another
   * sink instance may have written them since.
   */
  invalidate(topic: string, partitions?: readonly number[]): void {
    for (const t of this.opts.tables) {
      if (partitions) for (const p of partitions) this.watermarks.delete(key(t, topic, p))
      else for (const k of [...this.watermarks.keys()]) if (k.startsWith(`${t}\u0000${topic}\u0000`)) this.watermarks.delete(k)
    }
  }

  /** Flushes everything buffered and refuses further writes. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    await this.flush()
  }

  private async insertAll(units: Unit[]): Promise<void> {
    this.stats.flushes++
    for (const table of this.opts.tables) {
      const forTable = units.filter((u) => (u.rows[table]?.length ?? 0) > 0).sort(byOffset)
      if (forTable.length > 0) await this.insertTable(table, forTable)
    }
  }

  private async insertTable(table: string, units: Unit[]): Promise<void> {
    const deadline = Date.now() + this.opts.retryBudgetMs
    let delay = this.opts.backoff?.initialMs ?? 100
    const maxDelay = this.opts.backoff?.maxMs ?? 2_000
    for (let attempt = 1; ; attempt++) {
      try {
        const fresh = await this.dropStored(table, units)
        await this.insertUnits(table, fresh)
        return
      } catch (err) {
        // The insert may have partly landed: re-read the watermarks before the next try.
        for (const u of units) this.watermarks.delete(key(table, u.topic, u.partition))
        if (Date.now() + delay > deadline) {
          throw new LlmwatchError('CLICKHOUSE', `insert into ${table} failed after ${attempt} attempts: ${errorMessage(err)}`, { retryable: true, cause: err })
        }
        this.stats.retries++
        this.opts.logger.warn({ table, attempt, delayMs: delay, err: errorMessage(err) }, 'ClickHouse insert failed; retrying')
        await sleep(delay)
        delay = Math.min(maxDelay, delay * 2)
      }
    }
  }

  /** Drops units whose offset ClickHouse already holds for that table and partition. */
  private async dropStored(table: string, units: Unit[]): Promise<Unit[]> {
    const missing = new Map<string, { topic: string; partition: number }>()
    for (const u of units) {
      const k = key(table, u.topic, u.partition)
      if (!this.watermarks.has(k)) missing.set(k, { topic: u.topic, partition: u.partition })
    }
    if (missing.size > 0) {
      const wanted = [...missing.values()]
      const rs = await this.opts.client.query({
        query: `SELECT _topic AS topic, _partition AS partition, toString(max(_offset)) AS offset
                FROM ${table}
                WHERE _topic IN {topics:Array(String)} AND _partition IN {partitions:Array(UInt32)}
                GROUP BY _topic, _partition`,
        query_params: { topics: [...new Set(wanted.map((w) => w.topic))], partitions: [...new Set(wanted.map((w) => w.partition))] },
        format: 'JSONEachRow',
      })
      const found = await rs.json<{ topic: string; partition: number; offset: string }>()
      for (const k of missing.keys()) this.watermarks.set(k, -1n)
      for (const f of found) this.watermarks.set(key(table, f.topic, Number(f.partition)), BigInt(f.offset))
    }
    const fresh = units.filter((u) => u.offset > (this.watermarks.get(key(table, u.topic, u.partition)) ?? -1n))
    this.stats.skippedUnits += units.length - fresh.length
    if (fresh.length < units.length) {
      this.opts.logger.info({ table, skipped: units.length - fresh.length }, 'skipped re-delivered messages already in ClickHouse')
    }
    return fresh
  }

  /**
   * The column kinds of the table's RowBinary encoder (rowbinary.ts), or null when the table goes as
   * JSON: rows of the table may be EncodedRows written for exactly these kinds. Asks the server once.
   */
  async rowBinaryKinds(table: string): Promise<string | null> {
    return (await this.encoder(table))?.kinds ?? null
  }

  /** The table's RowBinary encoder (compiled once from the server's column types), or null: insert as JSON. */
  private async encoder(table: string): Promise<RowBinaryEncoder | null> {
    const columns = this.opts.rowBinary?.[table]
    if (!columns) return null
    const known = this.encoders.get(table)
    if (known !== undefined) return known
    let enc: RowBinaryEncoder | null = null
    if (!this.opts.client.exec) {
      this.opts.logger.warn({ table }, 'this ClickHouse client has no exec: inserting JSON instead of RowBinary')
    } else {
      const rs = await this.opts.client.query({
        query: 'SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {table:String}',
        query_params: { table },
        format: 'JSONEachRow',
      })
      const types = new Map((await rs.json<{ name: string; type: string }>()).map((c) => [c.name, c.type]))
      try {
        enc = rowBinaryEncoder(columns, columns.map((c) => {
          const t = types.get(c)
          if (t === undefined) throw new Error(`table ${table} has no column ${c}`)
          return t
        }))
      } catch (err) {
        this.opts.logger.warn({ table, err: errorMessage(err) }, 'cannot insert this table as RowBinary: inserting JSON instead')
      }
    }
    this.encoders.set(table, enc)
    return enc
  }

  /**
   * One insert: RowBinary (`rowBinary`), else JSONCompactEachRow (a streamed body, see compactBody)
   * when the table has a column list, else JSONEachRow.
   */
  private async insertRows(table: string, values: Record<string, unknown>[]): Promise<void> {
    const enc = await this.encoder(table)
    if (enc) {
      await insertRowBinary(this.opts.client.exec!.bind(this.opts.client), table, enc, values)
      return
    }
    // Never: EncodedRows are made only once the table's encoder is known, and it stays.
    if (values.some((v) => v instanceof EncodedRow)) throw new Error(`${table}: RowBinary rows without a RowBinary encoder`)
    const columns = this.opts.compactColumns?.[table] ?? this.opts.rowBinary?.[table]
    if (columns === undefined || columns.length === 0) {
      await this.opts.client.insert({ table, values, format: 'JSONEachRow' })
      return
    }
    await this.opts.client.insert({ table, columns: columns as [string, ...string[]], values: compactBody(values, columns), format: 'JSONCompactEachRow' })
  }

  /** Inserts units in order; bisects on content/size errors, dead-letters single bad units; throws on outage. */
  private async insertUnits(table: string, units: Unit[]): Promise<void> {
    if (units.length === 0) return
    try {
      const values = units.flatMap((u) => u.rows[table] ?? [])
      await this.insertRows(table, values)
      this.stats.insertedRows[table] = (this.stats.insertedRows[table] ?? 0) + values.length
      this.opts.logger.debug({ table, rows: values.length, units: units.length }, 'inserted')
      for (const u of units) {
        const k = key(table, u.topic, u.partition)
        if (u.offset > (this.watermarks.get(k) ?? -1n)) this.watermarks.set(k, u.offset)
      }
    } catch (err) {
      const { kind, code } = classifyInsertError(err)
      if (kind === 'outage') throw err
      if (units.length > 1) {
        const mid = Math.ceil(units.length / 2)
        await this.insertUnits(table, units.slice(0, mid))
        await this.insertUnits(table, units.slice(mid))
        return
      }
      const unit = units[0]!
      const reason = errorMessage(err).slice(0, 2000)
      this.opts.logger.warn({ table, topic: unit.topic, partition: unit.partition, offset: unit.offset.toString(), code, reason }, 'row rejected by ClickHouse; dead-lettering')
      await this.opts.deadLetter([{ unit, table, code, reason }])
      this.stats.deadLettered++
    }
  }
}

/**
 * `INSERT INTO table (columns) FORMAT RowBinary` with the rows as the body, encoded while it is
 * sent (about 1 MB at a time: a 20,000-row insert is ~40 MB). An encoding error of a row fails the
 * insert with that error (a RowBinaryError, a content error for classifyInsertError), whatever the
 * aborted request reports; the server inserts nothing from an incomplete body.
 */
export async function insertRowBinary(exec: ClickHouseClient['exec'], table: string, enc: RowBinaryEncoder, rows: readonly Record<string, unknown>[]): Promise<void> {
  let encodeError: unknown = null
  const chunks = enc.chunks(rows)
  const body = Object.assign(Readable.from((function* () {
    try {
      yield* chunks
    } catch (err) {
      encodeError = err
      throw err
    }
  })(), { objectMode: false }), { rowCount: rows.length })
  try {
    const r = await exec({ query: `INSERT INTO ${table} (${enc.columns.join(', ')}) FORMAT RowBinary`, values: body })
    // The answer of an insert is empty: read to its end so the connection goes back to the pool.
    for await (const _ of r.stream) void _
  } catch (err) {
    throw encodeError ?? err
  } finally {
    body.destroy()
  }
}

/**
 * The rows of a JSONCompactEachRow insert (a JSON array per row, `columns` in order) as an object
 * stream that @clickhouse/client encodes and sends row by row. Handed an array, the client would
 * join every row's JSON into one string first: for a 20,000-row batch of ~2.6 KB rows a 50-100 MB
 * string plus its encoded copy, the sink's peak memory. `rowCount` says how many rows it carries.
 */
export function compactBody(rows: readonly Record<string, unknown>[], columns: readonly string[]): Readable & { rowCount: number } {
  function* arrays(): Generator<unknown[]> {
    for (const row of rows) {
      const a = new Array<unknown>(columns.length)
      for (let c = 0; c < columns.length; c++) a[c] = row[columns[c]!]
      yield a
    }
  }
  return Object.assign(Readable.from(arrays(), { objectMode: true }), { rowCount: rows.length })
}
