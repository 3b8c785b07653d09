/**
 * A real schema registry with a Confluent-compatible API for the tests of SCHEMA_REGISTRY_URL:
 * Apicurio Registry 2.6 (in-memory storage) from Maven Central, run with the machine's Java. Maven
 * unpacks its distribution into .cache/schema-registry once (infra/schema-registry/pom.xml); each
 * start is a fresh, empty registry on a free port, ready in about 5 s. The Confluent API is at
 * `${url}` (= http://127.0.0.1:PORT/apis/ccompat/v7).
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { freePort } from '../shared/infra/ports.js'
import { repoPath } from '../shared/paths.js'

const POM = repoPath('infra', 'schema-registry', 'pom.xml')
const CACHE = process.env.LLMWATCH_REGISTRY_CACHE ?? repoPath('.cache', 'schema-registry')

export interface LocalRegistry {
  /** The Confluent-compatible API's base URL: the value for SCHEMA_REGISTRY_URL. */
  url: string
  stop(): Promise<void>
}

function ensureDistribution(): string {
  const version = /<apicurio\.version>([^<]+)<\/apicurio\.version>/.exec(readFileSync(POM, 'utf8'))?.[1]
  if (!version) throw new Error(`no <apicurio.version> in ${POM}`)
  const dir = path.join(CACHE, version)
  const jar = path.join(dir, `apicurio-registry-app-${version}-runner.jar`)
  if (existsSync(jar) && existsSync(path.join(dir, '.complete'))) return jar
  mkdirSync(dir, { recursive: true })
  const res = spawnSync('mvn', ['-q', '-B', '-f', POM, 'dependency:unpack', `-DoutputDirectory=${dir}`], { encoding: 'utf8' })
  if (res.error) throw new Error(`could not run mvn (is Maven installed?): ${res.error.message}`)
  if (res.status !== 0 || !existsSync(jar)) throw new Error(`mvn dependency:unpack of Apicurio Registry failed (exit ${res.status}):\n${(res.stdout + res.stderr).slice(-3000)}\nfiles: ${readdirSync(dir).join(', ')}`)
  writeFileSync(path.join(dir, '.complete'), new Date().toISOString())
  return jar
}

export async function startLocalRegistry(logFile: string): Promise<LocalRegistry> {
  const jar = ensureDistribution()
  const port = await freePort()
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java'
  const out = openSync(logFile, 'a')
  const child = spawn(java, ['-Xmx256m', `-Dquarkus.http.port=${port}`, '-Dquarkus.http.host=127.0.0.1', '-Dquarkus.http.non-application-root-path=/q', '-jar', jar], {
    stdio: ['ignore', out, out],
  })
  closeSync(out)
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`
  let exited: number | null = null
  child.on('exit', (code) => (exited = code ?? -1))
  const stop = async (): Promise<void> => {
    if (exited !== null) return
    const gone = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await gone
    clearTimeout(timer)
  }
  const deadline = Date.now() + 90_000
  for (;;) {
    if (exited !== null) throw new Error(`Apicurio Registry exited with ${exited} before it was ready; see ${logFile}`)
    try {
      const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) })
      if (res.ok) return { url, stop }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`Apicurio Registry not ready within 90 s; see ${logFile}`)
    }
    await new Promise((r) => setTimeout(r, 300))
  }
}
