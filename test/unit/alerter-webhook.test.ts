import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebhookNotifier, webhookPayload } from '../../services/alerter/webhook.js'
import type { Alert } from '../../shared/contract.js'
import { silentLogger } from '../../shared/logger.js'

const alert = (over: Partial<Alert> = {}): Alert => ({
  alert_id: '00000000-0000-4000-8000-000000000001',
  rule: 'toxic-responses',
  kind: 'rate',
  severity: 'critical',
  state: 'firing',
  reminder: false,
  labels: { app_name: 'shop', alertname: 'toxic-responses', severity: 'critical' },
  dedup_key: 'toxic-responses{app_name="shop"}',
  value: 0.031,
  threshold: 0.02,
  window_seconds: 300,
  started_time: Date.UTC(2026, 0, 1),
  ended_time: null,
  emitted_time: Date.UTC(2026, 0, 1, 0, 1),
  summary: 'shop: 0.031 toxic',
  runbook_url: 'https://example.org/runbook',
  example_event_ids: [],
  unit: 'ratio',
  resolve_reason: null,
  series: [],
  ...over,
})

/** A real HTTP server that answers each request with the next status of `statuses` (then 200). */
async function server(statuses: number[], delayMs = 0): Promise<{ url: string; bodies: unknown[]; close(): Promise<void> }> {
  const bodies: unknown[] = []
  const s = http.createServer((req, res) => {
    let data = ''
    req.on('data', (c: Buffer) => (data += c.toString()))
    req.on('end', () => {
      bodies.push(JSON.parse(data))
      const status = statuses.shift() ?? 200
      setTimeout(() => res.writeHead(status).end(), delayMs)
    })
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as AddressInfo).port
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => new Promise((r) => s.close(() => r())) }
}

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c()
})

describe('webhook notifier', () => {
  it('retries 5xx with backoff and delivers in order', async () => {
    const srv = await server([500, 503])
    closers.push(srv.close)
    const n = new WebhookNotifier({ url: srv.url, format: 'json', logger: silentLogger, baseDelayMs: 20 })
    n.notify([alert(), alert({ state: 'resolved', ended_time: 1 })])
    await n.close(5000)
    expect(n.stats).toMatchObject({ delivered: 2, failed: 0, retries: 2 })
    expect(srv.bodies).toHaveLength(4)
    const last = srv.bodies.slice(-2) as { status: string; alert: Alert }[]
    expect(last.map((b) => b.status)).toEqual(['firing', 'resolved'])
    expect(last[0]!.alert.dedup_key).toBe('toxic-responses{app_name="shop"}')
  })

  it('does not retry a 4xx answer, and gives up after the retry budget', async () => {
    const srv = await server([400, 500, 500, 500])
    closers.push(srv.close)
    const n = new WebhookNotifier({ url: srv.url, format: 'json', logger: silentLogger, baseDelayMs: 10, retries: 2 })
    n.notify([alert(), alert({ alert_id: '00000000-0000-4000-8000-000000000002' })])
    await n.close(5000)
    expect(n.stats).toMatchObject({ delivered: 0, failed: 2, retries: 2 })
    expect(srv.bodies).toHaveLength(4)
  })

  it('never blocks the caller on a dead or slow endpoint; the queue is bounded', async () => {
    const srv = await server([], 2000)
    closers.push(srv.close)
    const n = new WebhookNotifier({ url: srv.url, format: 'slack', logger: silentLogger, maxQueue: 3, timeoutMs: 200, retries: 0 })
    const t0 = performance.now()
    for (let i = 0; i < 10; i++) n.notify([alert()])
    expect(performance.now() - t0).toBeLessThan(50)
    await n.close(100)
    expect(n.stats.dropped).toBeGreaterThanOrEqual(6)
  })

  it('builds a Slack-compatible payload', () => {
    const p = webhookPayload(alert(), 'slack') as { text: string; blocks: { type: string }[] }
    expect(p.text).toContain('[FIRING] toxic-responses (critical): shop: 0.031 toxic')
    expect(p.blocks.map((b) => b.type)).toEqual(['section', 'context'])
    expect(JSON.stringify(p)).toContain('<https://example.org/runbook|runbook>')
    const r = webhookPayload(alert({ state: 'resolved' }), 'slack') as { text: string }
    expect(r.text).toMatch(/^:white_check_mark: \[RESOLVED\]/)
  })
})
