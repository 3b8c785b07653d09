/**
 * Fuzz tests of the loaders a service reads at start-up: alert rules (YAML/JSON text and parsed
 * data), the scorer config and the environment schemas. Seeded and mutated from the shipped files.
 * A loader must either return a valid result or throw its own typed error with a message (RulesError,
 * ConfigError): never a TypeError from inside, never a hang.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadEnv } from '../../shared/config.js'
import { ConfigError } from '../../shared/errors.js'
import { repoPath } from '../../shared/paths.js'
import { Rng } from '../../shared/traffic/index.js'
import { alerterEnvSchema } from '../../services/alerter/config.js'
import { parseRules, RulesError, validateRules } from '../../services/alerter/rules.js'
import { scorerEnvSchema } from '../../services/scorer/config.js'
import { resolveScorerConfig } from '../../services/scorer/scorer-config.js'
import { SCORERS } from '../../services/scorer/scorers/index.js'
import { sinkEnvSchema } from '../../services/sink/config.js'

const RULES_TEXT = readFileSync(repoPath('config', 'alert-rules.yaml'), 'utf8')
const ODD_VALUES: unknown[] = [null, -1, 0, 1e308, -1e308, Number.NaN, '', ' ', '5m', '-5m', '0s', '1e9d', 'NaN', true, [], {}, [[]], { a: { b: {} } }, 'x'.repeat(5000), '\u0000', '{{ value }}', 'toString', '__proto__', 'constructor']
const TOKENS = ['kind:', 'rate', 'immediate', 'absence', 'anomaly', 'quantile', 'budget', 'window:', 'threshold:', '-', ':', '{', '}', '[', ']', '"', "'", '\n', '  ', '&a', '*a', '!!js/function', '<<: *a', '~', '0x1F', '1e999', '.nan', '%YAML 1.2', '---', '...', '#']

/** Runs `fn`, classifying the outcome; anything but a result or one of `allowed` errors fails the test. */
function outcome(fn: () => unknown, allowed: (new (...a: never[]) => Error)[], what: () => string): 'ok' | 'rejected' {
  const t0 = performance.now()
  try {
    fn()
    return 'ok'
  } catch (err) {
    if (!allowed.some((E) => err instanceof E)) throw new Error(`${what()}: unexpected ${(err as Error)?.name}: ${(err as Error)?.message ?? String(err)}`)
    if (!(err as Error).message) throw new Error(`${what()}: error without a message`)
    return 'rejected'
  } finally {
    const dt = performance.now() - t0
    if (dt > 2_000) throw new Error(`${what()}: took ${dt.toFixed(0)} ms`)
  }
}

function mutateText(r: Rng, text: string): string {
  let t = text
  for (let k = r.int(1, 6); k > 0; k--) {
    const at = r.int(0, t.length)
    switch (r.int(0, 4)) {
      case 0: t = t.slice(0, at) + t.slice(at + r.int(1, 40)); break
      case 1: t = t.slice(0, at) + r.pick(TOKENS) + t.slice(at); break
      case 2: t = t.slice(0, at) + String.fromCharCode(r.int(0, 0xffff)) + t.slice(at); break
      case 3: { const lines = t.split('\n'); const i = r.int(0, lines.length - 1); lines.splice(r.int(0, lines.length), 0, lines[i]!); t = lines.join('\n'); break }
      default: { const lines = t.split('\n'); lines.splice(r.int(0, lines.length - 1), 1); t = lines.join('\n') }
    }
  }
  return t
}

/** A parsed value with random fields replaced, deleted or added (recursively). */
function mutateValue(r: Rng, v: unknown, depth = 0): unknown {
  if (r.chance(0.08) || depth > 6) return r.pick(ODD_VALUES)
  if (Array.isArray(v)) return v.filter(() => !r.chance(0.1)).map((x) => mutateValue(r, x, depth + 1))
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (!r.chance(0.05)) out[r.chance(0.03) ? `${k}_typo` : k] = r.chance(0.85) ? x : mutateValue(r, x, depth + 1)
    if (r.chance(0.05)) out[r.pick(['extra', 'name', 'kind', 'window', '__proto__'])] = r.pick(ODD_VALUES)
    return out
  }
  return r.chance(0.2) ? r.pick(ODD_VALUES) : v
}

