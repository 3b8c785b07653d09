/**
 * Screenshots of each dashboard page for README.md and docs/DASHBOARD.md: `npm run screenshots:ui`.
 * A served ClickHouse in a temporary directory, a 30-minute demo's data (services/ui/seed.ts: the
 * demo's six incidents), `llmwatch ui`, and Chromium (test/chromium.ts installs it when missing)
 * writing docs/img/ui-*.png. Options: --out DIR.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { chromium, type Page } from 'playwright-core'
import { repoPath } from '../shared/paths.js'
import { CHROMIUM_ARGS, ensureChromium } from '../test/chromium.js'
import { startUiStack } from '../test/ui-fixture.js'

const { values } = parseArgs({ options: { out: { type: 'string', default: repoPath('docs', 'img') } } })
const out = path.resolve(values.out!)
mkdirSync(out, { recursive: true })

const MIN = 60_000
const end = Math.floor(Date.now() / MIN) * MIN
const executablePath = ensureChromium((m) => console.log(m))
console.log('seeding a 30-minute demo into a served ClickHouse ...')
const stack = await startUiStack({ seed: { minutes: 30, ratePerSec: 8, endMs: end } })
const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
try {
  const range = `range=1h&end=${end + MIN}`
  const shoot = async (name: string, url: string, opts: { width?: number; height?: number; maxHeight?: number; before?: (p: Page) => Promise<void> } = {}) => {
    const page = await browser.newPage({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 }, deviceScaleFactor: 1 })
    await page.goto(`${stack.url}${url}`)
    await page.waitForSelector('body[data-loaded]', { timeout: 60_000 })
    await opts.before?.(page)
    await page.waitForTimeout(300)
    const full = await page.evaluate(() => document.documentElement.scrollHeight)
    const file = path.join(out, `${name}.png`)
    await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width: opts.width ?? 1280, height: Math.min(full, opts.maxHeight ?? 1500) } })
    console.log(`${file} (${url})`)
    await page.close()
  }
  const [flagged] = await (await stack.writer.query({ query: "SELECT toString(event_id) AS id FROM interactions WHERE has(flagged_scorers, 'toxicity') AND trace_id != '' ORDER BY event_time LIMIT 1", format: 'JSONEachRow' })).json<{ id: string }>()
  const versions = await (await stack.writer.query({ query: "SELECT prompt_template_version AS v, count() AS n FROM interactions WHERE app_name = 'kb-assistant' GROUP BY v ORDER BY n DESC LIMIT 2", format: 'JSONEachRow' })).json<{ v: string }>()
  await shoot('ui-overview', `/?${range}`, { maxHeight: 1900 })
  await shoot('ui-alerts', `/alerts?${range}`)
  await shoot('ui-events', `/events?${range}&flagged=toxicity`, { maxHeight: 1100 })
  await shoot('ui-event', `/events/${flagged!.id}?${range}`, { maxHeight: 1700 })
  const [a, b] = versions.map((x) => x.v).sort()
  await shoot('ui-compare', `/compare?${range}&app=kb-assistant&by=version&a=${a}&b=${b}`, { maxHeight: 1300 })
  await shoot('ui-overview-phone', `/?${range}&app=support-bot`, { width: 390, height: 844, maxHeight: 1700 })
} finally {
  await browser.close()
  await stack.stop()
}
