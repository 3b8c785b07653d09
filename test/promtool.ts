/**
 * promtool for the Prometheus rules tests (test/integration/prometheus-rules.test.ts), installed by
 * the project itself: `PROMTOOL` if set, else `promtool` on PATH, else the one unpacked earlier into
 * .cache/prometheus/, else Debian's `prometheus` package is downloaded with apt (`apt-get update`
 * first when apt has no package lists, as on a fresh CI machine; root) and unpacked there. Unpacking
 * (dpkg-deb -x) instead of `apt-get install` leaves the system as it is and never starts a
 * Prometheus server (the package's install script would). Called once by test/global-setup.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { repoPath } from '../shared/paths.js'

const DEFAULT_CACHE = repoPath('.cache', 'prometheus')

function runs(bin: string): boolean {
  return spawnSync(bin, ['--version'], { stdio: 'ignore', timeout: 30_000 }).status === 0
}

/** The path of a working promtool; throws with what was tried when there is none and none can be installed. */
export function ensurePromtool(log: (m: string) => void = () => {}, cache = DEFAULT_CACHE): string {
  const CACHED = path.join(cache, 'usr', 'bin', 'promtool')
  const fromEnv = process.env['PROMTOOL']
  if (fromEnv) {
    if (runs(fromEnv)) return fromEnv
    throw new Error(`PROMTOOL=${fromEnv} does not run`)
  }
  if (runs('promtool')) return 'promtool'
  if (existsSync(CACHED) && runs(CACHED)) return CACHED
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('promtool not found and apt-get is not available: install Prometheus (promtool) or set PROMTOOL')
  }
  const started = Date.now()
  log(`promtool not found: downloading Debian package prometheus (unpacked into ${path.relative(repoPath(), cache)}, not installed)`)
  // A private directory, renamed into place: concurrent test runs never see half an unpacking.
  const tmp = `${cache}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  try {
    const download = () => spawnSync('apt-get', ['download', '-q', 'prometheus'], { cwd: tmp, encoding: 'utf8', timeout: 300_000 })
    let res = download()
    if (res.status !== 0) {
      // A fresh machine has no package lists yet.
      log('apt-get download failed; running apt-get update first')
      execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore', timeout: 300_000 })
      res = download()
    }
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'))
    if (res.status !== 0 || !deb) throw new Error(`apt-get download prometheus failed: ${(res.stderr || res.stdout || '').trim().slice(0, 500)}`)
    execFileSync('dpkg-deb', ['-x', path.join(tmp, deb), tmp], { stdio: 'ignore', timeout: 120_000 })
    rmSync(path.join(tmp, deb), { force: true })
    if (!existsSync(CACHED)) {
      try {
        renameSync(tmp, cache)
      } catch {
        // Another run put it in place first.
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  if (!runs(CACHED)) throw new Error(`unpacked promtool at ${CACHED} does not run`)
  log(`promtool ready at ${path.relative(repoPath(), CACHED)} in ${Date.now() - started} ms`)
  return CACHED
}
