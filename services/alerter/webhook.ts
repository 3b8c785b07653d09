/**
 * Optional webhook delivery of alerts: generic JSON or a Slack-compatible payload (incoming
 * webhooks: `text` + `blocks`). `notify()` only enqueues, so a slow or failing webhook never blocks
 * the pipeline; one worker posts in order with retries and exponential backoff with jitter. The
 * queue is bounded: when full, the oldest alert is dropped and counted. 4xx answers other than
 * 408/429 are not retried (the payload or URL is wrong; retrying cannot help).
 */
import type { Alert } from '../../shared/contract.js'
import { errorMessage } from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import { affected, affectedText, formatDuration, formatValue } from './format.js'

export type WebhookFormat = 'json' | 'slack'

export interface WebhookOptions {
  url: string
  format: WebhookFormat
  logger: Logger
  /** Attempts after the first. Default 5. */
  retries?: number
  /** First backoff; doubles per attempt up to maxDelayMs. Defaults 500 ms and 30 s. */
  baseDelayMs?: number
  maxDelayMs?: number
  /** Per-request timeout. Default 5 s. */
  timeoutMs?: number
  /** Alerts waiting for delivery. Default 1000. */
  maxQueue?: number
}

export interface WebhookStats {
  delivered: number
  failed: number
  dropped: number
  retries: number
  queued: number
}

const EMOJI: Record<string, string> = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' }

/** The body posted for one alert. */
export function webhookPayload(a: Alert, format: WebhookFormat): unknown {
  if (format === 'json') {
    return {
      version: 1,
      status: a.state,
      reminder: a.reminder,
      alert: {
        ...a,
        started_at: new Date(a.started_time).toISOString(),
        ended_at: a.ended_time === null ? null : new Date(a.ended_time).toISOString(),
        value_text: formatValue(a.value, a.unit),
        threshold_text: formatValue(a.threshold, a.unit),
        affected: affected(a),
      },
    }
  }
  // A resolved alert's summary starts with why (resolve_reason in words).
  const head = a.state === 'resolved' ? ':white_check_mark: [RESOLVED]' : `${EMOJI[a.severity] ?? ''} [${a.reminder ? 'STILL FIRING' : 'FIRING'}]`
  const text = `${head} ${a.rule} (${a.severity}): ${a.summary}`
  const labels = Object.entries(a.labels)
    .filter(([k]) => k !== 'alertname' && k !== 'severity')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')
  const context = [`value ${formatValue(a.value, a.unit)} / threshold ${formatValue(a.threshold, a.unit)}`, `window ${formatDuration(a.window_seconds * 1000)}`, labels, affectedText(a)]
  if (a.runbook_url) context.push(/^https?:/i.test(a.runbook_url) ? `<${a.runbook_url}|runbook>` : `runbook ${a.runbook_url}`)
  if (a.example_event_ids.length > 0) context.push(`examples ${a.example_event_ids.slice(0, 3).join(' ')}`)
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: context.filter(Boolean).join(' | ') }] },
    ],
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export class WebhookNotifier {
  private readonly queue: Alert[] = []
  private readonly opts: Required<Omit<WebhookOptions, 'logger'>>
  private readonly log: Logger
  private worker: Promise<void> | null = null
  private closed = false
  readonly stats: WebhookStats = { delivered: 0, failed: 0, dropped: 0, retries: 0, queued: 0 }

  constructor(opts: WebhookOptions) {
    this.opts = {
      url: opts.url,
      format: opts.format,
      retries: opts.retries ?? 5,
      baseDelayMs: opts.baseDelayMs ?? 500,
      maxDelayMs: opts.maxDelayMs ?? 30_000,
      timeoutMs: opts.timeoutMs ?? 5000,
      maxQueue: opts.maxQueue ?? 1000,
    }
    this.log = opts.logger.child({ webhook: new URL(opts.url).host, format: opts.format })
  }

  /** Enqueues alerts for delivery; returns at once. */
  notify(alerts: readonly Alert[]): void {
    if (this.closed) return
    for (const a of alerts) {
      if (this.queue.length >= this.opts.maxQueue) {
        const lost = this.queue.shift()
        this.stats.dropped++
        this.log.warn({ dedup_key: lost?.dedup_key }, 'webhook queue full; oldest alert dropped')
      }
      this.queue.push(a)
    }
    this.stats.queued = this.queue.length
    this.worker ??= this.run().finally(() => {
      this.worker = null
    })
  }

  private async run(): Promise<void> {
    for (let a = this.queue.shift(); a !== undefined; a = this.queue.shift()) {
      this.stats.queued = this.queue.length
      await this.deliver(a)
    }
  }

  private async deliver(a: Alert): Promise<void> {
    const body = JSON.stringify(webhookPayload(a, this.opts.format))
    let delay = this.opts.baseDelayMs
    for (let attempt = 0; ; attempt++) {
      let retryable = true
      let reason: string
      try {
        const res = await fetch(this.opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'llmwatch-alerter' },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        })
        // Drain the body so the connection can be reused.
        await res.arrayBuffer()
        if (res.ok) {
          this.stats.delivered++
          return
        }
        reason = `HTTP ${res.status}`
        retryable = res.status >= 500 || res.status === 408 || res.status === 429
      } catch (err) {
        reason = errorMessage(err)
      }
      if (!retryable || attempt >= this.opts.retries || this.closed) {
        this.stats.failed++
        this.log.error({ dedup_key: a.dedup_key, state: a.state, attempts: attempt + 1, reason }, 'webhook delivery failed; alert not delivered by webhook (it is on the topic)')
        return
      }
      this.stats.retries++
      this.log.warn({ dedup_key: a.dedup_key, attempt: attempt + 1, reason, delayMs: delay }, 'webhook delivery failed; retrying')
      await sleep(delay * (0.5 + Math.random() / 2))
      delay = Math.min(this.opts.maxDelayMs, delay * 2)
    }
  }

  /** Waits until the queue is empty or `timeoutMs` passed; then stops retrying. */
  async close(timeoutMs = 5000): Promise<void> {
    const worker = this.worker
    if (worker) await Promise.race([worker, sleep(timeoutMs)])
    this.closed = true
    if (this.queue.length > 0) {
      this.log.warn({ pending: this.queue.length }, 'webhook closed with undelivered alerts')
      this.stats.dropped += this.queue.length
      this.queue.length = 0
    }
  }
}
