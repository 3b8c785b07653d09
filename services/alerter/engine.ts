/**
 * The alert engine: pure and deterministic (no I/O, no wall clock of its own; time comes in).
 *
 * - `observe(scored, wallNow)` adds an event to the windows of every rule whose filter it passes
 *   (at the event's time, end_time, clamped to wallNow) and fires `immediate` rules at once.
 * - `evaluateDirty()` evaluates the groups touched since the last call, at the engine clock.
 * - `tick(wallNow)` advances the clock to the wall clock and evaluates every group: this is how
 *   alerts resolve and `absence` rules fire when events stop, and how reminders go out.
 *
 * The engine clock is max(latest event time seen, latest tick): event time drives windows,
 * the wall clock only moves them forward when events stop. A late event lands in its own bucket
 * if the ring still holds it, otherwise it is dropped and counted (`stats.lateDropped`).
 *
 * State per rule and group follows Prometheus: inactive -> pending (condition true, waiting for
 * `for`) -> firing; a firing alert resolves when the resolve condition (value <= resolve_threshold,
 * or no data) has held for `keep_firing_for`. Exactly one firing record per dedup key until it
 * resolves, optional reminders in between.
 *
 * Restarts: `beginReplay()` silences emissions while the windows are rebuilt from old events;
 * `endReplay(firing)` takes the alerts already published as firing, marks them announced, and
 * announces any alert the replay found firing that was never published.
 */
import { randomUUID } from 'node:crypto'
import type { Alert, ScoredInteraction } from '../../shared/contract.js'
import type { Metric, Rule, RuleOf, Selector } from './rules.js'
import { ruleSpanMs } from './rules.js'
import { CountWindow, QuantileWindow } from './windows.js'

export interface EngineOptions {
  /** Id generator for alert_id (tests inject a deterministic one). */
  newId?: () => string
  /** Buckets per rule window (time resolution = window / buckets). Default 30. */
  bucketsPerWindow?: number
  /** Groups tracked per rule; events of further groups are ignored and counted. Default 10,000. */
  maxGroupsPerRule?: number
  /** Event ids kept as examples per group. Default 5. */
  maxExamples?: number
}

export interface EngineStats {
  observed: number
  lateDropped: number
  groupsDropped: number
  groups: number
  firing: number
}

type Phase = 'inactive' | 'pending' | 'firing'

interface Group {
  readonly rule: Rule
  readonly key: string
  readonly labels: Record<string, string>
  readonly window: CountWindow | QuantileWindow | null
  /** Latest event time seen in this group (absence). */
  lastSeen: number
  /** Latest matching event time and matches since the alert started (immediate). */
  lastMatch: number
  matches: number
  phase: Phase
  pendingSince: number
  clearSince: number | null
  lastNotified: number
  /** False while a firing state found during replay has not been published yet. */
  announced: boolean
  value: number
  examples: string[]
}

interface Evaluation {
  value: number
  /** The firing condition holds. */
  active: boolean
  /** The resolve condition holds. */
  clear: boolean
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
  if ('status' in sel) return { applies: true, hit: s.status === 'error' }
  let applies = false
  let hit = false
  for (const e of s.scores) {
    if (e.name !== sel.scorer || e.status !== 'ok') continue
    if (sel.target !== undefined && e.target !== sel.target) continue
    applies = true
    if (sel.label !== undefined ? e.label === sel.label : e.flagged) hit = true
  }
  return { applies, hit }
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
  for (const [dim, allowed] of where) if (!allowed.has(dimValue(s, dim))) return false
  return true
}

/** Cheap lookup key of a group: its dimension values joined by a separator no label contains. */
function lookupKey(r: Rule, value: (d: string) => string): string {
  let k = ''
  for (const d of r.group_by) k += `${value(d)}\u0001`
  return k
}

/** The dedup key: rule name plus the group's labels, in the rule's group_by order. */
export function dedupKey(rule: Rule, labels: Record<string, string>): string {
  return `${rule.name}{${rule.group_by.map((d) => `${d}=${JSON.stringify(labels[d] ?? '')}`).join(',')}}`
}

