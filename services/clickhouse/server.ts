/**
 * `llmwatch clickhouse serve`: one process owns the chDB data directory and answers the ClickHouse
 * HTTP interface (the part the project and common clients use), so every other process (services,
 * `llmwatch sql`, @clickhouse/client, curl, notebooks) talks to it as to a ClickHouse server.
 *
 * Scheduling (chDB runs one query at a time per Session; Sessions on one directory run concurrently):
 * - writes of the writer user without per-request settings or parameters run on ONE long-lived writer session,
 *   one after another (the sink's inserts never wait behind a read);
 * - everything else (SELECTs, any statement of the reader, requests with settings, GET requests)
 *   runs on a fresh session opened for the request and closed after it: the reader's at most
 *   `readSessions` at once, the writer's one at a time in a line of their own (more wait in line).
 *   A fresh session cannot leak settings, `USE` or readonly state into another request.
 * The reader's session gets max_execution_time / max_result_rows / max_result_bytes, then
 * readonly=1 (no writes, DDL, table functions like file()/url(), or setting changes, readonly
 * included). GET requests run with readonly=2, as in ClickHouse.
 *
 * Insert bodies (`INSERT INTO t [(cols)] FORMAT X` in the URL, the rows as the body, as clients send them):
 * - text formats chDB's raw insert knows (JSONEachRow, JSONCompactEachRow, CSV, TSV ...): handed to it as bytes;
 * - any other format (RowBinary, RowBinaryWithNamesAndTypes, Native, Parquet ...): chDB takes no
 *   binary body (its raw insert reads the payload as query text and stops at a blank line), so the
 *   body is streamed to a file of this process (under /dev/shm when it has 1 GiB free, else the temp directory) and the statement
 *   runs as `INSERT INTO t [(cols)] FROM INFILE '<file>' COMPRESSION 'none' FORMAT X`; the file is
 *   deleted after. The engine reads the bytes as they are, as a ClickHouse server reads the body.
 */
