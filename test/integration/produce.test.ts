/**
 * `llmwatch produce` against the real broker: events produced to a unique topic are read back,
 * decoded with the codec, and match the generator's output; the CLI reports usage errors with 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Codec } from '../../shared/codec.js'
import type { LlmInteraction } from '../../shared/contract.js'
import { headerValue, type KafkaHandle, type RawMessage } from '../../shared/kafka.js'
import { createTrafficGenerator, defaultIncidentScript } from '../../shared/traffic/index.js'
import { main, produce } from '../../services/producer/produce.js'
import { brokers, testKafka, uniqueName } from '../helpers.js'

const codec = Codec.load()
let kafka: KafkaHandle

beforeAll(() => {
  kafka = testKafka()
})
afterAll(async () => {
  await kafka.close()
})

async function readBack(topic: string): Promise<RawMessage[]> {
  const out: RawMessage[] = []
  await kafka.readRange({ topic, onMessage: (m) => void out.push(m) })
  return out
}

function decodeAll(msgs: RawMessage[]): LlmInteraction[] {
  return msgs.map((m) => {
    const r = codec.decode('LlmInteraction', m.value, m.headers)
    if (!r.ok) throw new Error(`offset ${m.offset}: ${r.code} ${r.reason}`)
    return r.value
  })
}

describe('produce', () => {
  it('sends N Avro events that decode to exactly what the generator makes for the seed', async () => {
    const topic = uniqueName('produce-avro')
    await kafka.ensureTopics([{ name: topic, partitions: 3 }])
    const result = await produce({ kafka, codec, topic, rate: 2000, count: 600, format: 'avro', seed: 5, incidents: [] })
    expect(result.sent).toBe(600)

    const msgs = await readBack(topic)
    expect(msgs).toHaveLength(600)
    const got = decodeAll(msgs)
    for (const m of msgs) expect(m.value?.[0]).toBe(0) // Confluent magic byte
    const byId = new Map(got.map((e) => [e.event_id, e]))
    expect(byId.size).toBe(600)

    // Replay the seed at the completion times read back: the same events, field for field.
    // (Event ids do not depend on time, so a first pass finds each generated event's time.)
    const ids = createTrafficGenerator({ seed: 5 })
    const times = Array.from({ length: 600 }, () => byId.get(ids.next(0).event_id)?.end_time)
    expect(times.every((t) => t !== undefined)).toBe(true)
    const gen = createTrafficGenerator({ seed: 5 })
    for (const [i, t] of times.entries()) {
      const want = gen.next(t!)
      expect(byId.get(want.event_id), `event ${i}`).toEqual(want)
    }
    // Keyed by app + model, with Kafka timestamps equal to the events' completion times.
    for (const [i, m] of msgs.entries()) {
      expect(m.key?.toString()).toBe(`${got[i]!.app_name}|${got[i]!.request_model}`)
      expect(Number(m.timestamp)).toBe(got[i]!.end_time)
    }
  })

  it('sends JSON with a content-type header at the requested rate, with incidents tagged', async () => {
    const topic = uniqueName('produce-json')
    await kafka.ensureTopics([{ name: topic, partitions: 2 }])
    const start = Date.now()
    const progress: number[] = []
    const result = await produce({
      kafka, codec, topic, rate: 400, count: 800, format: 'json', seed: 9,
      incidents: defaultIncidentScript(start, 2000),
      onProgress: (p) => progress.push(p.sent),
    })
    expect(result.sent).toBe(800)
    // 800 events at 400/s: about two seconds, neither a burst nor a crawl.
    expect(result.elapsedMs).toBeGreaterThan(1500)
    expect(result.elapsedMs).toBeLessThan(6000)
    expect(progress.length).toBeGreaterThan(10)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))

    const msgs = await readBack(topic)
    expect(msgs).toHaveLength(800)
    for (const m of msgs) expect(headerValue(m.headers, 'content-type')).toBe('application/json')
    const got = decodeAll(msgs)
    const tagged = got.filter((e) => e.attributes['incident'] !== undefined)
    const counted = Object.values(result.incidents).reduce((s, n) => s + n, 0)
    expect(tagged.length).toBe(counted)
    expect(new Set(tagged.map((e) => e.attributes['incident'])).size).toBeGreaterThanOrEqual(3)
  })

  it('stops early on abort', async () => {
    const topic = uniqueName('produce-abort')
    await kafka.ensureTopics([{ name: topic, partitions: 1 }])
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 700)
    const result = await produce({ kafka, codec, topic, rate: 200, format: 'avro', seed: 1, incidents: [], signal: ac.signal })
    expect(result.sent).toBeGreaterThan(50)
    expect(result.sent).toBeLessThan(400)
    expect(await readBack(topic)).toHaveLength(result.sent)
  })
})

describe('llmwatch produce (main)', () => {
  const io = () => {
    let err = ''
    let out = ''
    return { io: { err: { write: (s: string) => (err += s) }, out: { write: (s: string) => (out += s) }, env: {} }, err: () => err, out: () => out }
  }

  it('runs end to end with --count and reports progress on stderr', async () => {
    const topic = uniqueName('produce-cli')
    const t = io()
    const code = await main(['--brokers', brokers().join(','), '--topic', topic, '--count', '150', '--rate', '300', '--format', 'json', '--seed', '3', '--incidents', 'default'], t.io)
    expect(code, t.err()).toBe(0)
    expect(t.err()).toMatch(/done: 150 events/)
    expect(t.err()).toMatch(/incident toxicity_spike app=support-bot/)
    expect(await readBack(topic)).toHaveLength(150)
  })

  it.each([
    [['--rate', 'fast'], /--rate expects a positive number/],
    [['--duration', '10 minutes'], /invalid duration/],
    [['--format', 'xml'], /--format expects avro or json/],
    [['--incidents', '/nonexistent/file.yaml'], /--incidents expects default, none or a readable YAML\/JSON file/],
    [['--apps', 'chatbot'], /unknown app chatbot; known apps: support-bot/],
    [['--brokers', 'localhost'], /--brokers expects host:port/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 with a helpful message for %j', async (argv, message) => {
    const t = io()
    expect(await main(argv, t.io)).toBe(2)
    expect(t.err()).toMatch(message)
    expect(t.err()).toMatch(/llmwatch produce --help/)
  })

  it('--help prints the options and exits 0', async () => {
    const t = io()
    expect(await main(['--help'], t.io)).toBe(0)
    expect(t.out()).toMatch(/--rate N/)
    expect(t.out()).toMatch(/--incidents S/)
  })
})
