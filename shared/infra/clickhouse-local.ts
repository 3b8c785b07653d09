/**
 * `llmwatch clickhouse serve` as a child process: for `llmwatch infra up` (detached, outlives the
 * command), `llmwatch demo`, the test suite and the benchmarks (owned: stopped with `stop()`, killed
 * when this process exits). Started with the same Node and CLI, logging to a file, ready once /ping
 * answers.
 */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { LlmwatchError } from '../errors.js'
import { repoPath } from '../paths.js'
import { freePort } from './ports.js'
import { pidAlive } from './state.js'

export interface ServedClickHouse {
  url: string
  pid: number
  logFile: string
  /** SIGTERM (the server finishes its requests, closes its sessions, logs its peak RSS), SIGKILL after 20 s. */
  stop(): Promise<void>
}

export async function startServedClickHouse(opts: {
  path: string
  /** CLICKHOUSE_SERVE_* and the rest of the server's environment (over this process's). */
  env: Record<string, string | undefined>
  logFile: string
  /** Outlive this process (`infra up`); otherwise it is killed when this process exits. */
  detached?: boolean
  log?: (m: string) => void
}): Promise<ServedClickHouse> {
  const dir = path.resolve(opts.path)
  const port = opts.env.CLICKHOUSE_SERVE_PORT && opts.env.CLICKHOUSE_SERVE_PORT !== '0' ? Number(opts.env.CLICKHOUSE_SERVE_PORT) : await freePort()
  const host = opts.env.CLICKHOUSE_SERVE_HOST ?? '127.0.0.1'
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
  mkdirSync(path.dirname(opts.logFile), { recursive: true })
  const out = openSync(opts.logFile, 'a')
  opts.log?.(`starting llmwatch clickhouse serve on ${url} for ${dir} (log ${opts.logFile})`)
  const child = spawn(process.execPath, [repoPath('bin', 'llmwatch.mjs'), 'clickhouse', 'serve'], {
    cwd: repoPath(),
    env: { ...process.env, ...opts.env, CLICKHOUSE_PATH: dir, CLICKHOUSE_SERVE_PORT: String(port), CLICKHOUSE_SERVE_HOST: host },
    stdio: ['ignore', out, out],
    // Its own process group either way: a Ctrl-C in the terminal reaches only the parent, which
    // stops its services before their ClickHouse.
    detached: true,
  })
  closeSync(out)
  let exited: number | null = null
  const killAtExit = () => {
    if (exited === null) child.kill('SIGKILL')
  }
  if (opts.detached) child.unref()
  else process.once('exit', killAtExit)
  child.once('exit', (code) => {
    exited = code ?? -1
    process.off('exit', killAtExit)
  })
  const pid = child.pid!
  const stop = async () => {
    if (exited !== null || !pidAlive(pid)) return
    child.kill('SIGTERM')
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline && exited === null && pidAlive(pid)) await new Promise((r) => setTimeout(r, 100))
    if (exited === null && pidAlive(pid)) child.kill('SIGKILL')
  }
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline && exited === null) {
    const ok = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)
    if (ok) return { url, pid, logFile: opts.logFile, stop }
    await new Promise((r) => setTimeout(r, 250))
  }
  if (exited === null) child.kill('SIGKILL')
  const tail = existsSync(opts.logFile) ? readFileSync(opts.logFile, 'utf8').slice(-2000) : ''
  throw new LlmwatchError('INFRA', `llmwatch clickhouse serve did not answer ${url}/ping ${exited === null ? 'within 60 s' : `(exited with ${exited})`}. Log tail:\n${tail}`)
}
