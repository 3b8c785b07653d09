/**
 * Ingest gateway benchmark.
 *
 *   npm run bench:gateway -- [--json] [--seconds 20] [--connections 16] [--spans 100] [--cpu-prof DIR]
 *
 * The gateway runs as its own process (`llmwatch run gateway`, as deployed), producing to a topic of
 * its own; this process is the client: OTLP/HTTP protobuf requests of --spans GenAI spans each
 * (every span a new trace/span id, so none is deduplicated) over keep-alive connections.
 *
 * 1. throughput: --connections requests in flight for --seconds; events accepted per second (a 200
 *    means Kafka acknowledged them, acks=all) and per CPU-second of the gateway process ("per core").
 * 2. latency: requests paced open-loop at half the measured throughput; ack latency (request sent to
 *    200 received) p50 / p99 / max.
 * 3. baseline, same run: the same events, Avro-encoded, produced straight to Kafka from this process
 *    (the project's producer, acks=all, 100 per send, --connections sends in flight): events/s and per
 *    CPU-second of this process; the gateway's figures as a ratio of these.
 *
 * Kafka: KAFKA_BROKERS, a broker from `llmwatch infra up`, or a temporary local broker, on this
 * machine. Progress on stderr; with --json the last stdout line is the JSON result.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { Codec } from '../shared/codec.js'
import { createKafka } from '../shared/kafka.js'
import { silentLogger } from '../shared/logger.js'
import { repoPath } from '../shared/paths.js'
import { decodeTraces } from '../services/gateway/otlp.js'
import { isGenAiSpan, spanToInteraction } from '../services/gateway/mapping.js'
import { sampleTraceBody } from '../services/gateway/sample.js'
import { brokersFor, log, sleep } from './common.js'

interface Args {
  json: boolean
  /** Directory for a V8 CPU profile of the gateway process (node --cpu-prof), written when it stops. */
  cpuProf: string | null
  seconds: number
  connections: number
  spans: number
}

function parse(argv: readonly string[]): Args {
  const a: Args = { json: false, cpuProf: null, seconds: 20, connections: 16, spans: 100 }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]
    if (k === '--json') a.json = true
    else if (k === '--cpu-prof') a.cpuProf = argv[++i] ?? null
    else if (k === '--seconds' || k === '--connections' || k === '--spans') a[k.slice(2) as 'seconds' | 'connections' | 'spans'] = Number(argv[++i])
    else throw new Error(`unknown argument ${k} (usage: bench/gateway.ts [--json] [--seconds N] [--connections N] [--spans N])`)
  }
  if (!(a.seconds > 0 && a.connections > 0 && a.spans > 0)) throw new Error('--seconds, --connections and --spans must be positive')
  return a
}

const KEY = `bench-${randomBytes(12).toString('hex')}`
/** Apps the requests cycle over (the topics have 6 partitions). */
const APPS = 6
const CLK_TCK = 100

/** CPU seconds (user + system) a process used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}
const selfCpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/**
 * Request bodies of `n` spans with fresh ids: one encoded template whose 16-byte trace ids and 8-byte
 * span ids are overwritten in place (protobuf fields of fixed length), so the client spends little CPU.
 */
function bodyFactory(n: number): () => Buffer {
  // One request holds one app's spans (as an app's exporter sends them); requests cycle over APPS
  // apps, so that records spread over the topic's partitions (the key is app|model) as real traffic does.
  const templates = Array.from({ length: APPS }, (_, k) => {
    const traceIds = Array.from({ length: n }, () => randomBytes(16).toString('hex'))
    const spanIds = Array.from({ length: n }, () => randomBytes(8).toString('hex'))
    const template = sampleTraceBody(`bench-app-${k}`, traceIds.map((t, i) => ({ traceId: t, spanId: spanIds[i]!, prompt: `How do I reset my password? (${i})` })), 'protobuf')
    const at = spanIds.map((s, i) => ({ trace: template.indexOf(Buffer.from(traceIds[i]!, 'hex')), span: template.indexOf(Buffer.from(s, 'hex')) }))
    if (at.some((x) => x.trace < 0 || x.span < 0)) throw new Error('template ids not found')
    return { template, at }
  })
  let counter = 0
  let k = 0
  return () => {
    const { template, at } = templates[k++ % APPS]!
    const b = Buffer.from(template)
    for (const x of at) {
      counter++
      b.writeUInt32BE(counter >>> 0, x.trace)
      b.writeUInt32BE(process.pid, x.trace + 4)
      b.writeUInt32BE(counter >>> 0, x.span)
    }
    return b
  }
}

