import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { baseEnvSchema, envBool, loadEnv } from '../../shared/config.js'
import { ConfigError } from '../../shared/errors.js'

describe('loadEnv', () => {
  it('applies defaults and parses broker lists', () => {
    const cfg = loadEnv(baseEnvSchema, { KAFKA_BROKERS: 'a:9092, b:9093' })
    expect(cfg.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093'])
    expect(cfg.CLICKHOUSE_DATABASE).toBe('llmwatch')
    expect(cfg.KAFKA_PARTITIONS).toBe(6)
  })

  it('treats empty strings as unset', () => {
    expect(loadEnv(baseEnvSchema, { CLICKHOUSE_URL: '' }).CLICKHOUSE_URL).toBeUndefined()
  })

  it('names the variable, what was expected and what it got', () => {
    const bad = () => loadEnv(baseEnvSchema, { KAFKA_BROKERS: 'nohost', KAFKA_PARTITIONS: 'many', CLICKHOUSE_URL: 'not a url' })
    expect(bad).toThrow(ConfigError)
    try {
      bad()
    } catch (err) {
      const msg = (err as Error).message
      expect(msg).toMatch(/KAFKA_BROKERS.*host:port.*"nohost"/)
      expect(msg).toMatch(/KAFKA_PARTITIONS.*number.*"many"/)
      expect(msg).toMatch(/CLICKHOUSE_URL/)
    }
  })

  it('parses real booleans', () => {
    const s = z.object({ FLAG: envBool.default(false) })
    expect(loadEnv(s, { FLAG: 'true' }).FLAG).toBe(true)
    expect(loadEnv(s, { FLAG: '0' }).FLAG).toBe(false)
    expect(() => loadEnv(s, { FLAG: 'maybe' })).toThrow(/FLAG: expected true or false/)
  })
})
