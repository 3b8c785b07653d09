/**
 * /api/compare: two prompt versions or two models side by side over the page's range and filters,
 * through shared/compare.ts (the same statistics and query as `llmwatch compare`).
 * Parameters: `by` = version | model, `a`, `b` (the two values), plus range/end/app/env/model/version.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { compareSides, querySide, type CompareColumn } from '../../shared/compare.js'
import { ParamError, parseView } from './params.js'
import type { CompareHandler } from './server.js'

/** Values per side for the latency and cost intervals, and bootstrap resamples. */
const SAMPLE = 1000
const ITERATIONS = 200

const BY: Record<string, CompareColumn> = { version: 'prompt_template_version', model: 'request_model' }

export function compareHandler(client: ClickHouseClient): CompareHandler {
  return async (q) => {
    const v = parseView(q)
    const byName = (q.get('by') ?? 'version').trim()
    const by = BY[byName]
    if (!by) throw new ParamError('by', `expected version or model; got "${byName}"`)
    const a = (q.get('a') ?? '').trim()
    const b = (q.get('b') ?? '').trim()
    if (!a || !b) throw new ParamError(a ? 'b' : 'a', `expected the two ${byName}s to compare (a and b)`)
    const f = v.filters
    const where: Partial<Record<CompareColumn, string>> = {}
    if (f.app) where.app_name = f.app
    if (f.env) where.environment = f.env
    if (f.model && by !== 'request_model') where.request_model = f.model
    if (f.version && by !== 'prompt_template_version') where.prompt_template_version = f.version
    // compareInClickHouse's two sides, fetched at once; smaller samples and fewer resamples than the
    // CLI's defaults, so that the page answers quickly.
    const side = (value: string) => querySide(client, { label: `${by}=${value}`, fromMs: v.range.from, toMs: v.range.to, where: { ...where, [by]: value }, sampleSize: SAMPLE })
    const [sa, sb] = await Promise.all([side(a), side(b)])
    const comparison = compareSides(sa, sb, { iterations: ITERATIONS })
    return { by: byName, column: by, a, b, range: { from: v.range.from, to: v.range.to }, comparison }
  }
}
