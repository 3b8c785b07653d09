import { describe, expect, it } from 'vitest'
import { ScoredInteractionSchema } from '../../shared/contract.js'
import { loadSinkEnv } from '../../services/sink/config.js'
import { alertUnit, COMPACT_COLUMNS, effectiveTextMode, redactedByScorer, scoredUnit, TABLES } from '../../services/sink/rows.js'
import { PII_REDACTION, REDACTION_HEADER } from '../../shared/pii.js'
import { parseArgs, renderTable } from '../../services/sink/sql-cli.js'
import { classifyInsertError } from '../../services/sink/writer.js'

const base = ScoredInteractionSchema.parse({
  event_id: '0b6f1b8e-4a8e-4b59-9f1e-2f5c8f0d9a11',
  app_name: 'app', environment: 'production', provider_name: 'openai', request_model: 'gpt-4o',
  request_start_time: 1_700_000_000_000, end_time: 1_700_000_000_800, scored_time: 1_700_000_000_900,
  latency_ms: 800, ttft_ms: null, usage_input_tokens: 10, usage_output_tokens: 5, cost_usd: null,
  text_mode: 'full', prompt_text: 'write to ann@example.com', response_text: 'card 4111 1111 1111 1111 noted',
  scores: [
    { name: 'pii', target: 'response', version: '1', value: 1, flagged: true, details: '{"match":"ann@example.com"}' },
    { name: 'pii', target: 'prompt', version: '1', value: 1, flagged: true },
    { name: 'toxicity', target: 'response', version: '2', value: 0.1 },
  ],
})
const src = { topic: 'llm.scores', partition: 2, offset: '41' }

describe('sink row mapping', () => {
  it('takes the stricter of the event and sink text modes', () => {
    expect(effectiveTextMode('full', 'redacted')).toBe('redacted')
    expect(effectiveTextMode('redacted', 'full')).toBe('redacted')
    expect(effectiveTextMode('none', 'full')).toBe('none')
    expect(effectiveTextMode('full', 'full')).toBe('full')
  })

  it('maps one event to one interactions row carrying its scores, with its source offset', () => {
    const u = scoredUnit(base, src, 'full')
    expect(u.offset).toBe(41n)
    const [i] = u.rows[TABLES.interactions]!
    expect(i).toMatchObject({
      event_time: base.request_start_time, response_model: '', prompt_template_version: '', ttft_ms: null, cost_usd: null,
      input_tokens: 10, output_tokens: 5, text_mode: 'full', flagged_scorers: ['pii'], _topic: 'llm.scores', _partition: 2, _offset: '41',
    })
    expect(i?.response_text).toBe(base.response_text)
    expect(Object.keys(u.rows)).toEqual([TABLES.interactions])
    expect(i?.scores).toEqual({ 'pii:response': 1, 'pii:prompt': 1, 'toxicity:response': 0.1 })
    expect(Object.keys(i?.scores as object)).toEqual(['pii:response', 'pii:prompt', 'toxicity:response']) // the event's order
    expect(i?.flags).toEqual(['pii:response', 'pii:prompt'])
    expect(i).toMatchObject({
      score_versions: ['1', '1', '2'], score_statuses: ['ok', 'ok', 'ok'], score_labels: ['', '', ''],
      score_details: ['{"match":"ann@example.com"}', '{}', '{}'],
    })
  })

  it('redacted: masks PII in text and scorer evidence', () => {
    const u = scoredUnit(base, src, 'redacted')
    const i = u.rows[TABLES.interactions]![0]!
    expect(i.text_mode).toBe('redacted')
    expect(i.prompt_text).toBe('write to [EMAIL]')
    expect(String(i.response_text)).not.toMatch(/4111/)
    expect(JSON.stringify(i.score_details)).not.toContain('ann@example.com')
  })

  it('skips its second PII pass only for records the scorer redacted with the same detector', () => {
    const redacted = { ...base, text_mode: 'redacted' as const }
    expect(redactedByScorer(redacted, { [REDACTION_HEADER]: PII_REDACTION })).toBe(true)
    expect(redactedByScorer(redacted, { [REDACTION_HEADER]: 'pii/0' })).toBe(false) // an older detector: scan again
    expect(redactedByScorer(redacted, {})).toBe(false)
    expect(redactedByScorer(base, { [REDACTION_HEADER]: PII_REDACTION })).toBe(false) // says full text: scan
    // Trusted: stored as the scorer wrote it (a test text with PII left in shows that no pass ran).
    const kept = scoredUnit(redacted, src, 'redacted', true).rows[TABLES.interactions]![0]!
    expect(kept.prompt_text).toBe('write to ann@example.com')
    expect((kept.score_details as string[])[0]).toContain('ann@example.com')
    // Not trusted: scanned.
    expect(scoredUnit(redacted, src, 'redacted', false).rows[TABLES.interactions]![0]!.prompt_text).toBe('write to [EMAIL]')
    // SINK_TEXT_MODE=none still wins.
    expect(scoredUnit(redacted, src, 'none', true).rows[TABLES.interactions]![0]!.prompt_text).toBe('')
  })

  it('none: stores no text and no evidence', () => {
    const u = scoredUnit(base, src, 'none')
    expect(u.rows[TABLES.interactions]![0]).toMatchObject({ text_mode: 'none', prompt_text: '', response_text: '' })
    expect((u.rows[TABLES.interactions]![0]!.score_details as string[]).every((d) => d === '{}')).toBe(true)
  })

  it('lists every key of the interactions rows, once, for the compact inserts', () => {
    const u = scoredUnit(base, src, 'redacted')
    for (const table of [TABLES.interactions]) {
      const cols = COMPACT_COLUMNS[table]!
      expect(new Set(cols).size).toBe(cols.length)
      for (const row of u.rows[table]!) expect([...cols].sort()).toEqual(Object.keys(row).sort())
    }
    expect(COMPACT_COLUMNS[TABLES.alerts]).toBeUndefined()
  })

  it('maps an alert with nulls as empty strings where the column is not nullable', () => {
    const u = alertUnit(
      { alert_id: '0b6f1b8e-4a8e-4b59-9f1e-2f5c8f0d9a12', rule: 'r', kind: 'rate', severity: 'info', state: 'firing', reminder: false, labels: { app: 'x' }, dedup_key: 'r|x', value: 1, threshold: 0.5, window_seconds: 60, started_time: 1, ended_time: null, emitted_time: 2, summary: 's', runbook_url: null, example_event_ids: [], unit: 'ratio', resolve_reason: null, series: [] },
      { topic: 'llm.alerts', partition: 0, offset: '7' },
    )
    expect(u.rows[TABLES.alerts]![0]).toMatchObject({ runbook_url: '', ended_time: null, _offset: '7' })
  })
})