describe('config loader fuzz', () => {
  it('alert rules: 3,000 mutated YAML/JSON texts and 5,000 mutated rule objects', () => {
    const r = new Rng(7001)
    const parsedBase = { rules: parseRules(RULES_TEXT, 'yaml', 'base').map((x) => ({ ...x })) }
    const json = JSON.stringify(parsedBase)
    const stats = { ok: 0, rejected: 0 }
    for (let i = 0; i < 3_000; i++) {
      const json_ = r.chance(0.3)
      const text = mutateText(r, json_ ? json : RULES_TEXT)
      stats[outcome(() => parseRules(text, json_ ? 'json' : 'yaml', 'fuzz'), [RulesError], () => `rules text #${i}`)]++
    }
    const raw = JSON.parse(json) as unknown
    for (let i = 0; i < 5_000; i++) {
      const data = mutateValue(r, raw)
      stats[outcome(() => validateRules(data, 'fuzz'), [RulesError], () => `rules data #${i}: ${JSON.stringify(data).slice(0, 300)}`)]++
    }
    console.log(`[fuzz-config] rules ${JSON.stringify(stats)}`)
    expect(stats.ok).toBeGreaterThan(0)
    expect(stats.rejected).toBeGreaterThan(0)
  })

  it('scorer config: 5,000 mutated configs', () => {
    const r = new Rng(7002)
    const base: Record<string, unknown> = { timeBudgetMs: 250 }
    for (const s of SCORERS) base[s.name] = { enabled: true, ...(s.name === 'toxicity' || s.name === 'bias' || s.name === 'injection' ? { threshold: 0.5 } : {}) }
    const stats = { ok: 0, rejected: 0 }
    for (let i = 0; i < 5_000; i++) {
      const cfg = r.chance(0.05) ? r.pick(ODD_VALUES) : mutateValue(r, base)
      stats[outcome(() => resolveScorerConfig(cfg, SCORERS, 'fuzz'), [ConfigError], () => `scorer config #${i}: ${JSON.stringify(cfg).slice(0, 300)}`)]++
    }
    console.log(`[fuzz-config] scorer config ${JSON.stringify(stats)}`)
    expect(stats.ok).toBeGreaterThan(0)
    expect(stats.rejected).toBeGreaterThan(0)
  })

  it('service environments: 5,000 random environments for the scorer, sink and alerter', () => {
    const r = new Rng(7003)
    const schemas = [scorerEnvSchema, sinkEnvSchema, alerterEnvSchema] as const
    const names = [...new Set(schemas.flatMap((s) => Object.keys(s.shape)))]
    const values = ['', '0', '1', '-1', 'true', 'false', 'yes', 'maybe', '1e3', '99999999999', 'localhost:9092', 'a:b', 'host:9092,,', 'http://x', 'not a url', 'debug', 'full', 'x'.repeat(300), '\u0000', ' 5 ']
    const stats = { ok: 0, rejected: 0 }
    for (let i = 0; i < 5_000; i++) {
      const env: Record<string, string> = {}
      for (let k = r.int(0, 8); k > 0; k--) env[r.pick(names)] = r.pick(values)
      const schema = schemas[i % 3]!
      stats[outcome(() => loadEnv(schema, env), [ConfigError], () => `env #${i}: ${JSON.stringify(env)}`)]++
    }
    console.log(`[fuzz-config] env ${JSON.stringify(stats)}`)
    expect(stats.ok).toBeGreaterThan(0)
    expect(stats.rejected).toBeGreaterThan(0)
  })
})
