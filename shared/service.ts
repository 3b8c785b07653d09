/**
 * Wiring shared by every service's main: validated env, logger, Kafka (KAFKA_BROKERS, else the
 * broker of a running `llmwatch infra up`), codec, topics, /metrics + /healthz, and one ordered
 * shutdown on SIGTERM/SIGINT. A fatal error exits non-zero.
 */
import type { z } from 'zod'
import type { Codec } from './codec.js'
import { baseEnvSchema, loadEnv, type BaseEnv } from './config.js'
import { ConfigError } from './errors.js'
import { runningLocalBrokers } from './infra/index.js'
import { createKafka, type KafkaHandle } from './kafka.js'
import { Lifecycle } from './lifecycle.js'
import { createLogger, type Logger } from './logger.js'
import { startHttp, type Health } from './metrics.js'
import { loadCodec } from './schema-registry.js'

export interface ServiceContext<E> {
  env: E
  logger: Logger
  kafka: KafkaHandle
  codec: Codec
  lifecycle: Lifecycle
}

export interface Started {
  stop(): Promise<void>
  health(): Health
}

/** Where Kafka is: KAFKA_BROKERS, else the broker of a running `llmwatch infra up`; the source is named in messages. */
export function brokersFrom(env: BaseEnv): { brokers: string[]; source: string } {
  if (env.KAFKA_BROKERS) return { brokers: env.KAFKA_BROKERS, source: 'KAFKA_BROKERS' }
  const local = runningLocalBrokers()
  if (!local) throw new ConfigError('KAFKA_BROKERS: not set and no local broker is running; set KAFKA_BROKERS=host:port or run `llmwatch infra up` first')
  return { brokers: local, source: 'the broker of `llmwatch infra up`' }
}

/**
 * Starts a service. Returns 2 on a configuration error (logged, naming the variable), else 0 once
 * the service runs; a fatal error later exits the process with 1, SIGTERM/SIGINT with 0. An
 * unreachable Kafka at start-up is waited for with backoff (one warning per step), not fatal.
 */
export async function runService<S extends typeof baseEnvSchema>(
  name: string,
  schema: S,
  start: (ctx: ServiceContext<z.infer<S>>) => Promise<Started>,
  /** More configuration checks (throw a ConfigError): a failure exits 2 before anything starts. */
  check?: (env: z.infer<S>) => void,
): Promise<number> {
  const logger = createLogger(name)
  let env: z.infer<S>
  let kafkaAt: { brokers: string[]; source: string }
  try {
    env = loadEnv(schema)
    kafkaAt = brokersFrom(env)
    check?.(env)
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'configuration error')
    return 2
  }
  const lifecycle = new Lifecycle(logger)
  lifecycle.installSignalHandlers()
  const fatal = (err: unknown) => {
    logger.fatal({ err }, 'fatal error')
    void lifecycle.close().finally(() => process.exit(1))
  }
  process.on('unhandledRejection', fatal)
  process.on('uncaughtException', fatal)
  try {
    const kafka = createKafka({ ...kafkaAt, unreachable: 'retry', clientId: `${env.KAFKA_CLIENT_ID}-${name}`, logger, partitions: env.KAFKA_PARTITIONS })
    await kafka.ensureTopics()
    const svc = await start({ env, logger, kafka, codec: await loadCodec({ url: env.SCHEMA_REGISTRY_URL, logger }), lifecycle })
    const http = await startHttp({ port: env.METRICS_PORT, health: () => svc.health() })
    logger.info({ metricsPort: http.port }, `${name} running; /metrics and /healthz on port ${http.port}`)
    lifecycle.add('service', () => svc.stop())
    lifecycle.add('http', () => http.close())
    lifecycle.add('kafka', () => kafka.close())
  } catch (err) {
    fatal(err)
  }
  return 0
}
