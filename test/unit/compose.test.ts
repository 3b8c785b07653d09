/** infra/docker-compose.yml must not rot: its services and env names match the code's config schemas. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type { z } from 'zod'
import { loadEnv } from '../../shared/config.js'
import { repoPath } from '../../shared/paths.js'
import { alerterEnvSchema } from '../../services/alerter/config.js'
import { gatewayEnvSchema } from '../../services/gateway/config.js'
import { scorerEnvSchema } from '../../services/scorer/config.js'
import { sinkEnvSchema } from '../../services/sink/config.js'
import { uiEnvSchema } from '../../services/ui/config.js'

interface ComposeService { command?: string[]; environment?: Record<string, string> }
const compose = parse(readFileSync(repoPath('infra', 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> }
const schemas: Record<string, z.ZodObject> = { scorer: scorerEnvSchema, sink: sinkEnvSchema, alerter: alerterEnvSchema, gateway: gatewayEnvSchema }

describe('docker-compose.yml', () => {
  it('runs every service the CLI knows, with `llmwatch run <name>`', () => {
    for (const name of Object.keys(schemas)) expect(compose.services[name]?.command).toEqual(['run', name])
  })

  it.each(Object.keys(schemas))('%s: every env name exists in its config schema and the values validate', (name) => {
    const env = compose.services[name]!.environment ?? {}
    const known = Object.keys(schemas[name]!.shape)
    for (const key of Object.keys(env)) expect(known, `${name}: ${key} is not in the config schema`).toContain(key)
    expect(() => loadEnv(schemas[name]!, env)).not.toThrow()
  })

  it('the dashboard runs `llmwatch ui` as the read-only user the ClickHouse server mounts', () => {
    const ui = compose.services.ui!
    expect(ui.command).toEqual(['ui'])
    const env = ui.environment ?? {}
    for (const key of Object.keys(env)) expect(Object.keys(uiEnvSchema.shape), `ui: ${key} is not in the config schema`).toContain(key)
    expect(() => loadEnv(uiEnvSchema, env)).not.toThrow()
    const users = readFileSync(repoPath('infra', 'clickhouse', 'users.d', 'dashboard-reader.xml'), 'utf8')
    expect(users).toContain(`<${env.UI_CLICKHOUSE_USER}>`)
    expect(users).toContain(`<password>${env.UI_CLICKHOUSE_PASSWORD}</password>`)
    expect(users).toMatch(/<readonly>1<\/readonly>/)
    expect(JSON.stringify(compose.services.clickhouse)).toContain('dashboard-reader.xml')
  })

  it('the sink talks to the compose ClickHouse server with its credentials', () => {
    const sink = compose.services.sink!.environment!
    const ch = compose.services.clickhouse!.environment!
    expect(sink.CLICKHOUSE_URL).toBe('http://clickhouse:8123')
    expect(sink.CLICKHOUSE_USER).toBe(ch.CLICKHOUSE_USER)
    expect(sink.CLICKHOUSE_PASSWORD).toBe(ch.CLICKHOUSE_PASSWORD)
  })
})
