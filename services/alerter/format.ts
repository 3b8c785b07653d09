/**
 * How alert values read: rounded, with their unit (`35.6 %`, `4.2 s`, `$12.40`), durations in words,
 * resolve reasons in a sentence. Used by the engine (summaries), `llmwatch alerts tail` and the
 * webhook, so the three say the same thing.
 */
import type { Alert } from '../../shared/contract.js'

/**
 * Units an alert's value and threshold can have (the Alert record's `unit`): ratio (a share,
 * shown as %), ms, s, usd, tokens, sigma (standard errors), x (times the baseline), events, or ''.
 */
export type ValueUnit = 'ratio' | 'ms' | 's' | 'usd' | 'tokens' | 'sigma' | 'x' | 'events' | ''

/** Rounds for people: 3 digits at most, no float noise (0.35569422776911075 -> 0.36, 35.569 -> 35.6). */
export function roundNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  const a = Math.abs(v)
  if (a === 0) return '0'
  if (a >= 100) return String(Math.round(v))
  if (a >= 1) return String(Math.round(v * 10) / 10)
  return String(Number(v.toPrecision(2)))
}

/** A duration in words: 45 s, 5 min, 1.5 h, 2 d. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms)
  const s = ms / 1000
  if (s < 60) return `${roundNumber(s)} s`
  if (s < 3600) return `${roundNumber(s / 60)} min`
  if (s < 172_800) return `${roundNumber(s / 3600)} h`
  return `${roundNumber(s / 86_400)} d`
}

/** A value with its unit: `35.6 %`, `850 ms`, `4.2 s`, `$12.40`, `1,234 tokens`, `4.3 σ`, `2.4x`, `3 events`. */
export function formatValue(v: number, unit: string): string {
  if (!Number.isFinite(v)) return String(v)
  switch (unit) {
    case 'ratio':
      return `${roundNumber(v * 100)} %`
    case 'ms':
      return Math.abs(v) >= 1000 ? `${roundNumber(v / 1000)} s` : `${roundNumber(v)} ms`
    case 's':
      return formatDuration(v * 1000)
    case 'usd':
      return Math.abs(v) >= 0.01 || v === 0 ? `$${v.toFixed(2)}` : `$${roundNumber(v)}`
    case 'tokens':
      return `${Math.round(v).toLocaleString('en-US')} tokens`
    case 'sigma':
      return `${roundNumber(v)} σ`
    case 'x':
      return `${roundNumber(v)}x`
    case 'events':
      return `${Math.round(v)} event${Math.round(v) === 1 ? '' : 's'}`
    default:
      return roundNumber(v)
  }
}

/** Why a firing alert resolved (the Alert record's `resolve_reason`). */
export type ResolveReason =
  | 'below_threshold'
  | 'traffic_stopped'
  | 'too_few_events'
  | 'quiet'
  | 'traffic_resumed'
  | 'forgotten'
  | 'rule_removed'
  | 'rule_changed'
  | 'not_firing_after_restart'

/** Resolve reasons in a few words (for `alerts tail` and Slack). */
export const REASON_TEXT: Record<ResolveReason, string> = {
  below_threshold: 'back under threshold',
  traffic_stopped: 'traffic stopped',
  too_few_events: 'too few events to judge',
  quiet: 'no new matching event',
  traffic_resumed: 'events arrived again',
  forgotten: 'silent too long: group forgotten',
  rule_removed: 'rule no longer exists',
  rule_changed: 'rule now groups differently',
  not_firing_after_restart: 'not firing after a restart',
}

export function reasonText(reason: string | null): string {
  return reason === null ? '' : (REASON_TEXT[reason as ResolveReason] ?? reason.replace(/_/g, ' '))
}

/** The affected values of each series dimension outside the group labels: `request_model=a,b environment=production,staging`. */
export function affected(a: Pick<Alert, 'series' | 'labels'>): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const s of a.series) {
    for (const [k, v] of Object.entries(s.labels)) {
      if (k in a.labels) continue
      const list = (out[k] ??= [])
      if (!list.includes(v)) list.push(v)
    }
  }
  return out
}

export function affectedText(a: Pick<Alert, 'series' | 'labels'>): string {
  return Object.entries(affected(a))
    .map(([k, vs]) => `${k}=${vs.map((v) => (v === '' ? '""' : v)).join(',')}`)
    .join(' ')
}