function post(agent: http.Agent, port: number, body: Buffer): Promise<{ status: number; ms: number }> {
  const t0 = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length, authorization: `Bearer ${KEY}` } },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6 }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** The gateway's histogram of Kafka ack times (llmwatch_gateway_kafka_ack_seconds): cumulative bucket counts by upper bound. */
async function ackBuckets(port: number): Promise<Map<number, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const out = new Map<number, number>()
  for (const m of text.matchAll(/^llmwatch_gateway_kafka_ack_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]))
  return out
}

/** The upper bound (ms) of the bucket holding the p-th percentile of what was observed between two snapshots. */
function bucketPercentile(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const bounds = [...after.keys()].sort((x, y) => x - y)
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0)
  for (const le of bounds) if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= (p / 100) * total) return le * 1000
  return NaN
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2))
  const infra = await brokersFor()
  const topic = `bench-gateway-${randomBytes(4).toString('hex')}`
  const kafka = createKafka({ brokers: infra.brokers, clientId: 'bench-gateway', logger: silentLogger })
  await kafka.ensureTopics([{ name: topic }, { name: `${topic}-baseline` }])
  const child = spawn(process.execPath, [...(args.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${args.cpuProf}`] : []), repoPath('bin/llmwatch.mjs'), 'run', 'gateway'], {
    cwd: repoPath(),
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, KAFKA_BROKERS: infra.brokers.join(','), GATEWAY_API_KEYS: `${KEY}=*`, GATEWAY_PORT: '0', GATEWAY_TOPIC: topic, GATEWAY_RATE_LIMIT_RPS: '1000000', LOG_LEVEL: 'info' },
  })
  const exited = new Promise<number | null>((r) => child.on('close', r))
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = ''
      const t = setTimeout(() => reject(new Error(`gateway did not start: ${out}`)), 90_000)
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /"port":(\d+).*"msg":"gateway listening"/.exec(out)
        if (m) {
          clearTimeout(t)
          resolve(Number(m[1]))
        }
        if (out.length > 100_000) out = out.slice(-10_000)
      })
    })
    log(`gateway pid ${child.pid} on port ${port}, topic ${topic}, brokers ${infra.brokers.join(',')}`)
    const next = bodyFactory(args.spans)
    const agent = new http.Agent({ keepAlive: true, maxSockets: args.connections })

    // Warm-up: JIT, connections, producer metadata.
    for (let i = 0; i < 20; i++) await post(agent, port, next())

    // 1. Throughput, closed loop.
    log(`throughput: ${args.connections} connections, ${args.spans} spans per request, ${args.seconds} s ...`)
    let ok = 0
    let failed = 0
    const cpu0 = cpuSeconds(child.pid!)
    const t0 = Date.now()
    const until = t0 + args.seconds * 1000
    await Promise.all(
      Array.from({ length: args.connections }, async () => {
        while (Date.now() < until) {
          const r = await post(agent, port, next())
          if (r.status === 200) ok++
          else failed++
        }
      }),
    )
    const wall = (Date.now() - t0) / 1000
    const cpu = cpuSeconds(child.pid!) - cpu0
    const events = ok * args.spans
    const throughput = { events_per_s: Math.round(events / wall), events_per_cpu_s: Math.round(events / cpu), gateway_cpu_cores: round(cpu / wall, 2), requests_ok: ok, requests_failed: failed, seconds: round(wall) }
    log(`  ${throughput.events_per_s} events/s accepted, ${throughput.events_per_cpu_s} per CPU-second of the gateway (${throughput.gateway_cpu_cores} cores busy), ${failed} failed requests`)

    // 2. Ack latency at half that rate, open loop.
    const rate = throughput.events_per_s / 2
    const reqPerS = rate / args.spans
    log(`latency: ${Math.round(rate)} events/s (${round(reqPerS)} requests/s) for ${args.seconds} s ...`)
    const lat: number[] = []
    let latFailed = 0
    const hist0 = await ackBuckets(port)
    const pending: Promise<void>[] = []
    const l0 = Date.now()
    for (let i = 0; ; i++) {
      const due = l0 + (i * 1000) / reqPerS
      if (due > l0 + args.seconds * 1000) break
      const wait = due - Date.now()
      if (wait > 0) await sleep(wait)
      pending.push(
        post(agent, port, next()).then((r) => {
          if (r.status === 200) lat.push(r.ms)
          else latFailed++
        }),
      )
    }
    await Promise.all(pending)
    const hist1 = await ackBuckets(port)
    lat.sort((a, b) => a - b)
    const latency = { rate_events_per_s: Math.round(rate), requests: lat.length, failed: latFailed, p50_ms: round(pct(lat, 50)), p99_ms: round(pct(lat, 99)), max_ms: round(lat.at(-1) ?? NaN), kafka_ack_p50_bucket_ms: bucketPercentile(hist0, hist1, 50), kafka_ack_p99_bucket_ms: bucketPercentile(hist0, hist1, 99) }
    log(`  ack latency p50 ${latency.p50_ms} ms, p99 ${latency.p99_ms} ms, max ${latency.max_ms} ms; of which waiting for Kafka's ack (gateway histogram): p50 <= ${latency.kafka_ack_p50_bucket_ms} ms, p99 <= ${latency.kafka_ack_p99_bucket_ms} ms`)
    agent.destroy()

    // 3. Baseline: the same events produced straight to Kafka from this process.
    log(`baseline: the same events, Avro, ${args.spans} per send, ${args.connections} sends in flight, ${args.seconds} s ...`)
    const codec = Codec.load()
    const batches = Array.from({ length: APPS }, () => decodeTraces(next(), 'protobuf').filter(isGenAiSpan).map((s) => spanToInteraction(s)).flatMap((m) => (m.ok ? [m.event] : [])))
    let bi = 0
    const producer = await kafka.producer()
    let sent = 0
    const b0 = selfCpu()
    const s0 = Date.now()
    const bUntil = s0 + args.seconds * 1000
    await Promise.all(
      Array.from({ length: args.connections }, async () => {
        while (Date.now() < bUntil) {
          // Encoding is part of the work (the gateway encodes too); the ids differ per send as in the gateway run.
          const msgs = batches[bi++ % APPS]!.map((e) => ({ key: `${e.app_name}|${e.request_model}`, value: codec.encode('LlmInteraction', { ...e, event_id: crypto.randomUUID() }), timestamp: String(e.end_time) }))
          await producer.send(`${topic}-baseline`, msgs)
          sent += msgs.length
        }
      }),
    )
    const bWall = (Date.now() - s0) / 1000
    const bCpu = selfCpu() - b0
    // Raw produce latency at the gateway's latency-phase rate: what Kafka alone takes to ack a batch.
    const bLat: number[] = []
    const bPending: Promise<void>[] = []
    const bl0 = Date.now()
    for (let i = 0; ; i++) {
      const due = bl0 + (i * 1000) / reqPerS
      if (due > bl0 + args.seconds * 1000) break
      const wait = due - Date.now()
      if (wait > 0) await sleep(wait)
      const t = process.hrtime.bigint()
      const msgs = batches[bi++ % APPS]!.map((e) => ({ key: `${e.app_name}|${e.request_model}`, value: codec.encode('LlmInteraction', { ...e, event_id: crypto.randomUUID() }), timestamp: String(e.end_time) }))
      bPending.push(producer.send(`${topic}-baseline`, msgs).then(() => void bLat.push(Number(process.hrtime.bigint() - t) / 1e6)))
    }
    await Promise.all(bPending)
    bLat.sort((x, y) => x - y)
    await producer.disconnect()
    const baseline = {
      what: 'raw Kafka produce of the same events (Avro, acks=all, same batch size and concurrency) from one process',
      events_per_s: Math.round(sent / bWall), events_per_cpu_s: Math.round(sent / bCpu), cpu_cores: round(bCpu / bWall, 2),
      latency_at_same_rate: { p50_ms: round(pct(bLat, 50)), p99_ms: round(pct(bLat, 99)), max_ms: round(bLat.at(-1) ?? NaN) },
    }
    log(`  ${baseline.events_per_s} events/s, ${baseline.events_per_cpu_s} per CPU-second of the producing process; at ${Math.round(rate)} events/s ack p50 ${baseline.latency_at_same_rate.p50_ms} ms, p99 ${baseline.latency_at_same_rate.p99_ms} ms`)
    const result = {
      spans_per_request: args.spans,
      connections: args.connections,
      throughput,
      latency,
      baseline,
      ratio: { events_per_s: round(throughput.events_per_s / baseline.events_per_s, 2), events_per_cpu_s: round(throughput.events_per_cpu_s / baseline.events_per_cpu_s, 2), p99_ms: round(latency.p99_ms / baseline.latency_at_same_rate.p99_ms, 2) },
      load_average: (await import('node:os')).loadavg().map((x) => round(x, 1)),
      machine: `${(await import('node:os')).cpus().length} cores, shared; broker on the same machine`,
    }
    if (args.json) process.stdout.write(JSON.stringify(result) + '\n')
    else process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  } finally {
    child.kill('SIGTERM')
    await exited
    await kafka.deleteTopics([topic, `${topic}-baseline`]).catch(() => {})
    await kafka.close()
    await infra.stop()
  }
}

main().catch((err) => {
  process.stderr.write(`bench/gateway: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
