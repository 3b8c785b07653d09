// Events: search and filter (flagged by a scorer, a score range, text, status, or an alert's example ids).
import { api, chrome, el, field, fmtMs, fmtTime, fmtUsd, params, refresh, select, sharedQuery, table } from '/static/app.js'

const SCORERS = ['toxicity', 'bias', 'hallucination', 'injection', 'pii', 'latency', 'cost']
const p = params()
const scorerOptions = (cur) => [['', 'Any'], ...[...new Set([...SCORERS, ...(cur ? [cur] : [])])].map((s) => [s, s])]
const input = (name, attrs = {}) => el('input', { name, id: `f-${name}`, value: p.get(name) ?? '', ...attrs })

await chrome('/events', {
  extraFields: [
    field('flagged', 'Flagged by', select('flagged', scorerOptions(p.get('flagged')), p.get('flagged') ?? '')),
    field('scorer', 'Score of', select('scorer', scorerOptions(p.get('scorer')), p.get('scorer') ?? '')),
    field('min', 'Score at least', input('min', { type: 'number', step: 'any', inputmode: 'decimal', size: 6 })),
    field('max', 'Score at most', input('max', { type: 'number', step: 'any', inputmode: 'decimal', size: 6 })),
    field('q', 'Text contains', input('q', { type: 'search', maxlength: 200 })),
    field('status', 'Status', select('status', [['', 'Any'], ['ok', 'ok'], ['error', 'error']], p.get('status') ?? '')),
    ...(p.get('ids') ? [el('input', { type: 'hidden', name: 'ids', value: p.get('ids') })] : []),
  ],
})

const results = document.getElementById('results')
if (p.get('ids')) {
  results.before(el('p', { class: 'note' }, `Showing ${p.get('ids').split(',').length} events chosen by id (an alert's examples), whatever the time range. `,
    el('a', { href: `/events${sharedQuery()}` }, 'Show all events')))
}

// Loaded once (no live refresh: the list would move under the reader's keyboard and pointer).
refresh(async () => {
  const d = await api('/api/events')
  results.replaceChildren(
    table(`${d.events.length} events, newest first${d.events.length >= 50 ? ' (the first 50)' : ''}`, [
      ['Time', (e) => el('a', { href: `/events/${e.event_id}${sharedQuery({ at: e.event_time })}` }, fmtTime(e.event_time))],
      ['App', (e) => e.app_name],
      ['Model', (e) => e.request_model],
      ['Env', (e) => e.environment],
      ['Version', (e) => e.prompt_template_version || '–'],
      ['Status', (e) => el('span', { class: `state state-${e.status}` }, e.status)],
      ['Latency', (e) => fmtMs(e.latency_ms), { num: true }],
      ['Cost', (e) => fmtUsd(e.cost_usd), { num: true }],
      ['Flagged', (e) => (e.flagged_scorers.length ? el('ul', { class: 'labels' }, ...e.flagged_scorers.map((s) => el('li', { class: 'flag' }, s))) : '–')],
      ['Response', (e) => el('span', { class: 'preview' }, e.response_preview || '–')],
    ], d.events, { empty: 'No events match.' }),
  )
  document.body.dataset.loaded = 'true'
}, 5, { live: false })
