import { describe, expect, it } from 'vitest'
import type { Alert, ScoreEntry, ScoredInteraction } from '../../shared/contract.js'
import { AlertEngine } from '../../services/alerter/engine.js'
import { validateRules } from '../../services/alerter/rules.js'

const T0 = Date.UTC(2026, 0, 1)
let seq = 0

function entry(name: string, target: ScoreEntry['target'], flagged: boolean, extra: Partial<ScoreEntry> = {}): ScoreEntry {
  return { name, target, version: '1', status: 'ok', value: flagged ? 1 : 0, label: flagged ? 'flagged' : 'ok', flagged, details: '{}', ...extra }
}

function ev(t: number, over: Partial<ScoredInteraction> = {}): ScoredInteraction {
  seq++
  return {
    event_id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    app_name: 'shop',
    environment: 'production',
    provider_name: 'openai',
    operation_name: 'chat',
    request_model: 'gpt-x',
    response_model: null,
    prompt_template_id: null,
    prompt_template_version: null,
    trace_id: null,
    session_id: null,
    user_id_hash: null,
    request_start_time: t - 500,
    end_time: t,
    scored_time: t + 10,
    latency_ms: 500,
    ttft_ms: null,
    usage_input_tokens: 100,
    usage_output_tokens: 50,
    usage_cached_input_tokens: 0,
    cost_usd: 0.001,
    cache_hit: false,
    status: 'ok',
    error_type: null,
    text_mode: 'none',
    prompt_text: null,
    response_text: null,
    scores: [],
    ...over,
  }
}

function ids(): () => string {
  let n = 0
  return () => `00000000-0000-4000-9000-${String(++n).padStart(12, '0')}`
}

/** Feeds `perSecond` events each second from `from` to `to` (ms); `flag(t, i)` decides the toxicity flag. */
function run(engine: AlertEngine, from: number, to: number, perSecond: number, flag: (t: number, i: number) => boolean, tickEvery = 1000): Alert[] {
  const out: Alert[] = []
  let i = 0
  for (let t = from; t < to; t += 1000) {
    const batch: ScoredInteraction[] = []
    for (let k = 0; k < perSecond; k++) {
      const et = t + Math.floor((k * 1000) / perSecond)
      batch.push(ev(et, { scores: [entry('toxicity', 'response', flag(et, i++))] }))
    }
    out.push(...engine.ingest(batch, t + 1000))
    if ((t - from) % tickEvery === 0) out.push(...engine.tick(t + 1000))
  }
  return out
}

const toxicRule = {
  name: 'toxic',
  kind: 'rate',
  select: { scorer: 'toxicity', target: 'response' },
  group_by: ['app_name', 'request_model'],
  window: '1m',
  min_events: 50,
  threshold: 0.1,
  resolve_threshold: 0.05,
  for: '30s',
  annotations: { summary: '{{ app_name }}: {{ value }} toxic over {{ window }} (> {{ threshold }})', runbook_url: 'https://example.org/rb' },
}

