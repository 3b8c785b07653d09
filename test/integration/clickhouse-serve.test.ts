/**
 * `llmwatch clickhouse serve` (issue 13): the real CLI in a child process, on a fresh chDB
 * directory, driven by the project's own client (shared/clickhouse.ts -> @clickhouse/client), by
 * curl and by `llmwatch migrate` / `llmwatch sql`. Users, the reader's limits, scheduling (inserts
 * while a 5 s query runs) and the stop on SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '@clickhouse/client'
import { createClickHouse, type ClickHouseClient } from '../../shared/clickhouse.js'
import { repoPath } from '../../shared/paths.js'
import { tempDir, uniqueName } from '../helpers.js'

const WRITER = { user: 'writer', password: 'w-secret' }
const READER = { user: 'analyst', password: 'r-secret' }
const DB = uniqueName('serve').replace(/-/g, '_')
const hasCurl = spawnSync('curl', ['--version']).status === 0

/** The environment of a fresh shell: no infrastructure variables unless given. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' }
  for (const k of Object.keys(env)) if (/^(KAFKA_|CLICKHOUSE_|SCORER_|SINK_|ALERTER_)/.test(k)) delete env[k]
  return { ...env, ...extra }
}

function llmwatch(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const started = Date.now()
  const child = spawn(process.execPath, [repoPath('bin', 'llmwatch.mjs'), ...args], { cwd: repoPath(), env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({ code, out, err, ms: Date.now() - started }))))
}

let server: ChildProcess
let serverLog = ''
let url = ''
let exited: Promise<number | null>
const dataDir = tempDir('llmwatch-serve-')
let writer: ClickHouseClient

/** curl (or fetch when curl is missing): status, ClickHouse exception code header, body. */
async function curl(args: string[]): Promise<{ status: number; code: string | null; body: string }> {
  if (!hasCurl) throw new Error('curl is not installed')
  const r = spawnSync('curl', ['-s', '-S', '-D', '-', ...args], { encoding: 'utf8', timeout: 30_000 })
  const [head = '', ...rest] = r.stdout.split('\r\n\r\n')
  return {
    status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1] ?? 0),
    code: /x-clickhouse-exception-code: (\d+)/i.exec(head)?.[1] ?? null,
    body: rest.join('\r\n\r\n'),
  }
}
const q = (sql: string, extra = '') => `${url}/?query=${encodeURIComponent(sql)}${extra}`

beforeAll(async () => {
  server = spawn(process.execPath, [repoPath('bin', 'llmwatch.mjs'), 'clickhouse', 'serve'], {
    cwd: repoPath(),
    env: cleanEnv({
      CLICKHOUSE_PATH: dataDir, CLICKHOUSE_SERVE_PORT: '0',
      CLICKHOUSE_SERVE_WRITER_USER: WRITER.user, CLICKHOUSE_SERVE_WRITER_PASSWORD: WRITER.password,
      CLICKHOUSE_SERVE_READER_USER: READER.user, CLICKHOUSE_SERVE_READER_PASSWORD: READER.password,
      CLICKHOUSE_SERVE_READER_MAX_EXECUTION_TIME: '2', CLICKHOUSE_SERVE_READER_MAX_RESULT_ROWS: '1000',
      CLICKHOUSE_SERVE_MAX_MEMORY_MB: '400',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  exited = new Promise((r) => server.on('exit', (code) => r(code)))
  server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()))
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "clickhouse serving" line in 60 s:\n${serverLog}`)), 60_000)
    server.stdout!.on('data', (d: Buffer) => {
      serverLog += d.toString()
      const m = /"url":"([^"]+)"[^\n]*"msg":"clickhouse serving"/.exec(serverLog)
      if (m?.[1]) (clearTimeout(timer), resolve(m[1]))
    })
    server.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${serverLog}`)))
  })
  writer = await createClickHouse({ url, user: WRITER.user, password: WRITER.password, database: DB })
})

afterAll(async () => {
  await writer?.close()
  if (server && server.exitCode === null) server.kill('SIGKILL')
})

