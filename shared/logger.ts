/** One root pino logger writing JSON to stdout; services and modules take child loggers. */
import { pino, type Logger } from 'pino'

export type { Logger }

const root = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
})

export function createLogger(service: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ service, ...bindings })
}

/**
 * A logger writing the same JSON lines to a file instead of stdout: `llmwatch demo` keeps its
 * console for the human summary. Call `flush()` before the process exits.
 */
export function createFileLogger(service: string, file: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  const dest = pino.destination({ dest: file, mkdir: true, sync: false })
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, dest).child({ service })
}

/** A logger that discards everything (quiet CLI paths and tests). */
export const silentLogger: Logger = pino({ level: 'silent' })