describe('sink error classification', () => {
  const chError = (code: string) => Object.assign(new Error('x'), { code })
  it('reads ClickHouse codes, not messages', () => {
    expect(classifyInsertError(chError('469'))).toEqual({ kind: 'content', code: 469 })
    expect(classifyInsertError(chError('27'))).toEqual({ kind: 'content', code: 27 })
    expect(classifyInsertError(chError('252'))).toEqual({ kind: 'split', code: 252 })
    expect(classifyInsertError(chError('60'))).toEqual({ kind: 'outage', code: 60 })
    expect(classifyInsertError(Object.assign(new Error('violated constraint'), { code: 'ECONNREFUSED' }))).toEqual({ kind: 'outage', code: 0 })
  })
})

describe('sink config', () => {
  it('has defaults and names a bad variable', () => {
    const env = loadSinkEnv({})
    expect(env).toMatchObject({ SINK_BATCH_ROWS: 20_000, SINK_FLUSH_MS: 1_000, SINK_TEXT_MODE: 'redacted', CLICKHOUSE_RETENTION_INTERACTIONS_DAYS: 30 })
    expect(() => loadSinkEnv({ SINK_TEXT_MODE: 'raw' })).toThrow(/SINK_TEXT_MODE/)
    expect(() => loadSinkEnv({ SINK_BATCH_ROWS: '0' })).toThrow(/SINK_BATCH_ROWS/)
  })
})

describe('llmwatch sql', () => {
  it('parses the query and format', () => {
    expect(parseArgs(['SELECT 1;', '--format', 'csv'])).toEqual({ query: 'SELECT 1', format: 'csv' })
    expect(parseArgs(['--json', 'SELECT', '2'])).toEqual({ query: 'SELECT 2', format: 'json' })
    expect(parseArgs(['--format', 'xml', 'SELECT 1'])).toHaveProperty('error')
    expect(parseArgs([])).toHaveProperty('error')
  })
  it('renders an aligned table with numbers right-aligned', () => {
    expect(renderTable(['app', 'n'], [{ app: 'a', n: 5 }, { app: 'bbb', n: 120 }])).toBe(
      ['app |   n', '----+----', 'a   |   5', 'bbb | 120', '(2 rows)'].join('\n'),
    )
  })
})
