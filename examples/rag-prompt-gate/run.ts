/**
 * Runs one prompt version of the demo RAG app (`kb-assistant`, template `kb.answer`) over the fixed
 * input set `inputs.jsonl` and prints one LlmInteraction per input (JSON lines), as an app's
 * evaluation job would before `llmwatch gate` scores them.
 *
 *   npx tsx examples/rag-prompt-gate/run.ts v3 > baseline.jsonl
 *   npx tsx examples/rag-prompt-gate/run.ts v4 > candidate.jsonl
 *   npx tsx examples/rag-prompt-gate/run.ts --write-inputs   (regenerates inputs.jsonl)
 *
 * There is no model here: the answers come from the project's traffic generator
 * (shared/traffic), which plays the model. With the v3 prompt (prompts/v3.txt: "answer ONLY from the
 * passages") it answers from the passages; with v4 (prompts/v4.txt: "fill any gaps with what you
 * know") 40 % of its answers state other numbers and names than the passages and add a claim of
 * their own, the behaviour the generator's `rag_hallucination` incident scripts. In a real project
 * this script is your app's client, called with each input and the prompt version under test.
 *
 * Deterministic: the same input set and version give the same lines. Each line's question and
 * passages are checked against inputs.jsonl; a mismatch exits 2.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LlmInteraction } from '../../shared/contract.js'
import { generateEvents } from '../../shared/traffic/index.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const INPUTS_FILE = path.join(HERE, 'inputs.jsonl')
const SEED = 'rag-prompt-gate'
const COUNT = 60
/** When the evaluation run happened (fixed, so that the files do not change from run to run). */
const START_MS = Date.parse('2026-06-01T09:00:00Z')

export const VERSIONS = ['v3', 'v4'] as const
export type Version = (typeof VERSIONS)[number]

export interface Input {
  id: string
  question: string
  passages: string[]
}

function generate(version: Version): LlmInteraction[] {
  return generateEvents(COUNT, SEED, {
    apps: ['kb-assistant'],
    startMs: START_MS,
    ratePerSec: 1,
    rates: { error: 0.01, cacheHit: 0, staging: 0 },
    incidents: version === 'v4' ? [{ name: 'rag_hallucination', app: 'kb-assistant', startMs: START_MS - 1000, durationMs: 86_400_000, share: 0.4 }] : [],
  })
}

const questionOf = (e: LlmInteraction): string => e.messages.filter((m) => m.role === 'user').at(-1)?.content ?? ''

/** The fixed input set: each input's question and retrieved passages. */
export function makeInputs(): Input[] {
  return generate('v3').map((e, i) => ({ id: `q${String(i + 1).padStart(3, '0')}`, question: questionOf(e), passages: e.retrieved_context }))
}

export function readInputs(file = INPUTS_FILE): Input[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim().length > 0).map((l) => JSON.parse(l) as Input)
}

/** The app's calls with `version` of the prompt over the inputs. */
export function runVersion(version: Version, inputs: Input[] = readInputs()): LlmInteraction[] {
  const system = readFileSync(path.join(HERE, 'prompts', `${version}.txt`), 'utf8').trim()
  const events = generate(version)
  if (inputs.length !== events.length) throw new Error(`inputs.jsonl has ${inputs.length} inputs; this example answers ${events.length}`)
  return events.map((e, i) => {
    const input = inputs[i]!
    if (questionOf(e) !== input.question || JSON.stringify(e.retrieved_context) !== JSON.stringify(input.passages)) {
      throw new Error(`input ${input.id} differs from what the stand-in model answers: regenerate inputs.jsonl with --write-inputs`)
    }
    const { incident: _scripted, ...attributes } = e.attributes
    return {
      ...e,
      prompt_template_version: version.slice(1),
      messages: e.messages.map((m) => (m.role === 'system' ? { ...m, content: system } : m)),
      attributes: { ...attributes, 'eval.input_id': input.id },
    }
  })
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--write-inputs') {
    writeFileSync(INPUTS_FILE, makeInputs().map((x) => JSON.stringify(x)).join('\n') + '\n')
    process.stderr.write(`wrote ${INPUTS_FILE}\n`)
    return 0
  }
  const version = argv[0] as Version
  if (!VERSIONS.includes(version)) {
    process.stderr.write(`usage: run.ts ${VERSIONS.join('|')} > run.jsonl   (or --write-inputs)\n`)
    return 2
  }
  try {
    process.stdout.write(runVersion(version).map((e) => JSON.stringify(e)).join('\n') + '\n')
    return 0
  } catch (err) {
    process.stderr.write(`run.ts: ${(err as Error).message}\n`)
    return 2
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2))
