/** Errors with a stable `code` and a retryable flag; decisions read the code, never the message. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'DECODE_EMPTY'
  | 'DECODE_UNKNOWN_FORMAT'
  | 'DECODE_UNKNOWN_SCHEMA_ID'
  | 'DECODE_AVRO'
  | 'DECODE_JSON'
  | 'DECODE_TOO_LARGE'
  | 'VALIDATION'
  | 'KAFKA'
  | 'SCHEMA_REGISTRY'
  | 'CLICKHOUSE'
  | 'INFRA'
  | 'HANDLER'

export class LlmwatchError extends Error {
  readonly code: ErrorCode
  readonly retryable: boolean
  constructor(code: ErrorCode, message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'LlmwatchError'
    this.code = code
    this.retryable = opts.retryable ?? false
  }
}

export class ConfigError extends LlmwatchError {
  constructor(message: string) {
    super('CONFIG_INVALID', message)
    this.name = 'ConfigError'
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
