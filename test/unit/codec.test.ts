import { readFileSync } from 'node:fs'
import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { avroOpts, Codec } from '../../shared/codec.js'
import { LlmInteractionSchema } from '../../shared/contract.js'
import { repoPath } from '../../shared/paths.js'
import { interaction } from '../fixtures.js'

const codec = Codec.load()

describe('codec', () => {
  it('round-trips an LlmInteraction through Confluent-framed Avro', () => {
    const e = interaction({ retrieved_context: ['chunk one'], attributes: { tenant: 'acme' } })
    const buf = codec.encode('LlmInteraction', e)
    expect(buf[0]).toBe(0)
    expect(buf.readInt32BE(1)).toBe(codec.schemaIdOf('LlmInteraction'))
    const res = codec.decode('LlmInteraction', buf)
    expect(res).toMatchObject({ ok: true, format: 'avro', value: e })
  })

  it('accepts JSON by header or by leading brace, applying defaults', () => {
    const e = interaction()
    const { retrieved_context: _r, attributes: _a, ...partial } = e
    const byBrace = codec.decode('LlmInteraction', Buffer.from(JSON.stringify(partial)))
    expect(byBrace.ok && byBrace.value.retrieved_context).toEqual([])
    const byHeader = codec.decode('LlmInteraction', Buffer.from(` ${JSON.stringify(e)}`), { 'content-type': 'application/json' })
    expect(byHeader).toMatchObject({ ok: true, format: 'json' })
  })

  it.each([
    ['empty', Buffer.alloc(0), 'DECODE_EMPTY'],
    ['random bytes', Buffer.from([7, 1, 2, 3, 4, 5]), 'DECODE_UNKNOWN_FORMAT'],
    ['unknown schema id', Buffer.from([0, 0, 0, 0x7f, 0x7f, 1, 2]), 'DECODE_UNKNOWN_SCHEMA_ID'],
    ['bad JSON', Buffer.from('{"event_id": '), 'DECODE_JSON'],
    ['non-UTF-8 JSON', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'DECODE_INVALID_UTF8'],
  ])('rejects %s with a code', (_name, buf, code) => {
    const res = codec.decode('LlmInteraction', buf)
    expect(res.ok).toBe(false)
    if (!res.ok) {
      expect(res.code).toBe(code)
      expect(res.reason.length).toBeGreaterThan(5)
    }
  })

  it('rejects truncated Avro and a schema id of another record', () => {
    const buf = codec.encode('LlmInteraction', interaction())
    expect(codec.decode('LlmInteraction', buf.subarray(0, buf.length - 10))).toMatchObject({ ok: false, code: 'DECODE_AVRO' })
    const alertId = codec.schemaIdOf('Alert')
    const wrong = Buffer.from(buf)
    wrong.writeInt32BE(alertId, 1)
    expect(codec.decode('LlmInteraction', wrong)).toMatchObject({ ok: false, code: 'DECODE_SCHEMA_MISMATCH' })
  })

  it('rejects invalid values that Avro accepts: negative tokens, 1970 and 2100 timestamps', () => {
    for (const over of [{ usage_output_tokens: -5 }, { request_start_time: 0, first_token_time: null }, { end_time: Date.UTC(2100, 0, 1) }]) {
      const buf = codec.encode('LlmInteraction', interaction(over))
      const res = codec.decode('LlmInteraction', buf)
      expect(res.ok, JSON.stringify(over)).toBe(false)
      if (!res.ok) expect(res.code).toBe('VALIDATION')
    }
  })

  it('rejects oversized payloads before parsing them', () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x20)
    big[0] = 0x7b
    expect(codec.decode('LlmInteraction', big)).toMatchObject({ ok: false, code: 'DECODE_TOO_LARGE' })
  })

  it('rejects Avro strings that are not valid UTF-8', () => {
    const e = interaction({ response_text: 'abcd' })
    const buf = codec.encode('LlmInteraction', e)
    const at = buf.indexOf(Buffer.from('abcd'))
    buf[at] = 0xff
    expect(codec.decode('LlmInteraction', buf)).toMatchObject({ ok: false, code: 'DECODE_INVALID_UTF8' })
  })
})

describe('schema evolution', () => {
  // A v2 of LlmInteraction adds an optional field with a default, registered under a new id.
  const v1 = JSON.parse(readFileSync(repoPath('schemas', 'LlmInteraction.avsc'), 'utf8')) as { fields: unknown[] }
  const v2 = { ...v1, fields: [...v1.fields, { name: 'request_temperature', type: ['null', 'double'], default: null }] }
  const t1 = avro.Type.forSchema(v1 as avro.Schema, avroOpts())
  const t2 = avro.Type.forSchema(v2 as avro.Schema, avroOpts())
  const entries = (reader: 'v1' | 'v2') => {
    const list = [{ id: 1, subject: 'llm.interactions-value', version: 1, record: 'LlmInteraction' as const, type: t1 }]
    if (reader === 'v2') list.push({ id: 11, subject: 'llm.interactions-value', version: 2, record: 'LlmInteraction' as const, type: t2 })
    else list.push({ id: 11, subject: 'llm.interactions-value', version: 0, record: 'LlmInteraction' as const, type: t2 })
    return list
  }

  it('an old reader reads new events (the added field is ignored)', () => {
    const newWriter = new Codec(entries('v2'))
    const oldReader = new Codec(entries('v1'))
    const buf = newWriter.encode('LlmInteraction', { ...interaction(), request_temperature: 0.7 } as never)
    expect(buf.readInt32BE(1)).toBe(11)
    const res = oldReader.decode('LlmInteraction', buf)
    expect(res.ok).toBe(true)
    if (res.ok) expect(res.value).not.toHaveProperty('request_temperature')
  })

  it('a new reader reads old events (the added field takes its default)', () => {
    const oldWriter = new Codec(entries('v1'))
    const newReader = new Codec(entries('v2'))
    const buf = oldWriter.encode('LlmInteraction', interaction())
    expect(buf.readInt32BE(1)).toBe(1)
    // The zod contract is strict, so validate against the v2 Avro type directly as well.
    const body = newReader.typeOf('LlmInteraction').fromBuffer(buf.subarray(5), newReader.typeOf('LlmInteraction').createResolver(t1), true) as Record<string, unknown>
    expect(body.request_temperature).toBeNull()
  })
})

describe('zod schema sanity', () => {
  it('the fixture validates', () => {
    expect(LlmInteractionSchema.safeParse(interaction()).success).toBe(true)
  })
})
