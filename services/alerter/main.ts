/**
 * Entry point of the alerter: config, rules, Kafka, metrics endpoint, ordered shutdown.
 * Run: `npx tsx services/alerter/main.ts` (rules from ALERTER_RULES_FILE).
 */
import { existsSync } from 'node:fs'
import { ConfigError } from '../../shared/errors.js'
import { createKafka } from '../../shared/kafka.js'
import { Lifecycle } from '../../shared/lifecycle.js'
import { createLogger } from '../../shared/logger.js'
import { startHttp } from '../../shared/metrics.js'
import { loadCodec } from '../../shared/schema-registry.js'
import { brokersFrom } from '../../shared/service.js'
import { startAlerter, SERVICE } from './alerter.js'
import { loadAlerterEnv, type AlerterEnv } from './config.js'
import { loadRulesFile, RulesError, type Rule } from './rules.js'
import { WebhookNotifier } from './webhook.js'

/**
 * Resolves once the alerter runs (0), or with 2 when the environment or the rules file is invalid
 * (logged, naming the variable or the rule and field). A fatal error later exits with 1.
 */
export async function main(env: Record<string, string | undefined> = process.env): Promise<number> {
  const logger = createLogger(SERVICE)
  let cfg: AlerterEnv
  let rules: Rule[]
  let kafkaAt: { brokers: string[]; source: string }
  try {
    cfg = loadAlerterEnv(env)
    if (!existsSync(cfg.ALERTER_RULES_FILE)) throw new ConfigError(`ALERTER_RULES_FILE: no such file: ${cfg.ALERTER_RULES_FILE}`)
    rules = loadRulesFile(cfg.ALERTER_RULES_FILE)
    // Services never start a broker: KAFKA_BROKERS, or the one `llmwatch infra up` started.
    kafkaAt = brokersFrom(cfg)
  } catch (err) {
    if (!(err instanceof ConfigError || err instanceof RulesError)) throw err
    logger.fatal({ err: err.message }, 'configuration error')
    return 2
  }
  logger.info({ rules: rules.length, file: cfg.ALERTER_RULES_FILE }, 'alert rules loaded')
  const life = new Lifecycle(logger)
  life.installSignalHandlers()
  // An unreachable broker at start-up is waited for with backoff, one warning per step.
  const kafka = createKafka({ ...kafkaAt, unreachable: 'retry', clientId: `${cfg.KAFKA_CLIENT_ID}-${SERVICE}`, logger, partitions: cfg.KAFKA_PARTITIONS })
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
    config: { groupId: cfg.ALERTER_GROUP_ID, scoresTopic: cfg.ALERTER_SCORES_TOPIC, alertsTopic: cfg.ALERTER_ALERTS_TOPIC, tickMs: cfg.ALERTER_TICK_MS, replay: cfg.ALERTER_REPLAY, replayTimeoutMs: cfg.ALERTER_REPLAY_TIMEOUT_MS,
      alertsFormat: cfg.ALERTER_ALERTS_FORMAT, ...(cfg.ALERTER_RUNBOOK_BASE_URL ? { runbookBaseUrl: cfg.ALERTER_RUNBOOK_BASE_URL } : {}) },
    onFatal: fatal,
  })
  const http = await startHttp({ port: cfg.METRICS_PORT, health: () => alerter.health() })
  logger.info({ metricsPort: http.port }, 'alerter running')
  life.add('alerter', () => alerter.stop())
  life.add('http', () => http.close())
  life.add('kafka', () => kafka.close())
  return 0
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((code) => {
    if (code !== 0) process.exitCode = code
  }, (err: unknown) => {
    createLogger(SERVICE).fatal({ err }, 'alerter could not start')
    process.exit(1)
  })
}