describe('AlertEngine: rate rules', () => {
  it('fires once after `for`, stays quiet while firing, resolves once when the incident clears', () => {
    const engine = new AlertEngine(validateRules({ rules: [toxicRule] }), { newId: ids() })
    const incident = (t: number, i: number) => t >= T0 + 120_000 && t < T0 + 300_000 && i % 4 === 0 // 25 %
    const alerts = run(engine, T0, T0 + 600_000, 10, (t, i) => incident(t, i) || i % 50 === 0) // 2 % background
    const firing = alerts.filter((a) => a.state === 'firing')
    const resolved = alerts.filter((a) => a.state === 'resolved')
    expect(firing).toHaveLength(1)
    expect(resolved).toHaveLength(1)
    const f = firing[0]!
    // The rate crosses 10 % within the window, then `for` (30 s) must pass.
    expect(f.emitted_time).toBeGreaterThanOrEqual(T0 + 120_000 + 30_000)
    expect(f.emitted_time).toBeLessThanOrEqual(T0 + 120_000 + 60_000 + 30_000)
    expect(f).toMatchObject({
      rule: 'toxic',
      kind: 'rate',
      dedup_key: 'toxic{app_name="shop",request_model="gpt-x"}',
      labels: { app_name: 'shop', request_model: 'gpt-x', alertname: 'toxic', severity: 'warning' },
      threshold: 0.1,
      window_seconds: 60,
      runbook_url: 'https://example.org/rb',
      ended_time: null,
    })
    expect(f.value).toBeGreaterThan(0.1)
    expect(f.summary).toMatch(/^shop: \d+(\.\d)? % toxic over 1 min \(> 10 %\)$/)
    expect(f.unit).toBe('ratio')
    expect(f.example_event_ids.length).toBeGreaterThan(0)
    const r = resolved[0]!
    expect(r.dedup_key).toBe(f.dedup_key)
    expect(r.started_time).toBe(f.started_time)
    expect(r.ended_time).toBe(r.emitted_time)
    expect(r.emitted_time).toBeGreaterThan(T0 + 300_000)
    expect(r.emitted_time).toBeLessThanOrEqual(T0 + 300_000 + 70_000)
    expect(r.value).toBeLessThanOrEqual(0.05)
  })

  it('does not fire below min_events, however high the rate', () => {
    const engine = new AlertEngine(validateRules({ rules: [toxicRule] }), { newId: ids() })
    // 40 events per minute, all toxic.
    const out: Alert[] = []
    for (let t = T0; t < T0 + 300_000; t += 1500) out.push(...engine.ingest([ev(t, { scores: [entry('toxicity', 'response', true)] })], t), ...engine.tick(t))
    expect(out).toHaveLength(0)
  })

  it('a metric hovering around the threshold does not flap', () => {
    const engine = new AlertEngine(validateRules({ rules: [toxicRule] }), { newId: ids() })
    // After the incident the rate oscillates 8 %..12 % every 20 s: always above resolve_threshold.
    const alerts = run(engine, T0, T0 + 900_000, 10, (t, i) => {
      if (t < T0 + 60_000) return i % 100 === 0
      if (t < T0 + 180_000) return i % 5 === 0
      const high = Math.floor((t - T0) / 20_000) % 2 === 0
      return high ? i % 8 === 0 : i % 12 === 0
    })
    expect(alerts.filter((a) => a.state === 'firing')).toHaveLength(1)
    expect(alerts.filter((a) => a.state === 'resolved')).toHaveLength(0)
  })

  it('groups by the rule labels and filters with where', () => {
    const rule = { ...toxicRule, for: 0, where: { environment: 'production' } }
    const engine = new AlertEngine(validateRules({ rules: [rule] }), { newId: ids() })
    const batch: ScoredInteraction[] = []
    for (let i = 0; i < 100; i++) {
      batch.push(ev(T0 + i, { request_model: 'a', scores: [entry('toxicity', 'response', true)] }))
      batch.push(ev(T0 + i, { request_model: 'b', scores: [entry('toxicity', 'response', false)] }))
      batch.push(ev(T0 + i, { request_model: 'c', environment: 'staging', scores: [entry('toxicity', 'response', true)] }))
    }
    const alerts = engine.ingest(batch, T0 + 1000)
    expect(alerts.map((a) => a.labels['request_model'])).toEqual(['a'])
  })

  it('sends reminders at the set interval while firing, never a second firing record', () => {
    const rule = { ...toxicRule, for: 0, remind_every: '2m' }
    const engine = new AlertEngine(validateRules({ rules: [rule] }), { newId: ids() })
    const alerts = run(engine, T0, T0 + 420_000, 10, (_t, i) => i % 3 === 0)
    const first = alerts.filter((a) => a.state === 'firing' && !a.reminder)
    const reminders = alerts.filter((a) => a.reminder)
    expect(first).toHaveLength(1)
    expect(reminders.length).toBe(3)
    expect(reminders.every((a) => a.dedup_key === first[0]!.dedup_key && a.started_time === first[0]!.started_time)).toBe(true)
  })

  it('resolves on the timer when traffic stops', () => {
    const engine = new AlertEngine(validateRules({ rules: [{ ...toxicRule, for: 0 }] }), { newId: ids() })
    const fired = run(engine, T0, T0 + 30_000, 10, () => true)
    expect(fired.filter((a) => a.state === 'firing')).toHaveLength(1)
    expect(engine.tick(T0 + 60_000)).toHaveLength(0)
    const later = engine.tick(T0 + 100_000)
    expect(later.map((a) => a.state)).toEqual(['resolved'])
    expect(engine.snapshot().groups).toBe(0) // idle groups are forgotten
  })
})

