import { describe, expect, it } from 'vitest'
import { loadEnv } from '../../shared/config.js'
import { scorerEnvSchema } from '../../services/scorer/config.js'

describe('scorer environment', () => {
  it('bounds the old generation at 2x what the last full GC kept by default; 0 leaves V8 its own policy', () => {
    expect(loadEnv(scorerEnvSchema, {}).SCORER_HEAP_GROWING_PERCENT).toBe(100)
    expect(loadEnv(scorerEnvSchema, { SCORER_HEAP_GROWING_PERCENT: '0' }).SCORER_HEAP_GROWING_PERCENT).toBe(0)
    expect(loadEnv(scorerEnvSchema, { SCORER_HEAP_GROWING_PERCENT: '250' }).SCORER_HEAP_GROWING_PERCENT).toBe(250)
  })
  it('names the variable on a bad value', () => {
    expect(() => loadEnv(scorerEnvSchema, { SCORER_HEAP_GROWING_PERCENT: 'lots' })).toThrow(/SCORER_HEAP_GROWING_PERCENT/)
    expect(() => loadEnv(scorerEnvSchema, { SCORER_HEAP_GROWING_PERCENT: '-5' })).toThrow(/SCORER_HEAP_GROWING_PERCENT/)
    expect(() => loadEnv(scorerEnvSchema, { SCORER_HEAP_GROWING_PERCENT: '1.5' })).toThrow(/SCORER_HEAP_GROWING_PERCENT/)
  })
})
