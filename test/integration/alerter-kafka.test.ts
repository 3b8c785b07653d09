/**
 * The alerter against the real broker: an injected incident gives exactly one firing and one
 * resolved record; a metric hovering at the threshold does not flap; a restart in the middle of an
 * incident neither re-fires nor loses the window; two instances split the groups.
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startAlerter, type AlerterHandle } from '../../services/alerter/alerter.js'
import { validateRules, type Rule } from '../../services/alerter/rules.js'
import { WebhookNotifier } from '../../services/alerter/webhook.js'
import { Codec } from '../../shared/codec.js'
import type { Alert, ScoredInteraction } from '../../shared/contract.js'
import type { KafkaHandle, Producer } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { testKafka, uniqueName, waitFor } from '../helpers.js'

const codec = Codec.load()

function scored(flagged: boolean, app: string, model = 'm1', environment = 'production'): ScoredInteraction {
  const t = Date.now()
  return {
    event_id: randomUUID(),
    app_name: app,
    environment,
    provider_name: 'openai',
    operation_name: 'chat',
    request_model: model,
    response_model: null,
    prompt_template_id: null,
    prompt_template_version: null,
    trace_id: null,
    session_id: null,
    user_id_hash: null,
    request_start_time: t - 400,
    end_time: t,
    scored_time: t,
    latency_ms: 400,
    ttft_ms: null,
    usage_input_tokens: 10,
    usage_output_tokens: 10,
    usage_cached_input_tokens: 0,
    cost_usd: 0.0001,
    cache_hit: false,
    status: 'ok',
    error_type: null,
    text_mode: 'none',
    prompt_text: null,
    response_text: null,
    scores: [{ name: 'toxicity', target: 'response', version: '1', status: 'ok', value: flagged ? 0.9 : 0.05, label: flagged ? 'toxic' : 'ok', flagged, details: '{}' }],
  }
}

/** Produces 50 events/s per app with a settable share of flagged responses. */
class Traffic {
  share = 0
  private readonly acc: number[] = []
  private timer: NodeJS.Timeout | null = null
  private inflight: Promise<void> = Promise.resolve()
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly apps: { app: string; model: string; env?: string }[],
  ) {}
  start(): void {
    this.timer = setInterval(() => {
      const msgs: { key: string; value: Buffer }[] = []
      for (const [n, { app, model, env }] of this.apps.entries()) {
        for (let k = 0; k < 5; k++) {
          // Spread the flagged events evenly over each series (an error-diffusion counter), so any
          // tail of a series has about `share` flagged: with `i++ % 100 < share * 100` a series could
          // end on a run of clean events and resolve as below threshold before its window emptied.
          this.acc[n] = (this.acc[n] ?? 0) + this.share
          const flagged = this.acc[n] >= 1 - 1e-9
          if (flagged) this.acc[n] -= 1
          msgs.push({ key: app, value: codec.encode('ScoredInteraction', scored(flagged, app, model, env)) })
        }
      }
      this.inflight = this.inflight.then(() => this.producer.send(this.topic, msgs))
    }, 100)
  }
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.inflight
  }
}

const RULES_RAW = {
  name: 'toxic-it',
  kind: 'rate',
  select: { scorer: 'toxicity', target: 'response' },
  group_by: ['app_name', 'request_model'],
  window: '6s',
  min_events: 20,
  threshold: 0.2,
  resolve_threshold: 0.1,
  for: '1s',
  annotations: { summary: '{{ app_name }}: {{ value }} toxic' },
}
const RULES: Rule[] = validateRules({ rules: [RULES_RAW] })

