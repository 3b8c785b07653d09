/**
 * OTLP/HTTP request bodies (traces and logs, protobuf or JSON) to plain spans and log records.
 *
 * Protobuf is decoded by the protobufjs code the OpenTelemetry JS project generated from the official
 * opentelemetry-proto definitions (`@opentelemetry/otlp-transformer` 0.214, the last release that
 * ships it for traces and logs; later releases only encode). JSON follows the OTLP JSON mapping:
 * lowerCamelCase keys, trace and span ids as hex, 64-bit integers as strings or numbers.
 * Malformed values never throw past `decodeTraces` / `decodeLogs`: a bad body is one error.
 */
import { createRequire } from 'node:module'

/** An attribute value: what OTLP's AnyValue can hold. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [k: string]: AttrValue }
export type Attrs = Record<string, AttrValue>

export interface OtlpSpan {
  traceId: string
  spanId: string
  name: string
  startMs: number
  endMs: number
  attributes: Attrs
  events: { name: string; timeMs: number; attributes: Attrs }[]
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number
  statusMessage: string
  resource: Attrs
  scope: string
}

export interface OtlpLogRecord {
  traceId: string
  spanId: string
  timeMs: number
  eventName: string
  body: AttrValue
  attributes: Attrs
  resource: Attrs
}

interface Decoder {
  decode(buf: Uint8Array): unknown
  encode(msg: unknown): { finish(): Uint8Array }
}
interface ProtoRoot {
  opentelemetry: { proto: { collector: { trace: { v1: Record<string, Decoder> }; logs: { v1: Record<string, Decoder> } } } }
}
const root = createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root') as ProtoRoot
const traceV1 = root.opentelemetry.proto.collector.trace.v1
const logsV1 = root.opentelemetry.proto.collector.logs.v1

export class OtlpDecodeError extends Error {}

/** Nesting depth kept for array and map attribute values; deeper values become their JSON text. */
const MAX_DEPTH = 8

type Raw = Record<string, unknown> | null | undefined

function isLong(v: unknown): v is { toString(): string } {
  return typeof v === 'object' && v !== null && 'low' in v && 'high' in v
}

/** Unix nanoseconds (Long, string or number) to epoch milliseconds; NaN when not a number. */
export function nanosToMs(v: unknown): number {
  if (v === null || v === undefined || v === '') return NaN
  if (typeof v === 'number') return Math.floor(v / 1e6)
  const s = typeof v === 'string' ? v.trim() : isLong(v) ? v.toString() : ''
  if (!/^\d{1,20}$/.test(s)) return NaN
  return Number(BigInt(s) / 1_000_000n)
}

/** A trace or span id as lowercase hex: bytes (protobuf) or hex / base64 (JSON). '' when absent or malformed. */
export function idHex(v: unknown, bytes: 16 | 8): string {
  if (v instanceof Uint8Array) return v.length === bytes ? Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex') : ''
  if (typeof v !== 'string' || v === '') return ''
  if (v.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(v)) return v.toLowerCase()
  const b = Buffer.from(v, 'base64')
  return b.length === bytes ? b.toString('hex') : ''
}

function anyValue(v: Raw, depth = 0): AttrValue {
  if (!v || typeof v !== 'object') return null
  if (typeof v.stringValue === 'string') return v.stringValue
  if (typeof v.boolValue === 'boolean') return v.boolValue
  if (v.intValue !== null && v.intValue !== undefined) {
    const n = isLong(v.intValue) ? Number(v.intValue.toString()) : Number(v.intValue)
    return Number.isFinite(n) ? n : null
  }
  if (v.doubleValue !== null && v.doubleValue !== undefined) {
    const n = Number(v.doubleValue)
    return Number.isFinite(n) ? n : null
  }
  if (v.bytesValue !== null && v.bytesValue !== undefined) {
    return v.bytesValue instanceof Uint8Array ? Buffer.from(v.bytesValue).toString('base64') : String(v.bytesValue)
  }
  const arr = (v.arrayValue as Raw)?.values
  if (Array.isArray(arr)) {
    if (depth >= MAX_DEPTH) return JSON.stringify(arr).slice(0, 4096)
    return arr.map((x) => anyValue(x as Raw, depth + 1))
  }
  const kv = (v.kvlistValue as Raw)?.values
  if (Array.isArray(kv)) {
    if (depth >= MAX_DEPTH) return JSON.stringify(kv).slice(0, 4096)
    return attributes(kv, depth + 1)
  }
  return null
}

function attributes(list: unknown, depth = 0): Attrs {
  const out: Attrs = {}
  if (!Array.isArray(list)) return out
  for (const kv of list as Raw[]) {
    if (!kv || typeof kv.key !== 'string') continue
    out[kv.key] = anyValue(kv.value as Raw, depth)
  }
  return out
}

const arr = (v: unknown): Raw[] => (Array.isArray(v) ? (v as Raw[]) : [])

