/**
 * Prometheus metrics (prom-client) and the small HTTP server every service exposes:
 * GET /metrics (Prometheus text format) and GET /healthz (200 when healthy, 503 otherwise, JSON body).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import client from 'prom-client'

export const registry = new client.Registry()
client.collectDefaultMetrics({ register: registry, prefix: 'llmwatch_' })
// prom-client's defaults include gauges named *_total (sums of the per-type gauges next to them);
// Prometheus keeps _total for counters (`promtool check metrics` flags them), so they go.
for (const m of registry.getMetricsAsArray()) if (m.name.endsWith('_total') && m instanceof client.Gauge) registry.removeSingleMetric(m.name)

function getOrCreate<T>(name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}

export const metrics = {
  consumed: getOrCreate(
    'llmwatch_messages_consumed_total',
    () => new client.Counter({ name: 'llmwatch_messages_consumed_total', help: 'Messages consumed and processed', labelNames: ['service', 'topic'], registers: [registry] }),
  ),
  deadLettered: getOrCreate(
    'llmwatch_messages_dead_lettered_total',
    () => new client.Counter({ name: 'llmwatch_messages_dead_lettered_total', help: 'Messages sent to the dead-letter topic', labelNames: ['service', 'topic', 'code'], registers: [registry] }),
  ),
  handlerRetries: getOrCreate(
    'llmwatch_handler_retries_total',
    () => new client.Counter({ name: 'llmwatch_handler_retries_total', help: 'Batch handler failures that were retried', labelNames: ['service', 'topic'], registers: [registry] }),
  ),
  batchSeconds: getOrCreate(
    'llmwatch_batch_duration_seconds',
    () =>
      new client.Histogram({
        name: 'llmwatch_batch_duration_seconds',
        help: 'Time to process and commit one partition batch',
        labelNames: ['service', 'topic'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  ),
  produced: getOrCreate(
    'llmwatch_messages_produced_total',
    () => new client.Counter({ name: 'llmwatch_messages_produced_total', help: 'Messages produced', labelNames: ['service', 'topic'], registers: [registry] }),
  ),
  /**
   * Messages not yet processed per partition this consumer owns: the partition's high watermark (as
   * of the latest fetch) minus the next offset to process. Set when a batch starts and again when
   * its offsets are committed; removed when the partition is revoked.
   */
  consumerLag: getOrCreate(
    'llmwatch_consumer_lag_messages',
    () =>
      new client.Gauge({
        name: 'llmwatch_consumer_lag_messages',
        help: 'Messages behind the partition high watermark (as of the latest fetch), per consumer group and partition',
        labelNames: ['service', 'group', 'topic', 'partition'],
        registers: [registry],
      }),
  ),
}

export { client as prom }

export interface Health {
  ok: boolean
  [k: string]: unknown
}

export interface HttpServer {
  port: number
  close(): Promise<void>
}

/** Serves /metrics and /healthz on 127.0.0.1 (port 0 picks a free one). */
export function startHttp(opts: { port: number; host?: string; health: () => Health | Promise<Health> }): Promise<HttpServer> {
  const server = http.createServer((req, res) => {
    void (async () => {
      try {
        if (req.url === '/metrics') {
          res.writeHead(200, { 'content-type': registry.contentType })
          res.end(await registry.metrics())
        } else if (req.url === '/healthz' || req.url === '/health') {
          const h = await opts.health()
          res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' })
          res.end(JSON.stringify(h))
        } else {
          res.writeHead(404).end()
        }
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err))
      }
    })()
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port
      resolve({ port, close: () => new Promise((r) => server.close(() => r())) })
    })
  })
}
