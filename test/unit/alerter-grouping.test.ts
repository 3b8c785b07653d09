/**
 * What an on-call person gets: one alert per incident (group_by), the affected series inside it,
 * staging one severity step below production, rounded values with units, and a resolve reason that
 * tells "traffic stopped" from "back under threshold".
 */
import { describe, expect, it } from 'vitest'
import { AlertEngine } from '../../services/alerter/engine.js'
import { formatDuration, formatValue, roundNumber } from '../../services/alerter/format.js'
import { seriesSeverity, validateRules } from '../../services/alerter/rules.js'
import { formatAlert } from '../../services/alerter/tail-cli.js'
import type { Alert, ScoreEntry, ScoredInteraction } from '../../shared/contract.js'

const T0 = Date.UTC(2026, 0, 1)
let seq = 0

function entry(name: string, target: ScoreEntry['target'], flagged: boolean): ScoreEntry {
  return { name, target, version: '1', status: 'ok', value: flagged ? 1 : 0, label: flagged ? 'flagged' : 'ok', flagged, details: '{}' }
}

function ev(t: number, over: Partial<ScoredInteraction> = {}): ScoredInteraction {
  seq++
  return {
    event_id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    app_name: 'shop', environment: 'production', provider_name: 'openai', operation_name: 'chat', request_model: 'gpt-x',
    response_model: null, prompt_template_id: null, prompt_template_version: null, trace_id: null, session_id: null, user_id_hash: null,
    request_start_time: t - 500, end_time: t, scored_time: t + 10, latency_ms: 500, ttft_ms: null,
    usage_input_tokens: 100, usage_output_tokens: 50, usage_cached_input_tokens: 0, cost_usd: 0.001, cache_hit: false,
    status: 'ok', error_type: null, text_mode: 'none', prompt_text: null, response_text: null, scores: [],
    ...over,
  }
}

function ids(): () => string {
  let n = 0
  return () => `00000000-0000-4000-9000-${String(++n).padStart(12, '0')}`
}

const MODELS = ['gpt-4o', 'claude-3-5', 'llama-3']
const ENVS = ['production', 'staging']

/**
 * Traffic of one app over 3 models x 2 environments, `perSeries` events per second each (staging:
 * `staging` each), toxic with probability `share(t)`; ticks every second. Returns every alert record.
 */
function traffic(engine: AlertEngine, from: number, to: number, share: (t: number, model: string, env: string) => number, perSeries = 4, staging = perSeries): Alert[] {
  const out: Alert[] = []
  let i = 0
  for (let t = from; t < to; t += 1000) {
    const batch: ScoredInteraction[] = []
    for (const m of MODELS) {
      for (const e of ENVS) {
        for (let k = 0; k < (e === 'staging' ? staging : perSeries); k++) {
          const flagged = (i++ % 100) / 100 < share(t, m, e)
          batch.push(ev(t + k, { request_model: m, environment: e, scores: [entry('toxicity', 'response', flagged)] }))
        }
      }
    }
    out.push(...engine.ingest(batch, t + 1000), ...engine.tick(t + 1000))
  }
  return out
}

const toxic = {
  name: 'toxic-responses',
  kind: 'rate',
  severity: 'critical',
  select: { scorer: 'toxicity', target: 'response' },
  by: ['app_name', 'request_model', 'environment'],
  group_by: ['app_name'],
  window: '1m',
  min_events: 50,
  threshold: 0.02,
  resolve_threshold: 0.01,
  for: '10s',
  annotations: {
    summary: '{{ app_name }}: {{ value }} of responses flagged toxic over {{ window }} (limit {{ threshold }}); models {{ request_model }} in {{ environment }}',
    runbook_url: 'docs/ALERTING.md#toxic-responses',
  },
}

