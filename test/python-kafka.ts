/**
 * A Python with confluent-kafka (librdkafka) and the Apache Avro library, for the test that reads the
 * output topics the way a Python integration would (test/python/read_topic.py). Debian's packages
 * python3-confluent-kafka, librdkafka1 and python3-avro are downloaded with apt (`apt-get update`
 * first on a fresh machine) and unpacked into .cache/python-kafka/ (dpkg-deb -x: the system is left
 * as it is), used with the system's /usr/bin/python3 through PYTHONPATH and LD_LIBRARY_PATH.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { repoPath } from '../shared/paths.js'

const CACHE = repoPath('.cache', 'python-kafka')
const PACKAGES = ['python3-confluent-kafka', 'librdkafka1', 'python3-avro']
const PYTHON = '/usr/bin/python3'

export interface PythonKafka {
  python: string
  env: Record<string, string>
}

function envFor(root: string): Record<string, string> {
  return {
    PYTHONPATH: path.join(root, 'usr', 'lib', 'python3', 'dist-packages'),
    LD_LIBRARY_PATH: [path.join(root, 'usr', 'lib', 'x86_64-linux-gnu'), path.join(root, 'usr', 'lib', 'aarch64-linux-gnu'), process.env.LD_LIBRARY_PATH ?? ''].filter(Boolean).join(':'),
  }
}

function works(env: Record<string, string>): boolean {
  return spawnSync(PYTHON, ['-c', 'import confluent_kafka, avro.io'], { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 30_000 }).status === 0
}

/** Throws with what is missing when it cannot be provided. */
export function ensurePythonKafka(log: (m: string) => void = () => {}): PythonKafka {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: the Python consumer test needs Debian's python3`)
  if (works({})) return { python: PYTHON, env: {} }
  if (existsSync(CACHE) && works(envFor(CACHE))) return { python: PYTHON, env: envFor(CACHE) }
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) throw new Error(`apt-get is not available: install ${PACKAGES.join(', ')}`)
  log(`downloading Debian packages ${PACKAGES.join(', ')} (unpacked into .cache/python-kafka, not installed)`)
  const tmp = `${CACHE}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  try {
    const download = () => spawnSync('apt-get', ['download', '-q', ...PACKAGES], { cwd: tmp, encoding: 'utf8', timeout: 300_000 })
    let res = download()
    if (res.status !== 0) {
      log('apt-get download failed; running apt-get update first')
      execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore', timeout: 300_000 })
      res = download()
    }
    const debs = readdirSync(tmp).filter((f) => f.endsWith('.deb'))
    if (res.status !== 0 || debs.length !== PACKAGES.length) throw new Error(`apt-get download ${PACKAGES.join(' ')} failed: ${(res.stderr || res.stdout || '').trim().slice(0, 500)}`)
    for (const deb of debs) {
      execFileSync('dpkg-deb', ['-x', path.join(tmp, deb), tmp], { stdio: 'ignore', timeout: 120_000 })
      rmSync(path.join(tmp, deb), { force: true })
    }
    rmSync(CACHE, { recursive: true, force: true })
    renameSync(tmp, CACHE)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  if (!works(envFor(CACHE))) throw new Error(`confluent_kafka or avro does not import from ${CACHE} with ${PYTHON}`)
  return { python: PYTHON, env: envFor(CACHE) }
}
