/** `llmwatch run scorer`: the scorer service as its own process. */
import { existsSync, readFileSync } from 'node:fs'
import v8 from 'node:v8'
import { runService } from '../../shared/service.js'
import { scorerEnvSchema } from './config.js'
import { InlineScoring, WorkerPoolScoring } from './pool.js'
import { SCORERS } from './scorers/index.js'
import { resolveScorerConfig } from './scorer-config.js'
import { startScorer } from './service.js'

/** Resolves once the scorer runs (0) or with 2 on a configuration error; see runService. */
export async function main(): Promise<number> {
  return runService('scorer', scorerEnvSchema, async ({ env, logger, kafka, codec }) => {
    // A heap flag V8 reads whenever it sizes the old generation after a full GC, so it applies from the next one on.
    if (env.SCORER_HEAP_GROWING_PERCENT > 0) v8.setFlagsFromString(`--heap-growing-percent=${env.SCORER_HEAP_GROWING_PERCENT}`)
    // Topics named in the environment may differ from the default ones runService creates.
    await kafka.ensureTopics([{ name: env.SCORER_INPUT_TOPIC }, { name: env.SCORER_OUTPUT_TOPIC }, { name: env.SCORER_DLQ_TOPIC }])
    const raw: unknown = existsSync(env.SCORER_CONFIG_FILE) ? JSON.parse(readFileSync(env.SCORER_CONFIG_FILE, 'utf8')) : {}
    const config = resolveScorerConfig(raw, SCORERS, env.SCORER_CONFIG_FILE)
    const scoring = env.SCORER_WORKERS > 0 ? new WorkerPoolScoring(env.SCORER_WORKERS, raw, env.SCORER_TEXT_MODE) : new InlineScoring(SCORERS, config, codec, env.SCORER_TEXT_MODE)
    logger.info({ workers: env.SCORER_WORKERS }, 'scoring threads')
    const svc = await startScorer({
      kafka, codec, logger, scorers: SCORERS, config, scoring,
      groupId: env.SCORER_GROUP_ID, inputTopic: env.SCORER_INPUT_TOPIC, outputTopic: env.SCORER_OUTPUT_TOPIC, dlqTopic: env.SCORER_DLQ_TOPIC, textMode: env.SCORER_TEXT_MODE, exactlyOnce: env.SCORER_EXACTLY_ONCE, ...(env.SCORER_TRANSACTIONAL_ID ? { transactionalId: env.SCORER_TRANSACTIONAL_ID } : {}), concurrency: env.SCORER_CONCURRENCY,
    })
    return {
      stop: () => svc.stop(),
      health: () => ({ ok: !svc.consumer.degraded(), partitions: svc.consumer.assigned(), ...svc.stats() }),
    }
  })
}
