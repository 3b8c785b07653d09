// Shared by every page: URL state (range + filters), the header and filter bar, JSON fetching,
// formatting, safe DOM building and uPlot charts. No build step: plain ES modules.
import uPlot from '/vendor/uPlot.esm.js'

export const RANGES = [
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['6h', 'Last 6 hours'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
]
export const FILTERS = [
  ['app', 'App'],
  ['env', 'Environment'],
  ['model', 'Model'],
  ['version', 'Prompt version'],
]
/** Parameters every page keeps when linking to another page. */
export const SHARED = ['range', 'end', 'app', 'env', 'model', 'version']

export function params() {
  return new URLSearchParams(location.search)
}

/** The shared parameters of this URL, with overrides (null or '' removes one). */
export function sharedQuery(overrides = {}) {
  const p = params()
  const q = new URLSearchParams()
  for (const k of SHARED) if (p.get(k)) q.set(k, p.get(k))
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null || v === undefined || v === '') q.delete(k)
    else q.set(k, String(v))
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

/** Builds an element: el('a', { href: '/x', class: 'y' }, 'text', child). Text is never parsed as HTML. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'class') e.className = v
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v)
    else e.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c))
  return e
}

// ---------------------------------------------------------------------------------------------
// Formatting

const nf = (d) => new Intl.NumberFormat('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 })
export function fmtNum(v, d = 1) {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : nf(Math.abs(v) >= 100 ? 0 : d).format(v)
}
export function fmtPct(v, d = 1) {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : `${nf(d).format(v * 100)} %`
}
export function fmtMs(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–'
  return v >= 10_000 ? `${nf(1).format(v / 1000)} s` : v >= 1000 ? `${nf(2).format(v / 1000)} s` : `${nf(0).format(v)} ms`
}
export function fmtUsd(v, d) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–'
  const digits = d ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 1 ? 2 : 4)
  return `${v < 0 ? '−' : ''}$${new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: Math.min(2, digits) }).format(Math.abs(v))}`
}
export function fmtTime(ms) {
  if (ms === null || ms === undefined) return '–'
  const d = new Date(Number(ms))
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

// ---------------------------------------------------------------------------------------------
// Fetching

export async function api(path, extra = {}) {
  const q = params()
  for (const [k, v] of Object.entries(extra)) {
    if (v === null || v === undefined || v === '') q.delete(k)
    else q.set(k, String(v))
  }
  const started = performance.now()
  const res = await fetch(`${path}?${q}`, { headers: { accept: 'application/json' } })
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }))
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`)
  const status = document.getElementById('status')
  if (status) status.textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC (${Math.round(performance.now() - started)} ms)`
  return body
}

export function showError(err) {
  const box = document.getElementById('error')
  if (!box) return
  box.hidden = !err
  box.textContent = err ? `Could not load the data: ${err.message ?? err}` : ''
}

// ---------------------------------------------------------------------------------------------
// Header and filter bar

const PAGES = [
  ['/', 'Overview'],
  ['/alerts', 'Alerts'],
  ['/events', 'Events'],
  ['/compare', 'Compare'],
]

/** Renders the navigation and the filter form; `extraFields` are page-specific controls. */
export async function chrome(current, { extraFields = [], showFilters = true } = {}) {
  const nav = document.getElementById('nav')
  nav.replaceChildren(
    el('a', { class: 'brand', href: `/${sharedQuery()}` }, 'llmwatch'),
    el('ul', {}, ...PAGES.map(([href, name]) => el('li', {}, el('a', { href: `${href}${sharedQuery()}`, 'aria-current': href === current ? 'page' : null }, name)))),
  )
  const form = document.getElementById('filters')
  if (form && !showFilters) form.hidden = true
  if (!form || !showFilters) return
  const p = params()
  const range = p.get('range') || '1h'
  const rangeOptions = RANGES.some(([v]) => v === range) ? RANGES : [...RANGES, [range, range]]
  const fields = [
    field('range', 'Time range', select('range', rangeOptions, range)),
    ...FILTERS.map(([name, label]) => field(name, label, select(name, [['', 'All']], p.get(name) || ''))),
    ...extraFields,
  ]
  const end = p.get('end')
  form.replaceChildren(
    ...fields,
    el('div', { class: 'field actions' },
      el('button', { type: 'submit' }, 'Apply'),
      end
        ? el('a', { href: withoutEnd(), class: 'live-link' }, `Until ${fmtTime(/^\d+$/.test(end) ? Number(end) : Date.parse(end))} · go live`)
        : el('span', { class: 'live', title: 'The view follows the current time' }, 'Live'),
    ),
  )
  if (end) form.append(el('input', { type: 'hidden', name: 'end', value: end }))
  form.addEventListener('change', (e) => {
    if (e.target instanceof HTMLSelectElement) form.requestSubmit()
  })
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const q = new URLSearchParams()
    for (const [k, v] of new FormData(form)) if (String(v).trim() !== '') q.set(k, String(v).trim())
    location.assign(`${location.pathname}?${q}`)
  })
  try {
    const opts = await api('/api/filters')
    for (const [name] of FILTERS) {
      const s = form.querySelector(`select[name="${name}"]`)
      const cur = p.get(name) || ''
      const values = [...new Set([...(opts[name] ?? []), ...(cur ? [cur] : [])])]
      s.replaceChildren(el('option', { value: '' }, 'All'), ...values.map((v) => el('option', { value: v, selected: v === cur }, v)))
    }
  } catch (err) {
    showError(err)
  }
}