describe('grouping: one incident, one alert', () => {
  it('3 models x production and staging toxic at once give one firing and one resolved record, listing the six series', () => {
    const engine = new AlertEngine(validateRules({ rules: [toxic] }), { newId: ids() })
    const incident = (t: number) => (t >= T0 + 120_000 && t < T0 + 240_000 ? 0.35 : 0)
    // As in real traffic, staging sees fewer calls than production (here 1 in 5).
    const alerts = traffic(engine, T0, T0 + 420_000, (t) => incident(t), 5, 1)
    const firing = alerts.filter((a) => a.state === 'firing')
    const resolved = alerts.filter((a) => a.state === 'resolved')
    expect(firing).toHaveLength(1)
    expect(resolved).toHaveLength(1)
    const f = firing[0]!
    expect(f.reminder).toBe(false)
    expect(f.dedup_key).toBe('toxic-responses{app_name="shop"}')
    expect(f.labels).toEqual({ app_name: 'shop', alertname: 'toxic-responses', severity: 'critical' })
    expect(f.severity).toBe('critical')
    expect(f.unit).toBe('ratio')
    // Every series that crossed the threshold by the time the alert fired is listed, worst first.
    expect(f.series.length).toBeGreaterThanOrEqual(1)
    for (let i = 1; i < f.series.length; i++) expect(f.series[i - 1]!.value).toBeGreaterThanOrEqual(f.series[i]!.value)
    expect(f.value).toBe(f.series[0]!.value)
    // The resolved record lists all six series that fired during the incident.
    const r = resolved[0]!
    expect(r.series.map((s) => `${s.labels['request_model']}/${s.labels['environment']}`).sort()).toEqual(
      MODELS.flatMap((m) => ENVS.map((e) => `${m}/${e}`)).sort(),
    )
    expect(r.series.find((s) => s.labels['environment'] === 'staging')!.severity).toBe('warning')
    expect(r.series.find((s) => s.labels['environment'] === 'production')!.severity).toBe('critical')
    expect(r.started_time).toBe(f.started_time)
    expect(r.resolve_reason).toBe('below_threshold')
    expect(r.example_event_ids.length).toBeGreaterThan(0)
  })

  it('lists the affected models and environments in the summary and in `alerts tail`', () => {
    const engine = new AlertEngine(validateRules({ rules: [{ ...toxic, for: 0 }] }), { newId: ids() })
    // Two models in production only: both series cross in the same evaluation, so both are in the record.
    const firing = traffic(engine, T0, T0 + 60_000, (_t, m, e) => (e === 'production' && m !== 'llama-3' ? 0.5 : 0)).filter((a) => a.state === 'firing')
    expect(firing).toHaveLength(1)
    const f = firing[0]
    expect(f!.series.map((s) => s.labels['request_model']).sort()).toEqual(['claude-3-5', 'gpt-4o'])
    expect(f!.summary).toMatch(/^shop: 50 % of responses flagged toxic over 1 min \(limit 2 %\); models (gpt-4o, claude-3-5|claude-3-5, gpt-4o) in production$/)
    const text = formatAlert(f!)
    expect(text).toMatch(/ FIRING critical toxic-responses \{app_name=shop\} value=50 % threshold=2 % :: shop: 50 %/)
    expect(text).toMatch(/\n {4}affected: request_model=(gpt-4o,claude-3-5|claude-3-5,gpt-4o) environment=production\n/)
    expect(text).toContain('\n    runbook:  docs/ALERTING.md#toxic-responses')
    expect(text).toMatch(/\n {4}examples: 00000000-0000-4000-8000-\d{12}( 00000000-0000-4000-8000-\d{12}){4}$/)
  })

  it('group_by can keep the old one-alert-per-series behaviour', () => {
    const engine = new AlertEngine(validateRules({ rules: [{ ...toxic, group_by: ['app_name', 'request_model', 'environment'], for: 0 }] }), { newId: ids() })
    const alerts = traffic(engine, T0, T0 + 30_000, () => 0.5)
    expect(alerts.filter((a) => a.state === 'firing')).toHaveLength(6)
  })

  it('rejects a group_by dimension that is not evaluated (by)', () => {
    expect(() => validateRules({ rules: [{ ...toxic, by: ['app_name'], group_by: ['app_name', 'request_model'] }] })).toThrow(
      /rule "toxic-responses" \(rules\[0\]\) field "group_by": expected dimensions of "by" \(app_name\), got request_model/,
    )
  })

  it('defaults: one alert per app, evaluated per environment', () => {
    const [r] = validateRules({ rules: [{ name: 'x', kind: 'rate', select: { scorer: 'toxicity' }, threshold: 0.1, window: '1m', annotations: { summary: 's' } }] })
    expect(r).toMatchObject({ group_by: ['app_name'], by: ['app_name', 'environment'] })
  })
})

