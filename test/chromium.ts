/**
 * Chromium for the dashboard's browser tests and screenshots, installed by the project itself:
 * `CHROMIUM` if set, else `chromium` on PATH, else Debian's `chromium` package (and fonts-liberation, for readable screenshots) with apt-get (root;
 * `apt-get update` first when apt has no package lists, as on a fresh CI machine). Unlike promtool
 * (test/promtool.ts, unpacked only) Chromium needs its shared libraries, so it is installed.
 * playwright-core (a dev dependency) drives it; it never downloads a browser of its own.
 */
import { execFileSync, spawnSync } from 'node:child_process'

function runs(bin: string): boolean {
  return spawnSync(bin, ['--version'], { stdio: 'ignore', timeout: 60_000 }).status === 0
}

function which(bin: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : null
}

/** The path of a working Chromium; throws with what was tried when there is none and none can be installed. */
export function ensureChromium(log: (m: string) => void = () => {}): string {
  const fromEnv = process.env['CHROMIUM']
  if (fromEnv) {
    if (runs(fromEnv)) return fromEnv
    throw new Error(`CHROMIUM=${fromEnv} does not run`)
  }
  for (const name of ['chromium', 'chromium-browser']) {
    const p = which(name)
    if (p && runs(p)) return p
  }
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('chromium not found and apt-get is not available: install Chromium or set CHROMIUM to its path')
  }
  const started = Date.now()
  log('chromium not found: installing Debian package chromium with apt-get')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const install = () => spawnSync('apt-get', ['install', '-y', '-q', 'chromium', 'fonts-liberation'], { encoding: 'utf8', env, timeout: 900_000 })
  let res = install()
  if (res.status !== 0) {
    log('apt-get install failed; running apt-get update first')
    execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore', timeout: 300_000 })
    res = install()
  }
  const p = which('chromium')
  if (res.status !== 0 || !p || !runs(p)) throw new Error(`apt-get install chromium failed: ${(res.stderr || res.stdout || '').trim().slice(-800)}`)
  log(`chromium ready at ${p} in ${Date.now() - started} ms`)
  return p
}

/** Flags for Chromium as root in a container: no sandbox (root), no GPU, small /dev/shm. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', '--font-render-hinting=none']
