/**
 * The dashboard in a real browser: Debian's Chromium (installed by test/chromium.ts when missing)
 * driven by playwright-core, against `llmwatch clickhouse serve` holding a short demo's data
 * (services/ui/seed.ts: generated traffic with two scripted incidents, the real scorers, alert engine
 * and sink row builder). The dashboard reads as the reader; the test checks its numbers with its own
 * SQL as the writer.
 */
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../shared/errors.js'
import { loadUiEnv } from '../../services/ui/config.js'
import { startUi } from '../../services/ui/main.js'
import { CHROMIUM_ARGS, ensureChromium } from '../chromium.js'
import { startUiStack, type UiStack } from '../ui-fixture.js'

const MIN = 60_000
// The data ends on a whole minute, so the minute aggregates cover exactly [from, to).
const END = Math.floor(Date.now() / MIN) * MIN
const START = END - 20 * MIN
const RANGE = `range=30m&end=${END}`
const INCIDENTS = [
  { name: 'toxicity_spike' as const, app: 'support-bot', startMs: START + 3 * MIN, durationMs: 4 * MIN, share: 0.35 },
  { name: 'latency_regression' as const, model: 'gpt-4o-mini', startMs: START + 13 * MIN, durationMs: 7 * MIN, share: 1 },
]

let stack: UiStack
let browser: Browser

