/**
 * A bounds check of Avro binary against its writer schema, run before decoding untrusted bytes.
 *
 * avsc trusts the block counts and lengths in the data: a corrupted or hostile varint such as an
 * array count of 2^40 makes it loop and allocate until the process dies (an allocation bomb). This
 * walk reads the same structure without allocating anything and rejects any length or item count
 * that cannot fit in the bytes that remain. It does not validate values: avsc and zod do that.
 */
import type avro from 'avsc'

export interface GuardResult {
  ok: boolean
  reason?: string
}

interface Cursor {
  buf: Buffer
  pos: number
}

/** Items of zero encoded size (null, empty records) cannot be bounded by the remaining bytes. */
const MAX_ZERO_SIZE_ITEMS = 100_000

class Overrun extends Error {}

function readLong(c: Cursor): number {
  let n = 0
  let shift = 0
  let b: number
  do {
    if (c.pos >= c.buf.length) throw new Overrun('varint runs past the end')
    b = c.buf[c.pos++]!
    if (shift > 63) throw new Overrun('varint longer than 10 bytes')
    n += (b & 0x7f) * 2 ** shift
    shift += 7
  } while (b & 0x80)
  // zig-zag decode without losing sign on large magnitudes
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2
}

function skip(c: Cursor, n: number, what: string): void {
  if (n < 0 || c.pos + n > c.buf.length) throw new Overrun(`${what} of ${n} bytes exceeds the ${c.buf.length - c.pos} remaining`)
  c.pos += n
}

function minSize(t: avro.Type): number {
  const name = t.typeName
  if (name === 'null') return 0
  if (name === 'record' || name === 'error') return (t as unknown as { fields: { type: avro.Type }[] }).fields.reduce((s, f) => s + minSize(f.type), 0)
  if (name === 'fixed') return (t as unknown as { size: number }).size
  if (name.startsWith('logical:')) return minSize((t as unknown as { underlyingType: avro.Type }).underlyingType)
  return 1
}

function walk(t: avro.Type, c: Cursor): void {
  const name = t.typeName
  switch (name) {
    case 'null':
      return
    case 'boolean':
      return skip(c, 1, 'boolean')
    case 'int':
    case 'long':
    case 'enum':
      readLong(c)
      return
    case 'float':
      return skip(c, 4, 'float')
    case 'double':
      return skip(c, 8, 'double')
    case 'string':
    case 'bytes':
      return skip(c, readLong(c), name)
    case 'fixed':
      return skip(c, (t as unknown as { size: number }).size, 'fixed')
    case 'record':
    case 'error':
      for (const f of (t as unknown as { fields: { type: avro.Type }[] }).fields) walk(f.type, c)
      return
    case 'array':
    case 'map': {
      const item = name === 'array' ? (t as unknown as { itemsType: avro.Type }).itemsType : (t as unknown as { valuesType: avro.Type }).valuesType
      const perItem = minSize(item) + (name === 'map' ? 1 : 0)
      for (;;) {
        let count = readLong(c)
        if (count === 0) return
        if (count < 0) {
          count = -count
          const size = readLong(c)
          if (size < 0 || c.pos + size > c.buf.length) throw new Overrun(`${name} block of ${size} bytes exceeds the remaining bytes`)
        }
        const fits = perItem === 0 ? count <= MAX_ZERO_SIZE_ITEMS : count * perItem <= c.buf.length - c.pos
        if (!fits) throw new Overrun(`${name} block count ${count} cannot fit in the ${c.buf.length - c.pos} remaining bytes`)
        for (let i = 0; i < count; i++) {
          if (name === 'map') skip(c, readLong(c), 'map key')
          walk(item, c)
        }
      }
    }
    default:
      if (name.startsWith('union')) {
        const types = (t as unknown as { types: avro.Type[] }).types
        const index = readLong(c)
        const branch = types[index]
        if (!branch) throw new Overrun(`union branch ${index} does not exist`)
        return walk(branch, c)
      }
      if (name.startsWith('logical:')) return walk((t as unknown as { underlyingType: avro.Type }).underlyingType, c)
      throw new Overrun(`unsupported Avro type ${name}`)
  }
}

/** Checks that `buf[offset..]` can be read as `type` without any length or count overrunning it. */
export function checkAvroBounds(type: avro.Type, buf: Buffer, offset = 0): GuardResult {
  const c: Cursor = { buf, pos: offset }
  try {
    walk(type, c)
    return { ok: true }
  } catch (err) {
    if (err instanceof Overrun) return { ok: false, reason: err.message }
    throw err
  }
}
