// Overview: totals as tiles, time series, flagged share per scorer, and a table per app and model.
import { api, chart, chrome, el, fmtMs, fmtNum, fmtPct, fmtUsd, refresh, sharedQuery, table } from '/static/app.js'

await chrome('/')

const tiles = document.getElementById('tiles')
const scorerTiles = document.getElementById('scorer-tiles')
const charts = document.getElementById('charts')
const breakdown = document.getElementById('breakdown')
let plots = null

function tile(metric, label, value, hint) {
  return el('div', { class: 'tile', 'data-metric': metric }, el('dt', {}, label), el('dd', {}, value), hint ? el('dd', { class: 'hint' }, hint) : null)
}

function render(d) {
  const t = d.totals
  tiles.replaceChildren(
    tile('events', 'Events', fmtNum(t.events, 0), `${fmtNum(t.eventsPerSec, 2)} /s`),
    tile('error_rate', 'Error rate', fmtPct(t.errorRate, 2), `${fmtNum(t.errors, 0)} errors`),
    tile('latency', 'Latency p50 / p95', `${fmtMs(t.p50)} / ${fmtMs(t.p95)}`),
    tile('ttft', 'Time to first token p50 / p95', `${fmtMs(t.ttftP50)} / ${fmtMs(t.ttftP95)}`),
    tile('cost', 'Cost', fmtUsd(t.costUsd), `${fmtUsd(t.costPerHour)} per hour`),
    tile('cost_per_1k', 'Cost per 1,000 events', fmtUsd(t.costPer1k), t.unpriced ? `${fmtNum(t.unpriced, 0)} events unpriced` : 'all events priced'),
    tile('cache', 'Cache savings', fmtUsd(t.cacheSavingsUsd), `${fmtPct(t.cacheHitRate)} served from the app cache`),
  )
  scorerTiles.replaceChildren(
    ...(d.scorers.length === 0
      ? [el('p', { class: 'empty' }, 'No scores in this range.')]
      : d.scorers.map((s) =>
          el('div', { class: `tile${s.share > 0.05 ? ' warn' : ''}`, 'data-metric': `flagged:${s.scorer}:${s.target}` },
            el('dt', {}, el('a', { href: `/events${sharedQuery({ flagged: s.scorer })}` }, `${s.scorer} (${s.target})`)),
            el('dd', {}, fmtPct(s.share, 2)),
            el('dd', { class: 'hint' }, `${fmtNum(s.flagged, 0)} of ${fmtNum(s.scored, 0)}`)),
        )),
  )
  const s = d.series
  const t0 = s.t
  const specs = [
    ['events', { title: 'Events per second, by app', t: t0, series: Object.entries(s.apps).sort().map(([app, values]) => ({ label: app, values })), yMin: 0 }],
    ['latency', { title: 'Latency and time to first token', t: t0, y: fmtMs, yMin: 0, series: [
      { label: 'latency p50', values: s.p50 }, { label: 'latency p95', values: s.p95 }, { label: 'TTFT p50', values: s.ttftP50 }, { label: 'TTFT p95', values: s.ttftP95 }] }],
    ['errors', { title: 'Error rate', t: t0, y: (v) => fmtPct(v), yMin: 0, series: [{ label: 'error rate', values: s.errorRate }] }],
    ['cost', { title: 'Cost per hour', t: t0, y: (v) => fmtUsd(v), yMin: 0, series: [{ label: 'USD per hour', values: s.costPerHour }] }],
    ['flagged', { title: 'Flagged share by scorer', t: t0, y: (v) => fmtPct(v), yMin: 0, series: Object.entries(s.flagged).sort().map(([sc, values]) => ({ label: sc, values })) }],
  ]
  if (!plots) {
    plots = {}
    for (const [key, spec] of specs) {
      const box = el('div', { class: 'chart-box', 'data-chart': key })
      charts.append(box)
      plots[key] = chart(box, spec)
    }
  } else {
    for (const [key, spec] of specs) plots[key] = plots[key].update(spec.t, spec.series)
  }
  breakdown.replaceChildren(
    table('Per app and model over the range', [
      ['App', (r) => el('a', { href: sharedQuery({ app: r.app }) || '?' }, r.app)],
      ['Model', (r) => r.model],
      ['Events/s', (r) => fmtNum(r.eventsPerSec, 2), { num: true }],
      ['Error rate', (r) => fmtPct(r.errorRate, 2), { num: true }],
      ['p50', (r) => fmtMs(r.p50), { num: true }],
      ['p95', (r) => fmtMs(r.p95), { num: true }],
      ['TTFT p50', (r) => fmtMs(r.ttftP50), { num: true }],
      ['Cost/hour', (r) => fmtUsd(r.costPerHour), { num: true }],
      ['Cost/1k events', (r) => fmtUsd(r.costPer1k), { num: true }],
      ['Cache savings', (r) => fmtUsd(r.cacheSavingsUsd), { num: true }],
    ], d.byAppModel),
  )
}

refresh(async () => {
  const d = await api('/api/overview')
  render(d)
  document.body.dataset.loaded = 'true'
  return d.refreshSeconds
}, 5)
