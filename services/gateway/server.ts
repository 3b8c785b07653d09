/**
 * The gateway's HTTP server (Fastify): OTLP/HTTP traces and logs, plain LlmInteraction JSON,
 * bearer API keys with allowed app names, per-key rate limits (@fastify/rate-limit), body limits,
 * health, readiness and Prometheus metrics. Status codes are documented in README.md (Ingest gateway).
 */
import { createHash } from 'node:crypto'
import { isUtf8 } from 'node:buffer'
import { gunzipSync } from 'node:zlib'
import type { AddressInfo } from 'node:net'
import rateLimit from '@fastify/rate-limit'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { jsonTimesToEpochMs, LlmInteractionSchema, type LlmInteraction } from '../../shared/contract.js'
import type { Logger } from '../../shared/logger.js'
import { registry } from '../../shared/metrics.js'
import type { ApiKey } from './config.js'
import type { ContentJoin } from './content-join.js'
import type { Delivery, DeliveryResult } from './delivery.js'
import { isGenAiSpan, spanToInteraction } from './mapping.js'
import { gatewayMetrics } from './metrics.js'
import { decodeLogs, decodeTraces, exportResponse, OtlpDecodeError } from './otlp.js'

export interface GatewayOptions {
  keys: readonly ApiKey[]
  delivery: Delivery
  join: ContentJoin
  logger: Logger
  maxBodyBytes: number
  maxItemsPerRequest: number
  rateLimitRps: number
  /** Whether the Kafka producer is connected (readiness). */
  kafkaReady: () => boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKey
  }
}

