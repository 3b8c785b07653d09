/**
 * `llmwatch tail scores|alerts|dlq` against the real broker, run as the CLI: records written through
 * the project's own codec and dead-letter builder come back decoded, one JSON object per line; the
 * command exits after --count or --timeout, with 1 and one line when Kafka is unreachable, with 2
 * on bad usage. Then SCHEMA_REGISTRY_URL against a real Confluent-compatible registry (Apicurio
 * Registry from Maven Central, test/schema-registry-local.ts): the registry's ids on the wire,
 * unknown ids looked up, records readable by the registry client's own decoder, fixed ids unchanged
 * without it.
 */
import { spawn, spawnSync } from 'node:child_process'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import avro from 'avsc'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Codec } from '../../shared/codec.js'
import type { ScoredInteraction } from '../../shared/contract.js'
import type { KafkaHandle, Producer } from '../../shared/kafka.js'
import { silentLogger } from '../../shared/logger.js'
import { repoPath } from '../../shared/paths.js'
import { deadLetterMessage, startConsumer } from '../../shared/runner.js'
import { loadCodec } from '../../shared/schema-registry.js'
import { WorkerPoolScoring } from '../../services/scorer/pool.js'
import { brokers, tempDir, testKafka, uniqueName, waitFor } from '../helpers.js'
import { interaction } from '../fixtures.js'
import { ensurePythonKafka } from '../python-kafka.js'
import { startLocalRegistry, type LocalRegistry } from '../schema-registry-local.js'
import { alert, scored } from './sink-fixtures.js'

interface Run { code: number | null; out: string; err: string; ms: number }

/** Runs the CLI as a user would (bin/llmwatch.mjs), killed after `limitMs` (a hang is a failure). */
function cli(args: string[], env: Record<string, string> = {}, limitMs = 60_000): Promise<Run> {
  const started = Date.now()
  const base = { ...process.env }
  delete base.SCHEMA_REGISTRY_URL
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [repoPath('bin', 'llmwatch.mjs'), ...args], {
      env: { ...base, KAFKA_BROKERS: brokers().join(','), LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err, ms: Date.now() - started })
    })
  })
}

const jsonLines = (s: string): Record<string, unknown>[] =>
  s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

/** The Python consumer (test/python/read_topic.py): confluent-kafka + Apache Avro, as an integration would read. */
async function pythonRead(topic: string, count: number, source: string[]): Promise<Record<string, unknown>[]> {
  const py = ensurePythonKafka()
  const res = spawnSync(py.python, [repoPath('test', 'python', 'read_topic.py'), brokers().join(','), topic, String(count), ...source], {
    env: { ...process.env, ...py.env }, encoding: 'utf8', timeout: 90_000,
  })
  expect(res.stderr).toBe('')
  expect(res.status).toBe(0)
  return jsonLines(res.stdout)
}

let kafka: KafkaHandle
let producer: Producer

beforeAll(async () => {
  kafka = testKafka()
  producer = await kafka.producer()
})
afterAll(async () => {
  await producer.disconnect()
  await kafka.close()
})

