/**
 * Alert rules: the zod schema of the rules file (YAML or JSON) and its loader.
 *
 * A rules file is `{ rules: Rule[] }`. Every rule has a name, a kind (rate, quantile, budget,
 * anomaly, immediate, absence), the dimensions it evaluates by (`by`: one series per combination)
 * and groups alerts by (`group_by`: one alert per combination, listing its firing series), an
 * optional filter, Prometheus-like `for` / `keep_firing_for` durations, a severity (for production;
 * other environments one step lower unless `environment_severity` says otherwise), labels and
 * annotations. Thresholds are "fire when value > threshold"; a firing alert resolves only when
 * value <= resolve_threshold (hysteresis, default 10 % below the threshold) so a metric hovering at
 * the threshold does not flap.
 *
 * Errors name the rule, the field and what was expected: `RulesError`.
 */
import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'

/** Dimensions of a ScoredInteraction a rule may group by or filter on. */
export const DIMENSIONS = [
  'app_name',
  'environment',
  'provider_name',
  'operation_name',
  'request_model',
  'response_model',
  'prompt_template_id',
  'prompt_template_version',
] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** Numeric fields of a ScoredInteraction a quantile, budget or mean can read. */
export const NUMERIC_FIELDS = [
  'latency_ms',
  'ttft_ms',
  'cost_usd',
  'usage_input_tokens',
  'usage_output_tokens',
  'total_tokens',
] as const
export type NumericField = (typeof NUMERIC_FIELDS)[number]

export const SCORE_TARGETS = ['prompt', 'response', 'context', 'event'] as const

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parses "250ms", "30s", "5m", "1h", "1d" (or a number of seconds) to milliseconds. */
export function parseDuration(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : null
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v.trim())
  if (!m) return null
  const unit = UNITS[m[2] as string]
  return unit === undefined ? null : Math.round(Number(m[1]) * unit)
}

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v)
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 5m, 1h or 1d, got ${JSON.stringify(v)}` })
    return z.NEVER
  }
  return ms
})
const positiveDuration = duration.refine((ms) => ms > 0, { message: 'expected a duration greater than 0' })

/**
 * Which score entries count as a hit. A score selector matches an entry with this scorer name
 * (and target, when given) whose status is ok, and which is flagged, or, when `label` is given,
 * which carries that label. `{ status: error }` matches events whose LLM call failed.
 */
export const SelectorSchema = z.union([
  z
    .object({
      scorer: z.string().min(1),
      target: z.enum(SCORE_TARGETS).optional(),
      label: z.string().min(1).optional(),
    })
    .strict(),
  z.object({ status: z.literal('error') }).strict(),
])
export type Selector = z.infer<typeof SelectorSchema>

/** A numeric measure: a field of the event, or the value of a scorer's entry. */
export const MetricSchema = z.union([
  z.enum(NUMERIC_FIELDS),
  z.object({ score: z.string().min(1), target: z.enum(SCORE_TARGETS).optional() }).strict(),
])
export type Metric = z.infer<typeof MetricSchema>

export const SEVERITIES = ['info', 'warning', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]
const severity = z.enum(SEVERITIES)

/** Environments a rule's `severity` is for as written; others get one step less (see seriesSeverity). */
export const PRODUCTION_ENVIRONMENTS: ReadonlySet<string> = new Set(['production', 'prod', ''])

/**
 * A runbook link: an absolute http(s) URL, or a path in this repository (`docs/ALERTING.md#latency`),
 * which `ALERTER_RUNBOOK_BASE_URL` can turn into a link.
 */
const runbookUrl = z
  .string()
  .min(1)
  .max(1024)
  .refine((v) => (/^[a-z][a-z0-9+.-]*:/i.test(v) ? URL.canParse(v) && /^https?:/i.test(v) : !/\s/.test(v)), {
    message: 'expected an http(s) URL or a repository path like docs/ALERTING.md#latency',
  })

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'expected letters, digits, _ . : - (max 128 characters)')

