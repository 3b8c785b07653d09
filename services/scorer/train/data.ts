/**
 * Training data for the learned scorers: which files of ../shared/train each model reads, how rows
 * are weighted, and how they are split.
 *
 * Splits: a source's own `split` field where it has one (train / dev / test); otherwise a seeded
 * hash of the row's *group* puts 20 % in test and 10 % in dev. Groups keep near-copies together
 * (the five templates of one SeeGULL stereotype, the clean and attacked versions of one BIPIA
 * document, one PromptInject app prompt with its attacks), so held-out figures are not inflated by
 * a twin in the training split. `../shared/eval` is never read here.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promptText } from '../../../shared/contract.js'
import { generateEvents } from '../../../shared/traffic/index.js'
import { fnv1a, type GroupMode } from '../model/features.js'
import type { AnalyzedText } from '../scorer.js'
import type { ThresholdRule } from './logreg.js'
import { BIAS_SIGNALS, biasSignals } from '../scorers/bias.js'
import { INJECTION_SIGNALS, injectionSignals } from '../scorers/injection.js'
import { TOXICITY_SIGNALS, toxicitySignals } from '../scorers/toxicity.js'

export type Split = 'train' | 'dev' | 'test'
export type ModelName = 'toxicity' | 'injection' | 'bias'
export const MODEL_NAMES: readonly ModelName[] = ['toxicity', 'injection', 'bias']

export interface Row {
  id: string
  text: string
  label: 0 | 1
  /** The source as reported (a file, or a file's part when `where` relabels it). */
  source: string
  /** The file it came from (what leave-one-source-out leaves out). */
  file: string
  split: Split
  /** Training weight before class balancing. */
  weight: number
  kind?: string
  has_trigger_word?: boolean
}

interface SourceSpec {
  file: string
  /** Keep only rows with this label (positives-only or negatives-only use of a file). */
  label?: 0 | 1
  /** Deterministic subsample (rows kept out of the file's rows). */
  sample?: number
  /** Relative weight of each row of this source. */
  weight?: number
  /** Keep only rows this accepts, and label them `as` (a file labeled for another task). */
  where?: { test: (r: Record<string, unknown>) => boolean; as: 0 | 1; says: string }
}

export interface Recipe {
  sources: SourceSpec[]
  /** How protected-group mentions are tokenized (features.ts, GroupMode). */
  groups: GroupMode
  /** The mean pretrained word vector as features (model/embeddings.ts). */
  embedding: boolean
  /** The rule/lexicon scorer's outputs, fed to the model as dense features (what it knows that the data may not). */
  signals: { names: readonly string[]; of: (t: AnalyzedText) => number[] }
  /** How the threshold is chosen on the dev split. */
  threshold: ThresholdRule
  license: Record<string, string>
}

/**
 * The project's own synthetic traffic (shared/traffic, no incidents): the prompts, answers and
 * retrieved chunks of ordinary support, RAG, code and agent calls, as benign rows. Real LLM traffic
 * is full of "Context: [1] ... Question: ..." prompts, quoted documents and long technical answers;
 * no corpus in ../shared/train has them. Without them the injection model learned that a document
 * followed by a question is an attack, and the toxicity model flagged 6 % of a RAG assistant's
 * answers (failover runbooks: "switch", "check", "your").
 */
export const TRAFFIC_SOURCE = 'llmwatch_traffic'