describe('llmwatch tail (fixed schema ids)', () => {
  const codec = Codec.load()

  it('prints scored interactions decoded, one JSON object per line, and exits after --count', async () => {
    const topic = uniqueName('tail-scores')
    await kafka.ensureTopics([{ name: topic, partitions: 1 }])
    const records = [
      scored({ app: 'shop', scores: { toxicity: [0.93, true], pii: [0, false] } }),
      scored({ app: 'shop', model: 'gpt-4o' }),
      scored({ app: 'bank', costUsd: null, status: 'error' }),
    ]
    // As the scorer writes them: Avro in Confluent framing, keyed by app.
    await producer.send(topic, records.map((r) => ({ key: r.app_name, value: codec.encode('ScoredInteraction', r) })))
    // A fourth record that is not a ScoredInteraction: printed with the reason, never dead-lettered.
    await producer.send(topic, [{ key: 'x', value: Buffer.from([0, 0, 0, 0, 99, 1, 2]) }])

    const run = await cli(['tail', 'scores', '--topic', topic, '--from-beginning', '--count', '4', '--format', 'json'])
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    const lines = jsonLines(run.out)
    expect(lines).toHaveLength(4)
    expect(lines.slice(0, 3).map((l) => l.value)).toEqual(records)
    for (const [i, l] of lines.slice(0, 3).entries()) {
      expect(l).toMatchObject({ topic, partition: 0, offset: String(i), key: records[i]!.app_name, schema_id: codec.schemaIdOf('ScoredInteraction'), format: 'avro' })
    }
    expect(lines[3]).toMatchObject({ offset: '3', error: { code: 'DECODE_UNKNOWN_SCHEMA_ID', reason: 'unknown schema id 99' } })

    // Text: one line per record, with what was flagged.
    const text = await cli(['tail', 'scores', '--topic', topic, '--from-beginning', '--count', '1'])
    expect(text.code).toBe(0)
    expect(text.out.trim().split('\n')).toHaveLength(1)
    expect(text.out).toContain(`event=${records[0]!.event_id}`)
    expect(text.out).toContain('shop/production')
    expect(text.out).toContain('flagged: toxicity/response=flagged')
  })

  it('prints alerts decoded (JSON lines and the alerts tail text)', async () => {
    const topic = uniqueName('tail-alerts')
    await kafka.ensureTopics([{ name: topic, partitions: 1 }])
    const firing = alert({ rule: 'toxicity-rate', state: 'firing', severity: 'critical' })
    const resolved = alert({ rule: 'toxicity-rate', state: 'resolved', severity: 'critical' })
    // As the alerter writes them.
    await producer.send(topic, [firing, resolved].map((a) => ({ key: a.dedup_key, value: codec.encode('Alert', a), timestamp: String(a.emitted_time) })))

    const run = await cli(['tail', 'alerts', '--topic', topic, '--from-beginning', '--count', '2', '--format', 'json'])
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    const lines = jsonLines(run.out)
    expect(lines.map((l) => l.value)).toEqual([firing, resolved])
    expect(lines.map((l) => l.timestamp)).toEqual([firing.emitted_time, resolved.emitted_time])
    expect(lines.every((l) => l.schema_id === codec.schemaIdOf('Alert'))).toBe(true)

    const text = await cli(['tail', 'alerts', '--topic', topic, '--from-beginning', '--count', '2'])
    expect(text.code).toBe(0)
    const textLines = text.out.trim().split('\n')
    expect(textLines).toHaveLength(2)
    expect(textLines[0]).toContain('toxicity-rate')
  })

  it('prints dead letters with reason, code, source and the original bytes', async () => {
    const topic = uniqueName('tail-dlq')
    await kafka.ensureTopics([{ name: topic, partitions: 1 }])
    const original = Buffer.concat([Buffer.from('{"event_id": "not-a-uuid", '), Buffer.from([0xff, 0x00, 0x01])])
    // As the runner dead-letters a message it could not decode.
    await producer.send(topic, [
      deadLetterMessage(
        { topic: 'llm.interactions', partition: 4, offset: '1234', timestamp: '1700000000000', key: Buffer.from('shop|gpt-4o'), value: original, headers: { 'content-type': 'application/json' }, code: 'DECODE_JSON', reason: 'invalid JSON: Unexpected token' },
        'scorer',
      ),
      deadLetterMessage({ topic: 'llm.scores', partition: 0, offset: '7', timestamp: '1700000000001', key: null, value: null, headers: {}, code: 'DECODE_EMPTY', reason: 'empty message value' }, 'sink'),
    ])

    const run = await cli(['tail', 'dlq', '--topic', topic, '--from-beginning', '--count', '2', '--format', 'json'])
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    const [a, b] = jsonLines(run.out)
    expect(a).toMatchObject({
      topic, offset: '0', key: 'shop|gpt-4o',
      reason: 'invalid JSON: Unexpected token', code: 'DECODE_JSON', service: 'scorer',
      source: { topic: 'llm.interactions', partition: 4, offset: '1234', timestamp: 1700000000000 },
      value_bytes: original.length,
      headers: { 'content-type': 'application/json' },
    })
    expect(Buffer.from(a!.value_base64 as string, 'base64').equals(original)).toBe(true)
    expect(a!.value_preview).toBe('{"event_id": "not-a-uuid", ...')
    expect(b).toMatchObject({ code: 'DECODE_EMPTY', service: 'sink', source: { topic: 'llm.scores', partition: 0, offset: '7' }, value_bytes: 0, value_preview: '' })

    const text = await cli(['tail', 'dlq', '--topic', topic, '--from-beginning', '--count', '1'])
    expect(text.code).toBe(0)
    expect(text.out).toContain('llm.interactions[4]@1234 DECODE_JSON by scorer: invalid JSON: Unexpected token')
  })

  it('a Python consumer (confluent-kafka + Apache Avro) reads scores and alerts with schemas/ (fixed ids)', async () => {
    const topic = uniqueName('py-fixed')
    await kafka.ensureTopics([{ name: topic, partitions: 1 }])
    const s = scored({ scores: { toxicity: [0.9, true], pii: [null, false] } })
    const a = alert({ state: 'firing' })
    await producer.send(topic, [{ key: s.app_name, value: codec.encode('ScoredInteraction', s) }, { key: a.dedup_key, value: codec.encode('Alert', a) }])
    const lines = await pythonRead(topic, 2, ['--schemas', repoPath('schemas')])
    expect(lines.map((l) => l.value)).toEqual([s, a])
    expect(lines.map((l) => l.schema_id)).toEqual([codec.schemaIdOf('ScoredInteraction'), codec.schemaIdOf('Alert')])
  })

  it('exits 0 at --timeout when fewer records come', async () => {
    const topic = uniqueName('tail-empty')
    await kafka.ensureTopics([{ name: topic, partitions: 1 }])
    const run = await cli(['tail', 'alerts', '--topic', topic, '--timeout', '3s', '--format', 'json'])
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    expect(run.out).toBe('')
  })

  it('exits 1 with one line naming the address and the variable when Kafka is unreachable', async () => {
    const run = await cli(['tail', 'scores', '--count', '1'], { KAFKA_BROKERS: '127.0.0.1:1' })
    expect(run.code).toBe(1)
    expect(run.out).toBe('')
    const lines = run.err.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^llmwatch tail: .*Kafka at 127\.0\.0\.1:1 \(KAFKA_BROKERS\)/)
    expect(run.ms).toBeLessThan(25_000)
  })

  it('exits 2 on bad usage or configuration, naming what is wrong', async () => {
    const bad = await cli(['tail', 'metrics'])
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('expected scores, alerts or dlq; got metrics')
    const count = await cli(['tail', 'scores', '--count', '0'])
    expect(count.code).toBe(2)
    expect(count.err).toContain('--count expects a positive whole number')
    const url = await cli(['tail', 'scores'], { SCHEMA_REGISTRY_URL: 'localhost:8081' })
    expect(url.code).toBe(2)
    expect(url.err).toContain('SCHEMA_REGISTRY_URL: expected the http(s) URL of a Confluent-compatible schema registry')
  })
})