describe('severity per environment', () => {
  it('staging is one step below production unless the rule says otherwise', () => {
    const rule = validateRules({ rules: [toxic] })[0]!
    expect(seriesSeverity(rule, 'production')).toBe('critical')
    expect(seriesSeverity(rule, 'staging')).toBe('warning')
    expect(seriesSeverity(rule, undefined)).toBe('critical')
    const strict = validateRules({ rules: [{ ...toxic, environment_severity: { staging: 'critical' } }] })[0]!
    expect(seriesSeverity(strict, 'staging')).toBe('critical')
    const info = validateRules({ rules: [{ ...toxic, severity: 'info' }] })[0]!
    expect(seriesSeverity(info, 'staging')).toBe('info')
  })

  it('a staging-only incident fires at warning; production joining escalates it once', () => {
    const engine = new AlertEngine(validateRules({ rules: [{ ...toxic, for: 0 }] }), { newId: ids() })
    const alerts = traffic(engine, T0, T0 + 120_000, (t, _m, e) => (e === 'staging' || t >= T0 + 60_000 ? 0.5 : 0))
    const firing = alerts.filter((a) => a.state === 'firing')
    expect(firing.map((a) => [a.severity, a.reminder])).toEqual([
      ['warning', false],
      ['critical', true],
    ])
    expect(firing[0]!.labels['severity']).toBe('warning')
    expect(firing[1]!.summary).toMatch(/^escalated to critical: /)
    expect(firing[1]!.dedup_key).toBe(firing[0]!.dedup_key)
  })
})

describe('resolve reasons', () => {
  it('traffic that stops resolves as traffic_stopped, a rate that drops as below_threshold', () => {
    const stopped = new AlertEngine(validateRules({ rules: [{ ...toxic, for: 0 }] }), { newId: ids() })
    traffic(stopped, T0, T0 + 30_000, () => 0.5)
    const later = [...stopped.tick(T0 + 60_000), ...stopped.tick(T0 + 120_000)]
    expect(later.map((a) => [a.state, a.resolve_reason])).toEqual([['resolved', 'traffic_stopped']])
    expect(later[0]!.summary).toMatch(/^resolved \(traffic stopped: no events in the last 1 min\): shop: \d+(\.\d)? % of responses flagged toxic over 1 min \(limit 2 %\); models (\S+, ){2}\S+ in production, staging$/)
    expect(formatAlert(later[0]!)).toMatch(/ RESOLVED \(traffic stopped\) critical toxic-responses /)

    const dropped = new AlertEngine(validateRules({ rules: [{ ...toxic, for: 0 }] }), { newId: ids() })
    const all = traffic(dropped, T0, T0 + 180_000, (t) => (t < T0 + 30_000 ? 0.5 : 0))
    const r = all.filter((a) => a.state === 'resolved')
    expect(r.map((a) => a.resolve_reason)).toEqual(['below_threshold'])
    expect(r[0]!.summary).toMatch(/^resolved \(rate back under threshold \(0(\.\d+)? % <= 1 %\)\): /)
    expect(formatAlert(r[0]!)).toMatch(/ RESOLVED \(back under threshold\) /)
  })

  it('quantile, immediate and absence rules say why too', () => {
    const rules = validateRules({
      rules: [
        { name: 'p95', kind: 'quantile', metric: 'latency_ms', quantile: 0.95, window: '1m', min_events: 20, threshold: 2000, annotations: { summary: 'p95 {{ value }} (SLO {{ threshold }})' } },
        { name: 'pii', kind: 'immediate', select: { scorer: 'pii', target: 'response' }, quiet_for: '5m', annotations: { summary: '{{ value }}' } },
        { name: 'silent', kind: 'absence', window: '10m', annotations: { summary: '{{ app_name }} silent for {{ value }} (limit {{ threshold }})' } },
      ],
    })
    const engine = new AlertEngine(rules, { newId: ids() })
    const out: Alert[] = []
    for (let t = T0; t < T0 + 60_000; t += 1000) {
      const batch = Array.from({ length: 5 }, (_, k) => ev(t + k, { latency_ms: 4213, scores: [entry('pii', 'response', t === T0 && k === 0)] }))
      out.push(...engine.ingest(batch, t + 1000), ...engine.tick(t + 1000))
    }
    const p95 = out.find((a) => a.rule === 'p95' && a.state === 'firing')!
    expect(p95.unit).toBe('ms')
    expect(p95.summary).toBe('p95 4.2 s (SLO 2 s)')
    const pii = out.find((a) => a.rule === 'pii')!
    expect(pii.summary).toBe('1 event')
    // Traffic continues without matches: the immediate rule resolves as quiet.
    for (let t = T0 + 60_000; t < T0 + 400_000; t += 10_000) out.push(...engine.ingest([ev(t, { latency_ms: 300, scores: [entry('pii', 'response', false)] })], t), ...engine.tick(t))
    expect(out.filter((a) => a.rule === 'pii' && a.state === 'resolved').map((a) => a.resolve_reason)).toEqual(['quiet'])
    expect(out.filter((a) => a.rule === 'p95' && a.state === 'resolved').map((a) => a.resolve_reason)).toEqual(['below_threshold'])
    // Then silence: absence fires with a duration, and resolves when events arrive again.
    const silent = engine.tick(T0 + 400_000 + 11 * 60_000).filter((a) => a.rule === 'silent')
    expect(silent.map((a) => a.summary)).toEqual([expect.stringMatching(/^shop silent for 11(\.\d)? min \(limit 10 min\)$/)])
    const back = engine.ingest([ev(T0 + 400_000 + 12 * 60_000)], T0 + 400_000 + 12 * 60_000).filter((a) => a.rule === 'silent')
    expect(back.map((a) => [a.state, a.resolve_reason])).toEqual([['resolved', 'traffic_resumed']])
  })
})

