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

export function brokersFrom(env: BaseEnv): string[] {
  const brokers = env.KAFKA_BROKERS ?? runningLocalBrokers()
  if (!brokers) throw new ConfigError('KAFKA_BROKERS: not set and no local broker is running; set KAFKA_BROKERS=host:port or run `llmwatch infra up` first')
  return brokers
}

export async function runService<S extends typeof baseEnvSchema>(
  name: string,
  schema: S,
  start: (ctx: ServiceContext<z.infer<S>>) => Promise<Started>,
): Promise<void> {
  const logger = createLogger(name)
  let env: z.infer<S>
  try {
    env = loadEnv(schema)
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'configuration error')
    process.exitCode = 2
    return
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
    const kafka = createKafka({ brokers: brokersFrom(env), clientId: `${env.KAFKA_CLIENT_ID}-${name}`, logger, partitions: env.KAFKA_PARTITIONS })
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
}
