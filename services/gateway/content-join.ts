/**
 * Prompt and completion that arrive as OTLP log records instead of on the span (the official
 * `@opentelemetry/instrumentation-openai` emits `gen_ai.user.message`, `gen_ai.choice`, ... as log
 * events correlated by trace and span id). Records wait here, bounded in bytes and time; a GenAI
 * span takes its records when it is mapped. A span of a service that sent such records in the last
 * 10 minutes waits up to `waitMs` for its `gen_ai.choice` record (the two signals are exported by
 * separate processors); spans of other services never wait.
 */
import type { Message } from '../../shared/contract.js'
import type { SpanContent } from './mapping.js'
import type { OtlpLogRecord } from './otlp.js'

const ROLES: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
}
const RECENT_MS = 10 * 60_000
const TTL_MS = 60_000

interface Entry {
  messages: Message[]
  completions: string[]
  done: boolean
  bytes: number
  at: number
}

function textOf(v: unknown, depth = 0): string {
  if (depth > 4 || v === null || v === undefined) return ''
  if (typeof v === 'string') return v
  if (Array.isArray(v)) return v.map((x) => textOf(x, depth + 1)).join('')
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>
    if (o.content !== undefined) return textOf(o.content, depth + 1)
    if (o.message !== undefined) return textOf(o.message, depth + 1)
    if (typeof o.text === 'string') return o.text
  }
  return ''
}

export interface JoinStats {
  matched: number
  stored: number
  expired: number
  ignored: number
}

export class ContentJoin {
  private readonly entries = new Map<string, Entry>()
  private readonly waiters = new Map<string, () => void>()
  private readonly servicesWithLogs = new Map<string, number>()
  private bytes = 0
  readonly stats: JoinStats = { matched: 0, stored: 0, expired: 0, ignored: 0 }

  constructor(private readonly opts: { maxBytes: number; waitMs: number; now?: () => number }) {}

  private now(): number {
    return (this.opts.now ?? Date.now)()
  }

  /** Keeps the GenAI content records; returns how many were kept (the others are not GenAI events). */
  add(records: readonly OtlpLogRecord[]): number {
    let kept = 0
    const now = this.now()
    for (const r of records) {
      const role = ROLES[r.eventName]
      if ((!role && r.eventName !== 'gen_ai.choice') || !r.traceId || !r.spanId) {
        this.stats.ignored++
        continue
      }
      const key = r.traceId + r.spanId
      let e = this.entries.get(key)
      if (!e) {
        e = { messages: [], completions: [], done: false, bytes: 64, at: now }
        this.entries.set(key, e)
        this.bytes += e.bytes
      }
      const content = textOf(r.body) || textOf(r.attributes.content)
      if (role) e.messages.push({ role, content })
      else {
        e.completions.push(content)
        e.done = true
      }
      e.bytes += content.length * 2 + 32
      this.bytes += content.length * 2 + 32
      const service = r.resource['service.name']
      if (typeof service === 'string') this.servicesWithLogs.set(service, now)
      kept++
      this.stats.stored++
      if (e.done) this.waiters.get(key)?.()
    }
    this.evict(now)
    return kept
  }

  private evict(now: number): void {
    for (const [key, e] of this.entries) {
      if (this.bytes <= this.opts.maxBytes && now - e.at < TTL_MS) break
      this.entries.delete(key)
      this.bytes -= e.bytes
      this.stats.expired++
    }
  }

  /**
   * The content recorded for this span, waiting for its completion record when the service sends
   * log records; null when there is none.
   */
  async take(traceId: string, spanId: string, service: string | undefined, wait = true): Promise<SpanContent | null> {
    const key = traceId + spanId
    let e = this.entries.get(key)
    const seen = service === undefined ? undefined : this.servicesWithLogs.get(service)
    if (wait && (!e || !e.done) && this.opts.waitMs > 0 && seen !== undefined && this.now() - seen < RECENT_MS && !this.waiters.has(key)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.opts.waitMs)
        function done() {
          clearTimeout(timer)
          resolve()
        }
        this.waiters.set(key, done)
      })
      this.waiters.delete(key)
      e = this.entries.get(key)
    }
    if (!e) return null
    this.entries.delete(key)
    this.bytes -= e.bytes
    this.stats.matched++
    return { messages: e.messages, completions: e.completions }
  }

  /** Whether a span would consult this store at all (cheap check before awaiting). */
  has(traceId: string, spanId: string, service: string | undefined, wait = true): boolean {
    if (this.entries.has(traceId + spanId)) return true
    if (!wait) return false
    const seen = service === undefined ? undefined : this.servicesWithLogs.get(service)
    return this.opts.waitMs > 0 && seen !== undefined && this.now() - seen < RECENT_MS
  }

  get size(): number {
    return this.entries.size
  }
}
