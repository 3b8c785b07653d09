/**
 * Scenario 1: kill -9 each service (scorer, sink, alerter) at random points of a run, several
 * times, and restart it. The books must balance exactly: nothing lost, nothing duplicated, one
 * firing alert per injected incident.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOPICS } from '../../shared/contract.js'
import { Rng } from '../../shared/traffic/index.js'
import { tempDir } from '../helpers.js'
import {
  assertBooks, checkBooks, violations, committed, drained, GROUPS, logTail, openClickHouse, produce, recordFailure, recordResult, serviceEnv, sleep, spawnService,
  startBroker, timeToProgress, toMessage, until, workload, type Broker, type ServiceName, type ServiceProc,
} from './harness.js'

/** The 50,000 events by default (about 85 s here with six kills); FAULTS_CRASH_EVENTS sets another size. */
const N = Number(process.env.FAULTS_CRASH_EVENTS ?? 50_000)
const KILLS_PER_SERVICE = Number(process.env.FAULTS_CRASH_KILLS ?? 2)
const INCIDENTS = 3
/** Which services get killed (default all three; e.g. FAULTS_CRASH_SERVICES=scorer,sink). */
const KILLED = (process.env.FAULTS_CRASH_SERVICES ?? 'scorer,sink,alerter').split(',').map((s) => s.trim()) as ServiceName[]

const GROUP_OF: Record<ServiceName, string> = { scorer: GROUPS.scorer, sink: GROUPS.sink, alerter: GROUPS.alerter }
let broker: Broker
const live = new Map<ServiceName, ServiceProc>()

beforeAll(async () => {
  broker = await startBroker()
})
afterAll(async () => {
  for (const p of live.values()) await p.kill9()
  await broker?.destroy()
})

describe('scenario 1: kill -9 and restart each service during a run', () => {
  it(`${N} events, ${KILLS_PER_SERVICE} kills of each of ${KILLED.join(', ')}: exact books`, async () => {
    const started = Date.now()
    const { kafka } = broker
    const workDir = tempDir('llmwatch-faults-crash-')
    const env = serviceEnv(broker.brokers, workDir)
    const w = workload(N, 101, INCIDENTS)
    for (const s of ['scorer', 'sink', 'alerter'] as const) live.set(s, spawnService(s, env[s], workDir))

    // Where each service's progress is read: its group's committed offsets on its input topic.
    const progress: Record<ServiceName, () => Promise<number>> = {
      scorer: () => committed(kafka, GROUPS.scorer, TOPICS.interactions.name),
      sink: () => committed(kafka, GROUPS.sink, TOPICS.scores.name),
      alerter: () => committed(kafka, GROUPS.alerter, TOPICS.scores.name),
    }
    const rng = new Rng(4242)
    const recoveries: number[] = []
    const kills: string[] = []
    const chaos = async (s: ServiceName) => {
      // Random kill points spread over the run: the k-th in the k-th slice of [0.1, 0.85] of the events.
      const slice = 0.75 / KILLS_PER_SERVICE
      const points = Array.from({ length: KILLS_PER_SERVICE }, (_, k) => Math.floor(N * (0.1 + slice * k + rng.float() * slice * 0.8)))
      for (const at of points) {
        await until(async () => (await progress[s]()) >= at, 300_000, `${s} to reach offset ${at}`)
        const before = await progress[s]()
        const signal = await live.get(s)!.kill9()
        expect(signal).toBe('SIGKILL')
        kills.push(`${s}@${before}`)
        await sleep(rng.int(0, 1500))
        live.set(s, spawnService(s, env[s], workDir))
        // Recovery: from the restart until the new process commits past where the old one was.
        recoveries.push(await timeToProgress(kafka, GROUP_OF[s], s === 'scorer' ? TOPICS.interactions.name : TOPICS.scores.name, before))
      }
    }
    const producing = produce(kafka, w.events.map(toMessage), { chunk: 500, paceMs: 20 })
    try {
      await Promise.all([producing, ...KILLED.map((s) => chaos(s))])
    } catch (err) {
      for (const p of live.values()) console.error(`--- ${p.name} log tail\n${logTail(p)}`)
      recordFailure(`1. kill -9 ${KILLED.join(', ')}`, N, started, err)
      throw err
    }
    try {
      // Every event is valid here: each must end up readable on llm.scores.
      await drained(kafka, Number(process.env.FAULTS_DRAIN_MS ?? 400_000), w.events.length)
    } catch (err) {
      for (const p of live.values()) console.error(`--- ${p.name} log tail\n${logTail(p)}`)
      recordFailure(`1. kill -9 ${KILLED.join(', ')}`, N, started, err)
      throw err
    }
    // Ordered stops: each exits 0.
    for (const s of ['scorer', 'alerter', 'sink'] as const) expect(await live.get(s)!.stop()).toBe('0')
    live.clear()

    const ch = await openClickHouse(workDir)
    try {
      const books = await checkBooks(kafka, ch, w)
      console.log(`[crash] kills ${kills.join(', ')}; recoveries ms ${recoveries.join(', ')}; books ${JSON.stringify({ ...books, dlqRecords: undefined })}`)
      recordResult({
        scenario: `1. kill -9 ${KILLED.join(', ')}`,
        events: books.events,
        lost: books.lost,
        duplicated: books.duplicated + books.topicDuplicates,
        dlq: books.dlq,
        recoveryMs: Math.max(...recoveries),
        durationMs: Date.now() - started,
        violations: violations(books, w),
        notes: `${kills.length} kills (${kills.join(', ')}); recovery ms per kill ${recoveries.join('/')}`,
      })
      assertBooks(expect, books, w)
      expect(kills.length).toBe(KILLED.length * KILLS_PER_SERVICE)
    } finally {
      await ch.close()
    }
  })
})