/** This URL without `end`: the same view, following now. */
function withoutEnd() {
  const p = params()
  p.delete('end')
  const s = p.toString()
  return `${location.pathname}${s ? `?${s}` : ''}`
}

export function field(name, label, control) {
  control.id = control.id || `f-${name}`
  return el('div', { class: 'field' }, el('label', { for: control.id }, label), control)
}

export function select(name, options, value) {
  return el('select', { name, id: `f-${name}` }, ...options.map(([v, label]) => el('option', { value: v, selected: v === value }, label)))
}

// ---------------------------------------------------------------------------------------------
// Charts

const PALETTE = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7d8c', '#57606a']

/**
 * A time-series chart in `container`: `series` = [{ label, values }]; `y` formats axis values.
 * Returns { update(t, series) } for live refreshes.
 */
export function chart(container, { title, t, series, y = (v) => fmtNum(v), yMin }) {
  const wrap = el('figure', { class: 'chart' }, el('figcaption', {}, title))
  const plot = el('div', { class: 'plot', role: 'img', 'aria-label': title })
  wrap.append(plot)
  container.append(wrap)
  const width = () => Math.max(260, plot.clientWidth || container.clientWidth || 400)
  const opts = {
    width: width(),
    height: 200,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: yMin === undefined ? {} : { range: (u, min, max) => [yMin, Math.max(max, yMin + 1e-9)] } },
    axes: [
      { stroke: '#57606a', grid: { stroke: '#eaeef2' } },
      { stroke: '#57606a', grid: { stroke: '#eaeef2' }, values: (u, vals) => vals.map((v) => y(v)), size: 70 },
    ],
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: false, value: (u, v) => (v === null ? '–' : y(v)) }))],
  }
  const u = new uPlot(opts, [t, ...series.map((s) => s.values)], plot)
  new ResizeObserver(() => u.setSize({ width: width(), height: 200 })).observe(plot)
  return {
    update(t2, series2) {
      if (series2.length !== series.length || series2.some((s, i) => s.label !== series[i].label)) {
        // A new series (a new app or scorer) appeared: rebuild.
        u.destroy()
        wrap.remove()
        return chart(container, { title, t: t2, series: series2, y, yMin })
      }
      u.setData([t2, ...series2.map((s) => s.values)])
      return this
    },
  }
}

/** A table from rows: columns = [[header, (row) => cell, {num: true}]]. */
export function table(caption, columns, rows, { empty = 'Nothing in this range.' } = {}) {
  return el('table', {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, ...columns.map(([h, , o]) => el('th', { scope: 'col', class: o?.num ? 'num' : null }, h)))),
    el('tbody', {},
      rows.length === 0
        ? el('tr', {}, el('td', { colspan: columns.length, class: 'empty' }, empty))
        : rows.map((r) => el('tr', {}, ...columns.map(([, f, o]) => el('td', { class: o?.num ? 'num' : null }, f(r)))))),
  )
}

/** Runs `load` now and, while the view is live, every `seconds`; stops refreshing when the tab is hidden. */
export function refresh(load, seconds, { live = !params().get('end') } = {}) {
  let timer
  const run = async () => {
    try {
      const refreshSeconds = await load()
      showError(null)
      if (refreshSeconds) seconds = refreshSeconds
    } catch (err) {
      showError(err)
    }
    if (live) timer = setTimeout(() => (document.hidden ? document.addEventListener('visibilitychange', run, { once: true }) : run()), seconds * 1000)
  }
  run()
  return () => clearTimeout(timer)
}