/** A per-record error of POST /v1/interactions. */
export interface RecordError {
  index: number
  field: string
  reason: string
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

function allowed(key: ApiKey | undefined, app: string): boolean {
  return key !== undefined && (key.apps === '*' || key.apps.has(app))
}

/** The body as bytes: gunzipped when Content-Encoding says so, within the size limit. */
function bodyBytes(req: FastifyRequest, limit: number): Buffer {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
  const enc = String(req.headers['content-encoding'] ?? 'identity').toLowerCase().trim()
  if (enc === 'identity' || enc === '') return raw
  if (enc !== 'gzip') throw new HttpError(415, `Content-Encoding ${enc} is not supported (gzip or none)`)
  try {
    return gunzipSync(raw, { maxOutputLength: limit })
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new HttpError(413, `body is over ${limit} bytes once decompressed (GATEWAY_MAX_BODY_BYTES)`)
    throw new HttpError(400, `body is not valid gzip: ${(err as Error).message}`)
  }
}

function mediaType(req: FastifyRequest): string {
  return String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
}

function otlpEncoding(req: FastifyRequest): 'protobuf' | 'json' {
  const t = mediaType(req)
  if (t === 'application/x-protobuf' || t === 'application/protobuf') return 'protobuf'
  if (t === 'application/json') return 'json'
  throw new HttpError(415, `Content-Type ${t || '(none)'} is not supported: send application/x-protobuf or application/json`)
}

function utf8(body: Buffer): void {
  if (!isUtf8(body)) throw new HttpError(400, 'body is not valid UTF-8')
}

function unavailable(r: Exclude<DeliveryResult, { status: 'ok' }>): HttpError {
  return new HttpError(503, r.reason, { 'retry-after': String(r.retryAfterS) })
}

function summary(reasons: string[]): string {
  if (reasons.length === 0) return ''
  return reasons.slice(0, 5).join('; ') + (reasons.length > 5 ? `; and ${reasons.length - 5} more` : '')
}

/** Builds the Fastify app (not listening). */
export async function buildGateway(opts: GatewayOptions): Promise<FastifyInstance> {
  const byHash = new Map(opts.keys.map((k) => [sha(k.token), k]))
  const app = Fastify({
    loggerInstance: opts.logger as unknown as FastifyBaseLogger,
    // One line per request would dominate the logs at thousands of requests per second: /metrics counts them.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.maxBodyBytes,
    // Kafka acks, not the body, take the time: keep-alive connections stay open between batches.
    keepAliveTimeout: 75_000,
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, (_req, body, done) => done(null, body))

  await app.register(rateLimit, {
    global: false,
    max: opts.rateLimitRps,
    timeWindow: 1000,
    keyGenerator: (req) => req.apiKey?.name ?? `ip:${req.ip}`,
    errorResponseBuilder: (req, ctx) => new HttpError(429, `API key ${req.apiKey?.name ?? '(none)'} is over ${ctx.max} requests per second (GATEWAY_RATE_LIMIT_RPS); retry after ${ctx.after}`),
  })

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; headers?: Record<string, string> }, _req, reply) => {
    let status = err.statusCode ?? 500
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') status = 413
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') status = 415
    if (status >= 500 && status !== 503) opts.logger.error({ err }, 'request failed')
    if (err instanceof HttpError) for (const [k, v] of Object.entries(err.headers)) reply.header(k, v)
    const message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `body is over ${opts.maxBodyBytes} bytes (GATEWAY_MAX_BODY_BYTES)` : err.message
    void reply.status(status).type('application/json').send({ error: message })
  })
  app.addHook('onResponse', async (req, reply) => {
    gatewayMetrics.requests.inc({ route: req.routeOptions.url ?? 'other', status: String(reply.statusCode) })
  })

  /** Bearer API key: 401 without a known one (runs before the rate limit, which counts per key). */
  const auth = async (req: FastifyRequest, reply: FastifyReply) => {
    const h = req.headers.authorization
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null
    const key = m ? byHash.get(sha(m[1]!)) : undefined
    if (!key) {
      void reply.header('www-authenticate', 'Bearer realm="llmwatch"')
      throw new HttpError(401, m ? 'unknown API key' : 'missing API key: send Authorization: Bearer <key>')
    }
    req.apiKey = key
  }
  const limited = { onRequest: auth, config: { rateLimit: { max: opts.rateLimitRps, timeWindow: 1000 } } }

  const forbidden = (req: FastifyRequest, apps: Iterable<string>) => {
    for (const a of apps) if (!allowed(req.apiKey, a)) throw new HttpError(403, `API key ${req.apiKey?.name} may not write app "${a.slice(0, 128)}"`)
  }

  app.post('/v1/traces', limited, async (req, reply) => {
    const enc = otlpEncoding(req)
    const body = bodyBytes(req, opts.maxBodyBytes)
    if (enc === 'json') utf8(body)
    let spans
    try {
      spans = decodeTraces(body, enc)
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw new HttpError(400, err.message)
      throw err
    }
    if (spans.length > opts.maxItemsPerRequest) throw new HttpError(413, `${spans.length} spans in one request: at most ${opts.maxItemsPerRequest} (GATEWAY_MAX_ITEMS_PER_REQUEST); export smaller batches`)
    const genai = spans.filter(isGenAiSpan)
    gatewayMetrics.items.inc({ kind: 'span', outcome: 'dropped' }, spans.length - genai.length)
    const mapped = await Promise.all(
      genai.map(async (s) => {
        const service = typeof s.resource['service.name'] === 'string' ? s.resource['service.name'] : undefined
        // Only operations that produce a completion wait for its log record (an embeddings span never gets one).
        const op = s.attributes['gen_ai.operation.name']
        const wait = op === undefined || op === 'chat' || op === 'text_completion' || op === 'generate_content'
        const content = opts.join.has(s.traceId, s.spanId, service, wait) ? await opts.join.take(s.traceId, s.spanId, service, wait) : null
        return spanToInteraction(s, content)
      }),
    )
    const events: LlmInteraction[] = []
    const rejected: string[] = []
    for (const m of mapped) {
      if (m.ok) events.push(m.event)
      else rejected.push(m.reason)
    }
    forbidden(req, new Set(events.map((e) => e.app_name)))
    const r = await opts.delivery.deliver(events)
    if (r.status !== 'ok') throw unavailable(r)
    for (const id of r.oversized) rejected.push(`event ${id}: over the 2 MB event limit once encoded`)
    gatewayMetrics.items.inc({ kind: 'span', outcome: 'accepted' }, r.produced)
    gatewayMetrics.items.inc({ kind: 'span', outcome: 'duplicate' }, r.duplicates)
    gatewayMetrics.items.inc({ kind: 'span', outcome: 'rejected' }, rejected.length)
    return reply.status(200).type(enc === 'json' ? 'application/json' : 'application/x-protobuf').send(exportResponse('traces', enc, rejected.length, summary(rejected)))
  })

  app.post('/v1/logs', limited, async (req, reply) => {
    const enc = otlpEncoding(req)
    const body = bodyBytes(req, opts.maxBodyBytes)
    if (enc === 'json') utf8(body)
    let records
    try {
      records = decodeLogs(body, enc)
    } catch (err) {
      if (err instanceof OtlpDecodeError) throw new HttpError(400, err.message)
      throw err
    }
    if (records.length > opts.maxItemsPerRequest) throw new HttpError(413, `${records.length} log records in one request: at most ${opts.maxItemsPerRequest} (GATEWAY_MAX_ITEMS_PER_REQUEST)`)
    forbidden(req, new Set(records.flatMap((r) => (typeof r.resource['service.name'] === 'string' ? [r.resource['service.name']] : []))))
    const kept = opts.join.add(records)
    gatewayMetrics.items.inc({ kind: 'log_record', outcome: 'accepted' }, kept)
    gatewayMetrics.items.inc({ kind: 'log_record', outcome: 'dropped' }, records.length - kept)
    return reply.status(200).type(enc === 'json' ? 'application/json' : 'application/x-protobuf').send(exportResponse('logs', enc, 0, ''))
  })

  app.post('/v1/interactions', limited, async (req, reply) => {
    const t = mediaType(req)
    const ndjson = t === 'application/x-ndjson' || t === 'application/jsonl' || t === 'application/jsonlines'
    if (!ndjson && t !== 'application/json') throw new HttpError(415, `Content-Type ${t || '(none)'} is not supported: send application/json (an object or an array) or application/x-ndjson`)
    const body = bodyBytes(req, opts.maxBodyBytes)
    utf8(body)
    const errors: RecordError[] = []
    let records: unknown[]
    if (ndjson) {
      records = []
      const lines = body.toString('utf8').split('\n')
      for (const line of lines) {
        if (line.trim() === '') continue
        try {
          records.push(JSON.parse(line))
        } catch (err) {
          errors.push({ index: records.length, field: '', reason: `line is not valid JSON: ${(err as Error).message}` })
          records.push(undefined)
        }
      }
    } else {
      let v: unknown
      try {
        v = JSON.parse(body.toString('utf8'))
      } catch (err) {
        throw new HttpError(400, `body is not valid JSON: ${(err as Error).message}`)
      }
      records = Array.isArray(v) ? v : [v]
    }
    if (records.length > opts.maxItemsPerRequest) throw new HttpError(413, `${records.length} records in one request: at most ${opts.maxItemsPerRequest} (GATEWAY_MAX_ITEMS_PER_REQUEST)`)
    const valid: { index: number; event: LlmInteraction }[] = []
    records.forEach((rec, index) => {
      if (rec === undefined) return
      if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
        errors.push({ index, field: '', reason: 'expected an LlmInteraction object' })
        return
      }
      const timeIssues = jsonTimesToEpochMs(rec)
      if (timeIssues.length > 0) {
        for (const reason of timeIssues) errors.push({ index, field: reason.split(':')[0]!, reason })
        return
      }
      const parsed = LlmInteractionSchema.safeParse(rec)
      if (parsed.success) valid.push({ index, event: parsed.data })
      else for (const i of parsed.error.issues.slice(0, 10)) errors.push({ index, field: i.path.join('.'), reason: i.message })
    })
    forbidden(req, new Set(valid.map((v) => v.event.app_name)))
    const r = await opts.delivery.deliver(valid.map((v) => v.event))
    if (r.status !== 'ok') throw unavailable(r)
    const oversized = new Set(r.oversized)
    for (const v of valid) if (oversized.has(v.event.event_id)) errors.push({ index: v.index, field: '', reason: 'over the 2 MB event limit once encoded' })
    errors.sort((a, b) => a.index - b.index)
    const accepted = valid.length - oversized.size
    gatewayMetrics.items.inc({ kind: 'interaction', outcome: 'accepted' }, r.produced)
    gatewayMetrics.items.inc({ kind: 'interaction', outcome: 'duplicate' }, r.duplicates)
    gatewayMetrics.items.inc({ kind: 'interaction', outcome: 'rejected' }, records.length - accepted)
    const rejectedRecords = new Set(errors.map((e) => e.index)).size
    return reply.status(accepted === 0 && records.length > 0 ? 400 : 202).send({ accepted, duplicates: r.duplicates, rejected: rejectedRecords, errors: errors.slice(0, 1000) })
  })

  const unlimited = { config: { rateLimit: false as const } }
  app.get('/healthz', unlimited, async () => ({ ok: true }))
  app.get('/readyz', unlimited, async (_req, reply) => {
    const kafka = opts.kafkaReady()
    const delivery = opts.delivery.ready()
    const body = { ok: kafka && delivery, kafka, inflight_bytes: opts.delivery.inflightBytes, waiting_log_records: opts.join.size }
    return reply.status(body.ok ? 200 : 503).send(body)
  })
  app.get('/metrics', unlimited, async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()))
  return app
}

/** Listens; returns the port (GATEWAY_PORT=0 picks a free one). */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.listen({ host, port })
  return (app.server.address() as AddressInfo).port
}
