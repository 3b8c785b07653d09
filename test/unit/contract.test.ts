/**
 * The Avro schemas (schemas/*.avsc) are the source of truth; shared/contract.ts mirrors them in zod.
 * This test walks both and fails on any drift: a field missing on either side, a different type,
 * nullability, or a default on one side only.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { AlertSchema, LlmInteractionSchema, ScoredInteractionSchema } from '../../shared/contract.js'
import { repoPath } from '../../shared/paths.js'

type AvroSchema = string | { type: string | AvroSchema[]; items?: AvroSchema; values?: AvroSchema; fields?: AvroField[]; logicalType?: string } | AvroSchema[]
interface AvroField { name: string; type: AvroSchema; default?: unknown }
interface Json { type?: string | string[]; anyOf?: Json[]; items?: Json; properties?: Record<string, Json>; required?: string[]; additionalProperties?: Json | boolean; enum?: unknown[]; default?: unknown }

/** A comparable signature of an Avro type: 'string', 'long', 'array<string>', 'record{...}', with '?' for null unions. */
function avroSig(t: AvroSchema): string {
  if (typeof t === 'string') return t === 'int' || t === 'long' ? 'integer' : t === 'double' || t === 'float' ? 'number' : t
  if (Array.isArray(t)) {
    const nonNull = t.filter((x) => x !== 'null')
    return `${nonNull.map(avroSig).join('|')}${nonNull.length < t.length ? '?' : ''}`
  }
  if (Array.isArray(t.type)) return avroSig(t.type)
  if (t.type === 'array') return `array<${avroSig(t.items!)}>`
  if (t.type === 'map') return `map<${avroSig(t.values!)}>`
  if (t.type === 'record') return `record{${t.fields!.map((f) => `${f.name}:${avroSig(f.type)}`).join(',')}}`
  return avroSig(t.type)
}

function jsonSig(j: Json): string {
  if (j.anyOf) {
    const nonNull = j.anyOf.filter((x) => x.type !== 'null')
    return `${nonNull.map(jsonSig).join('|')}${nonNull.length < j.anyOf.length ? '?' : ''}`
  }
  if (Array.isArray(j.type)) {
    const nonNull = j.type.filter((t) => t !== 'null')
    return `${nonNull.join('|')}${nonNull.length < j.type.length ? '?' : ''}`
  }
  if (j.enum) return 'string'
  if (j.type === 'array') return `array<${jsonSig(j.items!)}>`
  if (j.type === 'object' && j.properties) return `record{${Object.entries(j.properties).map(([k, v]) => `${k}:${jsonSig(v)}`).join(',')}}`
  if (j.type === 'object') return `map<${jsonSig(j.additionalProperties as Json)}>`
  return (j.type as string | undefined) ?? 'unknown'
}

const cases = [
  ['LlmInteraction', LlmInteractionSchema],
  ['ScoredInteraction', ScoredInteractionSchema],
  ['Alert', AlertSchema],
] as const

describe('zod and Avro cannot drift apart', () => {
  it.each(cases)('%s: same fields, types, nullability and defaults', (name, schema) => {
    const avro = JSON.parse(readFileSync(repoPath('schemas', `${name}.avsc`), 'utf8')) as { fields: AvroField[] }
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json
    const props = json.properties ?? {}
    expect(Object.keys(props).sort()).toEqual(avro.fields.map((f) => f.name).sort())
    for (const f of avro.fields) {
      const p = props[f.name]!
      expect(jsonSig(p), `${name}.${f.name} type`).toBe(avroSig(f.type))
      const zodOptional = !(json.required ?? []).includes(f.name)
      expect(zodOptional, `${name}.${f.name}: Avro default ${f.default !== undefined} vs zod optional ${zodOptional}`).toBe(f.default !== undefined)
      if (f.default !== undefined) expect(p.default, `${name}.${f.name} default`).toEqual(f.default)
    }
  })
})
