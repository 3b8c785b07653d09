/**
 * The alert engine: pure and deterministic (no I/O, no wall clock of its own; time comes in).
 *
 * - `observe(scored, wallNow)` adds an event to the windows of every rule whose filter it passes
 *   (at the event's time, end_time, clamped to wallNow) and fires `immediate` rules at once.
 * - `evaluateDirty()` evaluates the series touched since the last call, at the engine clock.
 * - `tick(wallNow)` advances the clock to the wall clock and evaluates every series: this is how
 *   alerts resolve and `absence` rules fire when events stop, and how reminders go out.
 *
 * The engine clock is max(latest event time seen, latest tick): event time drives windows,
 * the wall clock only moves them forward when events stop. A late event lands in its own bucket
 * if the ring still holds it, otherwise it is dropped and counted (`stats.lateDropped`).
 *
 * Two levels, as with Prometheus rules and Alertmanager groups:
 * - A **series** is one combination of the rule's `by` dimensions (e.g. app + model + environment).
 *   It has the windows and the state machine: inactive -> pending (condition true, waiting for
 *   `for`) -> firing; a firing series resolves when the resolve condition (value <=
 *   resolve_threshold, or no data) has held for `keep_firing_for`.
 * - An **alert** (the record on llm.alerts, one dedup key) groups the firing series that share the
 *   rule's `group_by` dimensions (e.g. the app): it fires with its first series, lists every firing
 *   series (the affected models and environments) with the worst value and severity, and resolves
 *   with its last series, saying why (`resolve_reason`). Exactly one firing record per dedup key
 *   until it resolves; reminders, and an escalation record when a more severe series joins
 *   (staging first, then production), are marked `reminder: true`.
 *
 * Restarts: `beginReplay()` silences emissions while the windows are rebuilt from old events;
 * `endReplay(firing)` takes the alerts already published as firing, marks them announced, and
 * announces any alert the replay found firing that was never published.
 */
import { randomUUID } from 'node:crypto'
import type { Alert, AlertSeries, ScoredInteraction } from '../../shared/contract.js'
import { formatDuration, formatValue, type ResolveReason, type ValueUnit } from './format.js'
import type { Metric, Rule, RuleOf, Selector, Severity } from './rules.js'
import { maxSeverity, ruleSpanMs, seriesSeverity, severityRank } from './rules.js'
import { CountWindow, QuantileWindow } from './windows.js'

export interface EngineOptions {
  /** Id generator for alert_id (tests inject a deterministic one). */
  newId?: () => string
  /** Buckets per rule window (time resolution = window / buckets). Default 30. */
  bucketsPerWindow?: number
  /** Series tracked per rule; events of further series are ignored and counted. Default 10,000. */
  maxGroupsPerRule?: number
  /** Event ids kept as examples per series and per alert. Default 5. */
  maxExamples?: number
  /** Base URL that repository-relative runbook paths (docs/ALERTING.md#x) are resolved against. */
  runbookBaseUrl?: string
}

export interface EngineStats {
  observed: number
  lateDropped: number
  groupsDropped: number
  /** Series tracked. */
  groups: number
  /** Alerts (dedup keys) firing. */
  firing: number
}

type Phase = 'inactive' | 'pending' | 'firing'

/** Series listed in one alert record at most. */
const MAX_SERIES = 50

/** One combination of a rule's `by` dimensions: windows and the state machine. */
interface Series {
  readonly rule: Rule
  readonly key: string
  readonly labels: Record<string, string>
  /** Lookup key of the alert (group_by values) this series belongs to. */
  readonly groupKey: string
  readonly severity: Severity
  readonly window: CountWindow | QuantileWindow | null
  /** Latest event time seen in this series (absence). */
  lastSeen: number
  /** Latest matching event time and matches since the series started firing (immediate). */
  lastMatch: number
  matches: number
  phase: Phase
  pendingSince: number
  clearSince: number | null
  value: number
  /** Why the latest evaluation found the condition over (used when the series resolves). */
  reason: ResolveReason
  examples: string[]
  /** The alert this series is firing in. */
  incident: Incident | null
}

/** One alert (dedup key): the firing series of a rule that share the group_by values. */
interface Incident {
  readonly rule: Rule
  readonly key: string
  readonly labels: Record<string, string>
  readonly members: Set<Series>
  /** Every series that fired in this alert since it started (listed when it resolves). */
  readonly history: Map<string, Series>
  firing: boolean
  /** False while a firing state found during replay has not been published yet. */
  announced: boolean
  announcedSeverity: Severity
  startedTime: number
  lastNotified: number
  /** The summary of the latest firing record (quoted by the resolved record). */
  summary: string
  /** Examples of series that stopped firing. */
  retired: string[]
  /** Value of the series whose resolution ended the alert. */
  lastValue: number
}