describe('llmwatch clickhouse serve', () => {
  it('binds 127.0.0.1 and answers /ping', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const r = await fetch(`${url}/ping`)
    expect(r.status).toBe(200)
    expect(await r.text()).toBe('Ok.\n')
  })

  it('llmwatch migrate applies the project schema through it', async () => {
    const r = await llmwatch(['migrate'], { CLICKHOUSE_URL: url, CLICKHOUSE_USER: WRITER.user, CLICKHOUSE_PASSWORD: WRITER.password, CLICKHOUSE_DATABASE: DB })
    expect(r.code, r.err + r.out).toBe(0)
    const rs = await writer.query({ query: 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name', query_params: { db: DB }, format: 'JSONEachRow' })
    const names = (await rs.json<{ name: string }>()).map((t) => t.name)
    expect(names).toEqual(expect.arrayContaining(['interactions', 'scores', 'alerts', 'schema_migrations']))
  })

  it('@clickhouse/client: commands, inserts as the sink sends them, selects, params, streams, query ids, settings, errors', async () => {
    await writer.command({ query: 'CREATE TABLE ev (t DateTime64(3), app LowCardinality(String), s String, ms Float64, tags Array(String)) ENGINE = MergeTree ORDER BY (app, t)' })
    const rows = Array.from({ length: 1000 }, (_, i) => ({ t: 1_700_000_000_000 + i, app: i % 2 ? 'a' : 'b', s: `row ${i}`, ms: i, tags: ['x'] }))
    const inserted = await writer.insert({ table: 'ev', values: rows, format: 'JSONEachRow' })
    expect(inserted.summary?.written_rows).toBe('1000')
    await writer.insert({ table: 'ev', columns: ['t', 'app', 's', 'ms', 'tags'], values: [[1_700_000_100_000, 'c', "it's a\ttab \\ and \"quotes\"", 1.5, ['y', 'z']]], format: 'JSONCompactEachRow' })
    const byApp = await writer.query({ query: 'SELECT app, count() AS n FROM ev WHERE app IN {apps:Array(String)} GROUP BY app ORDER BY app', query_params: { apps: ['a', 'c'] }, format: 'JSONEachRow' })
    expect((await byApp.json<{ app: string; n: string | number }>()).map((r) => [r.app, Number(r.n)])).toEqual([['a', 500], ['c', 1]])
    // A string parameter with a quote, a tab, a backslash and double quotes round-trips.
    const tricky = "it's a\ttab \\ and \"quotes\""
    const one = await writer.query({ query: 'SELECT s, tags FROM ev WHERE s = {s:String}', query_params: { s: tricky }, format: 'JSON' })
    expect((await one.json<{ s: string; tags: string[] }>()).data).toEqual([{ s: tricky, tags: ['y', 'z'] }])
    const dt = await writer.query({ query: 'SELECT count() AS n FROM ev WHERE t >= {from:DateTime64(3)}', query_params: { from: new Date(1_700_000_000_500) }, format: 'JSONEachRow' })
    expect(Number((await dt.json<{ n: string }>())[0]!.n)).toBe(501)
    // Streamed select.
    const stream = (await writer.query({ query: 'SELECT ms FROM ev WHERE app = {app:String} ORDER BY ms', query_params: { app: 'b' }, format: 'JSONEachRow' })).stream()
    let streamed = 0
    for await (const batch of stream) streamed += (batch as unknown[]).length
    expect(streamed).toBe(500)
    // Other formats.
    const csv = await writer.query({ query: "SELECT app, count() AS n FROM ev WHERE app = 'c' GROUP BY app", format: 'CSVWithNames' })
    expect(await csv.text()).toBe('"app","n"\n"c",1\n')
    const tsv = await writer.query({ query: "SELECT 'a' AS x, 2 AS y", format: 'TabSeparated' })
    expect(await tsv.text()).toBe('a\t2\n')
    // Query ids come back; settings apply (max_result_rows=1 refuses 2 rows).
    const withId = await writer.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow', query_id: 'my-query-1' })
    expect(withId.query_id).toBe('my-query-1')
    await expect(writer.query({ query: 'SELECT number FROM numbers(10)', format: 'JSONEachRow', clickhouse_settings: { max_result_rows: '1', result_overflow_mode: 'throw' } })).rejects.toMatchObject({ code: '396' })
    // Settings do not leak into the next request.
    const after = await writer.query({ query: 'SELECT number FROM numbers(10)', format: 'JSONEachRow' })
    expect(await after.json()).toHaveLength(10)
    // The sink's reconcile step: ALTER ... DELETE with mutations_sync.
    await writer.command({ query: "ALTER TABLE ev DELETE WHERE app = 'c'", clickhouse_settings: { mutations_sync: '2' } })
    const left = await writer.query({ query: "SELECT count() AS n FROM ev WHERE app = 'c'", format: 'JSONEachRow' })
    expect(Number((await left.json<{ n: string }>())[0]!.n)).toBe(0)
    // Errors carry ClickHouse's code and type.
    await expect(writer.query({ query: 'SELECT no_such_column FROM ev' })).rejects.toMatchObject({ code: '47', type: 'UNKNOWN_IDENTIFIER' })
    await expect(writer.query({ query: 'SELECT * FROM no_such_table' })).rejects.toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' })
    await expect(writer.insert({ table: 'ev', values: [{ t: 'not a time', app: 'x' }], format: 'JSONEachRow' })).rejects.toMatchObject({ code: expect.stringMatching(/^\d+$/) })
    // Compressed request and response bodies, as @clickhouse/client sends them when asked.
    const gz = createClient({ url, username: WRITER.user, password: WRITER.password, database: DB, compression: { request: true, response: true } })
    try {
      await gz.insert({ table: 'ev', values: [{ t: 1_700_000_200_000, app: 'gz', s: 'zipped', ms: 1, tags: [] }], format: 'JSONEachRow' })
      const z = await gz.query({ query: "SELECT s FROM ev WHERE app = 'gz'", format: 'JSONEachRow' })
      expect(await z.json()).toEqual([{ s: 'zipped' }])
    } finally {
      await gz.close()
    }
  })

  it.skipIf(!hasCurl)('curl: GET ?query=, POST bodies, FORMAT, default_format, database, params, errors', async () => {
    const auth = ['-u', `${WRITER.user}:${WRITER.password}`]
    expect(await curl([...auth, q('SELECT 1')])).toMatchObject({ status: 200, body: '1\n' })
    expect(await curl([...auth, `${url}/`, '--data-binary', 'SELECT 2 AS x FORMAT JSONEachRow'])).toMatchObject({ status: 200, body: '{"x":2}\n' })
    await curl([...auth, `${url}/?database=${DB}`, '--data-binary', 'CREATE TABLE c (x UInt32, s String) ENGINE = MergeTree ORDER BY x'])
    const ins = await curl([...auth, q('INSERT INTO c FORMAT JSONEachRow', `&database=${DB}`), '--data-binary', '{"x":1,"s":"one"}\n{"x":2,"s":"two"}\n'])
    expect(ins.status, ins.body).toBe(200)
    expect(await curl([...auth, q(`SELECT x, s FROM ${DB}.c ORDER BY x FORMAT CSV`)])).toMatchObject({ status: 200, body: '1,"one"\n2,"two"\n' })
    expect(await curl([...auth, q('SELECT count() AS n FROM c', `&database=${DB}&default_format=JSONEachRow`)])).toMatchObject({ body: '{"n":2}\n' })
    expect(await curl([...auth, '-H', `X-ClickHouse-Database: ${DB}`, q('SELECT s FROM c WHERE x = {x:UInt32}', '&param_x=2')])).toMatchObject({ body: 'two\n' })
    const bad = await curl([...auth, q('SELEC 1')])
    expect(bad).toMatchObject({ status: 400, code: '62' })
    expect(bad.body).toMatch(/^Code: 62\. DB::Exception: .*\(SYNTAX_ERROR\)/)
    // GET is read-only, as in ClickHouse.
    expect(await curl([...auth, q(`DROP TABLE ${DB}.c`)])).toMatchObject({ status: 403, code: '164' })
    expect(await curl([...auth, '-H', `X-ClickHouse-User: ${WRITER.user}`, q('SELECT 1')])).toMatchObject({ status: 200 })
    expect((await curl([`${url}/nowhere`])).status).toBe(404)
  })

  it('the reader reads, and cannot write, drop, alter, create, read files or lift readonly', async () => {
    const reader = await createClickHouse({ url, user: READER.user, password: READER.password, database: DB })
    try {
      const rs = await reader.query({ query: "SELECT count() AS n FROM ev WHERE app = 'a'", format: 'JSONEachRow' })
      expect(Number((await rs.json<{ n: string }>())[0]!.n)).toBe(500)
      const refused = [
        () => reader.insert({ table: 'ev', values: [{ t: 1, app: 'r', s: '', ms: 0, tags: [] }], format: 'JSONEachRow' }),
        () => reader.command({ query: 'DROP TABLE ev' }),
        () => reader.command({ query: 'TRUNCATE TABLE ev' }),
        () => reader.command({ query: "ALTER TABLE ev DELETE WHERE app = 'a'" }),
        () => reader.command({ query: 'ALTER TABLE ev ADD COLUMN z UInt8' }),
        () => reader.command({ query: 'CREATE TABLE r (x UInt8) ENGINE = Memory' }),
        () => reader.command({ query: 'CREATE DATABASE r' }),
        () => reader.command({ query: 'SET readonly = 0' }),
        () => reader.query({ query: 'SELECT 1 SETTINGS readonly = 0' }),
        () => reader.query({ query: 'SELECT 1', clickhouse_settings: { readonly: '0' } }),
        () => reader.query({ query: 'SELECT 1', clickhouse_settings: { max_execution_time: 3600 } }),
        () => reader.query({ query: "SELECT * FROM file('/etc/passwd', LineAsString)" }),
        () => reader.query({ query: "SELECT * FROM url('http://127.0.0.1:1/', LineAsString)" }),
        () => reader.command({ query: "INSERT INTO FUNCTION file('/tmp/llmwatch-reader.tsv', TSV, 'x UInt8') VALUES (1)" }),
      ]
      for (const attempt of refused) await expect(attempt()).rejects.toMatchObject({ code: '164' })
      await expect(reader.command({ query: 'DROP TABLE ev' })).rejects.toThrow(`${READER.user}: Cannot execute query in readonly mode`)
      // Nothing changed.
      const n = await writer.query({ query: "SELECT count() AS n FROM ev WHERE app = 'a'", format: 'JSONEachRow' })
      expect(Number((await n.json<{ n: string }>())[0]!.n)).toBe(500)
      // Limits: max_execution_time 2 s and max_result_rows 1000 in this server's configuration.
      await expect(reader.query({ query: 'SELECT count() FROM numbers(1000000000000)' })).rejects.toMatchObject({ code: '159' })
      await expect(reader.query({ query: 'SELECT number FROM numbers(5000)', format: 'JSONEachRow' })).rejects.toMatchObject({ code: '396' })
    } finally {
      await reader.close()
    }
  })

  it('wrong credentials get 401 with code 516 and the same answer for an unknown user', async () => {
    const wrong = await fetch(q('SELECT 1'), { headers: { Authorization: `Basic ${Buffer.from(`${READER.user}:nope`).toString('base64')}` } })
    const unknown = await fetch(q('SELECT 1'), { headers: { 'X-ClickHouse-User': 'mallory', 'X-ClickHouse-Key': 'x' } })
    const none = await fetch(q('SELECT 1'))
    for (const [r, user] of [[wrong, READER.user], [unknown, 'mallory'], [none, 'default']] as const) {
      expect(r.status).toBe(401)
      expect(r.headers.get('x-clickhouse-exception-code')).toBe('516')
      const body = await r.text()
      expect(body).toMatch(new RegExp(`^Code: 516\\. DB::Exception: ${user}: Authentication failed: password is incorrect, or there is no user with such name\\. \\(AUTHENTICATION_FAILED\\)`))
      expect(body).not.toContain(dataDir)
    }
    const client = createClient({ url, username: WRITER.user, password: 'wrong' })
    try {
      await expect(client.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' })
    } finally {
      await client.close()
    }
    const r = await llmwatch(['sql', 'SELECT 1'], { CLICKHOUSE_URL: url, CLICKHOUSE_USER: READER.user, CLICKHOUSE_PASSWORD: 'nope', CLICKHOUSE_DATABASE: DB })
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/Authentication failed.*check CLICKHOUSE_USER and CLICKHOUSE_PASSWORD/)
  })

  it('llmwatch sql runs through CLICKHOUSE_URL as the reader', async () => {
    const r = await llmwatch(['sql', "SELECT app, count() AS n FROM ev WHERE app IN ('a', 'b') GROUP BY app ORDER BY app"], { CLICKHOUSE_URL: url, CLICKHOUSE_USER: READER.user, CLICKHOUSE_PASSWORD: READER.password, CLICKHOUSE_DATABASE: DB })
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(/app \| +n\n.*\na +\| +500\nb +\| +500\n\(2 rows\)/)
    const denied = await llmwatch(['sql', 'DROP TABLE ev'], { CLICKHOUSE_URL: url, CLICKHOUSE_USER: READER.user, CLICKHOUSE_PASSWORD: READER.password, CLICKHOUSE_DATABASE: DB })
    expect(denied.code).toBe(1)
    expect(denied.err).toMatch(/readonly/i)
  })

  it('inserts keep going while a 5 s query runs (p99 under 1 s)', async () => {
    await writer.command({ query: 'CREATE TABLE lat (i UInt32, s String) ENGINE = MergeTree ORDER BY i' })
    const slowStart = Date.now()
    // 10 blocks of one row, 0.5 s each: 5 s on a read session.
    const slow = writer.query({ query: 'SELECT sum(sleepEachRow(0.5)) AS z FROM numbers(10) SETTINGS max_block_size = 1', format: 'JSONEachRow' }).then(async (r) => (await r.json(), Date.now()))
    await new Promise((r) => setTimeout(r, 200))
    const latencies: number[] = []
    let i = 0
    while (Date.now() - slowStart < 4_500) {
      const values = Array.from({ length: 1000 }, (_, k) => ({ i: i * 1000 + k, s: 'x'.repeat(50) }))
      const t = performance.now()
      await writer.insert({ table: 'lat', values, format: 'JSONEachRow' })
      latencies.push(performance.now() - t)
      i++
    }
    const slowEnd = await slow
    expect(slowEnd - slowStart).toBeGreaterThanOrEqual(4_900)
    latencies.sort((a, b) => a - b)
    const p = (x: number) => latencies[Math.min(latencies.length - 1, Math.ceil((x / 100) * latencies.length) - 1)]!
    console.log(`[serve] ${latencies.length} inserts of 1000 rows during a ${slowEnd - slowStart} ms query: p50 ${p(50).toFixed(1)} ms, p99 ${p(99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`)
    expect(latencies.length).toBeGreaterThan(10)
    expect(p(99)).toBeLessThan(1000)
  })

  it("analysts filling every read slot do not hold back the writer's SELECT + INSERT (the sink's pattern)", async () => {
    const reader = await createClickHouse({ url, user: READER.user, password: READER.password, database: DB })
    try {
      const t0 = Date.now()
      // 4 reader queries of 1.5 s (under the reader's 2 s limit) for 2 read slots: ~3 s of full line.
      const analysts = Array.from({ length: 4 }, () => reader.query({ query: 'SELECT sum(sleepEachRow(0.15)) AS z FROM numbers(10)', format: 'JSONEachRow' }).then(async (r) => (await r.json(), Date.now() - t0)))
      await new Promise((r) => setTimeout(r, 200))
      const latencies: number[] = []
      for (let i = 0; Date.now() - t0 < 2_800; i++) {
        const t = performance.now()
        await writer.query({ query: 'SELECT count() AS n FROM lat WHERE i >= {from:UInt32}', query_params: { from: i * 100 }, format: 'JSONEachRow' }).then((r) => r.json())
        await writer.insert({ table: 'lat', values: Array.from({ length: 100 }, (_, k) => ({ i: 10_000_000 + i * 100 + k, s: 'y' })), format: 'JSONEachRow' })
        latencies.push(performance.now() - t)
      }
      const done = await Promise.all(analysts)
      expect(Math.max(...done)).toBeGreaterThanOrEqual(2_900) // the line was full the whole time
      latencies.sort((a, b) => a - b)
      console.log(`[serve] ${latencies.length} SELECT + INSERT pairs while 4 analyst queries queue for 2 slots: p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`)
      expect(latencies.length).toBeGreaterThan(5)
      expect(latencies.at(-1)!).toBeLessThan(1000)
    } finally {
      await reader.close()
    }
  })

  it('llmwatch infra up serves ClickHouse beside the broker; status shows its URL and directory; sql reaches it; down stops it', async (ctx) => {
    // The state file is the repository's: leave someone's running infrastructure alone.
    if ((await llmwatch(['infra', 'status'], {})).code === 0) ctx.skip()
    const dir = tempDir('llmwatch-infra-ch-')
    const env = { KAFKA_BROKERS: '127.0.0.1:9', CLICKHOUSE_PATH: dir }
    const up = await llmwatch(['infra', 'up'], env, 90_000)
    expect(up.code, up.err).toBe(0)
    try {
      const state = JSON.parse(up.out) as { clickhouse: { mode: string; url: string; path: string; pid: number } }
      expect(state.clickhouse).toMatchObject({ mode: 'served', path: dir, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) })
      expect(up.err).toContain(`export CLICKHOUSE_URL=${state.clickhouse.url}`)
      const status = await llmwatch(['infra', 'status'], {})
      expect(status.code).toBe(0)
      expect(JSON.parse(status.out)).toMatchObject({ clickhouse: { mode: 'served', url: state.clickhouse.url, path: dir, running: true } })
      // With CLICKHOUSE_URL, and without it on the served directory (chDB would refuse to open it twice).
      for (const extra of [{ CLICKHOUSE_URL: state.clickhouse.url }, { CLICKHOUSE_PATH: dir }] as Record<string, string>[]) {
        const r = await llmwatch(['sql', 'SELECT 40 + 2 AS answer', '--format', 'json'], extra)
        expect(r.code, r.err).toBe(0)
        expect(JSON.parse(r.out)).toEqual([{ answer: 42 }])
      }
    } finally {
      const down = await llmwatch(['infra', 'down'], {})
      expect(down.code, down.err).toBe(0)
    }
    expect((await llmwatch(['infra', 'status'], {})).out.trim()).toBe('down')
  })

  it('honours CLICKHOUSE_SERVE_MAX_MEMORY_MB: a query over it fails with code 241, the server keeps serving', async () => {
    const setting = await writer.query({ query: "SELECT value FROM system.server_settings WHERE name = 'max_server_memory_usage'", format: 'JSONEachRow' })
    expect(Number((await setting.json<{ value: string }>())[0]!.value)).toBe(400 * 1024 * 1024)
    await expect(writer.query({ query: 'SELECT length(groupArray(toString(number))) FROM numbers(100000000)' })).rejects.toMatchObject({ code: '241', type: 'MEMORY_LIMIT_EXCEEDED' })
    const after = await writer.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })
    expect(await after.json()).toEqual([{ one: 1 }])
  })

  it('bad usage or configuration: exit 2 naming the variable', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['clickhouse'], {}, /usage: llmwatch clickhouse serve/],
      [['clickhouse', 'start'], {}, /usage: llmwatch clickhouse serve/],
      [['clickhouse', 'serve'], { CLICKHOUSE_SERVE_PORT: 'http' }, /CLICKHOUSE_SERVE_PORT: .*got "http"/],
      [['clickhouse', 'serve'], { CLICKHOUSE_SERVE_READER_USER: 'default' }, /CLICKHOUSE_SERVE_READER_USER: expected a name different from CLICKHOUSE_SERVE_WRITER_USER/],
      [['clickhouse', 'serve'], { CLICKHOUSE_SERVE_READ_SESSIONS: '0' }, /CLICKHOUSE_SERVE_READ_SESSIONS: /],
      [['clickhouse', 'serve'], { CLICKHOUSE_SERVE_WRITER_USER: 'bob smith' }, /CLICKHOUSE_SERVE_WRITER_USER: expected a user name/],
    ]
    for (const [args, env, message] of cases) {
      const r = await llmwatch(args, { CLICKHOUSE_PATH: tempDir('llmwatch-serve-bad-'), ...env })
      expect(r.err).toMatch(message)
      expect(r.code).toBe(2)
    }
    // The served directory is held: a second server on it fails at once with the reason (exit 1).
    const second = await llmwatch(['clickhouse', 'serve'], { CLICKHOUSE_PATH: dataDir, CLICKHOUSE_SERVE_PORT: '0' })
    expect(second.code).toBe(1)
    expect(second.err).toMatch(/another process holds it/)
  })

  it('stops on SIGTERM with exit code 0', async () => {
    server.kill('SIGTERM')
    expect(await exited, serverLog).toBe(0)
    const stopped = /\{[^\n]*"msg":"clickhouse stopped"[^\n]*\}/.exec(serverLog)
    expect(stopped, serverLog).not.toBeNull()
    const peak = (JSON.parse(stopped![0]) as { peakRssMb: number }).peakRssMb
    console.log(`[serve] peak RSS of the server over this file: ${peak} MB`)
    expect(peak).toBeGreaterThan(50)
  })
})
