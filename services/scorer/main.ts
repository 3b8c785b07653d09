/** `llmwatch run scorer`: the scorer service as its own process. */
import { runService } from '../../shared/service.js'
import { scorerEnvSchema } from './config.js'
import { SCORERS } from './scorers/index.js'
import { loadScorerConfig } from './scorer-config.js'
import { startScorer } from './service.js'

export async function main(): Promise<void> {
  await runService('scorer', scorerEnvSchema, async ({ env, logger, kafka, codec }) => {
    const config = loadScorerConfig(SCORERS, env.SCORER_CONFIG_FILE)
    const svc = await startScorer({
      kafka, codec, logger, scorers: SCORERS, config,
      groupId: env.SCORER_GROUP_ID, textMode: env.SCORER_TEXT_MODE, exactlyOnce: env.SCORER_EXACTLY_ONCE, concurrency: env.SCORER_CONCURRENCY,
    })
    return {
      stop: () => svc.stop(),
      health: () => ({ ok: !svc.consumer.degraded(), partitions: svc.consumer.assigned(), ...svc.stats() }),
    }
  })
}