function parseJson(body: Buffer): Raw {
  let v: unknown
  try {
    v = JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw new OtlpDecodeError(`body is not valid JSON: ${(err as Error).message}`)
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new OtlpDecodeError('expected a JSON object (an OTLP export request)')
  return v as Raw
}

function decodeProto(decoder: Decoder, body: Buffer): Raw {
  try {
    return decoder.decode(body) as Raw
  } catch (err) {
    throw new OtlpDecodeError(`body is not a valid OTLP protobuf message: ${(err as Error).message}`)
  }
}

/** An ExportTraceServiceRequest body to spans. Throws OtlpDecodeError when the body cannot be read. */
export function decodeTraces(body: Buffer, encoding: 'protobuf' | 'json'): OtlpSpan[] {
  const req = encoding === 'json' ? parseJson(body) : decodeProto(traceV1.ExportTraceServiceRequest!, body)
  const spans: OtlpSpan[] = []
  try {
    for (const rs of arr(req?.resourceSpans)) {
      const resource = attributes((rs?.resource as Raw)?.attributes)
      for (const ss of arr(rs?.scopeSpans)) {
        const scope = typeof (ss?.scope as Raw)?.name === 'string' ? ((ss!.scope as Raw)!.name as string) : ''
        for (const s of arr(ss?.spans)) {
          if (!s) continue
          const status = (s.status as Raw) ?? {}
          spans.push({
            traceId: idHex(s.traceId, 16),
            spanId: idHex(s.spanId, 8),
            name: typeof s.name === 'string' ? s.name : '',
            startMs: nanosToMs(s.startTimeUnixNano),
            endMs: nanosToMs(s.endTimeUnixNano),
            attributes: attributes(s.attributes),
            events: arr(s.events).map((e) => ({ name: typeof e?.name === 'string' ? e.name : '', timeMs: nanosToMs(e?.timeUnixNano), attributes: attributes(e?.attributes) })),
            statusCode: Number(status.code ?? 0) || 0,
            statusMessage: typeof status.message === 'string' ? status.message : '',
            resource,
            scope,
          })
        }
      }
    }
  } catch (err) {
    throw new OtlpDecodeError(`malformed OTLP trace request: ${(err as Error).message}`)
  }
  return spans
}

/** An ExportLogsServiceRequest body to log records. */
export function decodeLogs(body: Buffer, encoding: 'protobuf' | 'json'): OtlpLogRecord[] {
  const req = encoding === 'json' ? parseJson(body) : decodeProto(logsV1.ExportLogsServiceRequest!, body)
  const out: OtlpLogRecord[] = []
  try {
    for (const rl of arr(req?.resourceLogs)) {
      const resource = attributes((rl?.resource as Raw)?.attributes)
      for (const sl of arr(rl?.scopeLogs)) {
        for (const r of arr(sl?.logRecords)) {
          if (!r) continue
          const attrs = attributes(r.attributes)
          const eventName = typeof r.eventName === 'string' && r.eventName ? r.eventName : typeof attrs['event.name'] === 'string' ? attrs['event.name'] : ''
          out.push({ traceId: idHex(r.traceId, 16), spanId: idHex(r.spanId, 8), timeMs: nanosToMs(r.timeUnixNano), eventName, body: anyValue(r.body as Raw), attributes: attrs, resource })
        }
      }
    }
  } catch (err) {
    throw new OtlpDecodeError(`malformed OTLP logs request: ${(err as Error).message}`)
  }
  return out
}

/** The OTLP response body: `partial_success` only when something was rejected (as the spec asks). */
export function exportResponse(kind: 'traces' | 'logs', encoding: 'protobuf' | 'json', rejected: number, message: string): Buffer {
  const field = kind === 'traces' ? 'rejectedSpans' : 'rejectedLogRecords'
  const msg = rejected > 0 || message ? { partialSuccess: { [field]: rejected, errorMessage: message } } : {}
  if (encoding === 'json') return Buffer.from(JSON.stringify(msg))
  const type = kind === 'traces' ? traceV1.ExportTraceServiceResponse! : logsV1.ExportLogsServiceResponse!
  return Buffer.from(type.encode(msg).finish())
}

/** Decodes an export response (tests and the benchmark read what the gateway answered). */
export function decodeExportResponse(kind: 'traces' | 'logs', body: Uint8Array): { rejected: number; message: string } {
  const type = kind === 'traces' ? traceV1.ExportTraceServiceResponse! : logsV1.ExportLogsServiceResponse!
  const r = type.decode(body) as { partialSuccess?: { rejectedSpans?: unknown; rejectedLogRecords?: unknown; errorMessage?: string } | null }
  const p = r.partialSuccess
  return { rejected: Number(String((kind === 'traces' ? p?.rejectedSpans : p?.rejectedLogRecords) ?? 0)), message: p?.errorMessage ?? '' }
}

/** Encodes an ExportTraceServiceRequest from a plain object (tests, the benchmark and the demo). */
export function encodeTraceRequest(msg: unknown): Buffer {
  return Buffer.from(traceV1.ExportTraceServiceRequest!.encode(msg).finish())
}
