/**
 * `llmwatch infra up | down | status`: the local infrastructure for people who run services by hand
 * (a Kafka broker and `llmwatch clickhouse serve`, unless KAFKA_BROKERS / CLICKHOUSE_URL name servers).
 */
import { loadEnv, baseEnvSchema } from '../shared/config.js'
import { infraDown, infraUp, readInfraState } from '../shared/infra/index.js'
import { isAlive } from '../shared/infra/kafka-local.js'

export async function main(argv: string[]): Promise<number> {
  const log = (m: string) => process.stderr.write(`${m}\n`)
  const sub = argv[0]
  if (sub === 'up') {
    const env = loadEnv(baseEnvSchema)
    const s = await infraUp({ ...process.env, CLICKHOUSE_PATH: env.CLICKHOUSE_PATH }, log)
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`)
    process.stderr.write(`\nKafka: ${s.kafka.brokers.join(',')}  (export KAFKA_BROKERS=${s.kafka.brokers.join(',')})\n`)
    if (s.clickhouse.url) process.stderr.write(`ClickHouse: ${s.clickhouse.url}${s.clickhouse.path ? ` serving ${s.clickhouse.path}` : ''}  (export CLICKHOUSE_URL=${s.clickhouse.url})\n`)
    return 0
  }
  if (sub === 'down') {
    await infraDown(log)
    return 0
  }
  if (sub === 'status') {
    const s = readInfraState()
    if (!s) {
      process.stdout.write('down\n')
      return 1
    }
    const kafka = s.kafka.pid === null || isAlive(s.kafka.pid)
    const clickhouse = !s.clickhouse.pid || isAlive(s.clickhouse.pid)
    process.stdout.write(`${JSON.stringify({ ...s, kafka: { ...s.kafka, running: kafka }, clickhouse: { ...s.clickhouse, running: clickhouse } }, null, 2)}\n`)
    return kafka && clickhouse ? 0 : 1
  }
  process.stderr.write('usage: llmwatch infra up|down|status\n')
  return 2
}
