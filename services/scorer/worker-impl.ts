/**
 * A scoring worker thread: scores chunks of events with the same scorers and config as the main
 * thread and returns the ScoredInteraction records already Avro-encoded (transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Codec } from '../../shared/codec.js'
import type { LlmInteraction } from '../../shared/contract.js'
import { scoreEvent, type TextMode } from './engine.js'
import { scoreKey } from './pool.js'
import { resolveScorerConfig } from './scorer-config.js'
import { SCORERS } from './scorers/index.js'

interface Init { rawConfig: unknown; textMode: TextMode }
export interface WorkRequest { id: number; events: LlmInteraction[] }
export interface WorkResult { id: number; values: Uint8Array[]; keys: string[]; error?: string }

const init = workerData as Init
const config = resolveScorerConfig(init.rawConfig, SCORERS)
const codec = Codec.load()

parentPort!.on('message', (req: WorkRequest) => {
  try {
    const values: Uint8Array[] = []
    const keys: string[] = []
    for (const e of req.events) {
      const s = scoreEvent(e, SCORERS, config, { textMode: init.textMode })
      values.push(codec.encode('ScoredInteraction', s))
      keys.push(scoreKey(s))
    }
    parentPort!.postMessage({ id: req.id, values, keys } satisfies WorkResult, values.map((v) => v.buffer as ArrayBuffer))
  } catch (err) {
    parentPort!.postMessage({ id: req.id, values: [], keys: [], error: (err as Error).stack ?? String(err) } satisfies WorkResult)
  }
})
