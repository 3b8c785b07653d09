/**
 * One ordered shutdown: close functions run in registration order (stop taking work, drain,
 * flush writers, close clients) on SIGTERM/SIGINT or an explicit call. Idempotent.
 */
import type { Logger } from './logger.js'

export class Lifecycle {
  private readonly steps: { name: string; fn: () => Promise<void> }[] = []
  private closing: Promise<void> | null = null

  constructor(private readonly logger: Logger) {}

  /** Registers a close step; steps run in the order they were added. */
  add(name: string, fn: () => Promise<void>): void {
    this.steps.push({ name, fn })
  }

  /** Runs the steps in order; a step that fails or takes longer than `stepTimeoutMs` is logged and passed. */
  close(stepTimeoutMs = 30_000): Promise<void> {
    this.closing ??= (async () => {
      for (const s of this.steps) {
        let timer: NodeJS.Timeout | undefined
        try {
          const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), stepTimeoutMs)))
          if ((await Promise.race([s.fn(), timeout])) === 'timeout') this.logger.warn({ step: s.name, timeoutMs: stepTimeoutMs }, 'shutdown step timed out; going on')
        } catch (err) {
          this.logger.error({ err, step: s.name }, 'shutdown step failed')
        } finally {
          clearTimeout(timer)
        }
      }
    })()
    return this.closing
  }

  /** SIGTERM/SIGINT close gracefully and exit 0; a second signal exits at once (130). */
  installSignalHandlers(exit: (code: number) => void = (c) => process.exit(c)): void {
    let signals = 0
    const onSignal = (sig: NodeJS.Signals) => {
      signals++
      if (signals > 1) exit(130)
      this.logger.info({ signal: sig }, 'shutting down')
      void this.close().then(() => exit(0))
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  }
}
