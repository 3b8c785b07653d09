/**
 * A real Apache Kafka broker (KRaft, single node: broker + controller) run with the machine's Java
 * from Maven Central artifacts. Maven copies org.apache.kafka:kafka_2.13 and its runtime
 * dependencies (plus a log4j2 binding, which the published POM lacks) into a cache folder once;
 * later starts reuse it. Readiness is polled with the Kafka admin API, never slept on.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs'
import path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { LlmwatchError } from '../errors.js'
import { repoPath } from '../paths.js'
import { freePort } from './ports.js'

export const KAFKA_POM = repoPath('infra', 'kafka', 'pom.xml')
export const KAFKA_CACHE = process.env.LLMWATCH_KAFKA_CACHE ?? repoPath('.cache', 'kafka')

function kafkaVersion(): string {
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(KAFKA_POM, 'utf8'))
  if (!m?.[1]) throw new LlmwatchError('INFRA', `no <kafka.version> in ${KAFKA_POM}`)
  return m[1]
}

/** Copies the broker's jars into the cache with Maven unless they are there already. Returns the lib dir. */
export function ensureKafkaJars(log: (msg: string) => void = () => {}): string {
  const version = kafkaVersion()
  const libDir = path.join(KAFKA_CACHE, version, 'libs')
  const marker = path.join(libDir, `kafka_2.13-${version}.jar`)
  if (existsSync(marker) && existsSync(path.join(libDir, '.complete'))) return libDir
  log(`provisioning Apache Kafka ${version} from Maven Central into ${libDir}`)
  mkdirSync(libDir, { recursive: true })
  const res = spawnSync(
    'mvn',
    ['-q', '-B', '-f', KAFKA_POM, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libDir}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  )
  if (res.error) throw new LlmwatchError('INFRA', `could not run mvn (is Maven installed?): ${res.error.message}`, { cause: res.error })
  if (res.status !== 0 || !existsSync(marker)) {
    throw new LlmwatchError('INFRA', `mvn dependency:copy-dependencies failed (exit ${res.status}):\n${(res.stdout + res.stderr).slice(-4000)}`)
  }
  writeFileSync(path.join(libDir, '.complete'), new Date().toISOString())
  return libDir
}

export interface LocalKafkaOptions {
  /** Folder for the broker's logs and data; wiped when `fresh` is true. */
  dataDir: string
  fresh?: boolean
  port?: number
  controllerPort?: number
  /** Java heap, e.g. "512m". */
  heap?: string
  /** Detach the JVM so it outlives this process (for `llmwatch infra up`). */
  detached?: boolean
  log?: (msg: string) => void
}

export interface LocalKafka {
  brokers: string[]
  pid: number
  dataDir: string
  stop(): Promise<void>
}

const LOG4J2 = `status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.org.name = org.apache.kafka
logger.org.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
`

