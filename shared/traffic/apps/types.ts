import type { Message } from '../../contract.js'
import type { ModelId } from '../models.js'
import type { Rng } from '../prng.js'

/** The end user of a simulated session. */
export interface SimUser {
  readonly first: string
  readonly last: string
}

/** What an app's builder decides about one call, before timing, tokens and ids are added. */
export interface Draft {
  operation: 'chat' | 'text_completion'
  messages: Message[]
  response: string
  /** Retrieved chunks (RAG). */
  context: string[]
  /** Alternative responses to the same prompt, stating the same facts in other words. */
  samples: string[]
  finish: 'stop' | 'length' | 'tool'
  templateId: string
  templateVersion: string
  /** Streaming calls report first_token_time. */
  streaming: boolean
  attributes: Record<string, string>
  /** Overrides the app's model routing for this call (e.g. inline completions on a small model). */
  model?: ModelId
  /** State for the session's next call of the same run (an agent loop's next step): same trace, same model. */
  resume?: unknown
}

export interface BuildOptions {
  /** RAG only: answer with numbers and names that are not in the retrieved context. */
  hallucinate: boolean
  /** Produce 3-5 sampled alternative responses. */
  withSamples: boolean
  /** What the previous call of this session's run left in `Draft.resume`, if the run continues. */
  resume?: unknown
}

export interface AppSpec {
  readonly name: string
  /** Share of total traffic. */
  readonly weight: number
  /** Models the app routes to, by weight. */
  readonly models: readonly (readonly [ModelId, number])[]
  /** Whether the app can answer from its own response cache. */
  readonly cacheable: boolean
  build(rng: Rng, user: SimUser, opts: BuildOptions): Draft
}

/** A topic: values drawn once, rendered to a user question and (possibly several) answers. */
export interface Topic<V> {
  readonly id: string
  values(rng: Rng): V
  ask(rng: Rng, v: V): string
  answer(rng: Rng, v: V): string
}

/** Erases a topic's value type so topics of different shapes can share a list. */
export function topic<V>(t: Topic<V>): Topic<unknown> {
  return t as Topic<unknown>
}
