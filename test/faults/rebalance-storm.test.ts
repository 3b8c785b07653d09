/**
 * Scenario 6: a rebalance storm. One scorer instance runs throughout; every few seconds another
 * instance joins or one leaves (SIGTERM: it leaves the group after its current batch), so the
 * scorer group rebalances continuously while events flow. With exactly-once scoring, no event may
 * be lost or scored twice, and the books must balance exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOPICS } from '../../shared/contract.js'
import { Rng } from '../../shared/traffic/index.js'
import { tempDir } from '../helpers.js'
import {
  assertBooks, checkBooks, violations, drained, GROUPS, logTail, openClickHouse, produce, recordResult, serviceEnv, sleep, spawnService, startBroker,
  toMessage, until, workload, type Broker, type ServiceProc,
} from './harness.js'

const N = Number(process.env.FAULTS_STORM_EVENTS ?? 8_000)
const STORM_MS = Number(process.env.FAULTS_STORM_MS ?? 45_000)
const MAX_EXTRA = 3
let broker: Broker
const live = new Set<ServiceProc>()

beforeAll(async () => {
  broker = await startBroker()
})
afterAll(async () => {
  for (const p of live) await p.kill9()
  await broker?.destroy()
})

describe('scenario 6: rebalance storm', () => {
  it(`${N} events while scorer instances join and leave every few seconds for ${STORM_MS / 1000} s: exact books`, async () => {
    const started = Date.now()
    const { kafka } = broker
    const workDir = tempDir('llmwatch-faults-storm-')
    const env = serviceEnv(broker.brokers, workDir)
    const w = workload(N, 606, 2)
    const base = { scorer: spawnService('scorer', env.scorer, workDir, 'scorer-base'), sink: spawnService('sink', env.sink, workDir), alerter: spawnService('alerter', env.alerter, workDir) }
    for (const p of Object.values(base)) live.add(p)

    // Events flow during the whole storm.
    const producing = produce(kafka, w.events.map(toMessage), { chunk: 100, paceMs: Math.round((STORM_MS * 0.8) / (N / 100)) })
    const rng = new Rng(606)
    const extra: ServiceProc[] = []
    const changes: string[] = []
    const stops: Promise<string>[] = []
    const stormEnd = Date.now() + STORM_MS
    while (Date.now() < stormEnd) {
      await sleep(rng.int(2_000, 4_000))
      // Only instances that finished starting (their signal handlers are installed) are asked to leave.
      const joined = extra.filter((p) => logTail(p, 1_000_000).includes('"msg":"scorer running'))
      const join = joined.length === 0 || (extra.length < MAX_EXTRA && rng.chance(0.6))
      if (join && extra.length >= MAX_EXTRA) continue
      if (join) {
        const p = spawnService('scorer', env.scorer, workDir, `scorer-extra`)
        extra.push(p)
        live.add(p)
        changes.push('+')
      } else {
        const p = joined[rng.int(0, joined.length - 1)]!
        extra.splice(extra.indexOf(p), 1)
        changes.push('-')
        stops.push(p.stop().then((code) => {
          live.delete(p)
          return code
        }))
      }
    }
    for (const p of extra.splice(0)) {
      await until(() => logTail(p, 1_000_000).includes('"msg":"scorer running'), 120_000, `${p.name} to finish starting`)
      changes.push('-')
      stops.push(p.stop().then((code) => {
        live.delete(p)
        return code
      }))
    }
    const codes = await Promise.all(stops)
    const stormOver = Date.now()
    await producing
    await until(async () => (await kafka.groupLag(GROUPS.scorer, TOPICS.interactions.name)) === 0, 300_000, 'the scorer group to catch up')
    const recoveryMs = Date.now() - stormOver
    try {
      await drained(kafka, undefined, w.events.length)
    } catch (err) {
      for (const p of live) console.error(`--- ${p.name} log tail\n${logTail(p)}`)
      throw err
    }
    const baseCodes: string[] = []
    for (const p of [base.scorer, base.alerter, base.sink]) {
      baseCodes.push(await p.stop())
      live.delete(p)
    }

    const ch = await openClickHouse(workDir)
    try {
      const books = await checkBooks(kafka, ch, w)
      console.log(`[rebalance-storm] membership changes ${changes.join('')}; scorer caught up ${recoveryMs} ms after the storm; books ${JSON.stringify({ ...books, dlqRecords: undefined })}`)
      recordResult({
        scenario: '6. scorer rebalance storm',
        events: books.events,
        lost: books.lost,
        duplicated: books.duplicated + books.topicDuplicates,
        dlq: books.dlq,
        recoveryMs,
        durationMs: Date.now() - started,
        violations: violations(books, w),
        notes: `${changes.length} membership changes in ${STORM_MS / 1000} s (${changes.join('')}), up to ${MAX_EXTRA + 1} instances; duplicates on llm.scores ${books.topicDuplicates}; recovery = storm end to scorer lag 0`,
      })
      assertBooks(expect, books, w)
      expect(baseCodes, 'exit codes of the base scorer, alerter, sink').toEqual(['0', '0', '0'])
      // Instances that left did so cleanly (exit 0 after SIGTERM).
      expect(codes.every((c) => c === '0'), `exit codes of leaving instances: ${codes.join(',')}`).toBe(true)
    } finally {
      await ch.close()
    }
  })
})
