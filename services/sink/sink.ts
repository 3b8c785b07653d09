/**
 * The sink: consumes llm.scores and llm.alerts with the shared runner and writes them to ClickHouse
 * through one BufferedWriter. A partition batch's handle() resolves only once its rows are inserted
 * (or dead-lettered), so the runner commits offsets only after the insert. Re-delivery is harmless:
 * the writer skips offsets ClickHouse already holds (see writer.ts and docs/ARCHITECTURE.md).
 */
import type { Codec } from '../../shared/codec.js'
import type { ClickHouseClient } from '../../shared/clickhouse.js'
import { TOPICS } from '../../shared/contract.js'
import type { KafkaHandle, Producer } from '../../shared/kafka.js'
import type { Logger } from '../../shared/logger.js'
import { prom, registry } from '../../shared/metrics.js'
import { deadLetterMessage, startConsumer, startUndecodedConsumer, type ConsumerHandle, type Rejected as Undecodable, type UndecodedBatch } from '../../shared/runner.js'
import { DEFAULT_FETCH_MIN_BYTES, type TextMode } from './config.js'
import { alertUnit, redactedByScorer, scoredUnit, TABLES, COMPACT_COLUMNS } from './rows.js'
import { ScoredTranscoder, TRANSCODED_KINDS } from './transcode.js'
import { BufferedWriter, type Rejected, type Unit, type WriterOptions, type WriterStats } from './writer.js'

export const SERVICE = 'sink'
const DEFAULT_LINGER_MS = 20

/** The alerts consumer's group, derived from the configured one. */
export const alertsGroupId = (groupId: string): string => `${groupId}.alerts`

export interface SinkConfig {
  groupId: string
  batchRows: number
  /** Longest a message waits for company: the fetch's max wait (the broker collects the batch). */
  flushMs: number
  /** Bytes the broker collects for one fetch before answering early (default 4 MiB). */
  fetchMinBytes?: number
  /**
   * How long the writer waits after the first buffered row for the other partition batches of the
   * same fetch (kafkajs hands them over one after another) before inserting (default 20 ms, at
   * most flushMs). Waiting longer gains nothing: kafkajs fetches again only once every batch of
   * the fetch is stored.
   */
  lingerMs?: number
  retryBudgetMs: number
  textMode: TextMode
  concurrency: number
  scoresTopic?: string
  alertsTopic?: string
  dlqTopic?: string
  /** Runner backoff when a whole batch fails (ClickHouse down longer than retryBudgetMs). */
  retry?: { initialMs?: number; maxMs?: number }
}

export interface SinkDeps {
  kafka: KafkaHandle
  codec: Codec
  logger: Logger
  /** `exec` carries the RowBinary inserts of `interactions` (a client without it: they go as JSON, with a warning). */
  client: WriterOptions['client']
  config: SinkConfig
  onFatal?: (err: Error) => void
}

export interface SinkHandle {
  stop(): Promise<void>
  stats(): WriterStats
  health(): { ok: boolean; degraded: boolean; assigned: Record<string, number[]> }
}

function getMetric<T>(name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}

/** The writer the counters below read at scrape time (the latest sink started in this process). */
let writerStats: (() => WriterStats) | null = null

/** A counter read from the writer's running totals at scrape time (they only grow for a writer's life). */
function statsCounter(name: string, help: string, read: (s: WriterStats) => number | Record<string, number>, label?: string): prom.Counter {
  return getMetric(
    name,
    () =>
      new prom.Counter({
        name,
        help,
        labelNames: label ? [label] : [],
        registers: [registry],
        collect() {
          if (!writerStats) return
          const v = read(writerStats())
          this.reset()
          if (typeof v === 'number') this.inc(v)
          else for (const [k, n] of Object.entries(v)) this.inc({ [label!]: k }, n)
        },
      }),
  )
}