export async function startLocalKafka(opts: LocalKafkaOptions): Promise<LocalKafka> {
  const log = opts.log ?? (() => {})
  const libDir = ensureKafkaJars(log)
  const dataDir = path.resolve(opts.dataDir)
  if (opts.fresh) rmSync(dataDir, { recursive: true, force: true })
  const logDirs = path.join(dataDir, 'data')
  const logsDir = path.join(dataDir, 'logs')
  mkdirSync(logDirs, { recursive: true })
  mkdirSync(logsDir, { recursive: true })
  const port = opts.port ?? (await freePort())
  const cport = opts.controllerPort ?? (await freePort())
  const props = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${cport}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDirs}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.cleaner.dedupe.buffer.size=16777216',
    'log.retention.hours=168',
    'message.max.bytes=16777216',
  ].join('\n')
  const propsFile = path.join(dataDir, 'server.properties')
  writeFileSync(propsFile, props + '\n')
  const log4jFile = path.join(dataDir, 'log4j2.properties')
  writeFileSync(log4jFile, LOG4J2)
  const cp = `${libDir}/*`
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java'

  // Format storage on first start (the log dir keeps its cluster id afterwards).
  if (!existsSync(path.join(logDirs, 'meta.properties'))) {
    const id = spawnSync(java, ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' })
    const clusterId = id.stdout.trim()
    if (id.status !== 0 || !clusterId) throw new LlmwatchError('INFRA', `kafka StorageTool random-uuid failed: ${id.stderr}`)
    const fmt = spawnSync(java, ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile], { encoding: 'utf8' })
    if (fmt.status !== 0) throw new LlmwatchError('INFRA', `kafka StorageTool format failed: ${fmt.stdout}${fmt.stderr}`)
  }

  const outFile = path.join(logsDir, 'stdout.log')
  const out = openSync(outFile, 'a')
  const child: ChildProcess = spawn(
    java,
    [
      `-Xmx${opts.heap ?? '768m'}`,
      '-Xms256m',
      '-XX:+UseG1GC',
      '-XX:TieredStopAtLevel=1',
      '-Djava.awt.headless=true',
      `-Dkafka.logs.dir=${logsDir}`,
      `-Dlog4j2.configurationFile=${log4jFile}`,
      '-cp',
      cp,
      'kafka.Kafka',
      propsFile,
    ],
    // Always its own process group: a Ctrl-C in the terminal reaches only this process, which stops
    // its services before the broker (a broker killed first leaves them retrying until they time out).
    { stdio: ['ignore', out, out], detached: true },
  )
  closeSync(out)
  let exited: number | null = null
  // An owned broker must not outlive this process: killed at exit unless stopped before.
  const killAtExit = () => {
    if (exited === null) child.kill('SIGKILL')
  }
  if (opts.detached) child.unref()
  else process.once('exit', killAtExit)
  child.once('exit', (code) => {
    exited = code ?? -1
    process.off('exit', killAtExit)
  })
  const brokers = [`127.0.0.1:${port}`]
  const tail = () => {
    const parts = [outFile, path.join(logsDir, 'server.log')].filter(existsSync).map((f) => readFileSync(f, 'utf8').slice(-3000))
    return parts.join('\n')
  }
  try {
    await waitForBroker(brokers, 90_000, () => exited !== null)
  } catch (err) {
    child.kill('SIGKILL')
    throw new LlmwatchError('INFRA', `Kafka broker did not become ready (${(err as Error).message}). Log tail:\n${tail()}`, { cause: err })
  }
  log(`Kafka ${kafkaVersion()} ready at ${brokers[0]} (pid ${child.pid}, data ${dataDir})`)
  const pid = child.pid!
  return {
    brokers,
    pid,
    dataDir,
    stop: async () => {
      if (exited !== null) return
      await stopPid(pid, 20_000)
    },
  }
}

/** SIGTERM (controlled shutdown), then SIGKILL after `graceMs`. */
export async function stopPid(pid: number, graceMs = 20_000): Promise<void> {
  if (!isAlive(pid)) return
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return // already gone
  }
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return
    await new Promise((r) => setTimeout(r, 200))
  }
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // exited between the check and the kill
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls the admin API until the broker answers metadata requests. */
export async function waitForBroker(brokers: string[], timeoutMs: number, aborted: () => boolean = () => false): Promise<void> {
  const kafka = new Kafka({ clientId: 'llmwatch-readiness', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000 })
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    if (aborted()) throw new Error('the broker process exited')
    const admin = kafka.admin()
    try {
      await admin.connect()
      const cluster = await admin.describeCluster()
      if (cluster.brokers.length > 0 && cluster.controller !== null) return
    } catch (err) {
      last = err
    } finally {
      await admin.disconnect().catch(() => {})
    }
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${(last as Error | undefined)?.message ?? 'no answer'}`)
}

/** Lists files in the cache (for `infra status`). */
export function cachedKafkaVersions(): string[] {
  return existsSync(KAFKA_CACHE) ? readdirSync(KAFKA_CACHE) : []
}