interface Evaluation {
  value: number
  /** The firing condition holds. */
  active: boolean
  /** The resolve condition holds. */
  clear: boolean
  /** Why it is clear (meaningful when clear). */
  reason: ResolveReason
}

const DEFAULT_BUCKETS = 30
/** Buckets of the current window of an anomaly rule; the baseline uses buckets of the same width. */
const ANOMALY_CURRENT_BUCKETS = 10

function dimValue(s: ScoredInteraction, d: string): string {
  const v = (s as unknown as Record<string, unknown>)[d]
  return typeof v === 'string' ? v : ''
}

/** Value of a metric for one event, null when the event has none. */
export function metricValue(s: ScoredInteraction, m: Metric): number | null {
  if (typeof m === 'string') {
    switch (m) {
      case 'total_tokens':
        return s.usage_input_tokens + s.usage_output_tokens
      case 'ttft_ms':
        return s.ttft_ms
      case 'cost_usd':
        return s.cost_usd
      default:
        return s[m]
    }
  }
  for (const e of s.scores) {
    if (e.name === m.score && (m.target === undefined || e.target === m.target) && e.status === 'ok' && e.value !== null) {
      return e.value
    }
  }
  return null
}

/** Whether a selector applies to an event (it has an ok entry of that scorer) and whether it hits. */
export function selectorMatch(s: ScoredInteraction, sel: Selector): { applies: boolean; hit: boolean } {
  const m = matchOf(s, sel)
  return { applies: m !== NO_MATCH, hit: m === HIT }
}

/** selectorMatch without an object per call (the engine's per-event path). */
const NO_MATCH = 0
const APPLIES = 1
const HIT = 2
function matchOf(s: ScoredInteraction, sel: Selector): number {
  if ('status' in sel) return s.status === 'error' ? HIT : APPLIES
  let m = NO_MATCH
  const scores = s.scores
  for (let i = 0; i < scores.length; i++) {
    const e = scores[i]!
    if (e.name !== sel.scorer || e.status !== 'ok') continue
    if (sel.target !== undefined && e.target !== sel.target) continue
    if (sel.label !== undefined ? e.label === sel.label : e.flagged) return HIT
    m = APPLIES
  }
  return m
}

/** A rule's filter compiled once: dimension -> allowed values. */
type Where = [dim: string, allowed: ReadonlySet<string>][]

function compileWhere(r: Rule): Where {
  const out: Where = []
  for (const [dim, allowed] of Object.entries(r.where)) {
    if (allowed !== undefined) out.push([dim, new Set(typeof allowed === 'string' ? [allowed] : allowed)])
  }
  return out
}

function passesWhere(s: ScoredInteraction, where: Where): boolean {
  for (let i = 0; i < where.length; i++) if (!where[i]![1].has(dimValue(s, where[i]![0]))) return false
  return true
}

/** lookupKey over an event's own dimensions (no closure per call). */
function eventKey(dims: readonly string[], s: ScoredInteraction): string {
  let k = ''
  for (let i = 0; i < dims.length; i++) k += `${dimValue(s, dims[i]!)}\u0001`
  return k
}

/** Cheap lookup key: the values of `dims` joined by a separator no label contains. */
function lookupKey(dims: readonly string[], value: (d: string) => string): string {
  let k = ''
  for (const d of dims) k += `${value(d)}\u0001`
  return k
}

/** The dedup key: rule name plus the alert's labels, in the rule's group_by order. */
export function dedupKey(rule: Rule, labels: Record<string, string>): string {
  return `${rule.name}{${rule.group_by.map((d) => `${d}=${JSON.stringify(labels[d] ?? '')}`).join(',')}}`
}

function windowMs(r: Rule): number {
  return r.kind === 'immediate' ? r.quiet_for : r.window
}

function thresholdOf(r: Rule): number {
  if (r.kind === 'immediate') return 0
  if (r.kind === 'absence') return r.window / 1000
  return r.threshold
}

const METRIC_UNITS: Record<string, ValueUnit> = {
  latency_ms: 'ms',
  ttft_ms: 'ms',
  cost_usd: 'usd',
  usage_input_tokens: 'tokens',
  usage_output_tokens: 'tokens',
  total_tokens: 'tokens',
}

/** The unit of a rule's value and threshold. */
export function unitOf(r: Rule): ValueUnit {
  switch (r.kind) {
    case 'rate':
      return 'ratio'
    case 'quantile':
    case 'budget':
      return typeof r.metric === 'string' ? (METRIC_UNITS[r.metric] ?? '') : ''
    case 'anomaly':
      return r.method === 'zscore' ? 'sigma' : 'x'
    case 'immediate':
      return 'events'
    case 'absence':
      return 's'
  }
}

