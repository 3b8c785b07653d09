/**
 * The sink service with two measurement hooks, run by bench/pipeline.ts as its own process
 * (`node --import tsx bench/pipeline/sink-probe.ts`, IPC channel open), asking ClickHouse (the
 * sink's, CLICKHOUSE_URL) from inside the sink's process:
 *  - the parent sends `{ type: 'watch', ids }` (event_ids of probe events); every POLL_MS this process
 *    asks ClickHouse which of the pending ids are in `interactions` and answers
 *    `{ type: 'visible', ids, at }` with the wall-clock time of the answer;
 *  - every second it sends `{ type: 'chdb', bytes, rss, libRss }`, sampled together: ClickHouse's
 *    own MemoryTracking metric (what the engine's allocator accounts for: caches, buffers, query and
 *    merge memory; the served ClickHouse's), this process's VmRSS, and the resident pages of a
 *    libchdb mapping (/proc/self/smaps; 0 unless chDB runs in this process); v8 is Node's heap plus
 *    external (Buffer) memory, part of the RSS.
 * The sink itself is wired exactly as services/sink/main.ts does it (same env, same startSink).
 */
import { readFileSync } from 'node:fs'
import v8 from 'node:v8'
import { createClickHouse, type ClickHouseClient } from '../../shared/clickhouse.js'
import { errorMessage } from '../../shared/errors.js'
import { applyRetention, migrate, retentionFromEnv } from '../../shared/migrate.js'
import { runService } from '../../shared/service.js'
import { sinkEnvSchema } from '../../services/sink/config.js'
import { SERVICE, startSink } from '../../services/sink/sink.js'

const POLL_MS = 50

export type ProbeRequest = { type: 'watch'; ids: string[] }
export type ProbeReport = { type: 'visible'; ids: string[]; at: number } | { type: 'chdb'; bytes: number; rss: number; libRss: number; v8: number } | { type: 'error'; message: string }

const UUID = /^[0-9a-f-]{36}$/i

function send(m: ProbeReport): void {
  process.send?.(m)
}

/** Which of `ids` are stored in `interactions` (ids are checked UUIDs, inlined into the SQL). */
async function visible(client: ClickHouseClient, ids: string[]): Promise<string[]> {
  const list = ids.map((id) => `'${id}'`).join(',')
  const rs = await client.query({ query: `SELECT toString(event_id) AS id FROM interactions WHERE event_id IN (${list})`, format: 'JSONEachRow' })
  return (await rs.json<{ id: string }>()).map((r) => r.id)
}

/** VmRSS of this process and the resident bytes of the libchdb mapping(s), from /proc/self. */
function processMemory(): { rss: number; libRss: number } {
  const kb = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? NaN) * 1024
  const rss = kb(readFileSync('/proc/self/status', 'utf8'), /^VmRSS:\s+(\d+) kB/m)
  let libRss = 0
  let inLib = false
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inLib = line.includes('libchdb')
    else if (inLib && line.startsWith('Rss:')) libRss += kb(line, /^Rss:\s+(\d+) kB/)
  }
  return { rss, libRss }
}

async function chdbMemory(client: ClickHouseClient): Promise<number> {
  const rs = await client.query({ query: "SELECT value FROM system.metrics WHERE metric = 'MemoryTracking'", format: 'JSONEachRow' })
  return Number((await rs.json<{ value: string | number }>())[0]?.value ?? NaN)
}

await runService(SERVICE, sinkEnvSchema, async ({ env, logger, kafka, codec, lifecycle }) => {
  // As services/sink/main.ts: SINK_HEAP_GROWING_PERCENT.
  if (env.SINK_HEAP_GROWING_PERCENT > 0) v8.setFlagsFromString(`--heap-growing-percent=${env.SINK_HEAP_GROWING_PERCENT}`)
  const chCfg = { url: env.CLICKHOUSE_URL, user: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, database: env.CLICKHOUSE_DATABASE }
  const client = await createClickHouse(chCfg)
  await migrate(client, { database: env.CLICKHOUSE_DATABASE, log: (m) => logger.info(m) })
  await applyRetention(client, env.CLICKHOUSE_DATABASE, retentionFromEnv(env))
  const sink = await startSink({
    kafka, codec, logger, client,
    config: {
      groupId: env.SINK_GROUP_ID, batchRows: env.SINK_BATCH_ROWS, flushMs: env.SINK_FLUSH_MS, retryBudgetMs: env.SINK_RETRY_BUDGET_MS,
      textMode: env.SINK_TEXT_MODE, concurrency: env.SINK_CONCURRENCY, scoresTopic: env.SINK_SCORES_TOPIC, alertsTopic: env.SINK_ALERTS_TOPIC, dlqTopic: env.SINK_DLQ_TOPIC,
    },
    onFatal: (err) => {
      logger.fatal({ err }, 'sink consumer failed for good')
      void lifecycle.close().finally(() => process.exit(1))
    },
  })

  // A second client for the probe queries, so they do not queue behind the sink's own requests.
  const probeClient = await createClickHouse(chCfg)
  const pending = new Set<string>()
  process.on('message', (m: ProbeRequest) => {
    if (m.type === 'watch') for (const id of m.ids) if (UUID.test(id)) pending.add(id)
  })
  let stopped = false
  const pollLoop = (async () => {
    let lastMem = 0
    while (!stopped) {
      const started = Date.now()
      try {
        if (pending.size > 0) {
          const ids = await visible(probeClient, [...pending])
          if (ids.length > 0) {
            const at = Date.now()
            for (const id of ids) pending.delete(id)
            send({ type: 'visible', ids, at })
          }
        }
        if (started - lastMem >= 1000) {
          lastMem = started
          const bytes = await chdbMemory(probeClient)
          const mu = process.memoryUsage()
          send({ type: 'chdb', bytes, ...processMemory(), v8: mu.heapTotal + mu.external })
        }
      } catch (err) {
        send({ type: 'error', message: errorMessage(err) })
      }
      await new Promise((r) => setTimeout(r, Math.max(0, POLL_MS - (Date.now() - started))))
    }
  })()
  return {
    stop: async () => {
      stopped = true
      await pollLoop
      await sink.stop()
      await probeClient.close()
      await client.close()
    },
    health: () => sink.health(),
  }
})
