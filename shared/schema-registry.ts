/**
 * Schema registry mode. Where SCHEMA_REGISTRY_URL names a Confluent-compatible schema registry
 * (Confluent Schema Registry, Apicurio Registry's ccompat API, Karapace, Redpanda), `loadCodec`
 * registers the project's schemas under the subjects `<topic>-value` (or, with `register: false`,
 * only looks them up), builds a Codec that writes the registry's ids, and lets it look up schema ids
 * it does not know. Unset, it is `Codec.load()`: the fixed ids of schemas/registry.json.
 *
 * The HTTP client is @kafkajs/confluent-schema-registry; every call has a time limit, and errors
 * name the address and the variable.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import type avro from 'avsc'
import { Codec, readLocalSchemas, type CodecOptions } from './codec.js'
import { TOPICS, type RecordName } from './contract.js'
import { ConfigError, LlmwatchError, errorMessage } from './errors.js'
import type { Logger } from './logger.js'

export const SUBJECTS: Record<RecordName, string> = {
  LlmInteraction: `${TOPICS.interactions.name}-value`,
  ScoredInteraction: `${TOPICS.scores.name}-value`,
  Alert: `${TOPICS.alerts.name}-value`,
}

/** A registry call's time limit. */
const CALL_TIMEOUT_MS = 10_000
/** How long an id the registry does not have stays "not found" before it is asked again. */
const NOT_FOUND_TTL_MS = 30_000

export interface LoadCodecOptions {
  /** SCHEMA_REGISTRY_URL; undefined: fixed ids. May carry user:password@ for basic auth. */
  url?: string | undefined
  /** Register the schemas (producers, services: default) or only look them up (read-only tools). */
  register?: boolean
  logger?: Logger
  codec?: Omit<CodecOptions, 'registry'>
}

/** The Codec for this process: registry ids where a registry is configured, fixed ids otherwise. */
export async function loadCodec(opts: LoadCodecOptions = {}): Promise<Codec> {
  if (!opts.url) return Codec.load(opts.codec)
  const registry = new RegistryClient(opts.url)
  const ids = {} as Record<RecordName, number>
  const local = readLocalSchemas(opts.codec?.schemasDir)
  let placeholder = 0
  for (const record of Object.keys(SUBJECTS) as RecordName[]) {
    const newest = local.filter((s) => s.schema.name === record).sort((a, b) => b.version - a.version)[0]
    if (!newest) throw new LlmwatchError('CONFIG_INVALID', `no local schema for ${record} in schemas/registry.json`)
    const id = opts.register === false ? await registry.idOf(SUBJECTS[record], newest.text) : await registry.register(SUBJECTS[record], newest.text)
    // Not registered and not allowed to register: this process never writes it, and decodes by lookup.
    ids[record] = id ?? --placeholder
  }
  const codec = Codec.load({ ...opts.codec, registry: { ids } })
  // The newest version of each subject, if another producer registered one: known from the start, so
  // decoders that cannot look up (the scorer's worker threads) read it too.
  for (const subject of Object.values(SUBJECTS)) {
    const latest = await registry.latestId(subject)
    if (latest !== null && !codec.knowsSchemaId(latest)) {
      const schema = await registry.schema(latest)
      if (schema) codec.learn(latest, schema)
    }
  }
  const notFound = new Map<number, number>()
  codec.setLookup(async (unknown) => {
    const now = Date.now()
    for (const id of unknown) {
      if ((notFound.get(id) ?? 0) > now) continue
      const schema = await registry.schema(id)
      if (!schema) {
        notFound.set(id, now + NOT_FOUND_TTL_MS)
        opts.logger?.warn({ schemaId: id, registry: registry.address }, 'schema id not found in the schema registry')
        continue
      }
      try {
        codec.learn(id, schema)
        opts.logger?.info({ schemaId: id, registry: registry.address }, 'schema looked up in the schema registry')
      } catch (err) {
        // Not an Avro schema avsc can read: its records stay undecodable (DECODE_UNKNOWN_SCHEMA_ID).
        notFound.set(id, Number.MAX_SAFE_INTEGER)
        opts.logger?.warn({ schemaId: id, err: errorMessage(err) }, 'schema from the registry is not a readable Avro schema')
      }
    }
  })
  opts.logger?.info({ registry: registry.address, ids }, 'schema registry: using its schema ids')
  return codec
}

