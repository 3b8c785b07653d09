/**
 * Entry point of the alerter: config, rules, Kafka, metrics endpoint, ordered shutdown.
 * Run: `npx tsx services/alerter/main.ts` (rules from ALERTER_RULES_FILE).
 */
import { ConfigError } from '../../shared/errors.js'
import { runningLocalBrokers } from '../../shared/infra/index.js'
import { createKafka } from '../../shared/kafka.js'
import { Lifecycle } from '../../shared/lifecycle.js'
import { createLogger } from '../../shared/logger.js'
import { startHttp } from '../../shared/metrics.js'
import { loadCodec } from '../../shared/schema-registry.js'
import { startAlerter, SERVICE } from './alerter.js'
import { loadAlerterEnv } from './config.js'
import { loadRulesFile } from './rules.js'
import { WebhookNotifier } from './webhook.js'

export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  const cfg = loadAlerterEnv(env)
  const logger = createLogger(SERVICE)
  const rules = loadRulesFile(cfg.ALERTER_RULES_FILE)
  logger.info({ rules: rules.length, file: cfg.ALERTER_RULES_FILE }, 'alert rules loaded')
  const life = new Lifecycle(logger)
  life.installSignalHandlers()
  // Services never start a broker: KAFKA_BROKERS, or the one `llmwatch infra up` started.
  const brokers = cfg.KAFKA_BROKERS ?? runningLocalBrokers()
  if (!brokers) throw new ConfigError('KAFKA_BROKERS: expected a host:port list (or start a local broker with `llmwatch infra up`)')
  const kafka = createKafka({ brokers, clientId: `${cfg.KAFKA_CLIENT_ID}-${SERVICE}`, logger, partitions: cfg.KAFKA_PARTITIONS })
  const webhook = cfg.ALERTER_WEBHOOK_URL
    ? new WebhookNotifier({ url: cfg.ALERTER_WEBHOOK_URL, format: cfg.ALERTER_WEBHOOK_FORMAT, logger, retries: cfg.ALERTER_WEBHOOK_RETRIES, timeoutMs: cfg.ALERTER_WEBHOOK_TIMEOUT_MS })
    : null
  const fatal = (err: Error) => {
    logger.fatal({ err }, 'alerter failed')
    void life.close().then(() => process.exit(1))
  }
  const alerter = await startAlerter({
    kafka,
    codec: await loadCodec({ url: cfg.SCHEMA_REGISTRY_URL, logger }),
    logger,
    rules,
    webhook,
    config: { groupId: cfg.ALERTER_GROUP_ID, scoresTopic: cfg.ALERTER_SCORES_TOPIC, alertsTopic: cfg.ALERTER_ALERTS_TOPIC, tickMs: cfg.ALERTER_TICK_MS, replay: cfg.ALERTER_REPLAY, replayTimeoutMs: cfg.ALERTER_REPLAY_TIMEOUT_MS },
    onFatal: fatal,
  })
  const http = await startHttp({ port: cfg.METRICS_PORT, health: () => alerter.health() })
  logger.info({ metricsPort: http.port }, 'alerter running')
  life.add('alerter', () => alerter.stop())
  life.add('http', () => http.close())
  life.add('kafka', () => kafka.close())
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    createLogger(SERVICE).fatal({ err }, 'alerter could not start')
    process.exit(1)
  })
}
