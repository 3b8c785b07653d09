/** The alerter process: starts with a real broker, serves /healthz, exits 0 on SIGTERM; bad rules exit 2 (bad configuration). */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoPath } from '../../shared/paths.js'
import { brokers, tempDir, uniqueName, waitFor } from '../helpers.js'

function run(env: Record<string, string>): { lines: string[]; exit: Promise<number | null>; kill(sig: NodeJS.Signals): void } {
  const child = spawn(process.execPath, ['--import', 'tsx', repoPath('services', 'alerter', 'main.ts')], {
    cwd: repoPath(),
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const collect = (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean))
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  return { lines, exit, kill: (sig) => child.kill(sig) }
}

describe('alerter process', () => {
  it('runs, reports healthy, and shuts down cleanly on SIGTERM', async () => {
    const p = run({
      KAFKA_BROKERS: brokers().join(','),
      ALERTER_SCORES_TOPIC: uniqueName('scores'),
      ALERTER_ALERTS_TOPIC: uniqueName('alerts'),
      ALERTER_GROUP_ID: uniqueName('alerter'),
      METRICS_PORT: '0',
    })
    const running = await waitFor(() => p.lines.map((l) => JSON.parse(l) as { msg: string; metricsPort?: number }).find((l) => l.msg === 'alerter running'), 60_000, 'alerter running')
    const health = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${running.metricsPort}/healthz`)
      const body = (await res.json()) as { ready: boolean }
      return body.ready ? body : null
    }, 30_000, 'ready')
    expect(health).toMatchObject({ ok: true, ready: true })
    p.kill('SIGTERM')
    expect(await p.exit).toBe(0)
  })

  it('exits non-zero with a message naming the rule and field of a bad rules file', async () => {
    const file = path.join(tempDir(), 'rules.yaml')
    writeFileSync(file, 'rules:\n  - name: broken\n    kind: rate\n    select: { scorer: toxicity }\n    window: soon\n    threshold: 0.1\n    annotations: { summary: x }\n')
    const p = run({ KAFKA_BROKERS: brokers().join(','), ALERTER_RULES_FILE: file })
    expect(await p.exit).toBe(2)
    expect(p.lines.join('\n')).toMatch(/rule \\"broken\\" \(rules\[0\]\) field \\"window\\": expected a duration/)
  })
})