statsCounter('llmwatch_sink_rows_inserted_total', 'Rows inserted into ClickHouse by this sink process, by table', (s) => s.insertedRows, 'table')
statsCounter('llmwatch_sink_messages_skipped_total', 'Re-delivered messages skipped because ClickHouse already held them', (s) => s.skippedUnits)
statsCounter('llmwatch_sink_insert_retries_total', 'ClickHouse inserts that failed (an outage) and were retried', (s) => s.retries)
statsCounter('llmwatch_sink_dead_lettered_total', 'Messages whose rows ClickHouse rejected, sent to the dead-letter topic', (s) => s.deadLettered)

/** Time from the event (its end_time) to its interactions row being durable in ClickHouse. */
const eventToRow = getMetric(
  'llmwatch_event_to_row_seconds',
  () =>
    new prom.Histogram({
      name: 'llmwatch_event_to_row_seconds',
      help: 'Seconds from the event (end_time) to its row being inserted into ClickHouse (re-deliveries included)',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    }),
)

function registerMetrics(stats: () => WriterStats): void {
  writerStats = stats
}

export async function startSink(deps: SinkDeps): Promise<SinkHandle> {
  const { kafka, codec, logger, config } = deps
  const scoresTopic = config.scoresTopic ?? TOPICS.scores.name
  const alertsTopic = config.alertsTopic ?? TOPICS.alerts.name
  const dlqTopic = config.dlqTopic ?? TOPICS.dlq.name
  const dlq: Producer = await kafka.producer()

  const deadLetter = async (rejected: Rejected[]): Promise<void> => {
    await dlq.send(
      dlqTopic,
      rejected.map((r) =>
        deadLetterMessage(
          {
            topic: r.unit.topic,
            partition: r.unit.partition,
            offset: r.unit.offset.toString(),
            timestamp: String(Date.now()),
            key: null,
            // The DLQ gets the decoded record as JSON (a transcoded unit decodes it now).
            value: codec.encodeJson((typeof r.unit.source === 'function' ? (r.unit.source as () => unknown)() : r.unit.source) ?? null),
            headers: { 'content-type': 'application/json', 'dlq.clickhouse.table': r.table },
            code: `CLICKHOUSE_${r.code}`,
            reason: r.reason,
          },
          SERVICE,
        ),
      ),
    )
  }

  const writer = new BufferedWriter({
    client: deps.client,
    tables: [TABLES.interactions, TABLES.alerts],
    batchRows: config.batchRows,
    flushMs: Math.min(config.lingerMs ?? DEFAULT_LINGER_MS, config.flushMs),
    retryBudgetMs: config.retryBudgetMs,
    logger: logger.child({ component: 'writer' }),
    deadLetter,
    compactColumns: COMPACT_COLUMNS,
    // One row per event, ~2.5 KB: RowBinary (docs/BENCHMARKS.md, Sink). Alerts are few: JSON.
    rowBinary: { [TABLES.interactions]: COMPACT_COLUMNS[TABLES.interactions]! },
  })
  registerMetrics(() => writer.stats)

  const fetchMinBytes = config.fetchMinBytes ?? DEFAULT_FETCH_MIN_BYTES
  const common = {
    kafka,
    codec,
    logger,
    service: SERVICE,
    // Undecodable records go to the same dead-letter topic as the rows ClickHouse rejects.
    dlqTopic,
    fromBeginning: true,
    partitionsConsumedConcurrently: config.concurrency,
    fetchMinBytes,
    fetchMaxWaitMs: config.flushMs,
    // At least the min bytes: the broker counts each partition's bytes up to this cap towards them,
    // so with a smaller cap a backlog on one partition alone would wait SINK_FLUSH_MS per fetch.
    maxBytesPerPartition: Math.max(1024 * 1024, fetchMinBytes),
    ...(config.retry ? { retry: config.retry } : {}),
    ...(deps.onFatal ? { onFatal: deps.onFatal } : {}),
  }
  // Scored records go straight from Avro to RowBinary where they can (transcode.ts): known once the
  // writer has the interactions table's encoder (asked on the first batch) and its kinds match.
  let transcoder: ScoredTranscoder | null | undefined
  const transcoderFor = async (): Promise<ScoredTranscoder | null> => {
    if (transcoder !== undefined) return transcoder
    const kinds = await writer.rowBinaryKinds(TABLES.interactions)
    transcoder = kinds === TRANSCODED_KINDS ? ScoredTranscoder.create(codec) : null
    logger.info({ transcoding: transcoder !== null }, transcoder ? 'scored records are transcoded from Avro to RowBinary' : 'scored records are decoded, then encoded')
    return transcoder
  }
  /** Decodes (or transcodes) a scores batch as the runner would, dead-letters what fails, writes the rest. */
  const handleScores = async (b: UndecodedBatch): Promise<void> => {
    const tc = await transcoderFor()
    const values = b.messages.map((m) => m.value)
    if (codec.looksUpIds() && codec.needsLookup(values)) await codec.resolveUnknownIds(values)
    const units: Unit[] = []
    const ends: number[] = []
    const bad: Undecodable[] = []
    for (let i = 0; i < b.messages.length; i++) {
      const m = b.messages[i]!
      const t = tc?.unit(m.value, m.headers, m, config.textMode)
      if (t) {
        const decoded = () => {
          const r = codec.decode('ScoredInteraction', m.value, m.headers)
          return r.ok ? r.value : null
        }
        units.push({ topic: t.topic, partition: t.partition, offset: t.offset, rows: t.rows, source: decoded })
        ends.push(t.endTime)
        continue
      }
      const res = codec.decode('ScoredInteraction', m.value, m.headers)
      if (!res.ok) {
        bad.push({ index: i, code: res.code, reason: res.reason })
        continue
      }
      units.push({ ...scoredUnit(res.value, m, config.textMode, redactedByScorer(res.value, m.headers)), source: res.value })
      ends.push(res.value.end_time)
    }
    // Dead letters first: once they are durable, committing past them loses nothing.
    if (bad.length > 0) await b.deadLetter(bad)
    await writer.write(units)
    const now = Date.now()
    for (const end of ends) eventToRow.observe(Math.max(0, now - end) / 1000)
  }
  const consumers: ConsumerHandle[] = []
  try {
    consumers.push(
      await startUndecodedConsumer({
        ...common,
        groupId: config.groupId,
        topic: scoresTopic,
        // Another instance may have written these partitions since we last owned them.
        onAssignment: () => writer.invalidate(scoresTopic),
        handle: handleScores,
      }),
    )
    consumers.push(
      await startConsumer({
        ...common,
        // Its own group: kafkajs assigns partitions wrongly when members of one group subscribe to different topics.
        groupId: alertsGroupId(config.groupId),
        topic: alertsTopic,
        record: 'Alert',
        onAssignment: () => writer.invalidate(alertsTopic),
        handle: (b) => writer.write(b.messages.map((m) => ({ ...alertUnit(m.value, m), source: m.value }))),
      }),
    )
  } catch (err) {
    for (const c of consumers) await c.stop()
    await dlq.disconnect()
    throw err
  }
  logger.info({ scoresTopic, alertsTopic, groupId: config.groupId, batchRows: config.batchRows, flushMs: config.flushMs, textMode: config.textMode }, 'sink started')

  let stopping: Promise<void> | null = null
  return {
    stats: () => writer.stats,
    health: () => {
      const degraded = consumers.some((c) => c.degraded())
      return { ok: !degraded, degraded, assigned: { [scoresTopic]: consumers[0]?.assigned() ?? [], [alertsTopic]: consumers[1]?.assigned() ?? [] } }
    },
    // Ordered: stop consuming (running batches finish and commit), flush the writer, close the DLQ producer.
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all(consumers.map((c) => c.stop()))
        await writer.close()
        await dlq.disconnect()
        logger.info({ stats: writer.stats }, 'sink stopped')
      })()),
  }
}