/** The few registry calls this project makes, each with a time limit and a clear error. */
export class RegistryClient {
  /** The URL without credentials (for messages and logs). */
  readonly address: string
  private readonly client: SchemaRegistry

  constructor(url: string) {
    let u: URL
    try {
      u = new URL(url)
    } catch {
      throw new ConfigError(`SCHEMA_REGISTRY_URL: expected an http(s) URL (got ${JSON.stringify(url)})`)
    }
    const auth = u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : undefined
    u.username = ''
    u.password = ''
    this.address = u.toString().replace(/\/$/, '')
    this.client = new SchemaRegistry({ host: this.address, clientId: 'llmwatch', ...(auth ? { auth } : {}), retry: { retries: 2, maxRetryTimeInSecs: 2 } })
  }

  /** Registers `schema` under `subject` (idempotent: an identical schema keeps its id). */
  async register(subject: string, schema: string): Promise<number> {
    const res = await this.call(`register a schema under ${subject}`, () => this.client.register({ type: SchemaType.AVRO, schema }, { subject }))
    return res.id
  }

  /** The id `schema` has under `subject`; null when it is not registered there. */
  async idOf(subject: string, schema: string): Promise<number | null> {
    return this.call(`look up a schema under ${subject}`, () => this.client.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema }), true)
  }

  /** The id of the newest version under `subject`; null when the subject does not exist. */
  async latestId(subject: string): Promise<number | null> {
    return this.call(`read the latest version of ${subject}`, () => this.client.getLatestSchemaId(subject), true)
  }

  /** The Avro schema with this id; null when the registry has none. */
  async schema(id: number): Promise<avro.Schema | null> {
    const type = await this.call(`fetch schema id ${id}`, () => this.client.getSchema(id), true)
    if (type === null) return null
    const t = type as unknown as Partial<avro.Type>
    if (typeof t.schema !== 'function') throw new LlmwatchError('DECODE_UNKNOWN_SCHEMA_ID', `schema id ${id} in the registry at ${this.address} is not an Avro schema`)
    return t.schema({ exportAttrs: true })
  }

  private async call<T>(what: string, fn: () => Promise<T>, notFoundIsNull: true): Promise<T | null>
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T>
  private async call<T>(what: string, fn: () => Promise<T>, notFoundIsNull = false): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CALL_TIMEOUT_MS / 1000} s`)), CALL_TIMEOUT_MS)
    })
    try {
      return await Promise.race([fn(), limit])
    } catch (err) {
      if (notFoundIsNull && isNotFound(err)) return null
      throw new LlmwatchError('SCHEMA_REGISTRY', `schema registry at ${this.address} (SCHEMA_REGISTRY_URL): could not ${what}: ${registryMessage(err)}`, { cause: err, retryable: true })
    } finally {
      clearTimeout(timer)
    }
  }
}

/** 404, or the error the client makes of one (getRegistryIdBySchema wraps a 404 in the base class). */
function isNotFound(err: unknown): boolean {
  const e = err as { status?: number; name?: string } | null
  return e?.status === 404 || e?.name === 'ConfluentSchemaRegistryError'
}

function registryMessage(err: unknown): string {
  const e = err as { status?: number; message?: string }
  const text = (e.message ?? String(err)).replace(/^llmwatch - /, '')
  // The HTTP client reports a network failure as status 400 with the socket error as its text.
  const network = /(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH)[^,]*/.exec(text)
  if (network) return `cannot reach it: ${network[0].replace(/^.*?(connect |getaddrinfo )?(E[A-Z_]+)/, '$1$2')}`
  return e.status !== undefined ? `HTTP ${e.status}: ${text}` : text
}