describe('SCHEMA_REGISTRY_URL with a real Confluent-compatible registry (Apicurio Registry)', () => {
  let registry: LocalRegistry
  let client: SchemaRegistry

  beforeAll(async () => {
    registry = await startLocalRegistry(`${tempDir('llmwatch-test-registry-')}/registry.log`)
    client = new SchemaRegistry({ host: registry.url })
    // Another team's subject first, so the registry's ids differ from schemas/registry.json's.
    await client.register({ type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'Other', fields: [{ name: 'x', type: 'string' }] }) }, { subject: 'other-value' })
  })
  afterAll(async () => {
    await registry?.stop()
  })

  const latestId = async (subject: string): Promise<number> => {
    const res = await fetch(`${registry.url}/subjects/${subject}/versions/latest`)
    expect(res.status).toBe(200)
    return ((await res.json()) as { id: number }).id
  }

  it('services register their schemas under <topic>-value and write the registry ids; the registry client decodes them', async () => {
    const codec = await loadCodec({ url: registry.url, logger: silentLogger })
    const ids = { scores: await latestId('llm.scores-value'), alerts: await latestId('llm.alerts-value'), interactions: await latestId('llm.interactions-value') }
    expect(codec.schemaIdOf('ScoredInteraction')).toBe(ids.scores)
    expect(codec.schemaIdOf('Alert')).toBe(ids.alerts)
    expect(codec.schemaIdOf('LlmInteraction')).toBe(ids.interactions)
    const fixed = Codec.load()
    expect(ids.scores).not.toBe(fixed.schemaIdOf('ScoredInteraction'))
    // Registering again (a restart, another instance) keeps the ids.
    const again = await loadCodec({ url: registry.url })
    expect(again.schemaIdOf('ScoredInteraction')).toBe(ids.scores)

    const s = scored({ scores: { pii: [1, true, 'response'] } })
    const a = alert({ state: 'firing' })
    const sBytes = codec.encode('ScoredInteraction', s)
    const aBytes = codec.encode('Alert', a)
    expect(sBytes.readInt32BE(1)).toBe(ids.scores)
    // A standard Confluent consumer (the registry client's own deserializer) reads them.
    expect(await client.decode(sBytes)).toEqual(s)
    expect(await client.decode(aBytes)).toEqual(a)
    // Without the registry, those ids mean nothing (or something else) to the fixed-id codec.
    expect(fixed.decode('ScoredInteraction', sBytes).ok).toBe(false)
  })

  it('llmwatch tail decodes records with registry ids', async () => {
    const codec = await loadCodec({ url: registry.url })
    const topic = uniqueName('tail-reg-scores')
    await kafka.ensureTopics([{ name: topic, partitions: 1 }])
    const records = [scored({ app: 'shop' }), scored({ app: 'bank' })]
    await producer.send(topic, records.map((r) => ({ key: r.app_name, value: codec.encode('ScoredInteraction', r) })))
    const run = await cli(['tail', 'scores', '--topic', topic, '--from-beginning', '--count', '2', '--format', 'json'], { SCHEMA_REGISTRY_URL: registry.url })
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    const lines = jsonLines(run.out)
    expect(lines.map((l) => l.value)).toEqual(records)
    expect(lines.every((l) => l.schema_id === codec.schemaIdOf('ScoredInteraction'))).toBe(true)
  })

  it('a Python consumer reads them through the registry (GET /schemas/ids/{id}), knowing nothing of llmwatch', async () => {
    const codec = await loadCodec({ url: registry.url })
    const topic = uniqueName('py-registry')
    await kafka.ensureTopics([{ name: topic, partitions: 1 }])
    const s = scored({ app: 'py' })
    const a = alert({ state: 'resolved' })
    await producer.send(topic, [{ key: s.app_name, value: codec.encode('ScoredInteraction', s) }, { key: a.dedup_key, value: codec.encode('Alert', a) }])
    const lines = await pythonRead(topic, 2, ['--registry', registry.url])
    expect(lines.map((l) => l.value)).toEqual([s, a])
    expect(lines.map((l) => l.schema_id)).toEqual([codec.schemaIdOf('ScoredInteraction'), codec.schemaIdOf('Alert')])
  })

  it('the scorer worker threads write the registry id too (they read SCHEMA_REGISTRY_URL from the scorer\'s env)', async () => {
    const want = (await loadCodec({ url: registry.url })).schemaIdOf('ScoredInteraction')
    const prev = process.env.SCHEMA_REGISTRY_URL
    process.env.SCHEMA_REGISTRY_URL = registry.url
    let pool: WorkerPoolScoring
    try {
      // The cheap scorers suffice: what is checked is the thread's codec.
      pool = new WorkerPoolScoring(1, { toxicity: { enabled: false }, bias: { enabled: false }, injection: { enabled: false } }, 'redacted')
    } finally {
      if (prev === undefined) delete process.env.SCHEMA_REGISTRY_URL
      else process.env.SCHEMA_REGISTRY_URL = prev
    }
    try {
      const e = interaction()
      const [enc] = await pool.score([e])
      expect(enc!.value.readInt32BE(1)).toBe(want)
      expect(((await client.decode(enc!.value)) as ScoredInteraction).event_id).toBe(e.event_id)
    } finally {
      await pool.close()
    }
  })

  it('decoders look up ids registered after they started (another producer, a newer schema version)', async () => {
    const codec = await loadCodec({ url: registry.url, register: false })
    // Another producer adds a field with a default (BACKWARD compatible) and registers version 2.
    const local = codec.typeOf('ScoredInteraction').schema({ exportAttrs: true }) as avro.schema.RecordType
    const v2 = { ...local, fields: [...local.fields, { name: 'region', type: 'string', default: 'eu' }] }
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject: 'llm.scores-value' })
    expect(codec.knowsSchemaId(id)).toBe(false)
    const s = scored({ app: 'v2-app' })
    const bytes = await client.encode(id, { ...s, region: 'us' })

    expect(codec.decode('ScoredInteraction', bytes)).toMatchObject({ ok: false, code: 'DECODE_UNKNOWN_SCHEMA_ID' })
    await codec.resolveUnknownIds([bytes])
    expect(codec.decode('ScoredInteraction', bytes)).toEqual({ ok: true, value: s, format: 'avro', schemaId: id })

    // The consumer loop every service uses does the same before decoding: nothing is dead-lettered.
    const fresh = await loadCodec({ url: registry.url, register: false })
    const topic = uniqueName('reg-runner')
    const dlqTopic = uniqueName('reg-runner-dlq')
    await kafka.ensureTopics([{ name: topic, partitions: 1 }, { name: dlqTopic, partitions: 1 }])
    const absent = 424242
    const unknown = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from([1])])
    unknown.writeInt32BE(absent, 1)
    await producer.send(topic, [{ key: 'a', value: bytes }, { key: 'b', value: unknown }])
    const got: ScoredInteraction[] = []
    const consumer = await startConsumer({
      kafka, codec: fresh, logger: silentLogger, service: 'test', groupId: uniqueName('g'), topic, dlqTopic, record: 'ScoredInteraction',
      handle: async (batch) => void got.push(...batch.messages.map((m) => m.value)),
    })
    try {
      await waitFor(() => got.length === 1, 30_000, 'the v2 record')
      expect(got[0]).toEqual(s)
      // An id the registry does not have is dead-lettered with the reason.
      const letters: string[] = []
      await waitFor(async () => {
        letters.length = 0
        await kafka.readRange({ topic: dlqTopic, onMessage: (m) => void letters.push(String(m.headers['dlq.reason'])) })
        return letters.length === 1
      }, 30_000, 'one dead letter')
      expect(letters[0]).toBe(`unknown schema id ${absent}`)
    } finally {
      await consumer.stop()
    }
  })

  it('an unreachable registry is one line naming SCHEMA_REGISTRY_URL, exit 1', async () => {
    const run = await cli(['tail', 'scores', '--count', '1'], { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1/apis/ccompat/v7' })
    expect(run.code).toBe(1)
    const lines = run.err.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^llmwatch tail: schema registry at http:\/\/127\.0\.0\.1:1\/apis\/ccompat\/v7 \(SCHEMA_REGISTRY_URL\): .*cannot reach it: ECONNREFUSED/)
  })
})
