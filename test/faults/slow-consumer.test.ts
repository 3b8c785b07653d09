/**
 * Scenario 5: a slow consumer. Events arrive at a steady rate; the sink is throttled to half that
 * rate (each `interactions` insert is delayed in proportion to its rows), then released. The sink's
 * lag must grow while throttled and drain after, with no loss, and the sink's memory must stay
 * bounded: backpressure pauses the fetch instead of buffering the backlog.
 * The sink runs in the test process (test/faults/inprocess-sink.ts); scorer and alerter are children.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOPICS } from '../../shared/contract.js'
import { tempDir } from '../helpers.js'
import {
  assertBooks, checkBooks, violations, drained, GROUPS, logTail, produce, recordResult, serviceEnv, sleep, spawnService, startBroker, toMessage, until,
  workload, type Broker, type ServiceProc,
} from './harness.js'
import { startInProcessSink, type InProcessSink } from './inprocess-sink.js'

/** Input rate (events/s) and how long it lasts; the sink is throttled to half the rate for THROTTLE_MS. */
const RATE = Number(process.env.FAULTS_SLOW_RATE ?? 200)
const SECONDS = Number(process.env.FAULTS_SLOW_SECONDS ?? 40)
const THROTTLE_MS = Number(process.env.FAULTS_SLOW_THROTTLE_MS ?? 25_000)
const N = RATE * SECONDS
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

describe('scenario 5: slow consumer', () => {
  it(`${N} events at ${RATE}/s, sink throttled to ${RATE / 2}/s for ${THROTTLE_MS / 1000} s then released: lag grows and drains, no loss, bounded memory`, async () => {
    const started = Date.now()
    const { kafka } = broker
    const workDir = tempDir('llmwatch-faults-slow-')
    const env = serviceEnv(broker.brokers, workDir)
    const w = workload(N, 505, 2)
    live.push(spawnService('scorer', env.scorer, workDir), spawnService('alerter', env.alerter, workDir))
    // Inserts of at most ~400 rows plus one fetch: at 10 ms a row, well within the 15 s session timeout
    // (with 5,000-row inserts one throttled insert took 50 s and the group dropped the sink).
    sink = await startInProcessSink(kafka, workDir, { batchRows: 400 })
    sink.faults.msPerEvent = 1000 / (RATE / 2)
    const messages = w.events.map(toMessage)
    global.gc?.()
    const baseHeapMb = process.memoryUsage().heapUsed / 2 ** 20
    let peakHeapMb = baseHeapMb
    let peakLag = 0
    const lagSamples: number[] = []
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        peakHeapMb = Math.max(peakHeapMb, process.memoryUsage().heapUsed / 2 ** 20)
        const lag = await kafka.groupLag(GROUPS.sink, TOPICS.scores.name)
        peakLag = Math.max(peakLag, lag)
        lagSamples.push(lag)
        await sleep(500)
      }
    })()

    // 20 chunks per second at the input rate.
    const producing = produce(kafka, messages, { chunk: RATE / 20, paceMs: 50 })
    await sleep(THROTTLE_MS)
    const lagAtRelease = await kafka.groupLag(GROUPS.sink, TOPICS.scores.name)
    sink.faults.msPerEvent = 0
    const released = Date.now()
    await producing
    try {
      await drained(kafka, undefined, w.events.length)
    } catch (err) {
      for (const p of live) console.error(`--- ${p.name} log tail\n${logTail(p)}`)
      throw err
    }
    const drainMs = Date.now() - released
    sampling = false
    await sampler
    await sink.stop()
    for (const p of live) expect(await p.stop(), p.name).toBe('0')
    live.length = 0

    const books = await checkBooks(kafka, sink.client, w)
    const heapGrowthMb = Math.round(peakHeapMb - baseHeapMb)
    console.log(`[slow-consumer] lag at release ${lagAtRelease}, peak ${peakLag}; drained ${drainMs} ms after release; heap +${heapGrowthMb} MB; books ${JSON.stringify({ ...books, dlqRecords: undefined })}`)
    recordResult({
      scenario: '5. slow sink (half the input rate), then released',
      events: books.events,
      lost: books.lost,
      duplicated: books.duplicated + books.topicDuplicates,
      dlq: books.dlq,
      recoveryMs: drainMs,
      durationMs: Date.now() - started,
      violations: violations(books, w),
      notes: `${RATE}/s for ${SECONDS} s, sink capped at ${RATE / 2}/s for ${THROTTLE_MS / 1000} s; sink lag at release ${lagAtRelease} (peak ${peakLag}); test-process heap growth ${heapGrowthMb} MB; recovery = release to drained`,
    })
    assertBooks(expect, books, w)
    // Throttled at half the input rate for THROTTLE_MS, the backlog grows by about RATE/2 per second.
    expect(lagAtRelease).toBeGreaterThan(0.3 * (RATE / 2) * (THROTTLE_MS / 1000))
    // Bounded: the backlog stays in Kafka. The heap grows by less than the backlog's own size would need
    // (each ScoredInteraction is ~2-3 KB on the wire and several times that decoded).
    expect(heapGrowthMb).toBeLessThan(300)
  })
})
