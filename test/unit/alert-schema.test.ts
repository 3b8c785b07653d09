/**
 * Alert v2 (schemas/Alert.avsc, id 4) adds unit, resolve_reason and series with defaults: records
 * written with v1 (id 3, schemas/versions/Alert.v1.avsc) still decode, with the defaults; v2
 * records decode whole; the JSON form (ALERTER_ALERTS_FORMAT=json) decodes like the Avro one.
 */
import { readFileSync } from 'node:fs'
import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { avroOpts, Codec, JSON_CONTENT_TYPE } from '../../shared/codec.js'
import type { Alert } from '../../shared/contract.js'
import { repoPath } from '../../shared/paths.js'

const codec = Codec.load()

const v2: Alert = {
  alert_id: '00000000-0000-4000-8000-000000000001',
  rule: 'toxic-responses',
  kind: 'rate',
  severity: 'critical',
  state: 'resolved',
  reminder: false,
  labels: { app_name: 'shop', alertname: 'toxic-responses', severity: 'critical' },
  dedup_key: 'toxic-responses{app_name="shop"}',
  value: 0,
  threshold: 0.02,
  window_seconds: 300,
  started_time: 1_767_225_600_000,
  ended_time: 1_767_226_200_000,
  emitted_time: 1_767_226_200_000,
  summary: 'resolved (traffic stopped: no events in the last 5 min): shop: 35.6 % of responses flagged toxic',
  runbook_url: 'docs/ALERTING.md#toxic-responses',
  example_event_ids: ['7d0c2a4e-6a3b-4c1e-9f7d-2b8e5a1c0d93'],
  unit: 'ratio',
  resolve_reason: 'traffic_stopped',
  series: [
    { labels: { app_name: 'shop', request_model: 'gpt-4o', environment: 'production' }, value: 0, severity: 'critical' },
    { labels: { app_name: 'shop', request_model: 'gpt-4o', environment: 'staging' }, value: 0, severity: 'warning' },
  ],
}

describe('Alert schema versions', () => {
  it('writes v2 (id 4) and reads it back whole', () => {
    const buf = codec.encode('Alert', v2)
    expect(buf.readInt32BE(1)).toBe(4)
    const res = codec.decode('Alert', buf)
    expect(res.ok && res.value).toEqual(v2)
  })

  it('reads records written with v1 (id 3), new fields at their defaults', () => {
    const v1 = avro.Type.forSchema(JSON.parse(readFileSync(repoPath('schemas', 'versions', 'Alert.v1.avsc'), 'utf8')) as avro.Schema, avroOpts())
    const { unit: _u, resolve_reason: _r, series: _s, ...old } = v2
    const body = v1.toBuffer(old)
    const buf = Buffer.concat([Buffer.from([0, 0, 0, 0, 3]), body])
    const res = codec.decode('Alert', buf)
    expect(res.ok).toBe(true)
    expect(res.ok && res.value).toEqual({ ...old, unit: '', resolve_reason: null, series: [] })
  })

  it('reads the JSON form, with or without the content-type header', () => {
    const json = codec.encodeJson(v2)
    for (const headers of [{ 'content-type': JSON_CONTENT_TYPE }, undefined]) {
      const res = codec.decode('Alert', json, headers)
      expect(res.ok && res.value).toEqual(v2)
    }
    // A JSON alert without the v2 fields (an older integration's record) gets the defaults.
    const { unit: _u, resolve_reason: _r, series: _s, ...old } = v2
    const res = codec.decode('Alert', codec.encodeJson(old))
    expect(res.ok && res.value).toMatchObject({ unit: '', resolve_reason: null, series: [] })
  })
})