const common = {
  name,
  /** Severity in production; other environments get one step less unless environment_severity says. */
  severity: severity.default('warning'),
  /** Severity per environment, overriding the default (e.g. `{ staging: critical }`). */
  environment_severity: z.record(z.string(), severity).default({}),
  description: z.string().max(2048).optional(),
  /** Dimensions that make an alert: one alert per distinct combination, listing its firing series. */
  group_by: z.array(z.enum(DIMENSIONS)).max(DIMENSIONS.length).default(['app_name']),
  /**
   * Dimensions the condition is evaluated by: one series per combination. Must include group_by.
   * Default: group_by plus environment (production and staging are judged apart).
   */
  by: z.array(z.enum(DIMENSIONS)).max(DIMENSIONS.length).optional(),
  /** Only events whose dimensions equal one of the given values are considered. */
  where: z.partialRecord(z.enum(DIMENSIONS), z.union([z.string(), z.array(z.string()).min(1)])).default({}),
  /** How long the condition must hold (pending) before the alert fires. */
  for: duration.default(0),
  /** How long the resolve condition must hold before a firing alert resolves. */
  keep_firing_for: duration.default(0),
  /** Repeat a still-firing alert at this interval (reminder records); absent: no reminders. */
  remind_every: positiveDuration.optional(),
  labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a label name'), z.string()).default({}),
  annotations: z
    .object({
      summary: z.string().min(1).max(1024),
      runbook_url: runbookUrl.optional(),
      description: z.string().max(4096).optional(),
    })
    .strict(),
}

const thresholds = {
  threshold: z.number().finite(),
  /** A firing alert resolves when value <= resolve_threshold. Default: 10 % below the threshold. */
  resolve_threshold: z.number().finite().optional(),
}

export const RateRuleSchema = z
  .object({
    ...common,
    kind: z.literal('rate'),
    select: SelectorSchema,
    window: positiveDuration,
    min_events: z.number().int().min(1).default(20),
    ...thresholds,
    threshold: z.number().min(0).max(1),
  })
  .strict()

export const QuantileRuleSchema = z
  .object({
    ...common,
    kind: z.literal('quantile'),
    metric: MetricSchema,
    quantile: z.number().gt(0).lt(1),
    window: positiveDuration,
    min_events: z.number().int().min(1).default(20),
    ...thresholds,
  })
  .strict()

export const BudgetRuleSchema = z
  .object({
    ...common,
    kind: z.literal('budget'),
    metric: z.enum(['cost_usd', 'usage_input_tokens', 'usage_output_tokens', 'total_tokens']).default('cost_usd'),
    window: positiveDuration,
    ...thresholds,
    threshold: z.number().positive(),
  })
  .strict()

export const AnomalyRuleSchema = z
  .object({
    ...common,
    kind: z.literal('anomaly'),
    /** The signal: the share of events a selector matches, or the mean of a metric. */
    signal: z.union([z.object({ rate: SelectorSchema }).strict(), z.object({ mean: MetricSchema }).strict()]),
    /** zscore: (current - baseline) in standard errors; ratio: current / baseline. */
    method: z.enum(['zscore', 'ratio']).default('zscore'),
    direction: z.enum(['up', 'down', 'both']).default('up'),
    /** The current window, compared with the trailing baseline just before it. */
    window: positiveDuration,
    baseline: positiveDuration.default(3_600_000),
    min_events: z.number().int().min(1).default(30),
    min_baseline_events: z.number().int().min(1).default(100),
    ...thresholds,
  })
  .strict()

export const ImmediateRuleSchema = z
  .object({
    ...common,
    kind: z.literal('immediate'),
    select: SelectorSchema,
    /** The alert resolves after this long without a matching event. */
    quiet_for: positiveDuration.default(600_000),
  })
  .strict()

export const AbsenceRuleSchema = z
  .object({
    ...common,
    kind: z.literal('absence'),
    /** Fires when a group seen before sends no event for this long (wall clock). */
    window: positiveDuration,
    /** A group silent this long is resolved and forgotten (a retired app); absent: kept forever. */
    forget_after: positiveDuration.optional(),
  })
  .strict()

const KINDS = ['rate', 'quantile', 'budget', 'anomaly', 'immediate', 'absence'] as const
export type RuleKind = (typeof KINDS)[number]

export const RuleSchema = z.discriminatedUnion('kind', [
  RateRuleSchema,
  QuantileRuleSchema,
  BudgetRuleSchema,
  AnomalyRuleSchema,
  ImmediateRuleSchema,
  AbsenceRuleSchema,
])
type ParsedRule = z.infer<typeof RuleSchema>

/** A validated rule with its defaults resolved (`resolve_threshold` and `by` always set). */
export type Rule = ParsedRule & { resolve_threshold: number; by: Dimension[] }
export type RuleOf<K extends RuleKind> = Extract<Rule, { kind: K }>

export const RulesFileSchema = z.object({ rules: z.array(z.unknown()).min(1) }).strict()

/** A rules file that does not validate. `message` names the rule, the field and what was expected. */
export class RulesError extends Error {
  readonly code = 'ALERTER_RULES_INVALID'
  readonly retryable = false
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message)
    this.name = 'RulesError'
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(rule)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[')
}

/** Threshold below which a firing alert resolves, when the rule does not say. */
function defaultResolve(r: ParsedRule): number {
  if (r.kind === 'immediate' || r.kind === 'absence') return 0
  if (r.resolve_threshold !== undefined) return r.resolve_threshold
  return r.threshold - Math.abs(r.threshold) * 0.1
}

