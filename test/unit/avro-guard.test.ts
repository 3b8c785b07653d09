import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { checkAvroBounds } from '../../shared/avro-guard.js'
import { Codec, avroOpts } from '../../shared/codec.js'
import { interaction } from '../fixtures.js'

const codec = Codec.load()
const type = codec.typeOf('LlmInteraction')

describe('Avro bounds guard', () => {
  it('accepts every well-formed record', () => {
    for (let i = 0; i < 50; i++) {
      const e = interaction({ retrieved_context: Array.from({ length: i % 5 }, (_, k) => `chunk ${k}`), attributes: { a: String(i) } })
      expect(checkAvroBounds(type, type.toBuffer(e))).toEqual({ ok: true })
    }
  })

  it('rejects an array count that cannot fit (an allocation bomb) without allocating', () => {
    const t = avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'xs', type: { type: 'array', items: 'string' } }] }, avroOpts())
    const bomb = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f, 0x02, 0x61]) // count 2^31-1, then one string
    const res = checkAvroBounds(t, bomb)
    expect(res.ok).toBe(false)
    expect(res.reason).toMatch(/block count/)
  })

  it('rejects string lengths past the end and bad union branches', () => {
    const t = avro.Type.forSchema({ type: 'record', name: 'S', fields: [{ name: 's', type: ['null', 'string'] }] }, avroOpts())
    expect(checkAvroBounds(t, Buffer.from([0x02, 0x7e, 0x61])).ok).toBe(false)
    expect(checkAvroBounds(t, Buffer.from([0x08])).ok).toBe(false)
    expect(checkAvroBounds(t, Buffer.from([0x02, 0x02, 0x61])).ok).toBe(true)
  })

  it('the codec turns a bomb into a DECODE_AVRO rejection', () => {
    const buf = codec.encode('LlmInteraction', interaction())
    // Replace everything after the first field with a huge varint where lengths are read.
    const bomb = Buffer.concat([buf.subarray(0, 5), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])])
    expect(codec.decode('LlmInteraction', bomb)).toMatchObject({ ok: false, code: 'DECODE_AVRO' })
  })
})
