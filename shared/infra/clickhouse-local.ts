/**
 * `llmwatch clickhouse serve` as a detached child process (for `llmwatch infra up`): started with the
 * same Node and CLI, logging to a file, ready once /ping answers.
 */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { LlmwatchError } from '../errors.js'
import { repoPath } from '../paths.js'
import { freePort } from './ports.js'

export interface ServedClickHouse {
  url: string
  pid: number
  logFile: string
}

export async function startServedClickHouse(opts: {
  path: string
  env: Record<string, string | undefined>
  logFile: string
  log?: (m: string) => void
}): Promise<ServedClickHouse> {
  const dir = path.resolve(opts.path)
  const port = opts.env.CLICKHOUSE_SERVE_PORT ? Number(opts.env.CLICKHOUSE_SERVE_PORT) : await freePort()
  const host = opts.env.CLICKHOUSE_SERVE_HOST ?? '127.0.0.1'
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
  mkdirSync(path.dirname(opts.logFile), { recursive: true })
  const out = openSync(opts.logFile, 'a')
  opts.log?.(`starting llmwatch clickhouse serve on ${url} for ${dir} (log ${opts.logFile})`)
  const child = spawn(process.execPath, [repoPath('bin', 'llmwatch.mjs'), 'clickhouse', 'serve'], {
    cwd: repoPath(),
    env: { ...process.env, ...opts.env, CLICKHOUSE_PATH: dir, CLICKHOUSE_SERVE_PORT: String(port), CLICKHOUSE_SERVE_HOST: host },
    stdio: ['ignore', out, out],
    detached: true,
  })
  closeSync(out)
  child.unref()
  let exited: number | null = null
  child.once('exit', (code) => (exited = code ?? -1))
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline && exited === null) {
    const ok = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)
    if (ok) return { url, pid: child.pid!, logFile: opts.logFile }
    await new Promise((r) => setTimeout(r, 250))
  }
  if (exited === null) child.kill('SIGKILL')
  const tail = existsSync(opts.logFile) ? readFileSync(opts.logFile, 'utf8').slice(-2000) : ''
  throw new LlmwatchError('INFRA', `llmwatch clickhouse serve did not answer ${url}/ping ${exited === null ? 'within 60 s' : `(exited with ${exited})`}. Log tail:\n${tail}`)
}
