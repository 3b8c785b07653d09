/**
 * A hand-written SVG chart of one benchmark run (no chart library): line panels for throughput and
 * latency over time, and a bar panel for peak memory, each with its target drawn as a dashed line.
 */

export interface Series {
  name: string
  color: string
  points: readonly [number, number][]
  dashed?: boolean
}

export interface HLine {
  y: number
  label: string
  color: string
}

export interface LinePanel {
  kind: 'line'
  title: string
  xLabel: string
  yLabel: string
  series: Series[]
  hlines?: HLine[]
  /** Log scale for the y axis (latencies spread over decades). */
  logY?: boolean
}

export interface BarPanel {
  kind: 'bar'
  title: string
  yLabel: string
  bars: { label: string; value: number; color: string }[]
  hlines?: HLine[]
  /** Decimals of the value printed above each bar (default 0). */
  decimals?: number
}

const W = 900
const PANEL_H = 300
const M = { left: 70, right: 215, top: 36, bottom: 44 }

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** About five round tick values covering [0, max]. */
function ticks(max: number): number[] {
  if (!(max > 0)) return [0]
  const raw = max / 5
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? raw
  const out: number[] = [0]
  // The last tick is the first one at or above max, so every value fits in the axis.
  while (out.at(-1)! < max) out.push(Number((out.length * step).toPrecision(6)))
  return out
}

const fmt = (v: number) => (Math.abs(v) >= 10_000 ? `${Math.round(v / 1000)}k` : Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Number(v.toPrecision(3))))

function frame(y0: number, title: string, yLabel: string, xLabel: string): string {
  const x = M.left
  const h = PANEL_H - M.top - M.bottom
  return [
    `<text x="${x}" y="${y0 + 22}" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${x}" y="${y0 + M.top}" width="${W - M.left - M.right}" height="${h}" fill="none" stroke="#999"/>`,
    `<text transform="translate(16 ${y0 + M.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`,
    xLabel ? `<text x="${x + (W - M.left - M.right) / 2}" y="${y0 + PANEL_H - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>` : '',
  ].join('\n')
}

function linePanel(p: LinePanel, y0: number): string {
  const pw = W - M.left - M.right
  const ph = PANEL_H - M.top - M.bottom
  const all = p.series.flatMap((s) => s.points)
  const xMax = Math.max(1, ...all.map(([x]) => x))
  const yVals = [...all.map(([, y]) => y), ...(p.hlines ?? []).map((h) => h.y)].filter((v) => Number.isFinite(v))
  const yMaxRaw = Math.max(1, ...yVals)
  let ys: (v: number) => number
  let yTicks: number[]
  if (p.logY) {
    const lo = 1
    const hi = 10 ** Math.ceil(Math.log10(yMaxRaw * 1.05))
    ys = (v) => y0 + M.top + ph - ((Math.log10(Math.max(lo, v)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph
    yTicks = []
    for (let v = lo; v <= hi; v *= 10) yTicks.push(v)
  } else {
    yTicks = ticks(yMaxRaw * 1.05)
    const yMax = yTicks.at(-1) ?? yMaxRaw
    ys = (v) => y0 + M.top + ph - (v / yMax) * ph
  }
  const xTicks = ticks(xMax)
  const xMaxT = xTicks.at(-1) ?? xMax
  const xs = (v: number) => M.left + (v / xMaxT) * pw
  const out: string[] = [frame(y0, p.title, p.yLabel, p.xLabel)]
  for (const t of yTicks) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${ys(t).toFixed(1)}" y2="${ys(t).toFixed(1)}" stroke="#eee"/>`)
    out.push(`<text x="${M.left - 6}" y="${(ys(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(t)}</text>`)
  }
  for (const t of xTicks) out.push(`<text x="${xs(t).toFixed(1)}" y="${y0 + M.top + ph + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`)
  ;(p.hlines ?? []).forEach((h, i) => {
    if (!Number.isFinite(h.y)) return
    const y = ys(h.y).toFixed(1)
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="${h.color}" stroke-dasharray="6 4"/>`)
    // Labels side by side, so lines close together keep readable labels.
    out.push(`<text x="${M.left + 6 + i * 170}" y="${Number(y) - 4}" font-size="11" fill="${h.color}">${esc(h.label)}</text>`)
  })
  p.series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
    if (pts.length > 0) {
      const d = pts.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${xs(x).toFixed(1)},${ys(y).toFixed(1)}`).join(' ')
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="3 3"' : ''}/>`)
    }
    const ly = y0 + M.top + 14 + i * 16
    out.push(`<line x1="${M.left + pw + 8}" x2="${M.left + pw + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="3 3"' : ''}/>`)
    out.push(`<text x="${M.left + pw + 32}" y="${ly}" font-size="11">${esc(s.name)}</text>`)
  })
  return out.join('\n')
}

function barPanel(p: BarPanel, y0: number): string {
  const pw = W - M.left - M.right
  const ph = PANEL_H - M.top - M.bottom
  const yTicks = ticks(Math.max(...p.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), ...(p.hlines ?? []).map((h) => h.y)) * 1.1)
  const yMax = yTicks.at(-1) ?? 1
  const ys = (v: number) => y0 + M.top + ph - (v / yMax) * ph
  const out: string[] = [frame(y0, p.title, p.yLabel, '')]
  for (const t of yTicks) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${ys(t).toFixed(1)}" y2="${ys(t).toFixed(1)}" stroke="#eee"/>`)
    out.push(`<text x="${M.left - 6}" y="${(ys(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(t)}</text>`)
  }
  const slot = pw / Math.max(1, p.bars.length)
  p.bars.forEach((b, i) => {
    const x = M.left + i * slot + slot * 0.2
    const top = ys(Number.isFinite(b.value) ? b.value : 0)
    out.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(slot * 0.6).toFixed(1)}" height="${(y0 + M.top + ph - top).toFixed(1)}" fill="${b.color}"/>`)
    out.push(`<text x="${(x + slot * 0.3).toFixed(1)}" y="${(top - 4).toFixed(1)}" text-anchor="middle" font-size="11">${Number.isFinite(b.value) ? b.value.toFixed(p.decimals ?? 0) : 'n/a'}</text>`)
    out.push(`<text x="${(x + slot * 0.3).toFixed(1)}" y="${y0 + M.top + ph + 16}" text-anchor="middle" font-size="11">${esc(b.label)}</text>`)
  })
  for (const h of p.hlines ?? []) {
    const y = ys(h.y).toFixed(1)
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="${h.color}" stroke-dasharray="6 4"/>`)
    out.push(`<text x="${M.left + 6}" y="${Number(y) - 4}" font-size="11" fill="${h.color}">${esc(h.label)}</text>`)
  }
  return out.join('\n')
}

/** The whole chart: a title line, a caption line, then the panels stacked. */
export function renderSvg(title: string, caption: string, panels: (LinePanel | BarPanel)[]): string {
  const head = 56
  const height = head + panels.length * PANEL_H
  const body = panels.map((p, i) => (p.kind === 'line' ? linePanel(p, head + i * PANEL_H) : barPanel(p, head + i * PANEL_H))).join('\n')
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${M.left}" y="24" font-size="17" font-weight="bold">${esc(title)}</text>`,
    `<text x="${M.left}" y="44" font-size="12" fill="#555">${esc(caption)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n')
}
