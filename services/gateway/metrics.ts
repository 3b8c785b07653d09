/** The gateway's Prometheus metrics, in the shared registry (shared/metrics.ts) that /metrics serves. */
import { prom, registry } from '../../shared/metrics.js'

function getOrCreate<T>(name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}

export const gatewayMetrics = {
  requests: getOrCreate(
    'llmwatch_gateway_requests_total',
    () => new prom.Counter({ name: 'llmwatch_gateway_requests_total', help: 'HTTP requests by route and status code', labelNames: ['route', 'status'], registers: [registry] }),
  ),
  items: getOrCreate(
    'llmwatch_gateway_items_total',
    () =>
      new prom.Counter({
        name: 'llmwatch_gateway_items_total',
        help: 'Spans, log records and interactions received, by kind and outcome (accepted, rejected, duplicate, dropped: not GenAI)',
        labelNames: ['kind', 'outcome'],
        registers: [registry],
      }),
  ),
  refused: getOrCreate(
    'llmwatch_gateway_refused_total',
    () => new prom.Counter({ name: 'llmwatch_gateway_refused_total', help: 'Requests answered 503 because Kafka was slow or down, by reason', labelNames: ['reason'], registers: [registry] }),
  ),
  inflightBytes: getOrCreate(
    'llmwatch_gateway_inflight_bytes',
    () => new prom.Gauge({ name: 'llmwatch_gateway_inflight_bytes', help: 'Encoded event bytes waiting for Kafka acknowledgements', registers: [registry] }),
  ),
  ackSeconds: getOrCreate(
    'llmwatch_gateway_kafka_ack_seconds',
    () =>
      new prom.Histogram({
        name: 'llmwatch_gateway_kafka_ack_seconds',
        help: 'Time from a request\'s records handed to the producer to Kafka\'s acknowledgement (acks=all)',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  ),
}
