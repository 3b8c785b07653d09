/**
 * Scenario 3: ClickHouse is unavailable for 30 s in the middle of a run: every insert and query of
 * the sink fails like a refused connection. The sink must hold its offsets (partition paused,
 * batch retried), report itself degraded, and store everything once ClickHouse is back.
 * The sink runs in the test process behind a fault-injecting client (test/faults/inprocess-sink.ts);
 * scorer and alerter are child processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOPICS } from '../../shared/contract.js'
import { tempDir } from '../helpers.js'
import {
  assertBooks, checkBooks, violations, committed, drained, GROUPS, logTail, produce, recordResult, serviceEnv, sleep, spawnService, startBroker,
  timeToProgress, toMessage, until, workload, type Broker, type ServiceProc,
} from './harness.js'
import { startInProcessSink, type InProcessSink } from './inprocess-sink.js'

const N = Number(process.env.FAULTS_CH_EVENTS ?? 8_000)
const OUTAGE_MS = Number(process.env.FAULTS_CH_OUTAGE_MS ?? 30_000)
let broker: Broker
let sink: InProcessSink | null = null
const live: ServiceProc[] = []

beforeAll(async () => {
  broker = await startBroker()
})
afterAll(async () => {
  for (const p of live) await p.kill9()
  await sink?.stop()
  await sink?.client.close()
  await broker?.destroy()
})

describe('scenario 3: ClickHouse unavailable for 30 s', () => {
  it(`${N} events, inserts and queries fail for ${OUTAGE_MS / 1000} s mid-run: nothing lost, nothing doubled`, async () => {
    const started = Date.now()
    const { kafka } = broker
    const workDir = tempDir('llmwatch-faults-ch-')
    const env = serviceEnv(broker.brokers, workDir)
    const w = workload(N, 303, 2)
    live.push(spawnService('scorer', env.scorer, workDir), spawnService('alerter', env.alerter, workDir))
    sink = await startInProcessSink(kafka, workDir)

    const producing = produce(kafka, w.events.map(toMessage), { chunk: 200, paceMs: 150 })
    await until(async () => (await committed(kafka, GROUPS.sink, TOPICS.scores.name)) >= 0.3 * N, 300_000, 'the sink to store 30 % of the events')
    sink.faults.down = true
    const atOutage = await committed(kafka, GROUPS.sink, TOPICS.scores.name)
    // During the outage the sink reports itself degraded and commits nothing it has not stored.
    await until(() => sink!.sink.health().degraded, 20_000, 'the sink to report degraded')
    await sleep(OUTAGE_MS)
    const duringOutage = await committed(kafka, GROUPS.sink, TOPICS.scores.name)
    sink.faults.down = false
    const recoveryMs = await timeToProgress(kafka, GROUPS.sink, TOPICS.scores.name, duringOutage)
    await producing
    try {
      await drained(kafka, undefined, w.events.length)
    } catch (err) {
      for (const p of live) console.error(`--- ${p.name} log tail\n${logTail(p)}`)
      throw err
    }
    expect(sink.sink.health().degraded).toBe(false)
    const retries = sink.sink.stats().retries
    await sink.stop()
    for (const p of live) expect(await p.stop(), p.name).toBe('0')
    live.length = 0

    const books = await checkBooks(kafka, sink.client, w)
    console.log(`[clickhouse-outage] committed at outage start ${atOutage}, at its end ${duringOutage}; recovery ${recoveryMs} ms; writer retries ${retries}; books ${JSON.stringify({ ...books, dlqRecords: undefined })}`)
    recordResult({
      scenario: '3. ClickHouse unavailable 30 s',
      events: books.events,
      lost: books.lost,
      duplicated: books.duplicated + books.topicDuplicates,
      dlq: books.dlq,
      recoveryMs,
      durationMs: Date.now() - started,
      violations: violations(books, w),
      notes: `inserts and queries refused for ${OUTAGE_MS} ms; sink offsets moved ${duringOutage - atOutage} during the outage (in-flight batches that were already stored)`,
    })
    assertBooks(expect, books, w)
    expect(retries).toBeGreaterThan(0)
  })
})