describe('values for people', () => {
  it('rounds and adds units', () => {
    expect(formatValue(0.35569422776911075, 'ratio')).toBe('35.6 %')
    expect(formatValue(0.004, 'ratio')).toBe('0.4 %')
    expect(formatValue(0.02, 'ratio')).toBe('2 %')
    expect(formatValue(4213, 'ms')).toBe('4.2 s')
    expect(formatValue(850.4, 'ms')).toBe('850 ms')
    expect(formatValue(12.3456, 'usd')).toBe('$12.35')
    expect(formatValue(0.0004567, 'usd')).toBe('$0.00046')
    expect(formatValue(12345.6, 'tokens')).toBe('12,346 tokens')
    expect(formatValue(4.2834, 'sigma')).toBe('4.3 σ')
    expect(formatValue(2.4567, 'x')).toBe('2.5x')
    expect(formatValue(1, 'events')).toBe('1 event')
    expect(formatValue(3, 'events')).toBe('3 events')
    expect(formatValue(900, 's')).toBe('15 min')
    expect(formatValue(0.123456, '')).toBe('0.12')
    expect(roundNumber(123.456)).toBe('123')
    expect(roundNumber(0)).toBe('0')
    expect(formatDuration(300_000)).toBe('5 min')
    expect(formatDuration(10_000)).toBe('10 s')
    expect(formatDuration(90_000)).toBe('1.5 min')
    expect(formatDuration(3_600_000)).toBe('1 h')
    expect(formatDuration(86_400_000)).toBe('24 h')
  })
})

describe('restart in the middle of a grouped incident', () => {
  it('adopts the published alert with its series: no second firing record, one resolved record', () => {
    const rules = validateRules({ rules: [{ ...toxic, for: 0 }] })
    const before = new AlertEngine(rules, { newId: ids() })
    const events: ScoredInteraction[] = []
    for (let i = 0; i < 600; i++) {
      events.push(ev(T0 + i * 50, { request_model: MODELS[i % 3]!, environment: ENVS[i % 2]!, scores: [entry('toxicity', 'response', i % 2 === 0)] }))
    }
    const published = before.ingest(events, T0 + 30_000)
    expect(published.filter((a) => a.state === 'firing' && !a.reminder)).toHaveLength(1)

    const after = new AlertEngine(rules, { newId: ids() })
    after.beginReplay()
    expect(after.ingest(events, T0 + 30_000)).toHaveLength(0)
    expect(after.hasGroup('toxic-responses', { app_name: 'shop' })).toBe(true)
    const { alerts, unknown } = after.endReplay([published[published.length - 1]!], T0 + 31_000)
    expect(alerts).toHaveLength(0)
    expect(unknown).toHaveLength(0)
    const end = [...after.tick(T0 + 60_000), ...after.tick(T0 + 200_000)]
    expect(end.map((a) => [a.state, a.resolve_reason])).toEqual([['resolved', 'traffic_stopped']])
    expect(end[0]!.started_time).toBe(published[0]!.started_time)
  })

  it('a published alert whose rule now groups differently is handed back to be resolved', () => {
    const old = validateRules({ rules: [{ ...toxic, group_by: ['app_name', 'request_model', 'environment'], for: 0 }] })
    const e1 = new AlertEngine(old, { newId: ids() })
    const fired = e1.ingest(Array.from({ length: 60 }, (_, i) => ev(T0 + i, { scores: [entry('toxicity', 'response', true)] })), T0 + 100)
    expect(fired).toHaveLength(1)
    const e2 = new AlertEngine(validateRules({ rules: [{ ...toxic, for: 0 }] }), { newId: ids() })
    e2.beginReplay()
    e2.ingest(Array.from({ length: 60 }, (_, i) => ev(T0 + i, { scores: [entry('toxicity', 'response', true)] })), T0 + 100)
    const { alerts, unknown } = e2.endReplay(fired, T0 + 200)
    expect(unknown.map((a) => a.dedup_key)).toEqual(['toxic-responses{app_name="shop",request_model="gpt-x",environment="production"}'])
    // The regrouped alert is announced under its new key.
    expect(alerts.map((a) => a.dedup_key)).toEqual(['toxic-responses{app_name="shop"}'])
  })
})