export const RECIPES: Record<ModelName, Recipe> = {
  toxicity: {
    signals: { names: TOXICITY_SIGNALS, of: toxicitySignals },
    groups: 'replace',
    embedding: true,
    sources: [
      { file: 'hatemojibuild' },
      { file: 'edos' },
      // Positives only: paired with negatives of a similar register (Reddit and Gab comments) and
      // neutral sentences that mention groups, so "comment style" or "mentions a group" is not "toxic".
      { file: 'civil_toxic_spans', label: 1, sample: 8000 },
      { file: 'redditbias', label: 0 },
      // Generalizations about a group: the ones people rated offensive are hateful, the ones rated
      // inoffensive ("... tend to be clever") are not. Same templates on both sides, so the model
      // learns what is said of the group rather than that a group is named.
      { file: 'seegull', where: { test: (r) => Number(r.offensiveness) >= 1.5, as: 1, says: 'offensiveness >= 1.5 as toxic' } },
      { file: 'seegull', where: { test: (r) => Number(r.offensiveness) <= 0, as: 0, says: 'offensiveness <= 0 as not toxic' } },
      { file: 'holisticbias_neutral', sample: 3000 },
      { file: 'bold_wiki', sample: 8000 },
      { file: 'bbq_contexts' },
      { file: 'winobias' },
      // The register of LLM traffic: instructions, role-play requests, documents, emails, code.
      // Without these the model reads "not a social-media comment" as "not toxic" and anything
      // else, technical answers included, as toxic.
      { file: 'gpteacher_benign' },
      { file: 'self_instruct_benign' },
      { file: 'cyberseceval_frr' },
      { file: 'bipia_indirect', label: 0 },
      { file: TRAFFIC_SOURCE },
    ],
    threshold: { kind: 'f1' },
    license: {
      hatemojibuild: 'CC BY 4.0, Hatemoji (Kirk et al. 2022)',
      edos: 'CC0, EDOS (Kirk et al. 2023, SemEval-2023 Task 10)',
      civil_toxic_spans: 'CC0, Toxic Spans (Pavlopoulos et al. 2021)',
      redditbias: 'MIT, RedditBias (Barikeri et al. 2021)',
      seegull: 'CC BY 4.0, SeeGULL (Jha et al. 2023)',
      holisticbias_neutral: 'MIT, HolisticBias (Smith et al. 2022)',
      bold_wiki: 'CC BY-SA 4.0, BOLD (Dhamala et al. 2021)',
      bbq_contexts: 'CC BY 4.0, BBQ (Parrish et al. 2022)',
      winobias: 'MIT, WinoBias (Zhao et al. 2018)',
      gpteacher_benign: 'MIT, GPTeacher (teknium1)',
      self_instruct_benign: 'Apache-2.0, Self-Instruct (Wang et al. 2023)',
      cyberseceval_frr: 'MIT, CyberSecEval false refusal (Meta PurpleLlama)',
      bipia_indirect: 'MIT (table/code contexts CC BY-SA), BIPIA (Yi et al. 2023)',
      [TRAFFIC_SOURCE]: "the project's own generated traffic (shared/traffic), prompts, answers and retrieved chunks, no incidents",
    },
  },
  injection: {
    signals: { names: INJECTION_SIGNALS, of: injectionSignals },
    groups: 'none',
    embedding: true,
    sources: [
      { file: 'cyberseceval_pi' },
      { file: 'cyberseceval_frr' },
      { file: 'jailbreakbench_artifacts' },
      { file: 'bipia_indirect' },
      { file: 'promptinject_garak' },
      { file: 'sysprompt_extraction_garak', weight: 3 },
      { file: 'pallms_injection', weight: 3 },
      { file: 'gpteacher_benign' },
      { file: 'self_instruct_benign' },
      { file: TRAFFIC_SOURCE },
    ],
    threshold: { kind: 'max_fpr', fpr: 0.005 },
    license: {
      cyberseceval_pi: 'MIT, CyberSecEval prompt injection (Meta PurpleLlama)',
      cyberseceval_frr: 'MIT, CyberSecEval false refusal (Meta PurpleLlama)',
      jailbreakbench_artifacts: 'MIT, JailbreakBench artifacts (Chao et al. 2024)',
      bipia_indirect: 'MIT (table/code contexts CC BY-SA), BIPIA (Yi et al. 2023)',
      promptinject_garak: 'MIT, PromptInject (Perez & Ribeiro 2022) via NVIDIA garak',
      sysprompt_extraction_garak: 'Apache-2.0, NVIDIA garak',
      pallms_injection: 'MIT, mik0w/pallms',
      gpteacher_benign: 'MIT, GPTeacher (teknium1)',
      self_instruct_benign: 'Apache-2.0, Self-Instruct (Wang et al. 2023)',
      [TRAFFIC_SOURCE]: "the project's own generated traffic (shared/traffic), prompts, answers and retrieved chunks, no incidents",
    },
  },
  bias: {
    signals: { names: BIAS_SIGNALS, of: biasSignals },
    groups: 'none',
    embedding: true,
    sources: [
      { file: 'redditbias' },
      { file: 'seegull' },
      { file: 'edos_bias_view' },
      { file: 'bbq_contexts' },
      { file: 'bold_wiki', sample: 8000 },
      { file: 'winobias' },
      { file: 'holisticbias_neutral' },
    ],
    threshold: { kind: 'f1' },
    license: {
      redditbias: 'MIT, RedditBias (Barikeri et al. 2021)',
      seegull: 'CC BY 4.0, SeeGULL (Jha et al. 2023)',
      edos_bias_view: 'CC0, EDOS (Kirk et al. 2023)',
      bbq_contexts: 'CC BY 4.0, BBQ (Parrish et al. 2022)',
      bold_wiki: 'CC BY-SA 4.0, BOLD (Dhamala et al. 2021)',
      winobias: 'MIT, WinoBias (Zhao et al. 2018)',
      holisticbias_neutral: 'MIT, HolisticBias (Smith et al. 2022)',
    },
  },
}