/** Renders {{ name }} placeholders: value, threshold, window, rule, severity, affected and the labels. */
export function renderTemplate(tpl: string, vars: Record<string, string>): string {
  return tpl.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g, (m, k: string) => vars[k.replace(/^labels\./, '')] ?? m)
}

/** A resolve reason in a sentence, with the rule's figures. */
export function resolveReasonText(r: Rule, reason: ResolveReason, value: number): string {
  const unit = unitOf(r)
  switch (reason) {
    case 'below_threshold':
      return r.kind === 'absence' || r.kind === 'immediate'
        ? 'condition over'
        : `${r.kind === 'rate' ? 'rate' : 'value'} back under threshold (${formatValue(value, unit)} <= ${formatValue(r.resolve_threshold, unit)})`
    case 'traffic_stopped':
      return `traffic stopped: no events in the last ${formatDuration(windowMs(r))}`
    case 'too_few_events':
      return 'too few events to judge'
    case 'quiet':
      return r.kind === 'immediate' ? `no new matching event for ${formatDuration(r.quiet_for)}` : 'quiet'
    case 'traffic_resumed':
      return 'events arrived again'
    case 'forgotten':
      return r.kind === 'absence' && r.forget_after !== undefined ? `silent for ${formatDuration(r.forget_after)}: forgotten` : 'forgotten'
    case 'rule_removed':
      return `rule ${r.name} no longer exists`
    case 'rule_changed':
      return `rule ${r.name} now groups its alerts differently`
    case 'not_firing_after_restart':
      return 'not firing after a restart'
  }
}

export class AlertEngine {
  private readonly rules: Rule[]
  private readonly wheres: Where[]
  /** Per rule: its series map, and the index of its `by` list among the distinct ones (keyed once per event). */
  private readonly seriesByRule: Map<string, Series>[]
  private readonly byIndex: number[]
  private readonly distinctBy: (readonly string[])[] = []
  /** Per distinct `by` list, the current event's lookup key (observe fills it lazily). */
  private readonly keyOf: (string | null)[]
  private readonly series = new Map<string, Map<string, Series>>()
  private readonly incidents = new Map<string, Map<string, Incident>>()
  /** Per rule, series count per alert key (what `hasGroup` answers). */
  private readonly seriesPerGroup = new Map<string, Map<string, number>>()
  private readonly dirty = new Set<Series>()
  /** Alerts a series joined during the current evaluation pass (see flush). */
  private readonly touched = new Set<Incident>()
  private readonly newId: () => string
  private readonly buckets: number
  private readonly maxGroups: number
  private readonly maxExamples: number
  private readonly runbookBase: string | undefined
  private clock = -Infinity
  private replaying = false
  readonly stats = { observed: 0, lateDropped: 0, groupsDropped: 0 }

  constructor(rules: Rule[], opts: EngineOptions = {}) {
    this.rules = rules
    this.newId = opts.newId ?? randomUUID
    this.buckets = opts.bucketsPerWindow ?? DEFAULT_BUCKETS
    this.maxGroups = opts.maxGroupsPerRule ?? 10_000
    this.maxExamples = opts.maxExamples ?? 5
    this.runbookBase = opts.runbookBaseUrl
    this.wheres = rules.map(compileWhere)
    for (const r of rules) {
      this.series.set(r.name, new Map())
      this.incidents.set(r.name, new Map())
      this.seriesPerGroup.set(r.name, new Map())
    }
    this.seriesByRule = rules.map((r) => this.series.get(r.name)!)
    const sig = new Map<string, number>()
    this.byIndex = rules.map((r) => {
      const k = r.by.join('\u0001')
      let i = sig.get(k)
      if (i === undefined) {
        i = this.distinctBy.length
        this.distinctBy.push(r.by)
        sig.set(k, i)
      }
      return i
    })
    this.keyOf = this.distinctBy.map(() => null)
  }

  /** How far back a restart must replay llm.scores to rebuild every window. */
  replaySpanMs(): number {
    return Math.max(0, ...this.rules.map(ruleSpanMs))
  }

  now(): number {
    return this.clock
  }

  snapshot(): EngineStats {
    let groups = 0
    for (const m of this.series.values()) groups += m.size
    return { ...this.stats, groups, firing: this.firingKeys().length }
  }

  /** Whether the engine tracks a series of the alert with these labels (it saw events of it). */
  hasGroup(rule: string, labels: Record<string, string>): boolean {
    const r = this.rules.find((x) => x.name === rule)
    if (!r) return false
    const key = lookupKey(r.group_by, (d) => labels[d] ?? '')
    return (this.seriesPerGroup.get(rule)?.get(key) ?? 0) > 0 || this.incidents.get(rule)?.get(key)?.firing === true
  }

