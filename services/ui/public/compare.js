// Compare: two prompt versions or two models over the range, every metric with its interval and
// whether the difference is significant (shared/compare.ts: the same statistics as `llmwatch compare`).
import { api, chrome, el, field, fmtMs, fmtNum, fmtPct, fmtUsd, params, select, showError, table } from '/static/app.js'

const p = params()
const by = p.get('by') === 'model' ? 'model' : 'version'
const valueSelect = (name) => select(name, [['', 'Choose…'], ...(p.get(name) ? [[p.get(name), p.get(name)]] : [])], p.get(name) ?? '')
const selA = valueSelect('a')
const selB = valueSelect('b')
await chrome('/compare', {
  extraFields: [
    field('by', 'Compare', select('by', [['version', 'prompt versions'], ['model', 'models']], by)),
    field('a', 'A (baseline)', selA),
    field('b', 'B (candidate)', selB),
  ],
})

// A and B choices: the values seen in the range.
try {
  const opts = await api('/api/filters')
  const values = opts[by === 'model' ? 'model' : 'version'] ?? []
  for (const s of [selA, selB]) {
    const cur = p.get(s.name) ?? ''
    s.replaceChildren(el('option', { value: '' }, 'Choose…'), ...[...new Set([...values, ...(cur ? [cur] : [])])].map((v) => el('option', { value: v, selected: v === cur }, v)))
  }
} catch (err) {
  showError(err)
}

const box = document.getElementById('compare')
const METRIC = {
  flag_rate: ['flag rate', fmtPct],
  error_rate: ['error rate', fmtPct],
  cache_hit_rate: ['cache hit rate', fmtPct],
  latency_p50_ms: ['latency p50', fmtMs],
  latency_p95_ms: ['latency p95', fmtMs],
  latency_p99_ms: ['latency p99', fmtMs],
  cost_per_event_usd: ['cost per event', (v) => fmtUsd(v, 6)],
  cache_savings_per_event_usd: ['cache savings per event', (v) => fmtUsd(v, 6)],
}

function fmtFor(r) {
  return (METRIC[r.metric] ?? [r.metric, (v) => fmtNum(v, 3)])[1]
}
function name(r) {
  const base = (METRIC[r.metric] ?? [r.metric])[0]
  return r.scorer ? `${r.scorer} (${r.target}) ${base}` : base
}
function ci(r, side) {
  const f = fmtFor(r)
  const s = r[side]
  return el('span', {}, f(s.estimate), el('br'), el('span', { class: 'hint' }, `[${f(s.low)}, ${f(s.high)}]${s.count !== undefined ? ` · ${fmtNum(s.count, 0)}/${fmtNum(s.n, 0)}` : ` · n=${fmtNum(s.n, 0)}`}`))
}

if (!p.get('a') || !p.get('b')) {
  box.replaceChildren(el('p', { class: 'note' }, `Choose two ${by === 'model' ? 'models' : 'prompt versions'} above (A is the baseline, B the candidate).`))
  document.body.dataset.loaded = 'true'
} else {
  try {
    const d = await api('/api/compare')
    const c = d.comparison
    const worse = c.rows.filter((r) => r.verdict === 'worse')
    box.replaceChildren(
      el('p', { class: worse.length ? 'verdict worse' : 'verdict' }, worse.length
        ? `B is significantly worse on ${worse.length} metric${worse.length === 1 ? '' : 's'}: ${worse.map(name).join(', ')}.`
        : 'No metric is significantly worse for B.'),
      el('p', { class: 'hint' }, `A: ${c.a.label} (${fmtNum(c.a.events, 0)} events) · B: ${c.b.label} (${fmtNum(c.b.events, 0)} events) · ${Math.round(c.confidence * 100)} % intervals, p-values adjusted (${c.correction}).`),
      el('div', { class: 'scroll' }, table('Each metric, A against B', [
        ['Metric', (r) => name(r)],
        ['A', (r) => ci(r, 'a'), { num: true }],
        ['B', (r) => ci(r, 'b'), { num: true }],
        ['B − A', (r) => el('span', {}, fmtFor(r)(r.diff.estimate), el('br'), el('span', { class: 'hint' }, `[${fmtFor(r)(r.diff.low)}, ${fmtFor(r)(r.diff.high)}]`)), { num: true }],
        ['p (adjusted)', (r) => (Number.isFinite(r.pAdjusted) ? fmtNum(r.pAdjusted, 4) : '–'), { num: true }],
        ['Verdict', (r) => el('span', { class: `verdict-cell v-${r.verdict}`, 'data-verdict': r.verdict }, r.significant ? `${r.verdict} (significant)` : r.verdict)],
      ], c.rows, { empty: 'Neither side has events in this range.' })),
    )
    document.body.dataset.loaded = 'true'
  } catch (err) {
    showError(err)
    document.body.dataset.loaded = 'error'
  }
}
