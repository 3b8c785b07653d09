/**
 * `llmwatch demo`, the README's main command, run briefly as a user would (a child process) against
 * the test broker: it must drive traffic through every service into ClickHouse (a `llmwatch
 * clickhouse serve` of its own: no CLICKHOUSE_URL), fire the alert of every scripted incident, and
 * print the verdicts and the analyst answers. While it runs, an analyst queries its ClickHouse with
 * the command and the reader credentials it printed.
 */
import { spawn, spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { repoPath } from '../../shared/paths.js'
import { brokers, tempDir, waitFor } from '../helpers.js'

describe('llmwatch demo', () => {
  it('runs the pipeline with incidents and reports every incident alert and the analyst queries', async () => {
    const dataDir = tempDir('llmwatch-demo-')
    const child = spawn(process.execPath, [repoPath('bin', 'llmwatch.mjs'), 'demo', '--duration', '90s', '--rate', '150', '--json', '--data-dir', dataDir], {
      env: { ...process.env, KAFKA_BROKERS: brokers().join(','), LOG_LEVEL: 'error', CLICKHOUSE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve))
    // An analyst, while the pipeline runs: the printed `llmwatch sql` line (read-only user) and curl's request.
    await waitFor(() => /\] produced [1-9]\d* \(/.test(stderr), 180_000, 'the demo to produce')
    const hint = /^\s+CLICKHOUSE_URL=(\S+) CLICKHOUSE_USER=(\S+) npx llmwatch sql "([^"]+)"$/m.exec(stderr)
    expect(hint, stderr.slice(-3000)).not.toBeNull()
    const [, url, user, query] = hint!
    expect(user).toBe('reader')
    const auth = `Basic ${Buffer.from(`${user}:`).toString('base64')}`
    const count = async () => {
      const r = await fetch(`${url}/?database=llmwatch`, { method: 'POST', headers: { authorization: auth }, body: 'SELECT count() FROM interactions' })
      expect(r.status).toBe(200)
      return Number(await r.text())
    }
    await waitFor(async () => (await count()) > 0, 120_000, 'rows in interactions, seen by the reader over HTTP')
    const sql = spawnSync(process.execPath, [repoPath('bin', 'llmwatch.mjs'), 'sql', query!, '--format', 'json'], {
      env: { ...process.env, CLICKHOUSE_URL: url, CLICKHOUSE_USER: user, CLICKHOUSE_PASSWORD: '', CLICKHOUSE_DATABASE: 'llmwatch' }, encoding: 'utf8', timeout: 60_000,
    })
    expect(sql.status, sql.stderr).toBe(0)
    expect((JSON.parse(sql.stdout) as { events: number }[]).length).toBeGreaterThan(0)
    // The reader cannot write.
    const denied = await fetch(`${url}/?database=llmwatch`, { method: 'POST', headers: { authorization: auth }, body: 'DROP TABLE interactions' })
    expect(denied.status).toBe(403)
    const code = await exit
    const last = stdout.trim().split('\n').filter((l) => l.startsWith('{"produced"')).pop()
    expect(last, `demo printed no summary; stderr tail:\n${stderr.slice(-3000)}`).toBeDefined()
    const summary = JSON.parse(last!) as { produced: number; rows: { interactions: number; scores: number }; incidents: { incident: string; fired: boolean }[] }
    // Every produced event reached ClickHouse once.
    expect(summary.produced).toBeGreaterThan(5000)
    expect(summary.rows.interactions).toBe(summary.produced)
    expect(summary.rows.scores).toBeGreaterThan(summary.produced * 7)
    // Every scripted incident fired its alert, and the exit code says so.
    expect(summary.incidents.map((i) => i.incident).sort()).toEqual(['cost_runaway', 'injection_campaign', 'latency_regression', 'pii_leak', 'rag_hallucination', 'toxicity_spike'])
    expect(summary.incidents.filter((i) => !i.fired), stderr.slice(-4000)).toEqual([])
    expect(code).toBe(0)
    // The terminal output a person reads: progress, verdicts, analyst answers.
    expect(stderr).toMatch(/produced \d+ \(\d+\/s\)\s+lag scorer/)
    expect(stderr).toContain('incidents and their alerts:')
    expect(stderr).toContain('-- Cost per app')
    expect(stderr).toContain('-- p95 latency and time to first token by model')
  }, 400_000)
})
