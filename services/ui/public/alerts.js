// Alerts: what fires now (latest record per alert) and every record of the range.
import { api, chrome, el, fmtNum, fmtTime, refresh, sharedQuery, table } from '/static/app.js'

await chrome('/alerts')

const LABEL_PARAM = { app_name: 'app', environment: 'env', request_model: 'model', prompt_template_version: 'version' }

function labels(a) {
  // alertname and severity repeat the rule and severity columns.
  const entries = Object.entries(a.labels ?? {}).filter(([k]) => k !== 'alertname' && k !== 'severity')
  return entries.length === 0 ? '–' : el('ul', { class: 'labels' }, ...entries.map(([k, v]) => el('li', {}, el('code', {}, `${k}=${v}`))))
}

function value(a) {
  const over = a.value > a.threshold
  return el('span', { class: over ? 'over' : null }, `${fmtNum(a.value, 3)} `, el('span', { class: 'hint' }, `vs ${fmtNum(a.threshold, 3)}`))
}

/** The events behind an alert: its examples, and the events of its labels over its window. */
function links(a) {
  const out = []
  if (a.example_event_ids.length > 0) {
    out.push(el('a', { href: `/events${sharedQuery({ ids: a.example_event_ids.join(',') })}`, class: 'button' }, `${a.example_event_ids.length} example events`))
  }
  const q = { end: Number(a.ended_time ?? a.emitted_time) + 60_000, range: rangeFor(a) }
  for (const [k, p] of Object.entries(LABEL_PARAM)) if (a.labels?.[k]) q[p] = a.labels[k]
  out.push(' ', el('a', { href: `/events${sharedQuery(q)}` }, 'events in window'))
  // Repository-relative runbooks (docs/ALERTING.md#...) are served by the dashboard itself.
  if (a.runbook_url) out.push(' ', el('a', { href: /^https?:/.test(a.runbook_url) ? a.runbook_url : `/${a.runbook_url.replace(/^\/+/, '')}`, rel: 'noopener' }, 'runbook'))
  return el('span', { class: 'links' }, ...out)
}

/** The smallest preset range covering the alert's window and duration. */
function rangeFor(a) {
  const span = Number(a.ended_time ?? a.emitted_time) - Number(a.started_time) + a.window_seconds * 1000 + 60_000
  for (const [r, ms] of [['15m', 9e5], ['1h', 36e5], ['6h', 216e5], ['24h', 864e5], ['7d', 6048e5]]) if (span <= ms) return r
  return '30d'
}

function severity(a) {
  return el('span', { class: `sev sev-${a.severity}` }, a.severity)
}

refresh(async () => {
  const d = await api('/api/alerts')
  document.getElementById('firing').replaceChildren(
    table(`${d.firing.length} alert${d.firing.length === 1 ? '' : 's'} firing`, [
      ['Rule', (a) => el('strong', {}, a.rule)],
      ['Severity', severity],
      ['Labels', labels],
      ['Value vs threshold', value, { num: true }],
      ['Since', (a) => fmtTime(a.started_time)],
      ['Summary', (a) => a.summary],
      ['Events', links],
    ], d.firing, { empty: 'Nothing is firing.' }),
  )
  document.getElementById('history').replaceChildren(
    table('Alert records in the range, newest first', [
      ['Time', (a) => fmtTime(a.emitted_time)],
      ['Rule', (a) => a.rule],
      ['State', (a) => el('span', { class: `state state-${a.state}` }, a.reminder ? `${a.state} (reminder)` : a.state)],
      ['Severity', severity],
      ['Labels', labels],
      ['Value vs threshold', value, { num: true }],
      ['Summary', (a) => a.summary],
      ['Events', links],
    ], d.history),
  )
  document.body.dataset.loaded = 'true'
}, 5)