async function readAlerts(kafka: KafkaHandle, topic: string, contentTypes: (string | undefined)[] = []): Promise<Alert[]> {
  const out: Alert[] = []
  await kafka.readRange({
    topic,
    onMessage: (m) => {
      contentTypes.push(m.headers['content-type']?.toString())
      const r = codec.decode('Alert', m.value, m.headers)
      if (!r.ok) throw new Error(r.reason)
      out.push(r.value)
    },
  })
  return out
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Setup {
  kafka: KafkaHandle
  producer: Producer
  scores: string
  alerts: string
  group: string
  published: Alert[]
  start(webhook?: WebhookNotifier, opts?: { rules?: Rule[]; alertsFormat?: 'avro' | 'json' }): Promise<AlerterHandle>
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup(): Promise<Setup> {
  const kafka = testKafka()
  const scores = uniqueName('scores')
  const alerts = uniqueName('alerts')
  await kafka.ensureTopics([{ name: scores }, { name: alerts }])
  const producer = await kafka.producer()
  cleanups.push(async () => {
    await producer.disconnect()
    await kafka.close()
  })
  const s: Setup = {
    kafka,
    producer,
    scores,
    alerts,
    group: uniqueName('alerter'),
    published: [],
    start: async (webhook?: WebhookNotifier, opts: { rules?: Rule[]; alertsFormat?: 'avro' | 'json' } = {}) => {
      const a = await startAlerter({
        kafka,
        codec,
        logger: silentLogger,
        rules: opts.rules ?? RULES,
        webhook: webhook ?? null,
        config: { groupId: s.group, scoresTopic: scores, alertsTopic: alerts, tickMs: 200, ...(opts.alertsFormat ? { alertsFormat: opts.alertsFormat } : {}) },
        onPublished: (al) => s.published.push(...al),
      })
      cleanups.push(() => a.stop())
      await a.ready()
      return a
    },
  }
  return s
}

const count = (alerts: Alert[], state: string) => alerts.filter((a) => a.state === state && !a.reminder).length

describe('alerter with a real broker', () => {
  it('an injected incident gives exactly one firing alert, then exactly one resolved alert', async () => {
    const s = await setup()
    // A Slack-compatible receiver that fails its first request: delivery retries and never blocks.
    const received: { text: string }[] = []
    let requests = 0
    const hook = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        if (requests++ === 0) return void res.writeHead(503).end()
        received.push(JSON.parse(body) as { text: string })
        res.writeHead(200).end('ok')
      })
    })
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()))
    cleanups.push(() => new Promise((r) => hook.close(() => r())))
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/slack`
    await s.start(new WebhookNotifier({ url, format: 'slack', logger: silentLogger, baseDelayMs: 50 }))
    const traffic = new Traffic(s.producer, s.scores, [{ app: 'shop', model: 'm1' }])
    traffic.start()
    cleanups.push(() => traffic.stop())
    await sleep(3000)
    expect(s.published).toHaveLength(0)
    traffic.share = 0.5
    const incidentStart = Date.now()
    const firing = await waitFor(() => s.published.find((a) => a.state === 'firing'), 15_000, 'firing alert')
    // Within the rule's window (6 s) plus its `for` (1 s) of the incident start.
    expect(firing.emitted_time - incidentStart).toBeLessThanOrEqual(7000)
    expect(firing).toMatchObject({ rule: 'toxic-it', dedup_key: 'toxic-it{app_name="shop",request_model="m1"}', labels: { app_name: 'shop', request_model: 'm1' } })
    await sleep(4000) // the incident goes on: no second record
    traffic.share = 0
    const cleared = Date.now()
    const resolved = await waitFor(() => s.published.find((a) => a.state === 'resolved'), 20_000, 'resolved alert')
    expect(resolved.emitted_time).toBeGreaterThan(cleared)
    expect(resolved.started_time).toBe(firing.started_time)
    await sleep(2000)
    await traffic.stop()
    const onTopic = await readAlerts(s.kafka, s.alerts)
    expect(count(onTopic, 'firing')).toBe(1)
    expect(count(onTopic, 'resolved')).toBe(1)
    expect(onTopic[0]!.alert_id).toBe(firing.alert_id)
    await waitFor(() => received.length === 2, 10_000, 'webhook deliveries')
    expect(received.map((b) => b.text.includes('[RESOLVED]'))).toEqual([false, true])
    expect(received[0]!.text).toContain('[FIRING] toxic-it')
  })

  it('a metric hovering at the threshold does not flap', async () => {
    const s = await setup()
    await s.start()
    const traffic = new Traffic(s.producer, s.scores, [{ app: 'wobbly', model: 'm1' }])
    traffic.share = 0.4
    traffic.start()
    cleanups.push(() => traffic.stop())
    await waitFor(() => s.published.find((a) => a.state === 'firing'), 15_000, 'firing alert')
    // 15 s of a rate swinging 14 % .. 26 % around the 20 % threshold, above the 10 % resolve level.
    const until = Date.now() + 15_000
    while (Date.now() < until) {
      traffic.share = traffic.share > 0.2 ? 0.14 : 0.26
      await sleep(1500)
    }
    expect(s.published.map((a) => a.state)).toEqual(['firing'])
    traffic.share = 0
    await waitFor(() => s.published.find((a) => a.state === 'resolved'), 20_000, 'resolved alert')
    await traffic.stop()
    const onTopic = await readAlerts(s.kafka, s.alerts)
    expect([count(onTopic, 'firing'), count(onTopic, 'resolved')]).toEqual([1, 1])
  })

  it('a restart in the middle of an incident neither re-fires nor loses the window', async () => {
    const s = await setup()
    const first = await s.start()
    const traffic = new Traffic(s.producer, s.scores, [{ app: 'shop', model: 'm1' }])
    traffic.share = 0.5
    traffic.start()
    cleanups.push(() => traffic.stop())
    const firing = await waitFor(() => s.published.find((a) => a.state === 'firing'), 15_000, 'firing alert')
    // Crash-like stop mid-incident, with a pause in traffic: if the window were lost, the new
    // instance would see no events and resolve at its first tick.
    await traffic.stop()
    await first.stop()
    const second = await s.start()
    expect(second.engine().stats.observed).toBeGreaterThan(50) // the window was replayed
    expect(second.engine().firingKeys()).toEqual([firing.dedup_key]) // the firing set was adopted
    traffic.start()
    await sleep(4000)
    expect(s.published.map((a) => a.state)).toEqual(['firing'])
    traffic.share = 0
    const cleared = Date.now()
    const resolved = await waitFor(() => s.published.find((a) => a.state === 'resolved'), 20_000, 'resolved alert')
    expect(resolved.emitted_time).toBeGreaterThan(cleared)
    expect(resolved.started_time).toBe(firing.started_time)
    await traffic.stop()
    const onTopic = await readAlerts(s.kafka, s.alerts)
    expect([count(onTopic, 'firing'), count(onTopic, 'resolved')]).toEqual([1, 1])
  })

  it('one incident over 3 models in production and staging: one alert listing the six series, as JSON, resolved as traffic stopped', async () => {
    const s = await setup()
    const rules = validateRules({
      rules: [
        {
          ...RULES_RAW,
          name: 'toxic-grouped',
          severity: 'critical',
          by: ['app_name', 'request_model', 'environment'],
          group_by: ['app_name'],
          annotations: { summary: '{{ app_name }}: {{ value }} toxic; models {{ request_model }} in {{ environment }}', runbook_url: 'docs/ALERTING.md#toxic-responses' },
        },
      ],
    })
    await s.start(undefined, { rules, alertsFormat: 'json' })
    const series = ['m1', 'm2', 'm3'].flatMap((model) => ['production', 'staging'].map((env) => ({ app: 'shop', model, env })))
    const traffic = new Traffic(s.producer, s.scores, series)
    traffic.share = 0.5
    traffic.start()
    cleanups.push(() => traffic.stop())
    const firing = await waitFor(() => s.published.find((a) => a.state === 'firing'), 15_000, 'firing alert')
    expect(firing).toMatchObject({ dedup_key: 'toxic-grouped{app_name="shop"}', unit: 'ratio', runbook_url: 'docs/ALERTING.md#toxic-responses' })
    expect(firing.summary).toMatch(/^shop: \d+(\.\d)? % toxic; models /)
    // Every series is in the alert by the time it resolves; then the traffic stops.
    await sleep(3000)
    await traffic.stop()
    const resolved = await waitFor(() => s.published.find((a) => a.state === 'resolved'), 20_000, 'resolved alert')
    expect(resolved.resolve_reason).toBe('traffic_stopped')
    expect(resolved.summary).toMatch(/^resolved \(traffic stopped: no events in the last 6 s\): shop: /)
    expect(resolved.series.map((x) => `${x.labels['request_model']}/${x.labels['environment']}`).sort()).toEqual(series.map((x) => `${x.model}/${x.env}`).sort())
    const types: (string | undefined)[] = []
    const onTopic = await readAlerts(s.kafka, s.alerts, types)
    expect(types.every((t) => t === 'application/json')).toBe(true)
    // One alert: one firing and one resolved record (an escalation, had staging fired first, is a reminder).
    expect([count(onTopic, 'firing'), count(onTopic, 'resolved')]).toEqual([1, 1])
    expect(onTopic.filter((a) => a.reminder).every((a) => a.summary.startsWith('escalated to critical'))).toBe(true)
  })

  it('two instances in one group split the groups: one firing alert per key overall', async () => {
    const s = await setup()
    const a = await s.start()
    const b = await s.start()
    await waitFor(() => a.health().partitions.length + b.health().partitions.length === 3 && a.health().ready && b.health().ready, 30_000, 'partitions split')
    expect(a.health().partitions.length).toBeGreaterThan(0)
    expect(b.health().partitions.length).toBeGreaterThan(0)
    const apps = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((app) => ({ app, model: 'm1' }))
    const traffic = new Traffic(s.producer, s.scores, apps)
    traffic.share = 0.5
    traffic.start()
    cleanups.push(() => traffic.stop())
    await waitFor(() => new Set(s.published.filter((x) => x.state === 'firing').map((x) => x.dedup_key)).size === 6, 20_000, 'six firing alerts')
    await sleep(2000)
    await traffic.stop()
    const onTopic = await readAlerts(s.kafka, s.alerts)
    const firing = onTopic.filter((x) => x.state === 'firing')
    expect(firing).toHaveLength(6)
    expect(new Set(firing.map((x) => x.dedup_key)).size).toBe(6)
    expect(a.engine().firingKeys().length + b.engine().firingKeys().length).toBe(6)
  })
})