function windowSeconds(r: Rule): number {
  return Math.round((r.kind === 'immediate' ? r.quiet_for : r.window) / 1000)
}

function thresholdOf(r: Rule): number {
  if (r.kind === 'immediate') return 0
  if (r.kind === 'absence') return r.window / 1000
  return r.threshold
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (Number.isInteger(v)) return String(v)
  return Math.abs(v) >= 100 ? v.toFixed(1) : Number(v.toPrecision(4)).toString()
}

/** Renders {{ name }} placeholders: value, threshold, window, rule, severity and the group labels. */
export function renderTemplate(tpl: string, vars: Record<string, string>): string {
  return tpl.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g, (m, k: string) => vars[k.replace(/^labels\./, '')] ?? m)
}

export class AlertEngine {
  private readonly rules: Rule[]
  private readonly wheres: Where[]
  private readonly groups = new Map<string, Map<string, Group>>()
  private readonly dirty = new Set<Group>()
  private readonly newId: () => string
  private readonly buckets: number
  private readonly maxGroups: number
  private readonly maxExamples: number
  private clock = -Infinity
  private replaying = false
  readonly stats = { observed: 0, lateDropped: 0, groupsDropped: 0 }

  constructor(rules: Rule[], opts: EngineOptions = {}) {
    this.rules = rules
    this.newId = opts.newId ?? randomUUID
    this.buckets = opts.bucketsPerWindow ?? DEFAULT_BUCKETS
    this.maxGroups = opts.maxGroupsPerRule ?? 10_000
    this.maxExamples = opts.maxExamples ?? 5
    this.wheres = rules.map(compileWhere)
    for (const r of rules) this.groups.set(r.name, new Map())
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
    let firing = 0
    for (const m of this.groups.values()) {
      groups += m.size
      for (const g of m.values()) if (g.phase === 'firing') firing++
    }
    return { ...this.stats, groups, firing }
  }

  /** Whether the engine tracks the group of this dedup key (it saw events of it). */
  hasGroup(rule: string, labels: Record<string, string>): boolean {
    const r = this.rules.find((x) => x.name === rule)
    return r !== undefined && (this.groups.get(rule)?.has(lookupKey(r, (d) => labels[d] ?? '')) ?? false)
  }

