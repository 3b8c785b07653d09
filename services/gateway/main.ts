/** `llmwatch run gateway`: the ingest gateway (OTLP/HTTP and plain JSON to llm.interactions) in its own process. */
import { runService } from '../../shared/service.js'
import { gatewayEnvSchema } from './config.js'
import { ContentJoin } from './content-join.js'
import { Delivery } from './delivery.js'
import { buildGateway, listen } from './server.js'

/** Resolves once the gateway listens (0) or with 2 on a configuration error; see runService. */
export async function main(): Promise<number> {
  return runService('gateway', gatewayEnvSchema, async ({ env, logger, kafka, codec }) => {
    await kafka.ensureTopics([{ name: env.GATEWAY_TOPIC }])
    const producer = await kafka.producer()
    const delivery = new Delivery({ producer, codec, topic: env.GATEWAY_TOPIC, maxInflightBytes: env.GATEWAY_MAX_INFLIGHT_BYTES, ackTimeoutMs: env.GATEWAY_ACK_TIMEOUT_MS, dedupIds: env.GATEWAY_DEDUP_IDS, logger })
    const join = new ContentJoin({ maxBytes: env.GATEWAY_LOGS_BUFFER_BYTES, waitMs: env.GATEWAY_LOGS_WAIT_MS })
    let open = true
    const app = await buildGateway({
      keys: env.GATEWAY_API_KEYS, delivery, join, logger, maxBodyBytes: env.GATEWAY_MAX_BODY_BYTES, maxItemsPerRequest: env.GATEWAY_MAX_ITEMS_PER_REQUEST, rateLimitRps: env.GATEWAY_RATE_LIMIT_RPS, kafkaReady: () => open,
    })
    const port = await listen(app, env.GATEWAY_HOST, env.GATEWAY_PORT)
    logger.info({ host: env.GATEWAY_HOST, port, url: `http://${env.GATEWAY_HOST}:${port}`, topic: env.GATEWAY_TOPIC, keys: env.GATEWAY_API_KEYS.map((k) => ({ name: k.name, apps: k.apps === '*' ? '*' : [...k.apps] })) }, 'gateway listening')
    return {
      // Stop taking requests, let those in flight get their acks, then close the producer.
      stop: async () => {
        open = false
        await app.close()
        await producer.disconnect()
        logger.info('gateway stopped')
      },
      health: () => ({ ok: open && delivery.ready(), port, inflightBytes: delivery.inflightBytes }),
    }
  })
}
