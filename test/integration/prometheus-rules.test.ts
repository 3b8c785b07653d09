/**
 * The Prometheus rules for the pipeline (infra/prometheus) checked by Prometheus' own promtool:
 * the rules and the example configuration are valid, and the rules' unit tests (small series: lag,
 * dead letters, a failing sink, a service down) pass. promtool is set up by test/global-setup.ts
 * (test/promtool.ts); that the rules read metrics the services export is
 * test/integration/pipeline-metrics.test.ts.
 */
import { spawnSync } from 'node:child_process'
import { describe, expect, inject, it } from 'vitest'
import { repoPath } from '../../shared/paths.js'

function promtool(...args: string[]): { status: number | null; out: string } {
  const tool = inject('promtool')
  if ('error' in tool) throw new Error(`promtool is not available: ${tool.error}`)
  const res = spawnSync(tool.path, args, { cwd: repoPath('infra', 'prometheus'), encoding: 'utf8', timeout: 60_000 })
  return { status: res.status, out: `${res.stdout}${res.stderr}` }
}

describe('Prometheus rules for the pipeline', () => {
  it('promtool check rules: valid, six rules', () => {
    const r = promtool('check', 'rules', 'llmwatch-rules.yml')
    expect(r.out).toContain('SUCCESS: 6 rules found')
    expect(r.status).toBe(0)
  })

  it('promtool check config: the example configuration loads the rules', () => {
    const r = promtool('check', 'config', 'prometheus.yml')
    expect(r.out).toContain('SUCCESS: 1 rule files found')
    expect(r.status).toBe(0)
  })

  it('promtool test rules: each rule fires on its series when it should, not before', () => {
    const r = promtool('test', 'rules', 'llmwatch-rules.test.yml')
    expect(r.out).toContain('SUCCESS')
    expect(r.out).not.toContain('FAILED')
    expect(r.status).toBe(0)
  })
})