/** The group a row's split is drawn by (see the module comment). */
export function groupOf(r: { id: string; source: string; target?: string; attribute?: string }): string {
  switch (r.source) {
    case 'seegull':
      return `seegull:${r.target ?? ''}:${r.attribute ?? ''}`
    case 'bipia_indirect':
      return r.id.replace(/-(clean|atk\d+)$/, '')
    case 'promptinject_garak':
      return r.id.replace(/-(base|\d+)$/, '')
    case 'cyberseceval_pi':
      // The same test case in every language and its system prompt: one group.
      return r.id.replace(/^cyberseceval_pi-[a-z]+-(\d+)-(user|sys)$/, 'cyberseceval_pi-$1')
    case 'redditbias':
      return r.id.replace(/-\d+$/, '')
    default:
      return r.id
  }
}

/** A seeded uniform number in [0, 1) for a string. */
export function unit(s: string, seed: number): number {
  return fnv1a(s, (0x811c9dc5 ^ seed) >>> 0) / 2 ** 32
}

function splitOf(raw: Record<string, unknown>, source: string, seed: number): Split {
  const s = raw.split
  if (s === 'train') return 'train'
  if (s === 'dev' || s === 'validation' || s === 'val') return 'dev'
  if (s === 'test') return 'test'
  const u = unit(groupOf({ id: String(raw.id), source, target: raw.target as string, attribute: raw.attribute as string }), seed)
  return u < 0.2 ? 'test' : u < 0.3 ? 'dev' : 'train'
}

let traffic: Record<string, unknown>[] | undefined

function trafficRows(): Record<string, unknown>[] {
  if (traffic !== undefined) return traffic
  const seen = new Set<string>()
  const out: Record<string, unknown>[] = []
  generateEvents(3000, 'train-traffic', { startMs: 1_700_000_000_000 }).forEach((e, i) => {
    const texts = [promptText(e), e.response_text ?? '', ...(e.retrieved_context ?? [])]
    texts.forEach((text, j) => {
      if (text.trim() === '' || seen.has(text)) return
      seen.add(text)
      out.push({ id: `traffic-${i}-${j}`, text, label: 0, source: TRAFFIC_SOURCE })
    })
  })
  traffic = out
  return out
}

export function readSource(dir: string, file: string): Record<string, unknown>[] {
  if (file === TRAFFIC_SOURCE) return trafficRows()
  const text = readFileSync(join(dir, `${file}.jsonl`), 'utf8')
  const out: Record<string, unknown>[] = []
  for (const line of text.split('\n')) if (line.trim() !== '') out.push(JSON.parse(line) as Record<string, unknown>)
  return out
}

/** Every row of a recipe, with its split and weight. `sample` (rows per source) shrinks it for tests. */
export function loadRecipe(dir: string, recipe: Recipe, seed: number, sample?: number): Row[] {
  const rows: Row[] = []
  for (const spec of recipe.sources) {
    let raw = readSource(dir, spec.file).filter((r) => (spec.label === undefined || r.label === spec.label) && (spec.where === undefined || spec.where.test(r)))
    const keep = Math.min(spec.sample ?? Infinity, sample ?? Infinity)
    if (keep < raw.length) {
      raw = raw
        .map((r) => ({ r, u: unit(String(r.id), seed + 17) }))
        .sort((a, b) => a.u - b.u)
        .slice(0, keep)
        .map((x) => x.r)
    }
    for (const r of raw) {
      const row: Row = {
        id: String(r.id),
        text: String(r.text),
        label: spec.where !== undefined ? spec.where.as : r.label === 1 ? 1 : 0,
        source: spec.where !== undefined ? `${spec.file}_${spec.where.as === 1 ? 'offensive' : 'inoffensive'}` : spec.file,
        file: spec.file,
        split: splitOf(r, spec.file, seed),
        weight: spec.weight ?? 1,
      }
      if (typeof r.kind === 'string') row.kind = r.kind
      if (typeof r.has_trigger_word === 'boolean') row.has_trigger_word = r.has_trigger_word
      rows.push(row)
    }
  }
  return rows
}