import http from 'node:http'
import { randomUUID } from 'node:crypto'
import { timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs'
import { unlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Logger } from '../../shared/logger.js'

type ChdbModule = typeof import('chdb')
type Session = InstanceType<ChdbModule['Session']>
type ChdbResult = Pick<Awaited<ReturnType<Session['queryAsync']>>, 'bytes' | 'rowsRead' | 'bytesRead' | 'elapsed'>

export interface ServeUser {
  user: string
  password: string
}

export interface ServerOptions {
  path: string
  host: string
  port: number
  writer: ServeUser
  reader: ServeUser & { maxExecutionTime: number; maxResultRows: number; maxResultBytes: number }
  readSessions: number
  /** max_server_memory_usage in MiB; 0 leaves ClickHouse's default. */
  maxMemoryMb?: number
  log: Logger
}

export interface ClickHouseServer {
  url: string
  port: number
  close(): Promise<void>
}

const gunzip = promisify(zlib.gunzip)
const inflate = promisify(zlib.inflate)
const gzip = promisify(zlib.gzip)

/** Statements that only read. */
const READS = /^\s*(\(?\s*select|with|show|describe|desc|explain|exists)\b/i
const SET_STATEMENT = /^\s*set\b/i
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** URL parameters that belong to the HTTP layer, not to ClickHouse settings. */
const HTTP_PARAMS = new Set([
  'query', 'database', 'default_format', 'query_id', 'user', 'password', 'quota_key',
  'session_id', 'session_timeout', 'session_check', 'compress', 'decompress', 'buffer_size', 'wait_end_of_query',
  'enable_http_compression', 'http_zlib_compression_level', 'send_progress_in_http_headers',
  'http_headers_progress_interval_ms', 'http_response_buffer_size', 'http_wait_end_of_query',
  'http_native_compression_disable_checksumming_on_decompress', 'add_http_cors_header',
  'cancel_http_readonly_queries_on_client_close', 'role', 'client_protocol_version',
])

/** ClickHouse's HTTP status for an exception code (HTTPHandler's exceptionCodeToHTTPStatus, the common cases). */
function httpStatus(code: number): number {
  if ([516, 194].includes(code)) return 401 // AUTHENTICATION_FAILED, REQUIRED_PASSWORD
  if ([164, 497, 291].includes(code)) return 403 // READONLY, ACCESS_DENIED, DATABASE_ACCESS_DENIED
  if ([60, 81, 16, 36_000].includes(code)) return 404 // UNKNOWN_TABLE, UNKNOWN_DATABASE, NO_SUCH_COLUMN_IN_TABLE
  if ([62, 47, 46, 27, 26, 53, 36, 115, 456, 457, 72, 6, 38, 117, 69, 70, 73].includes(code)) return 400
  if (code === 159) return 504 // TIMEOUT_EXCEEDED
  return 500
}

class ClickHouseHttpError extends Error {
  constructor(readonly code: number, readonly type: string, message: string) {
    super(message)
  }
}

/** Splits chDB's `Code: N. DB::Exception: ... (TYPE)` into code and type. */
function fromChdb(err: unknown): ClickHouseHttpError {
  if (err instanceof ClickHouseHttpError) return err
  const msg = err instanceof Error ? err.message : String(err)
  const code = Number(/Code: (\d+)\./.exec(msg)?.[1] ?? 1000)
  const type = /\(([A-Z][A-Z0-9_]+)\)\s*$/.exec(msg)?.[1] ?? 'STD_EXCEPTION'
  const text = /^Code: \d+\. /.test(msg) ? msg : `Code: ${code}. DB::Exception: ${msg}. (${type})`
  return new ClickHouseHttpError(code, type, text)
}

/** Runs at most `max` tasks at once; the rest wait in order. */
class Limiter {
  private running = 0
  private readonly waiting: (() => void)[] = []
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((r) => this.waiting.push(r))
    else this.running++
    try {
      return await fn()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.running--
    }
  }
}

const CONTENT_TYPES: [RegExp, string][] = [
  [/^JSON(EachRow|CompactEachRow|StringsEachRow|Lines|ObjectEachRow)?/i, 'application/json; charset=UTF-8'],
  [/^(CSV)/i, 'text/csv; charset=UTF-8; header=absent'],
  [/^(TSV|TabSeparated)/i, 'text/tab-separated-values; charset=UTF-8'],
  [/^(Pretty|Vertical|Markdown|PrettyCompact)/i, 'text/plain; charset=UTF-8'],
]
function contentType(format: string): string {
  return CONTENT_TYPES.find(([re]) => re.test(format))?.[1] ?? 'text/plain; charset=UTF-8'
}

/** The output format the statement asks for (its FORMAT clause), else `fallback`. */
function outputFormat(sql: string, fallback: string): string {
  if (!READS.test(sql)) return fallback
  return /\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$/i.exec(sql)?.[1] ?? fallback
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function credentials(req: http.IncomingMessage, url: URL): ServeUser {
  const h = req.headers
  const auth = h.authorization
  if (typeof auth === 'string' && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8')
    const i = decoded.indexOf(':')
    return { user: i < 0 ? decoded : decoded.slice(0, i), password: i < 0 ? '' : decoded.slice(i + 1) }
  }
  const user = (h['x-clickhouse-user'] as string | undefined) ?? url.searchParams.get('user') ?? 'default'
  const password = (h['x-clickhouse-key'] as string | undefined) ?? url.searchParams.get('password') ?? ''
  return { user, password }
}

/** Free bytes of /dev/shm, 0 when there is none. */
function shmFree(): number {
  try {
    const st = statfsSync('/dev/shm')
    return st.bavail * st.bsize
  } catch {
    return 0
  }
}

function decompressError(enc: string, err: unknown): ClickHouseHttpError {
  return new ClickHouseHttpError(354, 'CANNOT_DECOMPRESS', `Code: 354. DB::Exception: Cannot decompress the request body (${enc}): ${(err as Error).message}. (CANNOT_DECOMPRESS)`)
}

function unknownEncoding(enc: string): ClickHouseHttpError {
  return new ClickHouseHttpError(48, 'NOT_IMPLEMENTED', `Code: 48. DB::Exception: Unknown Content-Encoding: ${enc}. (NOT_IMPLEMENTED)`)
}

/**
 * Streams the request body (decompressed) into `file`; its size in bytes. Never holds the whole
 * body in memory: a 20,000-row insert is tens of MB.
 */
async function bodyToFile(req: http.IncomingMessage, file: string): Promise<number> {
  const enc = String(req.headers['content-encoding'] ?? '').toLowerCase()
  const out = createWriteStream(file, { mode: 0o600 })
  try {
    if (enc === 'gzip' || enc === 'x-gzip' || enc === 'deflate') {
      try {
        await pipeline(req, enc === 'deflate' ? zlib.createInflate() : zlib.createGunzip(), out)
      } catch (err) {
        throw (err as NodeJS.ErrnoException).code?.startsWith('Z_') ? decompressError(enc, err) : err
      }
    } else if (enc && enc !== 'identity') {
      req.resume()
      out.destroy()
      throw unknownEncoding(enc)
    } else await pipeline(req, out)
  } catch (err) {
    await unlink(file).catch(() => {})
    throw err
  }
  return out.bytesWritten
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const raw = Buffer.concat(chunks)
  const enc = String(req.headers['content-encoding'] ?? '').toLowerCase()
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return await gunzip(raw)
    if (enc === 'deflate') return await inflate(raw)
  } catch (err) {
    throw decompressError(enc, err)
  }
  if (enc && enc !== 'identity') throw unknownEncoding(enc)
  return raw
}

interface Job {
  sql: string
  format: string
  params: Record<string, string>
  settings: [string, string][]
  database: string
  role: 'writer' | 'reader'
  /** 0 read-write, 1 reader, 2 GET (reads and settings only). */
  readonly: 0 | 1 | 2
  /** `INSERT INTO t [(cols)] FORMAT X` with the rows as the body: chDB's raw insert takes the bytes as they are. */
  insert?: { table: string; columns?: string[]; format: RawFormat; data: Buffer }
}

const RAW_FORMATS = ['JSONEachRow', 'JSONCompactEachRow', 'CSV', 'CSVWithNames', 'TSV', 'TabSeparated', 'TSVWithNames', 'TabSeparatedWithNames'] as const
type RawFormat = (typeof RAW_FORMATS)[number]
const SIMPLE_INSERT = /^\s*INSERT\s+INTO\s+([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*(?:\(([\w\s,`]*)\))?\s*FORMAT\s+(\w+)\s*$/i

/** A plain `INSERT INTO t [(cols)] FORMAT X` statement: its table (qualified), columns and format. */
function simpleInsert(statement: string, database: string): { table: string; columns?: string[]; format: string } | undefined {
  const m = SIMPLE_INSERT.exec(statement)
  if (!m) return undefined
  const columns = m[2]?.split(',').map((c) => c.trim().replace(/^`(.*)`$/, '$1'))
  if (columns && !columns.every((c) => IDENTIFIER.test(c))) return undefined
  return { table: m[1]!.includes('.') ? m[1]! : `${database}.${m[1]!}`, ...(columns ? { columns } : {}), format: m[3]! }
}

const rawFormat = (format: string): RawFormat | undefined => RAW_FORMATS.find((f) => f.toLowerCase() === format.toLowerCase())

/** The raw-insert form of a statement + body, when the statement is a plain INSERT ... FORMAT of a text format. */
function rawInsert(statement: string, data: Buffer, database: string): Job['insert'] {
  const ins = simpleInsert(statement, database)
  const format = ins && rawFormat(ins.format)
  if (!ins || !format || data.length === 0) return undefined
  return { table: ins.table, ...(ins.columns ? { columns: ins.columns } : {}), format, data }
}

/**
 * The statement that reads an insert's body from `file`: for the formats chDB's raw insert does
 * not take (binary ones above all), whose body is streamed to a file first.
 */
function fileInsert(statement: string, database: string, file: string): string | undefined {
  const ins = simpleInsert(statement, database)
  if (!ins || rawFormat(ins.format) || !IDENTIFIER.test(ins.format)) return undefined
  return `INSERT INTO ${ins.table}${ins.columns ? ` (${ins.columns.map((c) => `\`${c}\``).join(', ')})` : ''} FROM INFILE ${quote(file)} COMPRESSION 'none' FORMAT ${ins.format}`
}

const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

export async function startClickHouseServer(opts: ServerOptions): Promise<ClickHouseServer> {
  const dir = path.resolve(opts.path)
  mkdirSync(dir, { recursive: true })
  // Binary insert bodies wait here for the engine (see the top of this file): in memory when /dev/shm
  // has room (a container's is often 64 MiB, less than a few big inserts waiting in line).
  const bodyDir = mkdtempSync(path.join(shmFree() >= 1024 ** 3 ? '/dev/shm' : os.tmpdir(), 'llmwatch-ch-insert-'))
  let bodySeq = 0
  const { Session, version, drainPending } = await import('chdb')
  const engineVersion = String(version().libchdb).replace(/["v]/g, '')
  // The first session starts the engine: server settings go here, and hold for every later session.
  const mem = opts.maxMemoryMb ? [`--max_server_memory_usage=${opts.maxMemoryMb * 1024 * 1024}`] : []
  const writerSession = new Session(dir, { connectionArgs: mem })
  const writes = new Limiter(1)
  // The reader's queries (analysts, dashboards) and the writer's other requests (the sink's
  // "already stored?" SELECTs, migrations' checks) wait in separate lines: a full analyst line
  // never holds the sink back. 2 + 1 + the writer session = libuv's default 4 threads.
  const reads = new Limiter(opts.readSessions)
  const writerReads = new Limiter(1)
  let writerDatabase = 'default'
  const inflight = new Set<Promise<unknown>>()


  async function onWriterSession(job: Job): Promise<ChdbResult> {
    if (job.database !== writerDatabase) {
      await writerSession.queryAsync(`USE \`${job.database}\``)
      writerDatabase = job.database
    }
    if (job.insert) {
      const { table, columns, format, data } = job.insert
      const r = await writerSession.insert({ table, values: data, format, ...(columns ? { columns } : {}) })
      return { bytes: () => new Uint8Array(0), rowsRead: r.rowsWritten, bytesRead: r.bytesWritten, elapsed: r.elapsed }
    }
    return writerSession.queryAsync(job.sql, { format: job.format })
  }

  async function onFreshSession(job: Job): Promise<ChdbResult> {
    const session = new Session(dir)
    try {
      const setup: string[] = []
      if (job.database !== 'default') setup.push(`USE \`${job.database}\``)
      // Query parameters as clickhouse-client sets them: the value is the HTTP text form, parsed by the type.
      for (const [k, v] of Object.entries(job.params)) setup.push(`SET param_${k} = ${quote(v)}`)
      const userSettings = job.settings.map(([k, v]) => `SET ${k} = ${quote(v)}`)
      if (job.readonly === 1) {
        const r = opts.reader
        setup.push(`SET max_execution_time = ${r.maxExecutionTime}`, `SET max_result_rows = ${r.maxResultRows}`, `SET max_result_bytes = ${r.maxResultBytes}`, 'SET readonly = 1')
        // After readonly=1: a reader's own settings are refused, as ClickHouse refuses them to a readonly user.
        setup.push(...userSettings)
      } else {
        setup.push(...userSettings)
        if (job.readonly === 2) setup.push('SET readonly = 2')
      }
      for (const s of setup) await session.queryAsync(s)
      return await session.queryAsync(job.sql, { format: job.format })
    } finally {
      session.close()
    }
  }

  function execute(job: Job): Promise<ChdbResult> {
    const onWriter = job.role === 'writer' && job.readonly === 0 && job.settings.length === 0 && Object.keys(job.params).length === 0 && !READS.test(job.sql) && !SET_STATEMENT.test(job.sql)
    if (onWriter) return writes.run(() => onWriterSession(job))
    return (job.role === 'writer' ? writerReads : reads).run(() => onFreshSession(job))
  }

  function role(c: ServeUser): 'writer' | 'reader' | null {
    if (c.user === opts.writer.user && sameSecret(c.password, opts.writer.password)) return 'writer'
    if (c.user === opts.reader.user && sameSecret(c.password, opts.reader.password)) return 'reader'
    return null
  }

  function sendError(res: http.ServerResponse, err: ClickHouseHttpError, queryId?: string): void {
    const body = /\(version [^)]*\)\s*$/.test(err.message) ? err.message : `${err.message} (version ${engineVersion})`
    res.writeHead(httpStatus(err.code), {
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Exception-Code': String(err.code),
      ...(queryId ? { 'X-ClickHouse-Query-Id': queryId } : {}),
      'X-ClickHouse-Server-Display-Name': 'llmwatch',
    })
    res.end(`${body}\n`)
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now()
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/ping' || ((url.pathname === '/' || url.pathname === '') && req.method === 'GET' && !url.searchParams.has('query'))) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' })
      res.end('Ok.\n')
      return
    }
    if (url.pathname !== '/') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' })
      res.end(`There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\n`)
      return
    }
    const queryId = url.searchParams.get('query_id') || randomUUID()
    const creds = credentials(req, url)
    const who = role(creds)
    if (!who) {
      // As ClickHouse: the same answer for an unknown user and a wrong password.
      req.resume()
      opts.log.warn({ user: creds.user, remote: req.socket.remoteAddress }, 'authentication failed')
      sendError(res, new ClickHouseHttpError(516, 'AUTHENTICATION_FAILED', `Code: 516. DB::Exception: ${creds.user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`), queryId)
      return
    }
    try {
      const isGet = req.method === 'GET' || req.method === 'HEAD'
      const q = url.searchParams.get('query') ?? ''
      const database0 = url.searchParams.get('database') ?? (req.headers['x-clickhouse-database'] as string | undefined) ?? 'default'
      // An insert whose format chDB's raw insert does not take: its body goes to a file, the engine reads that.
      const bodyFile = path.join(bodyDir, `${process.pid}-${++bodySeq}`)
      const viaFile = who === 'writer' && !isGet && q && IDENTIFIER.test(database0) ? fileInsert(q, database0, bodyFile) : undefined
      if (viaFile) {
        await bodyToFile(req, bodyFile)
        try {
          return await run(viaFile, Buffer.alloc(0), q)
        } catch (err) {
          // The engine names the file it read: not the client's business (ClickHouse names no file for a body).
          const e = fromChdb(err)
          throw new ClickHouseHttpError(e.code, e.type, e.message.split(`: (in file/uri ${bodyFile})`).join('').replace(/ While executing File: data for INSERT was parsed from file\./, ''))
        } finally {
          await unlink(bodyFile).catch(() => {})
        }
      }
      return await run(q, isGet ? Buffer.alloc(0) : await readBody(req), q)
    } catch (err) {
      let e = fromChdb(err)
      // chDB runs every query as its built-in user "default": name the user who asked instead.
      if (creds.user !== 'default') e = new ClickHouseHttpError(e.code, e.type, e.message.replace(/^(Code: \d+\. DB::Exception: )default: /, `$1${creds.user}: `))
      opts.log.debug({ user: creds.user, queryId, ms: Date.now() - started, code: e.code }, 'query failed')
      if (!res.headersSent) sendError(res, e, queryId)
      else res.destroy()
    }

    /** Runs `q` (the statement; `body` appended to it unless it is a raw insert's rows) and answers. */
    async function run(q: string, bodyBytes: Buffer, asked: string): Promise<void> {
      if (!who) return
      const isGet = req.method === 'GET' || req.method === 'HEAD'
      const params: Record<string, string> = {}
      const settings: [string, string][] = []
      for (const [k, v] of url.searchParams) {
        if (k.startsWith('param_')) {
          if (!IDENTIFIER.test(k.slice(6))) throw new ClickHouseHttpError(457, 'BAD_QUERY_PARAMETER', `Code: 457. DB::Exception: Bad query parameter name '${k.slice(6)}'. (BAD_QUERY_PARAMETER)`)
          params[k.slice(6)] = v
        } else if (!HTTP_PARAMS.has(k) && !k.startsWith('http_')) {
          if (!IDENTIFIER.test(k)) throw new ClickHouseHttpError(115, 'UNKNOWN_SETTING', `Code: 115. DB::Exception: Unknown setting '${k}'. (UNKNOWN_SETTING)`)
          settings.push([k, v])
        }
      }
      const database = url.searchParams.get('database') ?? (req.headers['x-clickhouse-database'] as string | undefined) ?? 'default'
      if (!IDENTIFIER.test(database)) throw new ClickHouseHttpError(81, 'UNKNOWN_DATABASE', `Code: 81. DB::Exception: Database ${database} does not exist. (UNKNOWN_DATABASE)`)
      const format = url.searchParams.get('default_format') ?? (req.headers['x-clickhouse-format'] as string | undefined) ?? 'TabSeparated'
      const readonly = who === 'reader' ? 1 : isGet ? 2 : 0
      // The writer's plain INSERT ... FORMAT with rows in the body: the rows go to chDB as bytes.
      const insert = who === 'writer' && readonly === 0 && settings.length === 0 && Object.keys(params).length === 0 && q ? rawInsert(q, bodyBytes, database) : undefined
      const body = insert ? '' : bodyBytes.toString('utf8')
      const sql = insert ? q : q && body ? `${q}\n${body}` : q || body
      if (!sql.trim()) throw new ClickHouseHttpError(62, 'SYNTAX_ERROR', 'Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)')
      const job: Job = { sql, format, params, settings, database, role: who, readonly, insert }
      const p = execute(job)
      inflight.add(p)
      let result: ChdbResult
      try {
        result = await p
      } finally {
        inflight.delete(p)
      }
      let out = Buffer.from(result.bytes())
      const headers: http.OutgoingHttpHeaders = {
        'Content-Type': contentType(outputFormat(sql, format)),
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Format': outputFormat(sql, format),
        'X-ClickHouse-Timezone': 'UTC',
        'X-ClickHouse-Server-Display-Name': 'llmwatch',
        'X-ClickHouse-Summary': JSON.stringify({
          read_rows: String(result.rowsRead ?? 0), read_bytes: String(result.bytesRead ?? 0),
          written_rows: job.insert || asked !== q ? String(result.rowsRead ?? 0) : '0', written_bytes: job.insert || asked !== q ? String(result.bytesRead ?? 0) : '0',
          total_rows_to_read: '0', result_rows: '0', result_bytes: String(out.length), elapsed_ns: String(Math.round((result.elapsed ?? 0) * 1e9)),
        }),
      }
      if (url.searchParams.get('enable_http_compression') === '1' && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        out = await gzip(out)
        headers['Content-Encoding'] = 'gzip'
      }
      res.writeHead(200, headers)
      res.end(req.method === 'HEAD' ? undefined : out)
      opts.log.debug({ user: creds.user, queryId, ms: Date.now() - started, bytes: out.length, ...(asked !== q ? { viaFile: true } : {}) }, 'query')
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.log.error({ err }, 'request failed')
      if (!res.headersSent) sendError(res, fromChdb(err))
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 10_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => resolve())
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : opts.port
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
  opts.log.info({ url, path: dir, engine: engineVersion, maxMemoryMb: opts.maxMemoryMb || null, writer: opts.writer.user, reader: opts.reader.user, readSessions: opts.readSessions }, 'clickhouse serving')
  let closed: Promise<void> | null = null
  return {
    url,
    port,
    close: () => {
      closed ??= (async () => {
        const stopped = new Promise<void>((r) => server.close(() => r()))
        server.closeIdleConnections()
        await Promise.allSettled([...inflight])
        server.closeAllConnections()
        await stopped
        writerSession.close()
        await drainPending()
        rmSync(bodyDir, { recursive: true, force: true })
        // Its own peak memory (chDB's included): what the served ClickHouse costs.
        opts.log.info({ path: dir, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }, 'clickhouse stopped')
      })()
      return closed
    },
  }
}