describe('AlertEngine: other kinds', () => {
  it('quantile: p95 latency above the SLO fires, and resolves when latency recovers', () => {
    const rules = validateRules({
      rules: [{ name: 'p95', kind: 'quantile', metric: 'latency_ms', quantile: 0.95, window: '1m', min_events: 20, threshold: 2000, annotations: { summary: 'p95 {{ value }}' } }],
    })
    const engine = new AlertEngine(rules, { newId: ids() })
    const out: Alert[] = []
    for (let t = T0; t < T0 + 400_000; t += 1000) {
      const slow = t >= T0 + 100_000 && t < T0 + 200_000
      const batch = Array.from({ length: 5 }, (_, k) => ev(t + k, { latency_ms: slow && k === 0 ? 5000 : 300 + k * 50 }))
      out.push(...engine.ingest(batch, t + 1000), ...engine.tick(t + 1000))
    }
    expect(out.map((a) => a.state)).toEqual(['firing', 'resolved'])
    expect(out[0]!.value).toBeGreaterThan(4900)
    expect(out[0]!.emitted_time - (T0 + 100_000)).toBeLessThanOrEqual(15_000) // 5 % of a 1 min window of slow calls
  })

  it('budget: cost per app over the window, across models', () => {
    const rules = validateRules({ rules: [{ name: 'budget', kind: 'budget', group_by: ['app_name'], window: '1h', threshold: 10, annotations: { summary: '${{ value }}' } }] })
    const engine = new AlertEngine(rules, { newId: ids() })
    const out: Alert[] = []
    for (let i = 0; i < 120; i++) {
      const t = T0 + i * 10_000
      out.push(...engine.ingest([ev(t, { request_model: i % 2 ? 'a' : 'b', cost_usd: 0.1 })], t))
    }
    expect(out).toHaveLength(1)
    expect(out[0]!.value).toBeGreaterThan(10)
    expect(out[0]!.value).toBeLessThan(10.2)
    expect(out[0]!.emitted_time).toBe(T0 + 100 * 10_000)
  })

  it('anomaly: a jump far above the trailing baseline fires; a steady rate does not', () => {
    const rules = validateRules({
      rules: [{ name: 'drift', kind: 'anomaly', signal: { rate: { scorer: 'hallucination' } }, window: '5m', baseline: '1h', threshold: 4, resolve_threshold: 2, annotations: { summary: 'z {{ value }}' } }],
    })
    const engine = new AlertEngine(rules, { newId: ids() })
    const out: Alert[] = []
    let i = 0
    for (let t = T0; t < T0 + 90 * 60_000; t += 2000) {
      const drift = t >= T0 + 75 * 60_000
      const flagged = drift ? i % 4 === 0 : i % 20 === 0 // 5 % -> 25 %
      i++
      out.push(...engine.ingest([ev(t, { scores: [entry('hallucination', 'response', flagged)] })], t))
      if (t % 60_000 === 0) out.push(...engine.tick(t))
    }
    expect(out.map((a) => a.state)).toEqual(['firing'])
    expect(out[0]!.emitted_time).toBeGreaterThan(T0 + 75 * 60_000)
    expect(out[0]!.emitted_time).toBeLessThan(T0 + 80 * 60_000)
  })

  it('immediate: the first matching event fires, more matches add nothing, quiet resolves', () => {
    const rules = validateRules({
      rules: [{ name: 'pii', kind: 'immediate', select: { scorer: 'pii', target: 'response', label: 'leak' }, where: { environment: 'production' }, quiet_for: '10m', annotations: { summary: '{{ value }} leaks' } }],
    })
    const engine = new AlertEngine(rules, { newId: ids() })
    const leak = (t: number, env = 'production') => ev(t, { environment: env, scores: [entry('pii', 'response', true, { label: 'leak' })] })
    const echo = ev(T0, { scores: [entry('pii', 'response', true, { label: 'echo' })] })
    expect(engine.observe(echo, T0)).toHaveLength(0)
    expect(engine.observe(leak(T0, 'staging'), T0)).toHaveLength(0)
    const first = engine.observe(leak(T0 + 1000), T0 + 1000)
    expect(first.map((a) => a.state)).toEqual(['firing'])
    expect(engine.observe(leak(T0 + 2000), T0 + 2000)).toHaveLength(0)
    expect(engine.tick(T0 + 5 * 60_000)).toHaveLength(0)
    const resolved = engine.tick(T0 + 2000 + 10 * 60_000)
    expect(resolved.map((a) => [a.state, a.value])).toEqual([['resolved', 2]])
  })

  it('absence: fires on the wall-clock timer after silence and resolves when events return', () => {
    const rules = validateRules({ rules: [{ name: 'silent', kind: 'absence', window: '10m', annotations: { summary: '{{ app_name }} silent' } }] })
    const engine = new AlertEngine(rules, { newId: ids() })
    engine.ingest([ev(T0), ev(T0, { app_name: 'other' })], T0)
    expect(engine.tick(T0 + 9 * 60_000)).toHaveLength(0)
    engine.ingest([ev(T0 + 9 * 60_000, { app_name: 'other' })], T0 + 9 * 60_000)
    const fired = engine.tick(T0 + 10 * 60_000)
    expect(fired.map((a) => [a.state, a.labels['app_name']])).toEqual([['firing', 'shop']])
    expect(engine.tick(T0 + 11 * 60_000)).toHaveLength(0)
    const back = engine.ingest([ev(T0 + 12 * 60_000)], T0 + 12 * 60_000)
    expect(back.map((a) => a.state)).toEqual(['resolved'])
  })

  it('error rate from the event status', () => {
    const rules = validateRules({ rules: [{ name: 'errors', kind: 'rate', select: { status: 'error' }, window: '1m', min_events: 10, threshold: 0.5, annotations: { summary: 'x' } }] })
    const engine = new AlertEngine(rules, { newId: ids() })
    const batch = Array.from({ length: 20 }, (_, i) => ev(T0 + i, { status: i % 3 === 0 ? 'ok' : 'error' }))
    expect(engine.ingest(batch, T0 + 100).map((a) => a.state)).toEqual(['firing'])
  })
})

