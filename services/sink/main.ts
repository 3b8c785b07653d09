/**
 * Entry point of the sink: config, ClickHouse (migrations + retention at start-up), Kafka, the
 * sink itself, /metrics + /healthz, ordered shutdown (stop consuming, flush, close clients).
 * Run: `npx tsx services/sink/main.ts`.
 */
import v8 from 'node:v8'
import { clickhouseFrom, waitForClickHouse } from '../../shared/clickhouse.js'
import { applyRetention, migrate, retentionFromEnv } from '../../shared/migrate.js'
import { reconcileAggregates } from './reconcile.js'
import { runService } from '../../shared/service.js'
import { sinkEnvSchema } from './config.js'
import { SERVICE, startSink } from './sink.js'

/** Resolves once the sink runs (0) or with 2 on a configuration error; see runService. */
export async function main(): Promise<number> {
  return runService(SERVICE, sinkEnvSchema, async ({ env, logger, kafka, codec, lifecycle }) => {
    // A heap flag V8 reads whenever it sizes the old generation after a full GC, so it applies from the next one on.
    if (env.SINK_HEAP_GROWING_PERCENT > 0) v8.setFlagsFromString(`--heap-growing-percent=${env.SINK_HEAP_GROWING_PERCENT}`)
    // Topics named in the environment may differ from the default ones runService creates.
    await kafka.ensureTopics([{ name: env.SINK_SCORES_TOPIC }, { name: env.SINK_ALERTS_TOPIC }, { name: env.SINK_DLQ_TOPIC }])
    // An unreachable ClickHouse at start-up is waited for (one warning per backoff step), not fatal.
    const client = await waitForClickHouse(
      { url: env.CLICKHOUSE_URL, user: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, database: env.CLICKHOUSE_DATABASE },
      (msg, retryInMs) => logger.warn({ retryInMs }, `${msg}; retrying in ${Math.round(retryInMs / 1000)} s`),
    )
    const migrated = await migrate(client, { database: env.CLICKHOUSE_DATABASE, log: (m) => logger.info(m) })
    const ttlChanged = await applyRetention(client, env.CLICKHOUSE_DATABASE, retentionFromEnv(env))
    logger.info({ applied: migrated.applied.length, ttlChanged }, 'ClickHouse schema ready')
    // The local ClickHouse of `llmwatch infra up` (no CLICKHOUSE_URL) may have been killed between a
    // raw insert and its views: rebuild any aggregate bucket left short before consuming. Only there:
    // with a named server, other sinks may be writing while this one would rebuild.
    if (!env.CLICKHOUSE_URL) {
      const rec = await reconcileAggregates(client, env.CLICKHOUSE_DATABASE, { log: (msg, data) => logger.warn(data ?? {}, msg) })
      logger.info(rec, 'aggregates reconciled with raw tables')
    }
    const sink = await startSink({
      kafka,
      codec,
      logger,
      client,
      config: {
        groupId: env.SINK_GROUP_ID,
        batchRows: env.SINK_BATCH_ROWS,
        flushMs: env.SINK_FLUSH_MS,
        fetchMinBytes: env.SINK_FETCH_MIN_BYTES,
        retryBudgetMs: env.SINK_RETRY_BUDGET_MS,
        textMode: env.SINK_TEXT_MODE,
        concurrency: env.SINK_CONCURRENCY,
        scoresTopic: env.SINK_SCORES_TOPIC,
        alertsTopic: env.SINK_ALERTS_TOPIC,
        dlqTopic: env.SINK_DLQ_TOPIC,
      },
      onFatal: (err) => {
        logger.fatal({ err }, 'sink consumer failed for good')
        void lifecycle.close().finally(() => process.exit(1))
      },
    })
    return {
      stop: async () => {
        await sink.stop()
        await client.close()
      },
      health: () => sink.health(),
    }
  }, (env) => void clickhouseFrom({ url: env.CLICKHOUSE_URL }))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void main().then((code) => {
    if (code !== 0) process.exitCode = code
  })
}