  /** Dedup keys currently firing (announced or not). */
  firingKeys(): string[] {
    const out: string[] = []
    for (const m of this.incidents.values()) for (const inc of m.values()) if (inc.firing) out.push(inc.key)
    return out
  }

  private newWindow(r: Rule): CountWindow | QuantileWindow | null {
    switch (r.kind) {
      case 'rate':
      case 'budget':
        return new CountWindow(r.window / this.buckets, this.buckets)
      case 'quantile':
        return new QuantileWindow(r.window / this.buckets, this.buckets)
      case 'anomaly': {
        const width = r.window / ANOMALY_CURRENT_BUCKETS
        return new CountWindow(width, ANOMALY_CURRENT_BUCKETS + Math.ceil(r.baseline / width))
      }
      default:
        return null
    }
  }

  /** The series of `lookup` (see lookupKey over `by`), created with `labels()` if new; null past maxGroups. */
  private seriesOf(r: Rule, lookup: string, labels: () => Record<string, string>): Series | null {
    const m = this.series.get(r.name)!
    let s = m.get(lookup)
    if (s) return s
    if (m.size >= this.maxGroups) {
      this.stats.groupsDropped++
      return null
    }
    const l = labels()
    const groupKey = lookupKey(r.group_by, (d) => l[d] ?? '')
    s = {
      rule: r,
      key: lookup,
      labels: l,
      groupKey,
      severity: seriesSeverity(r, r.by.includes('environment') ? (l['environment'] ?? '') : undefined),
      window: this.newWindow(r),
      lastSeen: -Infinity,
      lastMatch: -Infinity,
      matches: 0,
      phase: 'inactive',
      pendingSince: 0,
      clearSince: null,
      value: 0,
      reason: 'below_threshold',
      examples: [],
      incident: null,
    }
    m.set(lookup, s)
    const counts = this.seriesPerGroup.get(r.name)!
    counts.set(groupKey, (counts.get(groupKey) ?? 0) + 1)
    return s
  }

  private forgetSeries(s: Series): void {
    this.series.get(s.rule.name)!.delete(s.key)
    const counts = this.seriesPerGroup.get(s.rule.name)!
    const n = (counts.get(s.groupKey) ?? 1) - 1
    if (n > 0) counts.set(s.groupKey, n)
    else counts.delete(s.groupKey)
  }

  /** The alert of a group_by key, created if new. */
  private incidentOf(r: Rule, key: string, labels: () => Record<string, string>): Incident {
    const m = this.incidents.get(r.name)!
    let inc = m.get(key)
    if (inc) return inc
    const l = labels()
    inc = {
      rule: r,
      key: dedupKey(r, l),
      labels: l,
      members: new Set(),
      history: new Map(),
      firing: false,
      announced: false,
      announcedSeverity: r.severity,
      startedTime: 0,
      lastNotified: 0,
      summary: '',
      retired: [],
      lastValue: 0,
    }
    m.set(key, inc)
    return inc
  }

  private remember(s: Series, eventId: string): void {
    s.examples.push(eventId)
    if (s.examples.length > this.maxExamples) s.examples.shift()
  }

  /** Adds one scored event. Returns alerts of immediate rules it fires. */
  observe(ev: ScoredInteraction, wallNow: number): Alert[] {
    const out: Alert[] = []
    this.observeInto(ev, wallNow, out)
    return out
  }