describe('AlertEngine: replay after a restart', () => {
  it('rebuilds windows silently, adopts published firing alerts, and announces unpublished ones', () => {
    const rules = validateRules({ rules: [{ ...toxicRule, for: 0 }, { ...toxicRule, name: 'toxic2', for: 0 }] })
    const before = new AlertEngine(rules, { newId: ids() })
    const events: ScoredInteraction[] = []
    for (let i = 0; i < 200; i++) events.push(ev(T0 + i * 100, { scores: [entry('toxicity', 'response', i % 2 === 0)] }))
    const published = before.ingest(events, T0 + 20_000)
    expect(published.map((a) => a.rule).sort()).toEqual(['toxic', 'toxic2'])

    // Restart: only 'toxic' made it to llm.alerts before the crash.
    const after = new AlertEngine(rules, { newId: ids() })
    after.beginReplay()
    expect(after.ingest(events, T0 + 20_000)).toHaveLength(0)
    const { alerts } = after.endReplay(published.filter((a) => a.rule === 'toxic'), T0 + 21_000)
    expect(alerts.map((a) => a.rule)).toEqual(['toxic2'])
    // The incident continues: no duplicate firing records.
    const more = Array.from({ length: 50 }, (_, i) => ev(T0 + 21_000 + i * 100, { scores: [entry('toxicity', 'response', true)] }))
    expect(after.ingest(more, T0 + 26_000)).toHaveLength(0)
    expect(after.tick(T0 + 26_000)).toHaveLength(0)
    // It clears: one resolved per key, with the original start time.
    const end = after.tick(T0 + 200_000)
    expect(end.map((a) => [a.rule, a.state]).sort()).toEqual([
      ['toxic', 'resolved'],
      ['toxic2', 'resolved'],
    ])
    expect(end.find((a) => a.rule === 'toxic')!.started_time).toBe(published[0]!.started_time)
  })

  it('resolves an adopted alert whose incident ended while the alerter was down', () => {
    const rules = validateRules({ rules: [{ ...toxicRule, for: 0 }] })
    const e1 = new AlertEngine(rules, { newId: ids() })
    const fired = e1.ingest(Array.from({ length: 60 }, (_, i) => ev(T0 + i, { scores: [entry('toxicity', 'response', true)] })), T0 + 100)
    expect(fired).toHaveLength(1)
    const e2 = new AlertEngine(rules, { newId: ids() })
    e2.beginReplay()
    e2.ingest(Array.from({ length: 60 }, (_, i) => ev(T0 + 200_000 + i, { scores: [entry('toxicity', 'response', false)] })), T0 + 200_100)
    expect(e2.endReplay(fired, T0 + 200_100).alerts).toHaveLength(0)
    expect(e2.tick(T0 + 200_200).map((a) => a.state)).toEqual(['resolved'])
  })
})

describe('AlertEngine: absence forget_after', () => {
  it('resolves and forgets a group silent for longer than forget_after', () => {
    const rules = validateRules({ rules: [{ name: 'silent', kind: 'absence', window: '10m', forget_after: '1h', annotations: { summary: 'x' } }] })
    const engine = new AlertEngine(rules, { newId: ids() })
    engine.ingest([ev(T0)], T0)
    expect(engine.tick(T0 + 10 * 60_000).map((a) => a.state)).toEqual(['firing'])
    expect(engine.tick(T0 + 59 * 60_000)).toHaveLength(0)
    expect(engine.tick(T0 + 60 * 60_000).map((a) => a.state)).toEqual(['resolved'])
    expect(engine.snapshot().groups).toBe(0)
    expect(() => validateRules({ rules: [{ name: 's', kind: 'absence', window: '10m', forget_after: '5m', annotations: { summary: 'x' } }] })).toThrow(/forget_after/)
  })
})
