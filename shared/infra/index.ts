/**
 * Decides where Kafka and ClickHouse come from, in this order:
 *   1. environment: KAFKA_BROKERS / CLICKHOUSE_URL name existing servers;
 *   2. Docker, when an engine answers: testcontainers starts the official images;
 *   3. otherwise a local Apache Kafka JVM broker (./kafka-local.ts) and `llmwatch clickhouse serve`
 *      (./clickhouse-local.ts) serving a local chDB data directory.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { repoPath } from '../paths.js'
import { isAlive, startLocalKafka, stopPid, waitForBroker } from './kafka-local.js'
import { freePort } from './ports.js'
import { startServedClickHouse } from './clickhouse-local.js'
import { readInfraState, STATE_FILE, type InfraState, type KafkaMode } from './state.js'

export { readInfraState, infraClickHouseUrl, type InfraState, type KafkaMode } from './state.js'
export { startServedClickHouse, type ServedClickHouse } from './clickhouse-local.js'

export interface KafkaInfra {
  mode: KafkaMode
  brokers: string[]
  stop(): Promise<void>
  /** The local JVM broker's process id (for measurements), when this process started it. */
  pid?: number
}

export const KAFKA_IMAGE = 'apache/kafka:4.1.1'
export const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:25.8'

/** True when a Docker engine answers (not just a client on PATH). */
export function dockerAvailable(): boolean {
  if (process.env.LLMWATCH_NO_DOCKER === 'true') return false
  const res = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 5000 })
  return res.status === 0 && res.stdout.trim().length > 0
}

export interface ResolveKafkaOptions {
  env?: Record<string, string | undefined>
  dataDir?: string
  fresh?: boolean
  log?: (msg: string) => void
}

export async function resolveKafka(opts: ResolveKafkaOptions = {}): Promise<KafkaInfra> {
  const env = opts.env ?? process.env
  const log = opts.log ?? (() => {})
  if (env.KAFKA_BROKERS) {
    const brokers = env.KAFKA_BROKERS.split(',').map((s) => s.trim()).filter(Boolean)
    log(`using Kafka from KAFKA_BROKERS: ${brokers.join(',')}`)
    return { mode: 'env', brokers, stop: async () => {} }
  }
  if (dockerAvailable()) return startDockerKafka(log)
  const k = await startLocalKafka({ dataDir: opts.dataDir ?? repoPath('.data', 'kafka'), fresh: opts.fresh ?? false, log })
  return { mode: 'jvm', brokers: k.brokers, stop: k.stop, pid: k.pid }
}

async function startDockerKafka(log: (msg: string) => void): Promise<KafkaInfra> {
  // testcontainers is a dev dependency: loaded only where Docker exists.
  const { GenericContainer, Wait } = await import('testcontainers')
  const port = await freePort()
  log(`starting ${KAFKA_IMAGE} with testcontainers on port ${port}`)
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: 9092, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forListeningPorts())
    .start()
  const brokers = [`127.0.0.1:${port}`]
  await waitForBroker(brokers, 90_000)
  return { mode: 'docker', brokers, stop: async () => void (await container.stop()) }
}

/** ClickHouse server via testcontainers (Docker only); returns its HTTP URL. */
export async function startDockerClickHouse(log: (msg: string) => void = () => {}): Promise<{ url: string; stop(): Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers')
  log(`starting ${CLICKHOUSE_IMAGE} with testcontainers`)
  const container = await new GenericContainer(CLICKHOUSE_IMAGE)
    .withExposedPorts(8123)
    .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
    .withWaitStrategy(Wait.forHttp('/ping', 8123))
    .start()
  return { url: `http://${container.getHost()}:${container.getMappedPort(8123)}`, stop: async () => void (await container.stop()) }
}

// ---- `llmwatch infra up | down | status`: a detached broker and ClickHouse server that outlive the command. ----

/** Brokers of a running `infra up`, if any: lets `llmwatch run <service>` find the local broker. */
export function runningLocalBrokers(): string[] | null {
  const s = readInfraState()
  if (!s) return null
  if (s.kafka.pid !== null && !isAlive(s.kafka.pid)) return null
  return s.kafka.brokers
}

export async function infraUp(env: Record<string, string | undefined>, log: (m: string) => void): Promise<InfraState> {
  const current = readInfraState()
  if (current && infraRunning(current)) {
    log('infrastructure is already up')
    return current
  }
  if (current) await infraDown(log) // half up (one process died): stop the rest, start afresh
  let kafka: InfraState['kafka']
  if (env.KAFKA_BROKERS) {
    kafka = { mode: 'env', brokers: env.KAFKA_BROKERS.split(','), pid: null, dataDir: null }
  } else {
    const dataDir = repoPath('.data', 'kafka')
    const k = await startLocalKafka({ dataDir, detached: true, log })
    kafka = { mode: 'jvm', brokers: k.brokers, pid: k.pid, dataDir }
  }
  let clickhouse: InfraState['clickhouse']
  if (env.CLICKHOUSE_URL) {
    clickhouse = { mode: 'server', path: null, url: env.CLICKHOUSE_URL, pid: null }
  } else {
    const dir = path.resolve(env.CLICKHOUSE_PATH ?? '.data/clickhouse')
    try {
      const ch = await startServedClickHouse({ path: dir, env, logFile: repoPath('.data', 'infra', 'clickhouse.log'), detached: true, log })
      clickhouse = { mode: 'served', path: dir, url: ch.url, pid: ch.pid }
    } catch (err) {
      if (kafka.pid !== null) await stopPid(kafka.pid, 20_000)
      throw err
    }
  }
  const state: InfraState = { kafka, clickhouse, startedAt: new Date().toISOString() }
  mkdirSync(path.dirname(STATE_FILE), { recursive: true })
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2))
  return state
}

export async function infraDown(log: (m: string) => void): Promise<void> {
  const s = readInfraState()
  if (!s) {
    log('infrastructure is not up')
    return
  }
  if (s.clickhouse.pid) {
    log(`stopping ClickHouse (pid ${s.clickhouse.pid})`)
    await stopPid(s.clickhouse.pid, 20_000)
  }
  if (s.kafka.pid !== null) {
    log(`stopping Kafka (pid ${s.kafka.pid})`)
    await stopPid(s.kafka.pid, 20_000)
  }
  rmSync(STATE_FILE, { force: true })
}

/** True while every process `infra up` started is alive. */
export function infraRunning(s: InfraState): boolean {
  return (s.kafka.pid === null || isAlive(s.kafka.pid)) && (!s.clickhouse.pid || isAlive(s.clickhouse.pid))
}