/** Opens a page and collects console errors, page errors and failed requests. */
async function open(path: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`)
  })
  await page.goto(`${stack.url}${path}`)
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 })
  return { page, problems }
}

async function sql<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await stack.writer.query({ query, query_params: params, format: 'JSONEachRow' })
  return rs.json<T>()
}

beforeAll(async () => {
  const executablePath = ensureChromium((m) => console.log(`[ui.test] ${m}`))
  stack = await startUiStack({ seed: { minutes: 20, ratePerSec: 6, endMs: END, incidents: INCIDENTS } })
  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
}, 900_000)

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

describe('llmwatch ui in Chromium', () => {
  it('every page loads without console errors', async () => {
    const [ev] = await sql<{ id: string }>("SELECT toString(event_id) AS id FROM interactions WHERE has(flagged_scorers, 'toxicity') LIMIT 1")
    const [versions] = await sql<{ v: string[] }>("SELECT arraySort(groupUniqArray(prompt_template_version)) AS v FROM interactions WHERE app_name = 'support-bot'")
    const pages = [
      `/?${RANGE}`,
      `/alerts?${RANGE}`,
      `/events?${RANGE}`,
      `/events?${RANGE}&flagged=toxicity&q=the`,
      `/events/${ev!.id}?${RANGE}`,
      `/compare?${RANGE}&app=support-bot&by=version&a=${versions!.v[0]}&b=${versions!.v[1]}`,
      `/compare?${RANGE}`,
    ]
    for (const p of pages) {
      const { page, problems } = await open(p)
      expect(problems, p).toEqual([])
      expect(await page.locator('#error').isHidden(), p).toBe(true)
      await page.close()
    }
  })

  it("the overview's numbers equal the same SQL over the raw rows", async () => {
    const { page } = await open(`/?${RANGE}`)
    const [raw] = await sql<{ events: string; errors: string; cost: number; hits: string }>(
      `SELECT count() AS events, countIf(status = 'error') AS errors, sum(cost_usd) AS cost, countIf(cache_hit) AS hits FROM interactions
       WHERE event_time >= fromUnixTimestamp64Milli({from:Int64}) AND event_time < fromUnixTimestamp64Milli({to:Int64})`,
      { from: END - 30 * MIN, to: END },
    )
    const api = (await (await page.request.get(`${stack.url}/api/overview?${RANGE}`)).json()) as { totals: { events: number; errors: number; costUsd: number; cacheHits: number } }
    expect(api.totals.events).toBe(Number(raw!.events))
    expect(api.totals.events).toBe(20 * 60 * 6)
    expect(api.totals.errors).toBe(Number(raw!.errors))
    expect(api.totals.cacheHits).toBe(Number(raw!.hits))
    expect(api.totals.costUsd).toBeCloseTo(raw!.cost, 6)
    // What the page shows: the same count, formatted.
    expect(await page.locator('[data-metric="events"] dd').first().textContent()).toBe(Number(raw!.events).toLocaleString('en-US'))
    // Flagged share per scorer: the toxicity of responses, against the raw scores.
    const [tox] = await sql<{ scored: string; flagged: string }>(
      `SELECT countIf(status = 'ok') AS scored, countIf(flagged) AS flagged FROM scores WHERE scorer = 'toxicity' AND target = 'response'
       AND event_time >= fromUnixTimestamp64Milli({from:Int64}) AND event_time < fromUnixTimestamp64Milli({to:Int64})`,
      { from: END - 30 * MIN, to: END },
    )
    const share = Number(tox!.flagged) / Number(tox!.scored)
    expect(Number(tox!.flagged)).toBeGreaterThan(10)
    expect(await page.locator('[data-metric="flagged:toxicity:response"] dd').first().textContent()).toBe(`${(share * 100).toLocaleString('en-US', { maximumFractionDigits: 2 })} %`)
    // Five charts drawn by uPlot.
    expect(await page.locator('.chart canvas').count()).toBe(5)
    await page.close()
  })

  it('a scripted incident shows as a firing alert, a spike on the overview, and one click leads to its events', async () => {
    const { page, problems } = await open(`/alerts?${RANGE}`)
    const row = page.locator('#firing tbody tr', { hasText: 'latency-p95-slo' })
    await expect.poll(() => row.count()).toBeGreaterThan(0)
    expect(await row.first().textContent()).toContain('gpt-4o-mini')
    // The toxicity spike fired and resolved: both in the history.
    expect(await page.locator('#history tbody tr', { hasText: 'toxic-responses' }).count()).toBeGreaterThanOrEqual(2)
    // One click: the alert's example events.
    await row.first().getByRole('link', { name: /example events/ }).click()
    await page.waitForURL(/\/events\?.*ids=/)
    await page.waitForSelector('body[data-loaded="true"]')
    const ids = new URL(page.url()).searchParams.get('ids')!.split(',')
    const links = page.locator('#results tbody tr a')
    await expect.poll(() => links.count()).toBe(ids.length)
    expect(await page.locator('#results tbody').textContent()).toContain('gpt-4o-mini')
    expect(problems).toEqual([])
    // The spike: latency p95 in the incident's minutes far above the minutes before (medians: one
    // minute's p95 of a few dozen calls jumps with a single timeout).
    const ov = (await (await page.request.get(`${stack.url}/api/overview?${RANGE}&model=gpt-4o-mini`)).json()) as { series: { t: number[]; p95: (number | null)[] } }
    const at = (from: number, to: number) => ov.series.p95.filter((v, i) => v !== null && ov.series.t[i]! * 1000 >= from && ov.series.t[i]! * 1000 < to) as number[]
    const before = at(START, INCIDENTS[1]!.startMs)
    const during = at(INCIDENTS[1]!.startMs + MIN, END)
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    expect(before.length).toBeGreaterThan(8)
    expect(during.length).toBeGreaterThan(4)
    expect(median(during)).toBeGreaterThan(3 * median(before))
    await page.close()
  })

  it('filters and the time range round-trip through the URL', async () => {
    const { page } = await open(`/?${RANGE}`)
    await page.getByLabel('App', { exact: true }).selectOption('support-bot')
    await page.waitForURL(/app=support-bot/)
    await page.waitForSelector('body[data-loaded="true"]')
    const url = new URL(page.url())
    expect(url.searchParams.get('range')).toBe('30m')
    expect(url.searchParams.get('end')).toBe(String(END))
    await page.reload()
    await page.waitForSelector('body[data-loaded="true"]')
    expect(await page.getByLabel('App', { exact: true }).inputValue()).toBe('support-bot')
    const [raw] = await sql<{ n: string }>("SELECT count() AS n FROM interactions WHERE app_name = 'support-bot'")
    expect(await page.locator('[data-metric="events"] dd').first().textContent()).toBe(Number(raw!.n).toLocaleString('en-US'))
    // Every table row is support-bot's.
    const apps = await page.locator('#breakdown tbody tr td:first-child').allTextContents()
    expect(new Set(apps)).toEqual(new Set(['support-bot']))
    // The other pages keep the filter and range: the navigation carries them.
    await page.getByRole('link', { name: 'Events', exact: true }).click()
    await page.waitForURL(/\/events\?/)
    await page.waitForSelector('body[data-loaded="true"]')
    expect(await page.getByLabel('App', { exact: true }).inputValue()).toBe('support-bot')
    expect(await page.getByLabel('Time range', { exact: true }).inputValue()).toBe('30m')
    const listed = await page.locator('#results tbody tr td:nth-child(2)').allTextContents()
    expect(listed.length).toBeGreaterThan(0)
    expect(new Set(listed)).toEqual(new Set(['support-bot']))
    await page.close()
  })

  it("an event's page shows every score with its evidence, its redacted texts and its trace", async () => {
    const { page } = await open(`/events?${RANGE}&flagged=toxicity`)
    await page.locator('#results tbody tr a').first().click()
    await page.waitForURL(/\/events\/[0-9a-f-]{36}/)
    await page.waitForSelector('body[data-loaded="true"]')
    const id = new URL(page.url()).pathname.split('/').pop()!
    const [n] = await sql<{ n: string }>('SELECT count() AS n FROM scores WHERE event_id = {id:UUID}', { id })
    const rows = page.locator('section[aria-labelledby="h-scores"] tbody tr')
    expect(await rows.count()).toBe(Number(n!.n))
    const tox = rows.filter({ hasText: 'toxicity' }).filter({ hasText: 'flagged' })
    expect(await tox.count()).toBe(1)
    // The evidence: the words that made it toxic.
    expect(await tox.locator('pre.evidence').textContent()).toMatch(/"evidence"/)
    expect(await page.locator('pre[data-text="response"]').textContent()).not.toBe('')
    expect(await page.locator('h2', { hasText: 'Texts (stored redacted)' }).count()).toBe(1)
    expect(await page.locator('section[aria-labelledby="h-trace"] tbody tr').count()).toBeGreaterThanOrEqual(1)
    await page.close()
  })

  it('reads only: other methods are refused, and a user that may write is refused at start', async () => {
    const res = await fetch(`${stack.url}/api/overview`, { method: 'POST', body: 'x' })
    expect(res.status).toBe(405)
    const bad = await fetch(`${stack.url}/api/overview?range=2y`)
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toContain('range')
    await expect(startUi(loadUiEnv({ CLICKHOUSE_URL: stack.clickhouseUrl, UI_PORT: '0', UI_CLICKHOUSE_USER: 'default' }))).rejects.toBeInstanceOf(ConfigError)
  })
})
