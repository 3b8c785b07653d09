/**
 * Kafka records to ClickHouse rows. One ScoredInteraction gives one `interactions` row, its score
 * entries on the same row (`scores` map keyed 'scorer:target', `flags`, `score_*` arrays; the long
 * `scores` shape is a view, migration 0004); one Alert gives one `alerts` row. Every row carries its source
 * topic/partition/offset (the dedup key, see writer.ts). Text is stored at the stricter of the
 * event's own text_mode and SINK_TEXT_MODE; 'redacted' re-applies the PII redaction (shared/pii.ts)
 * here unless the scorer says it applied this same redaction (`redactedByScorer`): raw PII must never
 * reach ClickHouse, whoever wrote the record.
 */
import type { Alert, ScoredInteraction } from '../../shared/contract.js'
import { PII_REDACTION, redactPii, REDACTION_HEADER } from '../../shared/pii.js'
import type { TextMode } from './config.js'
import type { Unit } from './writer.js'

export const TABLES = { interactions: 'interactions', alerts: 'alerts' } as const

/**
 * Column order of the rows built below, for the JSONCompactEachRow inserts (writer.ts): one JSON
 * array per row instead of an object repeats no key names, so the body is about half as long and
 * ClickHouse parses it in about 2/3 of the CPU, with the same JSON value rules. Alerts are few:
 * they stay JSONEachRow. test/unit/sink-rows.test.ts checks these lists against the rows.
 */
export const COMPACT_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  [TABLES.interactions]: [
    'event_id', 'event_time', 'end_time', 'scored_time', 'app_name', 'environment', 'provider_name', 'operation_name',
    'request_model', 'response_model', 'prompt_template_id', 'prompt_template_version', 'trace_id', 'session_id', 'user_id_hash',
    'latency_ms', 'ttft_ms', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cost_usd', 'status', 'error_type',
    'cache_hit', 'text_mode', 'prompt_text', 'response_text', 'flagged_scorers', 'scores', 'flags', 'score_versions',
    'score_statuses', 'score_labels', 'score_details',
    '_topic', '_partition', '_offset',
  ],
}

const STRICTNESS: Record<TextMode, number> = { none: 0, redacted: 1, full: 2 }

/** The stricter of two text modes. */
export function effectiveTextMode(eventMode: TextMode, sinkMode: TextMode): TextMode {
  return STRICTNESS[eventMode] <= STRICTNESS[sinkMode] ? eventMode : sinkMode
}

function storedText(text: string | null, mode: TextMode, scan: boolean): string {
  if (text === null || mode === 'none') return ''
  return scan ? redactPii(text) : text
}

/**
 * Whether the scorer already redacted this record with the sink's own detector: its text_mode is
 * 'redacted' and its `llmwatch.redaction` header names this detector version (shared/pii.ts). Then
 * a second pass would find nothing; any other record (text_mode 'full', no header, an older
 * detector) is scanned here. The header is the scorer's word, as trustworthy as llm.scores itself:
 * only the scorer may write that topic.
 */
export function redactedByScorer(v: Pick<ScoredInteraction, 'text_mode'>, headers: Readonly<Record<string, string>> | undefined): boolean {
  return v.text_mode === 'redacted' && headers?.[REDACTION_HEADER] === PII_REDACTION
}

export interface Source {
  topic: string
  partition: number
  offset: string
}

/** The map key of a score entry: `scorer:target` (scorer names never contain ':'). */
export const scoreKey = (name: string, target: string): string => `${name}:${target}`

/**
 * Rows for one ScoredInteraction: one `interactions` row that carries its scores. `redacted`: the
 * scorer already redacted it with this detector (`redactedByScorer`), so no second PII pass.
 */
export function scoredUnit(v: ScoredInteraction, src: Source, sinkMode: TextMode, redacted = false): Unit {
  const mode = effectiveTextMode(v.text_mode, sinkMode)
  const scan = mode === 'redacted' && !redacted
  // Entries keyed scorer:target. A scorer emits one entry per target; a repeated key (which no scorer
  // emits) keeps its first entry, since a map row cannot carry the same key twice in JSON.
  const scores: Record<string, number | null> = {}
  const flags: string[] = []
  const versions: string[] = []
  const statuses: string[] = []
  const labels: string[] = []
  const details: string[] = []
  const flaggedNames: string[] = []
  for (const s of v.scores) {
    const k = scoreKey(s.name, s.target)
    if (k in scores) continue
    scores[k] = s.value
    if (s.flagged) {
      flags.push(k)
      if (!flaggedNames.includes(s.name)) flaggedNames.push(s.name)
    }
    // Scorer evidence may quote the text: it follows the same privacy mode.
    versions.push(s.version)
    statuses.push(s.status)
    labels.push(s.label)
    details.push(mode === 'none' ? '{}' : scan ? redactPii(s.details) : s.details)
  }
  const interaction = {
    event_id: v.event_id,
    event_time: v.request_start_time,
    end_time: v.end_time,
    scored_time: v.scored_time,
    app_name: v.app_name,
    environment: v.environment,
    provider_name: v.provider_name,
    operation_name: v.operation_name,
    request_model: v.request_model,
    response_model: v.response_model ?? '',
    prompt_template_id: v.prompt_template_id ?? '',
    prompt_template_version: v.prompt_template_version ?? '',
    trace_id: v.trace_id ?? '',
    session_id: v.session_id ?? '',
    user_id_hash: v.user_id_hash ?? '',
    latency_ms: v.latency_ms,
    ttft_ms: v.ttft_ms,
    input_tokens: v.usage_input_tokens,
    output_tokens: v.usage_output_tokens,
    cached_input_tokens: v.usage_cached_input_tokens,
    cost_usd: v.cost_usd,
    status: v.status,
    error_type: v.error_type ?? '',
    cache_hit: v.cache_hit,
    text_mode: mode,
    prompt_text: storedText(v.prompt_text, mode, scan),
    response_text: storedText(v.response_text, mode, scan),
    flagged_scorers: flaggedNames.sort(),
    scores,
    flags,
    score_versions: versions,
    score_statuses: statuses,
    score_labels: labels,
    score_details: details,
    _topic: src.topic,
    _partition: src.partition,
    _offset: src.offset,
  }
  return { topic: src.topic, partition: src.partition, offset: BigInt(src.offset), rows: { [TABLES.interactions]: [interaction] } }
}

/** Rows for one Alert. */
export function alertUnit(a: Alert, src: Source): Unit {
  const row = {
    alert_id: a.alert_id,
    rule: a.rule,
    kind: a.kind,
    severity: a.severity,
    state: a.state,
    reminder: a.reminder,
    labels: a.labels,
    dedup_key: a.dedup_key,
    value: a.value,
    threshold: a.threshold,
    window_seconds: a.window_seconds,
    started_time: a.started_time,
    ended_time: a.ended_time,
    emitted_time: a.emitted_time,
    summary: a.summary,
    runbook_url: a.runbook_url ?? '',
    example_event_ids: a.example_event_ids,
    _topic: src.topic,
    _partition: src.partition,
    _offset: src.offset,
  }
  return { topic: src.topic, partition: src.partition, offset: BigInt(src.offset), rows: { [TABLES.alerts]: [row] } }
}
