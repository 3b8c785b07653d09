// One event: every score with its evidence, the stored (redacted) texts, measures, ids, and its trace.
import { api, chrome, el, fmtMs, fmtNum, fmtTime, fmtUsd, params, sharedQuery, showError, table } from '/static/app.js'

await chrome('/events', { showFilters: false })

const id = decodeURIComponent(location.pathname.split('/').pop())
const box = document.getElementById('event')

function dl(pairs) {
  return el('dl', { class: 'facts' }, ...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v === '' || v === null || v === undefined ? '–' : v)]))
}

function evidence(details) {
  if (details === null || details === undefined || (typeof details === 'object' && Object.keys(details).length === 0)) return el('span', { class: 'hint' }, 'no evidence recorded')
  return el('pre', { class: 'evidence' }, typeof details === 'string' ? details : JSON.stringify(details, null, 2))
}

try {
  const d = await api(`/api/events/${encodeURIComponent(id)}`, { at: params().get('at') })
  const e = d.event
  document.querySelector('h1').textContent = `Event ${e.event_id}`
  document.title = `Event ${e.event_id.slice(0, 8)} · llmwatch`
  const flagged = e.flagged_scorers ?? []
  box.replaceChildren(
    el('p', {}, el('a', { href: `/events${sharedQuery()}` }, '← back to events')),
    el('section', { 'aria-labelledby': 'h-facts' }, el('h2', { id: 'h-facts' }, 'Call'),
      dl([
        ['Time', fmtTime(e.event_time)],
        ['App', e.app_name],
        ['Environment', e.environment],
        ['Provider', e.provider_name],
        ['Model', `${e.request_model}${e.response_model && e.response_model !== e.request_model ? ` → ${e.response_model}` : ''}`],
        ['Prompt', `${e.prompt_template_id || '–'} ${e.prompt_template_version || ''}`],
        ['Status', e.status === 'error' ? `error (${e.error_type})` : e.status],
        ['Latency', fmtMs(e.latency_ms)],
        ['Time to first token', fmtMs(e.ttft_ms)],
        ['Tokens', `${fmtNum(e.input_tokens, 0)} in (${fmtNum(e.cached_input_tokens, 0)} cached) · ${fmtNum(e.output_tokens, 0)} out`],
        ['Cost', e.cost_usd === null ? 'unknown (no price)' : fmtUsd(e.cost_usd, 6)],
        ['App cache hit', e.cache_hit ? 'yes' : 'no'],
        ['Trace id', el('code', {}, e.trace_id || '–')],
        ['Session id', el('code', {}, e.session_id || '–')],
        ['Flagged by', flagged.length ? flagged.join(', ') : 'nothing'],
      ])),
    el('section', { 'aria-labelledby': 'h-text' }, el('h2', { id: 'h-text' }, `Texts (stored ${e.text_mode})`),
      e.text_mode === 'none'
        ? el('p', { class: 'note' }, 'Texts are not stored for this event (privacy mode none).')
        : [el('h3', {}, 'Prompt'), el('pre', { class: 'text', 'data-text': 'prompt' }, e.prompt_text || '–'), el('h3', {}, 'Response'), el('pre', { class: 'text', 'data-text': 'response' }, e.response_text || '–')]),
    el('section', { 'aria-labelledby': 'h-scores' }, el('h2', { id: 'h-scores' }, 'Scores and evidence'),
      el('div', { class: 'scroll' }, table(`${d.scores.length} scores`, [
        ['Scorer', (s) => el('strong', {}, s.scorer)],
        ['Target', (s) => s.target],
        ['Status', (s) => s.status],
        ['Value', (s) => fmtNum(s.value, 3), { num: true }],
        ['Label', (s) => s.label || '–'],
        ['Flagged', (s) => (s.flagged ? el('span', { class: 'flag' }, 'flagged') : 'no')],
        ['Evidence', (s) => evidence(s.details)],
      ], d.scores, { empty: 'No scores stored for this event.' }))),
    el('section', { 'aria-labelledby': 'h-trace' }, el('h2', { id: 'h-trace' }, 'Same trace'),
      el('div', { class: 'scroll' }, table(e.trace_id ? `Events of trace ${e.trace_id}` : 'This event has no trace id', [
        ['Time', (x) => (x.event_id === e.event_id ? el('strong', {}, `${fmtTime(x.event_time)} (this event)`) : el('a', { href: `/events/${x.event_id}${sharedQuery({ at: x.event_time })}` }, fmtTime(x.event_time)))],
        ['Model', (x) => x.request_model],
        ['Status', (x) => x.status],
        ['Latency', (x) => fmtMs(x.latency_ms), { num: true }],
        ['Flagged', (x) => x.flagged_scorers.join(', ') || '–'],
      ], d.trace, { empty: 'No other events.' }))),
  )
  document.body.dataset.loaded = 'true'
} catch (err) {
  showError(err)
  document.body.dataset.loaded = 'error'
}
