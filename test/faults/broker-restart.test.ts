/**
 * Scenario 2: the Kafka broker restarts twice in the middle of a run (controlled shutdown, then a
 * start on the same ports and data directory). The services are not restarted: they must reconnect by
 * themselves, keep running, and the books must balance exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOPICS } from '../../shared/contract.js'
import { tempDir } from '../helpers.js'
import {
  assertBooks, checkBooks, violations, committed, drained, GROUPS, logTail, openClickHouse, produce, recordFailure, recordResult, serviceEnv, spawnService, startBroker,
  timeToProgress, toMessage, until, workload, type Broker, type ServiceName, type ServiceProc,
} from './harness.js'

const N = Number(process.env.FAULTS_BROKER_EVENTS ?? 8_000)
let broker: Broker
const live = new Map<ServiceName, ServiceProc>()

beforeAll(async () => {
  broker = await startBroker()
})
afterAll(async () => {
  for (const p of live.values()) await p.kill9()
  await broker?.destroy()
})

describe('scenario 2: broker restart mid-run', () => {
  it(`${N} events, broker stopped and started twice: services reconnect, exact books`, async () => {
    const started = Date.now()
    const { kafka } = broker
    const workDir = tempDir('llmwatch-faults-broker-')
    const env = serviceEnv(broker.brokers, workDir)
    const w = workload(N, 202, 2)
    for (const s of ['scorer', 'sink', 'alerter'] as const) live.set(s, spawnService(s, env[s], workDir))

    // Paced so that events keep arriving before, during and after the outage.
    const producing = produce(kafka, w.events.map(toMessage), { chunk: 200, paceMs: 150 })
    // Two restarts (at 30 % and 65 % of the events stored): each can catch transactions in flight.
    const outages: number[] = []
    const recoveries: number[] = []
    for (const at of [0.3, 0.65]) {
      await until(async () => (await committed(kafka, GROUPS.sink, TOPICS.scores.name)) >= at * N, 300_000, `the sink to store ${at * 100} % of the events`)
      const before = await committed(kafka, GROUPS.sink, TOPICS.scores.name)
      const down = Date.now()
      await broker.stop()
      await broker.start()
      outages.push(Date.now() - down)
      // Recovery: from the broker being back until the sink (the end of the pipeline) commits again.
      recoveries.push(await timeToProgress(kafka, GROUPS.sink, TOPICS.scores.name, before))
    }
    const recoveryMs = Math.max(...recoveries)
    const outageMs = Math.max(...outages)
    await producing
    try {
      await drained(kafka, undefined, w.events.length)
    } catch (err) {
      for (const p of live.values()) console.error(`--- ${p.name} log tail\n${logTail(p)}`)
      recordFailure('2. Kafka broker restart', N, started, err)
      throw err
    }
    // Nobody died during the outage: the very processes started at the beginning stop cleanly now.
    for (const s of ['scorer', 'alerter', 'sink'] as const) {
      expect(live.get(s)!.alive(), `${s} survived the broker restart`).toBe(true)
      expect(await live.get(s)!.stop(), `${s} exit`).toBe('0')
    }
    live.clear()

    const ch = await openClickHouse(workDir)
    try {
      const books = await checkBooks(kafka, ch, w)
      console.log(`[broker-restart] outage ${outageMs} ms, recovery ${recoveryMs} ms; books ${JSON.stringify({ ...books, dlqRecords: undefined })}`)
      recordResult({
        scenario: '2. Kafka broker restart',
        events: books.events,
        lost: books.lost,
        duplicated: books.duplicated + books.topicDuplicates,
        dlq: books.dlq,
        recoveryMs,
        durationMs: Date.now() - started,
        violations: violations(books, w),
        notes: `2 restarts, broker down ${outages.join('/')} ms (stop + start), sink committing again after ${recoveries.join('/')} ms; services not restarted`,
      })
      assertBooks(expect, books, w)
    } finally {
      await ch.close()
    }
  })
})
