import { describe, expect, it } from 'vitest'
import { main } from '../../services/alerter/tail-cli.js'
import { Codec, JSON_CONTENT_TYPE } from '../../shared/codec.js'
import type { Alert } from '../../shared/contract.js'
import { brokers, testKafka, uniqueName } from '../helpers.js'

const alert = (state: 'firing' | 'resolved'): Alert => ({
  alert_id: state === 'firing' ? '00000000-0000-4000-8000-000000000001' : '00000000-0000-4000-8000-000000000002',
  rule: 'pii-leak-production',
  kind: 'immediate',
  severity: 'critical',
  state,
  reminder: false,
  labels: { app_name: 'shop', environment: 'production', alertname: 'pii-leak-production', severity: 'critical' },
  dedup_key: 'pii-leak-production{app_name="shop",environment="production"}',
  value: 1,
  threshold: 0,
  window_seconds: 1800,
  started_time: Date.now() - 1000,
  ended_time: state === 'resolved' ? Date.now() : null,
  emitted_time: Date.now(),
  summary: 'shop: a response leaked personal data',
  runbook_url: 'docs/ALERTING.md#pii-leak',
  example_event_ids: ['7d0c2a4e-6a3b-4c1e-9f7d-2b8e5a1c0d93', '1f9b8c2d-0a4e-4b1c-8d3f-6e2a9c7b5d10'],
  unit: 'events',
  resolve_reason: state === 'resolved' ? 'quiet' : null,
  series: [{ labels: { app_name: 'shop', environment: 'production' }, value: 1, severity: 'critical' }],
})

describe('llmwatch alerts tail', () => {
  it('prints Avro and JSON alerts from the topic with their runbook and example events', async () => {
    const kafka = testKafka()
    const topic = uniqueName('alerts')
    await kafka.ensureTopics([{ name: topic }])
    const producer = await kafka.producer()
    const codec = Codec.load()
    // The firing record as Avro, the resolved one as JSON (ALERTER_ALERTS_FORMAT=json): tail reads both.
    const firing = alert('firing')
    const resolved = alert('resolved')
    await producer.send(topic, [
      { key: firing.dedup_key, value: codec.encode('Alert', firing) },
      { key: resolved.dedup_key, value: codec.encodeJson(resolved), headers: { 'content-type': JSON_CONTENT_TYPE } },
    ])
    let out = ''
    let err = ''
    const code = await main(['tail', '--from-beginning', '--max', '2', '--topic', topic], {
      out: { write: (s: string) => (out += s) },
      err: { write: (s: string) => (err += s) },
      env: { KAFKA_BROKERS: brokers().join(',') },
    })
    await producer.disconnect()
    await kafka.close()
    expect(err).toBe('')
    expect(code).toBe(0)
    const lines = out.trim().split('\n')
    expect(lines).toHaveLength(6)
    expect(lines[0]).toMatch(/ FIRING critical pii-leak-production \{app_name=shop,environment=production\} value=1 event threshold=0 events :: shop: a response leaked/)
    expect(lines[1]).toBe('    runbook:  docs/ALERTING.md#pii-leak')
    expect(lines[2]).toBe('    examples: 7d0c2a4e-6a3b-4c1e-9f7d-2b8e5a1c0d93 1f9b8c2d-0a4e-4b1c-8d3f-6e2a9c7b5d10')
    expect(lines[3]).toMatch(/ RESOLVED \(no new matching event\) critical pii-leak-production /)
    expect(lines.slice(4)).toEqual(lines.slice(1, 3))
  })

  it('rejects unknown options', async () => {
    let err = ''
    const code = await main(['tail', '--nope'], { out: { write: () => true }, err: { write: (s: string) => (err += s) } })
    expect(code).toBe(2)
    expect(err).toContain('usage: llmwatch alerts tail')
  })
})
