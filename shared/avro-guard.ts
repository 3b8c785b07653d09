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
  // Most varints are one byte: a small length, count, union branch or enum index.
  const first = c.buf[c.pos]
  if (first !== undefined && first < 0x80) {
    c.pos++
    return first & 1 ? -(first + 1) / 2 : first / 2
  }
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

type Walk = (c: Cursor) => void

const skipper = (n: number, what: string): Walk => (c) => skip(c, n, what)
const readVarint: Walk = (c) => void readLong(c)
const nothing: Walk = () => {}

/**
 * The walk for a type, compiled once per type into closures (the schema is fixed; interpreting it
 * per message cost as much as avsc's decoding). Named types may refer to themselves, so records
 * are registered before their fields are compiled.
 */
function compile(t: avro.Type, seen: Map<avro.Type, Walk>): Walk {
  const known = seen.get(t)
  if (known) return known
  const name = t.typeName
  switch (name) {
    case 'null':
      return nothing
    case 'boolean':
      return skipper(1, 'boolean')
    case 'int':
    case 'long':
    case 'enum':
      return readVarint
    case 'float':
      return skipper(4, 'float')
    case 'double':
      return skipper(8, 'double')
    case 'string':
    case 'bytes':
      return (c) => skip(c, readLong(c), name)
    case 'fixed':
      return skipper((t as unknown as { size: number }).size, 'fixed')
    case 'record':
    case 'error': {
      let fields: Walk[] = []
      const walk: Walk = (c) => {
        for (let i = 0; i < fields.length; i++) fields[i]!(c)
      }
      seen.set(t, walk)
      fields = (t as unknown as { fields: { type: avro.Type }[] }).fields.map((f) => compile(f.type, seen))
      return walk
    }
    case 'array':
    case 'map': {
      const isMap = name === 'map'
      const itemType = isMap ? (t as unknown as { valuesType: avro.Type }).valuesType : (t as unknown as { itemsType: avro.Type }).itemsType
      const perItem = minSize(itemType) + (isMap ? 1 : 0)
      let item: Walk = nothing
      const walk: Walk = (c) => {
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
            if (isMap) skip(c, readLong(c), 'map key')
            item(c)
          }
        }
      }
      seen.set(t, walk)
      item = compile(itemType, seen)
      return walk
    }
    default:
      if (name.startsWith('union')) {
        const branches = (t as unknown as { types: avro.Type[] }).types.map((b) => compile(b, seen))
        return (c) => {
          const index = readLong(c)
          const branch = branches[index]
          if (!branch) throw new Overrun(`union branch ${index} does not exist`)
          branch(c)
        }
      }
      if (name.startsWith('logical:')) return compile((t as unknown as { underlyingType: avro.Type }).underlyingType, seen)
      return () => {
        throw new Overrun(`unsupported Avro type ${name}`)
      }
  }
}

const compiled = new WeakMap<avro.Type, Walk>()

/** Checks that `buf[offset..]` can be read as `type` without any length or count overrunning it. */
export function checkAvroBounds(type: avro.Type, buf: Buffer, offset = 0): GuardResult {
  let walk = compiled.get(type)
  if (!walk) {
    walk = compile(type, new Map())
    compiled.set(type, walk)
  }
  const c: Cursor = { buf, pos: offset }
  try {
    walk(c)
    return { ok: true }
  } catch (err) {
    if (err instanceof Overrun) return { ok: false, reason: err.message }
    throw err
  }
}
