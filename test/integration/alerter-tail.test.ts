import { describe, expect, it } from 'vitest'
import { main } from '../../services/alerter/tail-cli.js'
import { Codec } from '../../shared/codec.js'
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
  runbook_url: null,
  example_event_ids: [],
})

describe('llmwatch alerts tail', () => {
  it('prints alerts from the topic, one line each', async () => {
    const kafka = testKafka()
    const topic = uniqueName('alerts')
    await kafka.ensureTopics([{ name: topic }])
    const producer = await kafka.producer()
    const codec = Codec.load()
    await producer.send(topic, [alert('firing'), alert('resolved')].map((a) => ({ key: a.dedup_key, value: codec.encode('Alert', a) })))
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
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/ FIRING critical pii-leak-production \{app_name=shop,environment=production\} value=1 threshold=0 :: shop: a response leaked/)
    expect(lines[1]).toMatch(/ RESOLVED critical pii-leak-production /)
  })

  it('rejects unknown options', async () => {
    let err = ''
    const code = await main(['tail', '--nope'], { out: { write: () => true }, err: { write: (s: string) => (err += s) } })
    expect(code).toBe(2)
    expect(err).toContain('usage: llmwatch alerts tail')
  })
})
