/**
 * The dashboard's HTTP server (node:http): static pages from ./public, uPlot from node_modules, and
 * JSON endpoints that run the SELECTs of ./queries.ts. Read-only by construction: the only SQL it
 * sends is built here, with values as query parameters, through a read-only ClickHouse user.
 *
 * Pages: / (overview), /alerts, /events, /events/<id>, /compare. JSON: /api/filters, /api/overview,
 * /api/alerts, /api/events, /api/events/<id>, /api/compare. Every page and endpoint takes the same
 * query string (./params.ts). /healthz answers 200.
 */
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../../shared/logger.js'
import { repoPath } from '../../shared/paths.js'
import { intParam, isUuid, numParam, ParamError, parseView } from './params.js'
import { alerts, eventDetail, events, filterOptions, overview, type Db } from './queries.js'

const PUBLIC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public')

/** Static files: URL path -> file. Nothing else on disk is reachable. */
const STATIC: Record<string, string> = {
  '/static/app.js': path.join(PUBLIC, 'app.js'),
  '/static/overview.js': path.join(PUBLIC, 'overview.js'),
  '/static/alerts.js': path.join(PUBLIC, 'alerts.js'),
  '/static/events.js': path.join(PUBLIC, 'events.js'),
  '/static/event.js': path.join(PUBLIC, 'event.js'),
  '/static/compare.js': path.join(PUBLIC, 'compare.js'),
  '/static/style.css': path.join(PUBLIC, 'style.css'),
  '/vendor/uPlot.esm.js': repoPath('node_modules', 'uplot', 'dist', 'uPlot.esm.js'),
  '/vendor/uPlot.min.css': repoPath('node_modules', 'uplot', 'dist', 'uPlot.min.css'),
}

const PAGES: Record<string, string> = {
  '/': 'overview.html',
  '/alerts': 'alerts.html',
  '/events': 'events.html',
  '/compare': 'compare.html',
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

/** The comparison behind /api/compare (shared/compare.ts through ./compare-api.ts). */
export type CompareHandler = (q: URLSearchParams) => Promise<unknown>

export interface UiServerOptions {
  db: Db
  host: string
  port: number
  log: Logger
  /** Seconds between live refreshes, told to the pages. */
  refreshSeconds: number
  compare?: CompareHandler
}

export interface UiServer {
  url: string
  close(): Promise<void>
}

export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  const { db, log } = opts
  const cache = new Map<string, Buffer>()
  const file = async (p: string): Promise<Buffer> => {
    let b = cache.get(p)
    if (!b) {
      b = await readFile(p)
      // Pages are read once; edits need a restart (no file watching in a service).
      cache.set(p, b)
    }
    return b
  }

  const filterCache = new Map<string, { at: number; value: unknown }>()
  const api = async (route: string, q: URLSearchParams): Promise<unknown> => {
    if (route === '/api/filters') {
      // The apps, models and versions of a range change rarely: kept 30 s per range (every live page asks).
      const key = `${q.get('range') ?? ''}|${q.get('end') ?? ''}`
      const hit = filterCache.get(key)
      if (hit && Date.now() - hit.at < FILTER_CACHE_MS) return hit.value
      const value = await filterOptions(db, parseView(q))
      if (filterCache.size > 100) filterCache.clear()
      filterCache.set(key, { at: Date.now(), value })
      return value
    }
    if (route === '/api/overview') return { refreshSeconds: opts.refreshSeconds, ...(await overview(db, parseView(q))) }
    if (route === '/api/alerts') return alerts(db, parseView(q), intParam(q, 'limit', 200, 1000))
    if (route === '/api/events') {
      const ids = (q.get('ids') ?? '').split(',').map((s) => s.trim()).filter(Boolean)
      for (const id of ids) if (!isUuid(id)) throw new ParamError('ids', `expected event ids (UUIDs); got "${id.slice(0, 64)}"`)
      const status = q.get('status') ?? ''
      if (!['', 'ok', 'error'].includes(status)) throw new ParamError('status', `expected ok or error; got "${status}"`)
      const text = (q.get('q') ?? '').trim()
      if (text.length > 200) throw new ParamError('q', 'expected at most 200 characters')
      return {
        events: await events(db, parseView(q), {
          flagged: (q.get('flagged') ?? '').trim(),
          scorer: (q.get('scorer') ?? '').trim(),
          min: numParam(q, 'min'),
          max: numParam(q, 'max'),
          q: text,
          status: status as '' | 'ok' | 'error',
          ids: ids.slice(0, 100),
          limit: intParam(q, 'limit', 50, 500),
        }),
      }
    }
    const m = /^\/api\/events\/([^/]+)$/.exec(route)
    if (m) {
      const id = decodeURIComponent(m[1]!)
      if (!isUuid(id)) throw new ParamError('id', `expected an event id (UUID); got "${id.slice(0, 64)}"`)
      const d = await eventDetail(db, id, numParam(q, 'at'))
      if (!d) throw new NotFound(`no event ${id}`)
      return d
    }
    if (route === '/api/compare') {
      if (!opts.compare) throw new NotFound('comparison is not available')
      return opts.compare(q)
    }
    throw new NotFound(`no endpoint ${route}`)
  }

  const server = http.createServer((req, res) => {
    const started = Date.now()
    const url = new URL(req.url ?? '/', 'http://localhost')
    const route = url.pathname
    const send = (status: number, type: string, body: Buffer | string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...extra })
      res.end(body)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'application/json', JSON.stringify({ error: 'the dashboard only reads: GET' }), { allow: 'GET, HEAD' })
      return
    }
    const handle = async () => {
      if (route === '/healthz') return send(200, 'text/plain', 'ok\n')
      if (route.startsWith('/api/')) {
        try {
          const body = await api(route, url.searchParams)
          send(200, 'application/json; charset=utf-8', JSON.stringify(body), { 'cache-control': 'no-store' })
          log.debug({ route, ms: Date.now() - started }, 'api')
        } catch (err) {
          if (err instanceof ParamError) return send(400, 'application/json', JSON.stringify({ error: err.message, param: err.param }))
          if (err instanceof NotFound) return send(404, 'application/json', JSON.stringify({ error: err.message }))
          log.error({ err, route }, 'query failed')
          const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err)
          return send(502, 'application/json', JSON.stringify({ error: `ClickHouse: ${msg}` }))
        }
        return
      }
      const page = PAGES[route] ?? (/^\/events\/[^/]+$/.test(route) ? 'event.html' : undefined)
      if (page) return send(200, TYPES['.html']!, await file(path.join(PUBLIC, page)), { 'cache-control': 'no-cache' })
      // Runbooks: the alert rules link docs/ALERTING.md sections (repository-relative): served as text.
      const doc = /^\/docs\/([A-Z][A-Z_]*\.md)$/.exec(route)
      if (doc) return send(200, 'text/plain; charset=utf-8', await file(repoPath('docs', doc[1]!)).catch(() => Buffer.from('not found\n')))
      const f = STATIC[route]
      if (f) return send(200, TYPES[path.extname(f)] ?? 'application/octet-stream', await file(f), { 'cache-control': 'max-age=300' })
      send(404, 'text/plain; charset=utf-8', 'not found\n')
    }
    handle().catch((err: unknown) => {
      log.error({ err, route }, 'request failed')
      if (!res.headersSent) send(500, 'text/plain', 'internal error\n')
      else res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => resolve())
  })
  const addr = server.address() as AddressInfo
  const url = `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${addr.port}`
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

class NotFound extends Error {}

const FILTER_CACHE_MS = 30_000
