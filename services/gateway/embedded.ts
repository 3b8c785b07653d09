/**
 * The gateway inside another process (`llmwatch demo`): on 127.0.0.1, a free port (or `port`), one
 * API key for every app, producing with the caller's Kafka handle and codec.
 */
import { randomBytes } from 'node:crypto'
import type { Codec } from '../../shared/codec.js'
import type { KafkaHandle } from '../../shared/kafka.js'
import type { Logger } from '../../shared/logger.js'
import { ContentJoin } from './content-join.js'
import { Delivery } from './delivery.js'
import { buildGateway, listen } from './server.js'

export interface EmbeddedGateway {
  url: string
  key: string
  stop(): Promise<void>
}

export async function startEmbeddedGateway(opts: { kafka: KafkaHandle; codec: Codec; logger: Logger; port?: number }): Promise<EmbeddedGateway> {
  const key = `demo-${randomBytes(12).toString('hex')}`
  const producer = await opts.kafka.producer()
  const delivery = new Delivery({ producer, codec: opts.codec, maxInflightBytes: 64 * 1024 * 1024, ackTimeoutMs: 10_000, dedupIds: 100_000, logger: opts.logger })
  const app = await buildGateway({
    keys: [{ name: 'demo', token: key, apps: '*' }], delivery, join: new ContentJoin({ maxBytes: 16 * 1024 * 1024, waitMs: 3000 }), logger: opts.logger,
    maxBodyBytes: 8 * 1024 * 1024, maxItemsPerRequest: 20_000, rateLimitRps: 1000, kafkaReady: () => true,
  })
  const port = await listen(app, '127.0.0.1', opts.port ?? 0)
  return {
    url: `http://127.0.0.1:${port}`,
    key,
    stop: async () => {
      await app.close()
      await producer.disconnect()
    },
  }
}
