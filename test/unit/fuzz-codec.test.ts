/**
 * Fuzz test of the wire decoder (shared/codec.ts): 100,000 random and mutated inputs (random bytes,
 * bit flips, truncation, insertion, duplication, schema-id swaps, invalid UTF-8, JSON with wrong
 * types, huge strings and 100,000-deep nesting), seeded so a failure replays. The fuzzer
 * (test/faults/fuzz-decoder.ts) runs as its own process with a small heap and a deadline, so a
 * decoder that hangs or eats memory fails here instead of taking the test runner down.
 */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { repoPath } from '../../shared/paths.js'

function runFuzzer(args: string[], timeoutMs: number): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=512', repoPath('test', 'faults', 'fuzz-decoder.ts'), ...args], {
    cwd: repoPath(),
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  })
  return { status: res.status, signal: res.signal, stdout: res.stdout, stderr: res.stderr.slice(-2000) }
}

describe('decoder fuzz', () => {
  it('100,000 random and mutated inputs: never throws, never hangs, accepts only valid records', () => {
    const res = runFuzzer(['--total', '100000', '--mode', 'no-bombs'], 240_000)
    expect(res.signal, `fuzzer killed (hang?): ${res.stderr}`).toBe(null)
    expect(res.status, res.stderr).toBe(0)
    const counts = JSON.parse(res.stdout.trim().split('\n').pop()!) as { inputs: number; accepted: number; rejected: Record<string, number>; slowestMs: number; totalMs: number }
    console.log(`[fuzz-codec] ${JSON.stringify(counts)}`)
    expect(counts.inputs).toBe(100_000)
    // The fuzzer reaches every failure class it aims at, and some mutations survive (a flipped text byte).
    for (const code of ['DECODE_EMPTY', 'DECODE_UNKNOWN_FORMAT', 'DECODE_UNKNOWN_SCHEMA_ID', 'DECODE_SCHEMA_MISMATCH', 'DECODE_AVRO', 'DECODE_JSON', 'DECODE_INVALID_UTF8', 'VALIDATION']) {
      expect(counts.rejected[code] ?? 0, code).toBeGreaterThan(0)
    }
    expect(counts.accepted).toBeGreaterThan(0)
  }, 300_000)

  // Regression test (found by this fuzzer, fixed in shared/codec.ts ee9ff1e): avsc allocated
  // `new Array(n)` for an array block count read from the message and looped n times, so a ~1 KB
  // message with a count of ~2^31 exhausted the heap of the consuming service (the scorer then
  // crash-looped on one poison message). It must be rejected like any malformed Avro, in bounded
  // time and memory.
  it('allocation bombs: a ~1 KB message with a 2^31 array/map block count is rejected, not decoded', () => {
    const res = runFuzzer(['--total', '300', '--mode', 'only-bombs'], 60_000)
    expect(res.signal, `fuzzer killed (hang?): ${res.stderr}`).toBe(null)
    expect(res.status, `fuzzer failed (out of memory?): ${res.stderr.slice(-600)}`).toBe(0)
  }, 120_000)
})
