/**
 * The generator's model names must be priceable: every (provider, model) it emits matches an entry
 * of the cost scorer's catalog by the rules the catalog states (model, alias or dated snapshot).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MODELS } from '../../shared/traffic/index.js'

interface Entry { provider: string; model: string; aliases?: string[]; dated_suffix?: boolean; also_via?: string[] }
const catalog = JSON.parse(readFileSync(new URL('../../services/scorer/pricing/catalog.json', import.meta.url), 'utf8')) as { models: Entry[] }

function priced(provider: string, model: string): boolean {
  const m = model.toLowerCase()
  return catalog.models.some((e) => {
    if (e.provider !== provider && !(e.also_via ?? []).includes(provider)) return false
    const names = [e.model, ...(e.aliases ?? [])].map((x) => x.toLowerCase())
    if (names.includes(m)) return true
    return e.dated_suffix === true && names.some((n) => new RegExp(`^${n.replace(/[.]/g, '\\.')}(-\\d{4}-\\d{2}-\\d{2}|-\\d{8}|@\\d{8})$`).test(m))
  })
}

describe('traffic models vs the pricing catalog', () => {
  it.each(Object.values(MODELS).map((m) => [m.provider, m.id, m.responseModel] as const))('%s %s (%s) is in the catalog', (provider, id, responseModel) => {
    expect(priced(provider, id)).toBe(true)
    expect(priced(provider, responseModel)).toBe(true)
  })
})