  /** Dedup keys currently firing (announced or not). */
  firingKeys(): string[] {
    const out: string[] = []
    for (const m of this.groups.values()) for (const g of m.values()) if (g.phase === 'firing') out.push(g.key)
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

  /** The group of `lookup` (see lookupKey), created with `labels()` if new; null past maxGroups. */
  private group(r: Rule, lookup: string, labels: () => Record<string, string>): Group | null {
    const m = this.groups.get(r.name)!
    let g = m.get(lookup)
    if (g) return g
    if (m.size >= this.maxGroups) {
      this.stats.groupsDropped++
      return null
    }
    const l = labels()
    g = {
      rule: r,
      key: dedupKey(r, l),
      labels: l,
      window: this.newWindow(r),
      lastSeen: -Infinity,
      lastMatch: -Infinity,
      matches: 0,
      phase: 'inactive',
      pendingSince: 0,
      clearSince: null,
      lastNotified: 0,
      announced: false,
      value: 0,
      examples: [],
    }
    m.set(lookup, g)
    return g
  }

  private remember(g: Group, eventId: string): void {
    g.examples.push(eventId)
    if (g.examples.length > this.maxExamples) g.examples.shift()
  }

  /** Adds one scored event. Returns alerts of immediate rules it fires. */
  observe(s: ScoredInteraction, wallNow: number): Alert[] {
    this.stats.observed++
    // A timestamp from the future (clock skew) counts as now.
    const t = Math.min(s.end_time, wallNow)
    if (t > this.clock) this.clock = t
    const out: Alert[] = []
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i]!
      if (!passesWhere(s, this.wheres[i]!)) continue
      const g = this.group(r, lookupKey(r, (d) => dimValue(s, d)), () => {
        const labels: Record<string, string> = {}
        for (const d of r.group_by) labels[d] = dimValue(s, d)
        return labels
      })
      if (!g) continue
      if (t > g.lastSeen) g.lastSeen = t
      if (!this.addSample(g, s, t)) {
        this.stats.lateDropped++
        continue
      }
      if (r.kind === 'immediate') {
        // Immediate rules do not wait for the batch: evaluate on the event itself.
        const a = this.transition(g, this.evaluate(g, this.clock), this.clock)
        if (a) out.push(a)
      } else this.dirty.add(g)
    }
    return out
  }

  /** Adds the event to the group's window; false when it is too late for the window. */
  private addSample(g: Group, s: ScoredInteraction, t: number): boolean {
    const r = g.rule
    switch (r.kind) {
      case 'rate': {
        const { applies, hit } = selectorMatch(s, r.select)
        if (!applies) return true
        if (hit) this.remember(g, s.event_id)
        return (g.window as CountWindow).add(t, hit)
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
          const { applies, hit } = selectorMatch(s, r.signal.rate)
          if (!applies) return true
          if (hit) this.remember(g, s.event_id)
          return w.add(t, hit)
        }
        const v = metricValue(s, r.signal.mean)
        return v === null ? true : w.add(t, false, v)
      }
      case 'immediate': {
        const { hit } = selectorMatch(s, r.select)
        if (hit) {
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

  private evaluate(g: Group, now: number): Evaluation {
    const r = g.rule
    switch (r.kind) {
      case 'rate': {
        const w = g.window as CountWindow
        const tot = w.totals(now, this.buckets)
        const value = tot.n > 0 ? tot.hits / tot.n : 0
        // Too few events to fire; a firing alert resolves only on a low rate or no traffic at all.
        return { value, active: tot.n >= r.min_events && value > r.threshold, clear: tot.n === 0 || value <= r.resolve_threshold }
      }
      case 'budget': {
        const tot = (g.window as CountWindow).totals(now, this.buckets)
        return { value: tot.sum, active: tot.sum > r.threshold, clear: tot.sum <= r.resolve_threshold }
      }
      case 'quantile': {
        const w = g.window as QuantileWindow
        const n = w.size(now)
        const value = n > 0 ? w.quantile(now, r.quantile) : 0
        return { value, active: n >= r.min_events && value > r.threshold, clear: n === 0 || value <= r.resolve_threshold }
      }
      case 'anomaly':
        return this.evaluateAnomaly(g, r, now)
      case 'immediate': {
        const quiet = now - g.lastMatch >= r.quiet_for
        return { value: g.matches, active: !quiet && g.matches > 0, clear: quiet }
      }
      case 'absence': {
        const silent = g.lastSeen === -Infinity ? 0 : now - g.lastSeen
        const forgotten = r.forget_after !== undefined && silent >= r.forget_after
        return { value: silent / 1000, active: silent >= r.window && !forgotten, clear: silent < r.window || forgotten }
      }
    }
  }

  private evaluateAnomaly(g: Group, r: RuleOf<'anomaly'>, now: number): Evaluation {
    const w = g.window as CountWindow
    const cur = w.totals(now, ANOMALY_CURRENT_BUCKETS)
    const base = w.totals(now, w.nBuckets - ANOMALY_CURRENT_BUCKETS, ANOMALY_CURRENT_BUCKETS)
    if (cur.n < r.min_events || base.n < r.min_baseline_events) return { value: 0, active: false, clear: true }
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
    return { value, active: value > r.threshold, clear: value <= r.resolve_threshold }
  }

  /** Applies one evaluation to a group's state machine; returns the alert to publish, if any. */
  private transition(g: Group, ev: Evaluation, now: number): Alert | null {
    const r = g.rule
    g.value = ev.value
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
          if (now - g.clearSince >= r.keep_firing_for) return this.resolve(g, now)
          return null
        }
        g.clearSince = null
        if (r.remind_every !== undefined && g.announced && !this.replaying && now - g.lastNotified >= r.remind_every) {
          g.lastNotified = now
          return this.alert(g, 'firing', now, true)
        }
        return null
    }
  }

  private fire(g: Group, now: number): Alert | null {
    g.phase = 'firing'
    g.clearSince = null
    g.lastNotified = now
    if (this.replaying) {
      g.announced = false
      return null
    }
    g.announced = true
    return this.alert(g, 'firing', now, false)
  }

  private resolve(g: Group, now: number): Alert | null {
    const announced = g.announced
    g.phase = 'inactive'
    g.clearSince = null
    g.announced = false
    g.matches = 0
    const a = announced && !this.replaying ? this.alert(g, 'resolved', now, false) : null
    g.examples = []
    return a
  }

  private alert(g: Group, state: 'firing' | 'resolved', now: number, reminder: boolean): Alert {
    const r = g.rule
    const value = Number.isFinite(g.value) ? g.value : 0
    const labels = { ...r.labels, ...g.labels, alertname: r.name, severity: r.severity }
    const vars: Record<string, string> = {
      ...labels,
      rule: r.name,
      value: fmt(value),
      threshold: fmt(thresholdOf(r)),
      window: `${windowSeconds(r)}s`,
    }
    return {
      alert_id: this.newId(),
      rule: r.name,
      kind: r.kind,
      severity: r.severity,
      state,
      reminder,
      labels,
      dedup_key: g.key,
      value,
      threshold: thresholdOf(r),
      window_seconds: windowSeconds(r),
      started_time: g.pendingSince,
      ended_time: state === 'resolved' ? now : null,
      emitted_time: now,
      summary: renderTemplate(r.annotations.summary, vars).slice(0, 4096),
      runbook_url: r.annotations.runbook_url ?? null,
      example_event_ids: [...g.examples],
    }
  }

  /** Evaluates the groups touched since the last call at the engine clock. */
  evaluateDirty(): Alert[] {
    const out: Alert[] = []
    for (const g of this.dirty) {
      const a = this.transition(g, this.evaluate(g, this.clock), this.clock)
      if (a) out.push(a)
    }
    this.dirty.clear()
    return out
  }

  /** Observes a batch then evaluates the groups it touched. */
  ingest(events: readonly ScoredInteraction[], wallNow: number): Alert[] {
    const out: Alert[] = []
    for (const s of events) out.push(...this.observe(s, wallNow))
    out.push(...this.evaluateDirty())
    return out
  }

  /** Timer: advances the clock to the wall clock, evaluates every group, forgets idle groups. */
  tick(wallNow: number): Alert[] {
    if (wallNow > this.clock) this.clock = wallNow
    const now = this.clock
    this.dirty.clear()
    const out: Alert[] = []
    for (const m of this.groups.values()) {
      for (const [key, g] of m) {
        const a = this.transition(g, this.evaluate(g, now), now)
        if (a) out.push(a)
        if (g.phase === 'inactive' && this.idle(g, now)) m.delete(key)
      }
    }
    return out
  }

  /** An inactive group with nothing left in its window can be dropped (absence groups are kept). */
  private idle(g: Group, now: number): boolean {
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
   * firing ones are adopted as announced (never re-fired). Returns the alerts to publish now:
   * firing states the replay found that were never published. Records of unknown rules are
   * returned in `unknown` for the caller to log.
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
      const labels: Record<string, string> = {}
      for (const d of r.group_by) labels[d] = a.labels[d] ?? ''
      const g = this.group(r, lookupKey(r, (d) => labels[d]!), () => labels)
      if (!g) continue
      g.phase = 'firing'
      g.announced = true
      g.pendingSince = a.started_time
      g.clearSince = null
      g.lastNotified = Math.max(a.emitted_time, g.lastNotified)
      g.value = a.value
      if (g.examples.length === 0) g.examples = [...a.example_event_ids]
      if (r.kind === 'absence' && g.lastSeen === -Infinity) g.lastSeen = a.started_time - r.window
      if (r.kind === 'immediate' && g.matches === 0) g.matches = Math.max(1, Math.round(a.value))
    }
    this.replaying = false
    if (wallNow > this.clock) this.clock = wallNow
    const alerts: Alert[] = []
    for (const m of this.groups.values()) {
      for (const g of m.values()) {
        if (g.phase === 'firing' && !g.announced) {
          g.announced = true
          g.lastNotified = this.clock
          alerts.push(this.alert(g, 'firing', this.clock, false))
        }
      }
    }
    return { alerts, unknown }
  }
}