/** Validates parsed rules data (from YAML or JSON). Throws RulesError listing every problem. */
export function validateRules(data: unknown, source = 'rules'): Rule[] {
  const file = RulesFileSchema.safeParse(data)
  if (!file.success) {
    const issues = file.error.issues.map((i) => `${source}: field "${fieldPath(i.path)}": ${i.message}`)
    throw new RulesError(issues.join('\n'), issues)
  }
  const issues: string[] = []
  const rules: Rule[] = []
  const seen = new Set<string>()
  file.data.rules.forEach((raw, idx) => {
    const ruleName =
      typeof raw === 'object' && raw !== null && typeof (raw as { name?: unknown }).name === 'string'
        ? (raw as { name: string }).name
        : `#${idx}`
    const where = `${source}: rule "${ruleName}" (rules[${idx}])`
    const kind = typeof raw === 'object' && raw !== null ? (raw as { kind?: unknown }).kind : undefined
    if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
      issues.push(`${where} field "kind": expected one of ${KINDS.join(', ')}, got ${JSON.stringify(kind)}`)
      return
    }
    const parsed = RuleSchema.safeParse(raw)
    if (!parsed.success) {
      for (const i of parsed.error.issues) issues.push(`${where} field "${fieldPath(i.path)}": ${i.message}`)
      return
    }
    const r = parsed.data
    if (seen.has(r.name)) issues.push(`${where} field "name": expected a unique name, "${r.name}" is used twice`)
    seen.add(r.name)
    const resolve = defaultResolve(r)
    if (r.kind !== 'immediate' && r.kind !== 'absence' && resolve > r.threshold) {
      issues.push(`${where} field "resolve_threshold": expected a value <= threshold (${r.threshold}), got ${resolve}`)
    }
    if (r.kind === 'absence' && r.forget_after !== undefined && r.forget_after <= r.window) {
      issues.push(`${where} field "forget_after": expected a duration longer than window`)
    }
    if (r.kind === 'anomaly' && r.baseline < r.window) {
      issues.push(`${where} field "baseline": expected a duration >= window`)
    }
    const by = r.by ?? (r.group_by.includes('environment') ? r.group_by : [...r.group_by, 'environment' as const])
    const outside = r.group_by.filter((d) => !by.includes(d))
    if (outside.length > 0) issues.push(`${where} field "group_by": expected dimensions of "by" (${by.join(', ')}), got ${outside.join(', ')}`)
    if (new Set(by).size !== by.length) issues.push(`${where} field "by": expected each dimension once`)
    rules.push({ ...r, by, resolve_threshold: resolve } as Rule)
  })
  if (issues.length > 0) throw new RulesError(issues.join('\n'), issues)
  return rules
}

/** Parses rules text; `format` defaults to YAML (JSON is valid YAML, but the JSON parser gives better errors). */
export function parseRules(text: string, format: 'yaml' | 'json', source = 'rules'): Rule[] {
  let data: unknown
  try {
    data = format === 'json' ? JSON.parse(text) : parseYaml(text)
  } catch (e) {
    const msg = `${source}: not valid ${format.toUpperCase()}: ${(e as Error).message}`
    throw new RulesError(msg, [msg])
  }
  return validateRules(data, source)
}

/** Loads and validates a rules file (.yaml, .yml or .json). */
export function loadRulesFile(path: string): Rule[] {
  const format = extname(path).toLowerCase() === '.json' ? 'json' : 'yaml'
  return parseRules(readFileSync(path, 'utf8'), format, path)
}

/** The longest span of events a rule needs to evaluate (what a restart must replay). */
export function ruleSpanMs(r: Rule): number {
  switch (r.kind) {
    case 'anomaly':
      return r.window + r.baseline
    case 'immediate':
      return r.quiet_for
    default:
      return r.window
  }
}

const LOWER: Record<Severity, Severity> = { critical: 'warning', warning: 'info', info: 'info' }
const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 }

/** The more severe of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return RANK[a] >= RANK[b] ? a : b
}

export function severityRank(s: Severity): number {
  return RANK[s]
}

/**
 * The severity of a series of `rule` in `environment` (undefined: the rule does not evaluate by
 * environment): `environment_severity[environment]` if set, else `severity` in production, one step
 * less elsewhere (staging, dev, ...).
 */
export function seriesSeverity(rule: Pick<Rule, 'severity' | 'environment_severity'>, environment: string | undefined): Severity {
  if (environment === undefined) return rule.severity
  const set = rule.environment_severity[environment]
  if (set !== undefined) return set
  return PRODUCTION_ENVIRONMENTS.has(environment) ? rule.severity : LOWER[rule.severity]
}