  /** `observe`, appending the alerts to `out` (no array per event). */
  private observeInto(ev: ScoredInteraction, wallNow: number, out: Alert[]): void {
    this.stats.observed++
    // A timestamp from the future (clock skew) counts as now.
    const t = Math.min(ev.end_time, wallNow)
    if (t > this.clock) this.clock = t
    const keyOf = this.keyOf
    keyOf.fill(null)
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i]!
      if (!passesWhere(ev, this.wheres[i]!)) continue
      const b = this.byIndex[i]!
      let key = keyOf[b]!
      if (key === null) key = keyOf[b] = eventKey(this.distinctBy[b]!, ev)
      const s = this.seriesByRule[i]!.get(key) ?? this.newSeries(r, key, ev)
      if (!s) continue
      if (t > s.lastSeen) s.lastSeen = t
      if (!this.addSample(s, ev, t)) {
        this.stats.lateDropped++
        continue
      }
      if (r.kind === 'immediate') {
        // Immediate rules do not wait for the batch: evaluate on the event itself.
        const a = this.transition(s, this.evaluate(s, this.clock), this.clock)
        if (a) out.push(a)
      } else this.dirty.add(s)
    }
    if (this.touched.size > 0) this.flushInto(this.clock, out)
  }

  /** A new series of `r` for the event's `by` values (seriesOf's slow path); null past maxGroups. */
  private newSeries(r: Rule, key: string, ev: ScoredInteraction): Series | null {
    return this.seriesOf(r, key, () => {
      const labels: Record<string, string> = {}
      for (const d of r.by) labels[d] = dimValue(ev, d)
      return labels
    })
  }

  /** Adds the event to the series' window; false when it is too late for the window. */
  private addSample(g: Series, s: ScoredInteraction, t: number): boolean {
    const r = g.rule
    switch (r.kind) {
      case 'rate': {
        const m = matchOf(s, r.select)
        if (m === NO_MATCH) return true
        if (m === HIT) this.remember(g, s.event_id)
        return (g.window as CountWindow).add(t, m === HIT)
      }
      case 'budget': {
        const v = metricValue(s, r.metric) ?? 0
        return (g.window as CountWindow).add(t, false, v)
      }
      case 'quantile': {
        const v = metricValue(s, r.metric)
        if (v === null) return true
        if (v > r.threshold) this.remember(g, s.event_id)
        return (g.window as QuantileWindow).add(t, v)
      }
      case 'anomaly': {
        const w = g.window as CountWindow
        if ('rate' in r.signal) {
          const m = matchOf(s, r.signal.rate)
          if (m === NO_MATCH) return true
          if (m === HIT) this.remember(g, s.event_id)
          return w.add(t, m === HIT)
        }
        const v = metricValue(s, r.signal.mean)
        return v === null ? true : w.add(t, false, v)
      }
      case 'immediate': {
        if (matchOf(s, r.select) === HIT) {
          // A match older than the quiet period cannot fire anything.
          if (t <= this.clock - r.quiet_for) return false
          if (t > g.lastMatch) g.lastMatch = t
          g.matches++
          this.remember(g, s.event_id)
        }
        return true
      }
      case 'absence':
        return true
    }
  }

  private evaluate(g: Series, now: number): Evaluation {
    const r = g.rule
    switch (r.kind) {
      case 'rate': {
        const w = g.window as CountWindow
        const tot = w.totals(now, this.buckets)
        const value = tot.n > 0 ? tot.hits / tot.n : 0
        // Too few events to fire; a firing alert resolves only on a low rate or no traffic at all.
        return {
          value,
          active: tot.n >= r.min_events && value > r.threshold,
          clear: tot.n === 0 || value <= r.resolve_threshold,
          reason: tot.n === 0 ? 'traffic_stopped' : 'below_threshold',
        }
      }
      case 'budget': {
        const tot = (g.window as CountWindow).totals(now, this.buckets)
        return { value: tot.sum, active: tot.sum > r.threshold, clear: tot.sum <= r.resolve_threshold, reason: tot.n === 0 ? 'traffic_stopped' : 'below_threshold' }
      }
      case 'quantile': {
        const w = g.window as QuantileWindow
        const n = w.size(now)
        const value = n > 0 ? w.quantile(now, r.quantile) : 0
        return { value, active: n >= r.min_events && value > r.threshold, clear: n === 0 || value <= r.resolve_threshold, reason: n === 0 ? 'traffic_stopped' : 'below_threshold' }
      }
      case 'anomaly':
        return this.evaluateAnomaly(g, r, now)
      case 'immediate': {
        const quiet = now - g.lastMatch >= r.quiet_for
        return { value: g.matches, active: !quiet && g.matches > 0, clear: quiet, reason: now - g.lastSeen >= r.quiet_for ? 'traffic_stopped' : 'quiet' }
      }
      case 'absence': {
        const silent = g.lastSeen === -Infinity ? 0 : now - g.lastSeen
        const forgotten = r.forget_after !== undefined && silent >= r.forget_after
        return { value: silent / 1000, active: silent >= r.window && !forgotten, clear: silent < r.window || forgotten, reason: forgotten ? 'forgotten' : 'traffic_resumed' }
      }
    }
  }

  private evaluateAnomaly(g: Series, r: RuleOf<'anomaly'>, now: number): Evaluation {
    const w = g.window as CountWindow
    const cur = w.totals(now, ANOMALY_CURRENT_BUCKETS)
    const base = w.totals(now, w.nBuckets - ANOMALY_CURRENT_BUCKETS, ANOMALY_CURRENT_BUCKETS)
    if (cur.n < r.min_events || base.n < r.min_baseline_events) {
      return { value: 0, active: false, clear: true, reason: cur.n === 0 ? 'traffic_stopped' : 'too_few_events' }
    }
    let current: number
    let baseline: number
    let se: number
    if ('rate' in r.signal) {
      current = cur.hits / cur.n
      // Smoothed baseline rate, so a baseline of zero hits does not give an infinite z or ratio.
      baseline = (base.hits + 0.5) / (base.n + 1)
      se = Math.sqrt(baseline * (1 - baseline) * (1 / cur.n + 1 / base.n))
    } else {
      current = cur.sum / cur.n
      baseline = base.sum / base.n
      const variance = Math.max(0, (base.sumsq - base.n * baseline * baseline) / Math.max(1, base.n - 1))
      // Floor the spread at 1 % of the baseline so a constant baseline does not make every change infinite.
      const sd = Math.max(Math.sqrt(variance), Math.abs(baseline) * 0.01, 1e-9)
      se = sd * Math.sqrt(1 / cur.n + 1 / base.n)
    }
    let value: number
    if (r.method === 'zscore') {
      const z = (current - baseline) / se
      value = r.direction === 'up' ? z : r.direction === 'down' ? -z : Math.abs(z)
    } else {
      const b = Math.max(Math.abs(baseline), 1e-9)
      const ratio = current / b
      value = r.direction === 'up' ? ratio : r.direction === 'down' ? b / Math.max(current, 1e-9) : Math.max(ratio, b / Math.max(current, 1e-9))
    }
    return { value, active: value > r.threshold, clear: value <= r.resolve_threshold, reason: 'below_threshold' }
  }

  /** Applies one evaluation to a series' state machine; returns the alert record to publish, if any. */
  private transition(g: Series, ev: Evaluation, now: number): Alert | null {
    const r = g.rule
    g.value = ev.value
    g.reason = ev.reason
    switch (g.phase) {
      case 'inactive':
        if (!ev.active) return null
        g.pendingSince = now
        g.phase = 'pending'
        if (r.for > 0) return null
        return this.fire(g, now)
      case 'pending':
        if (!ev.active) {
          g.phase = 'inactive'
          return null
        }
        return now - g.pendingSince >= r.for ? this.fire(g, now) : null
      case 'firing':
        if (ev.clear) {
          if (g.clearSince === null) g.clearSince = now
          if (now - g.clearSince >= r.keep_firing_for) return this.resolve(g, ev.reason, now)
          return null
        }
        g.clearSince = null
        return null
    }
  }

  /**
   * A series starts firing: it joins its alert, which fires if it was not firing yet. The record is
   * built at the end of the evaluation pass (`flush`), so series that fire in the same pass are in it.
   */
  private fire(g: Series, now: number): null {
    g.phase = 'firing'
    g.clearSince = null
    const inc = this.join(g)
    if (!inc.firing) {
      inc.firing = true
      inc.announced = false
      inc.startedTime = g.pendingSince
      inc.lastNotified = now
    }
    this.touched.add(inc)
    return null
  }

  /**
   * The firing records of an evaluation pass: alerts that started firing, and alerts that a more
   * severe series joined (production after staging: an escalation, said once).
   */
  private flush(now: number): Alert[] {
    const out: Alert[] = []
    this.flushInto(now, out)
    return out
  }

  private flushInto(now: number, out: Alert[]): void {
    if (this.replaying) {
      this.touched.clear()
      return
    }
    for (const inc of this.touched) {
      if (!inc.firing || inc.members.size === 0) continue
      if (!inc.announced) {
        inc.announced = true
        out.push(this.alert(inc, 'firing', now, false))
      } else if (severityRank(this.severityOf(inc)) > severityRank(inc.announcedSeverity)) {
        inc.lastNotified = now
        out.push(this.alert(inc, 'firing', now, true, null, true))
      }
    }
    this.touched.clear()
  }

  private join(g: Series): Incident {
    const inc = this.incidentOf(g.rule, g.groupKey, () => {
      const labels: Record<string, string> = {}
      for (const d of g.rule.group_by) labels[d] = g.labels[d] ?? ''
      return labels
    })
    g.incident = inc
    inc.members.add(g)
    inc.history.set(g.key, g)
    return inc
  }

  /** A series stops firing; its alert resolves when it was the last one. */
  private resolve(g: Series, reason: ResolveReason, now: number): Alert | null {
    g.phase = 'inactive'
    g.clearSince = null
    const inc = g.incident
    g.incident = null
    const matches = g.matches
    g.matches = 0
    if (!inc) return null
    inc.members.delete(g)
    inc.retired = [...inc.retired, ...g.examples].slice(-this.maxExamples)
    g.examples = []
    inc.lastValue = g.rule.kind === 'immediate' ? matches : g.value
    if (inc.members.size > 0) return null
    return this.resolveIncident(inc, reason, now)
  }

  private resolveIncident(inc: Incident, reason: ResolveReason, now: number): Alert | null {
    const a = inc.announced && !this.replaying ? this.alert(inc, 'resolved', now, false, reason) : null
    inc.firing = false
    inc.announced = false
    inc.retired = []
    inc.history.clear()
    inc.summary = ''
    return a
  }

  private severityOf(inc: Incident): Severity {
    let sev: Severity = 'info'
    for (const s of inc.members) sev = maxSeverity(sev, s.severity)
    return inc.members.size === 0 ? inc.announcedSeverity : sev
  }

  private examplesOf(inc: Incident, members: readonly Series[]): string[] {
    const out: string[] = []
    // Newest first, taking turns between series so each affected series is represented.
    const lists = [...members.map((s) => [...s.examples].reverse()), [...inc.retired].reverse()]
    for (let i = 0; out.length < this.maxExamples && lists.some((l) => i < l.length); i++) {
      for (const l of lists) {
        const id = l[i]
        if (id !== undefined && !out.includes(id) && out.length < this.maxExamples) out.push(id)
      }
    }
    return out
  }

  private runbook(r: Rule): string | null {
    const url = r.annotations.runbook_url
    if (url === undefined) return null
    if (this.runbookBase === undefined || /^[a-z][a-z0-9+.-]*:/i.test(url)) return url
    return `${this.runbookBase.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`
  }

  private alert(inc: Incident, state: 'firing' | 'resolved', now: number, reminder: boolean, reason: ResolveReason | null = null, escalated = false): Alert {
    const r = inc.rule
    const unit = unitOf(r)
    const members = [...(state === 'firing' ? inc.members : inc.history.values())].sort((a, b) => b.value - a.value || severityRank(b.severity) - severityRank(a.severity))
    const severity = state === 'firing' ? this.severityOf(inc) : inc.announcedSeverity
    if (state === 'firing') inc.announcedSeverity = severity
    const raw =
      state === 'resolved'
        ? r.kind === 'immediate'
          ? members.reduce((n, s) => n + s.value, 0)
          : inc.lastValue
        : r.kind === 'immediate'
          ? members.reduce((n, s) => n + s.matches, 0)
          : Math.max(0, ...members.map((s) => s.value))
    const value = Number.isFinite(raw) ? raw : 0
    const labels = { ...r.labels, ...inc.labels, alertname: r.name, severity }
    const series: AlertSeries[] = members.slice(0, MAX_SERIES).map((s) => ({ labels: { ...s.labels }, value: Number.isFinite(s.value) ? s.value : 0, severity: s.severity }))
    const affected: string[] = []
    const vars: Record<string, string> = { ...labels }
    // Dimensions the alert groups away (e.g. request_model): the distinct affected values.
    for (const d of r.by) {
      if (r.group_by.includes(d)) continue
      const values = [...new Set(members.map((s) => s.labels[d] ?? ''))]
      vars[d] = values.join(', ')
      affected.push(`${d}=${values.join(',')}`)
    }
    Object.assign(vars, {
      rule: r.name,
      value: formatValue(value, unit),
      threshold: formatValue(thresholdOf(r), unit),
      value_raw: String(value),
      threshold_raw: String(thresholdOf(r)),
      window: formatDuration(windowMs(r)),
      affected: affected.join(' '),
    })
    let summary: string
    if (state === 'firing') {
      summary = renderTemplate(r.annotations.summary, vars)
      inc.summary = summary
    } else {
      const was = inc.summary || renderTemplate(r.annotations.summary, vars)
      summary = `resolved (${resolveReasonText(r, reason ?? 'below_threshold', value)}): ${was}`
    }
    if (escalated) summary = `escalated to ${severity}: ${summary}`
    return {
      alert_id: this.newId(),
      rule: r.name,
      kind: r.kind,
      severity,
      state,
      reminder,
      labels,
      dedup_key: inc.key,
      value,
      threshold: thresholdOf(r),
      window_seconds: Math.round(windowMs(r) / 1000),
      started_time: inc.startedTime,
      ended_time: state === 'resolved' ? now : null,
      emitted_time: now,
      summary: summary.slice(0, 4096),
      runbook_url: this.runbook(r),
      example_event_ids: this.examplesOf(inc, members),
      unit,
      resolve_reason: state === 'resolved' ? (reason ?? 'below_threshold') : null,
      series,
    }
  }

  /** Evaluates the series touched since the last call at the engine clock. */
  evaluateDirty(): Alert[] {
    const out: Alert[] = []
    this.evaluateDirtyInto(out)
    return out
  }

  private evaluateDirtyInto(out: Alert[]): void {
    for (const g of this.dirty) {
      const a = this.transition(g, this.evaluate(g, this.clock), this.clock)
      if (a) out.push(a)
    }
    this.dirty.clear()
    if (this.touched.size > 0) this.flushInto(this.clock, out)
  }

  /** Observes a batch then evaluates the series it touched. */
  ingest(events: readonly ScoredInteraction[], wallNow: number): Alert[] {
    const out: Alert[] = []
    for (let i = 0; i < events.length; i++) this.observeInto(events[i]!, wallNow, out)
    this.evaluateDirtyInto(out)
    return out
  }

  /** Timer: advances the clock to the wall clock, evaluates every series, sends reminders, forgets idle series. */
  tick(wallNow: number): Alert[] {
    if (wallNow > this.clock) this.clock = wallNow
    const now = this.clock
    this.dirty.clear()
    const out: Alert[] = []
    for (const m of this.series.values()) {
      for (const g of m.values()) {
        const a = this.transition(g, this.evaluate(g, now), now)
        if (a) out.push(a)
        if (g.phase === 'inactive' && this.idle(g, now)) this.forgetSeries(g)
      }
    }
    out.push(...this.flush(now))
    for (const m of this.incidents.values()) {
      for (const [key, inc] of m) {
        if (inc.firing && inc.members.size === 0) {
          // Adopted after a restart, but no series of it is firing (e.g. a record of an older rule version).
          const a = this.resolveIncident(inc, 'not_firing_after_restart', now)
          if (a) out.push(a)
        }
        const r = inc.rule
        if (inc.firing && inc.announced && !this.replaying && r.remind_every !== undefined && now - inc.lastNotified >= r.remind_every) {
          const clearing = [...inc.members].every((s) => s.clearSince !== null)
          if (!clearing) {
            inc.lastNotified = now
            out.push(this.alert(inc, 'firing', now, true))
          }
        }
        if (!inc.firing && inc.members.size === 0) m.delete(key)
      }
    }
    return out
  }

  /** An inactive series with nothing left in its window can be dropped (absence series are kept). */
  private idle(g: Series, now: number): boolean {
    const r = g.rule
    if (r.kind === 'absence') return r.forget_after !== undefined && now - g.lastSeen >= r.forget_after
    if (r.kind === 'immediate') return now - g.lastMatch >= r.quiet_for && now - g.lastSeen >= r.quiet_for
    return g.window !== null && g.window.isEmptyAt(now)
  }

  /** Starts a replay: state changes are computed but nothing is emitted. */
  beginReplay(): void {
    this.replaying = true
  }

  /**
   * Ends a replay. `published` are the latest records per dedup key read from llm.alerts; the
   * firing ones are adopted as announced (never re-fired), with their series. Returns the alerts
   * to publish now: firing states the replay found that were never published. Records of unknown
   * rules, and of rules whose grouping changed (their dedup key is not the rule's any more), are
   * returned in `unknown` for the caller to resolve.
   */
  endReplay(published: readonly Alert[], wallNow: number): { alerts: Alert[]; unknown: Alert[] } {
    const unknown: Alert[] = []
    for (const a of published) {
      if (a.state !== 'firing') continue
      const r = this.rules.find((x) => x.name === a.rule && x.kind === a.kind)
      if (!r) {
        unknown.push(a)
        continue
      }
      const glabels: Record<string, string> = {}
      for (const d of r.group_by) glabels[d] = a.labels[d] ?? ''
      if (dedupKey(r, glabels) !== a.dedup_key) {
        unknown.push(a)
        continue
      }
      const inc = this.incidentOf(r, lookupKey(r.group_by, (d) => glabels[d]!), () => glabels)
      // Its series: as listed, or (records without series) the labels when they name every `by` dimension.
      const members = a.series.length > 0 ? a.series : r.by.every((d) => d in a.labels) ? [{ labels: a.labels, value: a.value, severity: a.severity }] : []
      for (const m of members) {
        const labels: Record<string, string> = {}
        for (const d of r.by) labels[d] = m.labels[d] ?? ''
        const g = this.seriesOf(r, lookupKey(r.by, (d) => labels[d]!), () => labels)
        if (!g) continue
        if (g.phase !== 'firing') {
          g.phase = 'firing'
          g.pendingSince = a.started_time
          g.clearSince = null
          g.value = m.value
          if (r.kind === 'absence' && g.lastSeen === -Infinity) g.lastSeen = a.started_time - r.window
          if (r.kind === 'immediate' && g.matches === 0) g.matches = Math.max(1, Math.round(m.value))
        }
        if (g.incident !== inc) this.join(g)
      }
      inc.firing = true
      inc.announced = true
      inc.announcedSeverity = a.severity
      inc.startedTime = a.started_time
      inc.lastNotified = Math.max(a.emitted_time, inc.lastNotified)
      inc.summary = a.summary
      if (inc.retired.length === 0) inc.retired = a.example_event_ids.slice(-this.maxExamples)
    }
    this.replaying = false
    if (wallNow > this.clock) this.clock = wallNow
    const alerts: Alert[] = []
    for (const m of this.incidents.values()) {
      for (const inc of m.values()) {
        if (inc.firing && !inc.announced && inc.members.size > 0) {
          inc.announced = true
          inc.lastNotified = this.clock
          alerts.push(this.alert(inc, 'firing', this.clock, false))
        }
      }
    }
    return { alerts, unknown }
  }
}
