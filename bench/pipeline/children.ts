/**
 * The services as child processes, the way they are deployed (`node bin/llmwatch.mjs run <name>`),
 * plus what the benchmark reads from outside each one: /healthz on its METRICS_PORT and peak
 * memory from /proc/<pid>/status (VmHWM is the kernel's high-water mark of the resident set, so a
 * short peak between two samples is not missed).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '../../shared/infra/ports.js'
import { repoPath } from '../../shared/paths.js'

export interface Child {
  name: string
  pid: number
  port: number
  logFile: string
  /** /healthz as JSON (null while the server is not up yet). */
  health(): Promise<Record<string, unknown> | null>
  /** Sum of a Prometheus series from /metrics over the series whose labels include every `labels` pair. */
  metric(name: string, labels: Record<string, string>): Promise<number | null>
  /** Peak and current resident set in MB, from /proc (null once the process is gone). */
  memory(): { hwmMb: number; rssMb: number } | null
  /** CPU time (user + system, all threads) the process has used so far, in seconds. */
  cpuSeconds(): number | null
  /** Largest VmRSS seen by `sample()` and the VmHWM read at the last sample. */
  peak(): { hwmMb: number; sampledRssMb: number }
  sample(): void
  exited(): boolean
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves with the exit code (or signal). */
  stop(graceMs?: number): Promise<string>
}

/** VmHWM / VmRSS of a live process in MB. */
export function procMemory(pid: number): { hwmMb: number; rssMb: number } | null {
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 }
}

/** utime + stime of a live process from /proc/<pid>/stat, in seconds (USER_HZ is 100 on Linux). */
export function procCpuSeconds(pid: number): number | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  // Fields after the command name (which may contain spaces) start at field 3, "state".
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

/**
 * Starts `args` (default: `bin/llmwatch.mjs run <name>`) with `env` on top of this process's
 * environment and a free METRICS_PORT; stdout and stderr go to `<logDir>/<name>.log`.
 */
export async function startChild(opts: { name: string; env: Record<string, string>; logDir: string; args?: string[]; ipc?: boolean }): Promise<{ child: Child; proc: ChildProcess }> {
  const port = await freePort()
  const logFile = join(opts.logDir, `${opts.name}.log`)
  const out = createWriteStream(logFile)
  const args = opts.args ?? [repoPath('bin', 'llmwatch.mjs'), 'run', opts.name]
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to every child's node.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const proc = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: repoPath(),
    env: { ...process.env, ...opts.env, METRICS_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe', ...(opts.ipc ? (['ipc'] as const) : [])],
  })
  proc.stdout?.pipe(out)
  proc.stderr?.pipe(out)
  if (proc.pid === undefined) throw new Error(`could not start ${opts.name}`)
  const pid = proc.pid
  let exit: string | null = null
  const exited = new Promise<string>((resolve) =>
    proc.once('exit', (code, signal) => {
      exit = signal ?? String(code)
      resolve(exit)
    }),
  )
  let hwm = 0
  let maxRss = 0
  const child: Child = {
    name: opts.name,
    pid,
    port,
    logFile,
    health: async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
        return (await res.json()) as Record<string, unknown>
      } catch (err) {
        // Not listening yet (or busy): the caller polls again.
        if (err instanceof TypeError || (err as Error).name === 'TimeoutError') return null
        throw err
      }
    },
    metric: async (name, labels) => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })
      return sumSeries(await res.text(), name, labels)
    },
    memory: () => procMemory(pid),
    cpuSeconds: () => procCpuSeconds(pid),
    sample: () => {
      const m = procMemory(pid)
      if (!m) return
      hwm = Math.max(hwm, m.hwmMb)
      maxRss = Math.max(maxRss, m.rssMb)
    },
    peak: () => ({ hwmMb: hwm, sampledRssMb: maxRss }),
    exited: () => exit !== null,
    stop: async (graceMs = 20_000) => {
      if (exit !== null) return exit
      child.sample()
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
      const how = await exited
      clearTimeout(timer)
      await new Promise<void>((r) => out.end(() => r()))
      return how
    },
  }
  return { child, proc }
}

/** Sum of the samples of `name` in Prometheus text whose labels include every pair of `labels`. */
export function sumSeries(text: string, name: string, labels: Record<string, string>): number | null {
  let sum: number | null = null
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    const m = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line)
    if (!m) continue
    const have = m[1] ?? ''
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) sum = (sum ?? 0) + Number(m[2])
  }
  return sum
}

/** Polls `check` every `everyMs` until it returns true; throws after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`)
    await sleep(everyMs)
  }
}

/** The last `n` lines of a log file, for error messages. */
export function tail(file: string, n = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n')
  } catch (err) {
    return `(no log: ${(err as Error).message})`
  }
}
