/**
 * Scorer service benchmark: how should scoring be parallelized? Same backlog, same run, four ways:
 *   inline      one process, scoring on the Kafka thread (SCORER_WORKERS=0)
 *   pool        one process, worker-thread pool of one thread per core (the default)
 *   processes   two processes in one consumer group, each scoring inline
 *   pool, no EOS  the pool with SCORER_EXACTLY_ONCE=false: the cost of Kafka transactions
 *
 *   npx tsx bench/scorer-service.ts [--json] [--events 20000]
 *
 * Each variant consumes the same pre-produced backlog of generated events (1-4 KB, some with RAG
 * context and samples) with a fresh consumer group into a fresh output topic; events/s = events /
 * time from start to the group having committed every offset. Services run as child processes
 * (`node bin/llmwatch.mjs run scorer`), as deployed. Kafka: KAFKA_BROKERS, or a temporary local broker.
 * Progress on stderr; with --json the last stdout line is the JSON result.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Codec } from '../shared/codec.js'
import { resolveKafka } from '../shared/infra/index.js'
import { createKafka } from '../shared/kafka.js'
import { silentLogger } from '../shared/logger.js'
import { repoPath } from '../shared/paths.js'
import { generateEvents } from '../shared/traffic/index.js'

const log = (m: string) => process.stderr.write(`[bench:scorer-service] ${m}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function args(argv: string[]): { json: boolean; events: number } {
  const a = { json: false, events: 20_000 }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') a.json = true
    else if (argv[i] === '--events') a.events = Number(argv[++i])
    else throw new Error(`unknown argument ${argv[i]} (usage: bench/scorer-service.ts [--json] [--events N])`)
  }
  if (!(a.events > 0)) throw new Error('--events must be positive')
  return a
}

interface Variant { name: string; processes: number; env: Record<string, string> }

async function main(): Promise<void> {
  const a = args(process.argv.slice(2))
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'llmwatch-bench-scorer-'))
  const infra = await resolveKafka({ dataDir, fresh: true, log })
  const kafka = createKafka({ brokers: infra.brokers, clientId: 'bench-scorer-service', logger: silentLogger, partitions: 6 })
  const codec = Codec.load()
  const children = new Set<ChildProcess>()
  try {
    const input = `bench.interactions.${randomUUID().slice(0, 8)}`
    await kafka.ensureTopics([{ name: input, partitions: 6 }, { name: 'llm.dlq', partitions: 1 }])
    log(`generating and producing ${a.events} events to ${input}`)
    const producer = await kafka.producer()
    const events = generateEvents(a.events, 99)
    for (let i = 0; i < events.length; i += 2000) {
      await producer.send(input, events.slice(i, i + 2000).map((e) => ({ key: `${e.app_name}|${e.request_model}`, value: codec.encode('LlmInteraction', e) })))
    }
    await producer.disconnect()
    const cores = os.availableParallelism()
    const variants: Variant[] = [
      { name: 'inline (1 process, Kafka thread)', processes: 1, env: { SCORER_WORKERS: '0' } },
      { name: `pool (1 process, ${cores} worker threads)`, processes: 1, env: { SCORER_WORKERS: String(cores) } },
      { name: `processes (${cores} processes, inline)`, processes: cores, env: { SCORER_WORKERS: '0' } },
      { name: `pool without exactly-once`, processes: 1, env: { SCORER_WORKERS: String(cores), SCORER_EXACTLY_ONCE: 'false' } },
    ]
    const results: { variant: string; events_per_sec: number; seconds: number }[] = []
    for (const v of variants) {
      // A fresh consumer group reads the shared input backlog; each variant writes a fresh output topic.
      const group = `bench-scorer-${randomUUID().slice(0, 8)}`
      const output = `bench.scores.${randomUUID().slice(0, 8)}`
      await kafka.ensureTopics([{ name: output, partitions: 6 }])
      log(`${v.name}: starting ${v.processes} process(es)`)
      const started = Date.now()
      for (let p = 0; p < v.processes; p++) {
        const child = spawn(process.execPath, [repoPath('bin', 'llmwatch.mjs'), 'run', 'scorer'], {
          env: {
            ...process.env, ...v.env, KAFKA_BROKERS: infra.brokers.join(','), SCORER_GROUP_ID: group, LOG_LEVEL: 'warn',
            SCORER_INPUT_TOPIC: input, SCORER_OUTPUT_TOPIC: output,
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        })
        children.add(child)
      }
      let lag = a.events
      while (lag > 0) {
        await sleep(500)
        lag = await kafka.groupLag(group, input).catch(() => a.events)
        const committed = a.events - lag
        if (committed > 0) log(`${v.name}: ${committed}/${a.events} scored, ${Math.round((committed * 1000) / (Date.now() - started))}/s`)
      }
      const seconds = (Date.now() - started) / 1000
      results.push({ variant: v.name, events_per_sec: Math.round(a.events / seconds), seconds: Math.round(seconds * 10) / 10 })
      for (const c of children) c.kill('SIGTERM')
      await Promise.all([...children].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))))
      children.clear()
    }
    const base = results[0]!.events_per_sec
    const out = {
      events: a.events,
      cores: os.availableParallelism(),
      loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
      note: 'includes process start-up and group join; same backlog and broker for every variant',
      results: results.map((r) => ({ ...r, ratio_vs_inline: Math.round((r.events_per_sec / base) * 100) / 100 })),
    }
    for (const r of out.results) log(`${r.variant.padEnd(40)} ${String(r.events_per_sec).padStart(7)} events/s  x${r.ratio_vs_inline}`)
    if (a.json) process.stdout.write(JSON.stringify(out) + '\n')
  } finally {
    for (const c of children) c.kill('SIGKILL')
    await kafka.close()
    await infra.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
