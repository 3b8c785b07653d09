import { describe, expect, it } from 'vitest'
import { hallucinationScorer, selfCheckUnigram } from '../../services/scorer/scorers/hallucination.js'
import { analyze, prepare } from '../../services/scorer/text.js'
import { createTrafficGenerator } from '../../shared/traffic/index.js'
import { interaction } from '../fixtures.js'

const defaults = hallucinationScorer.params.parse({})
const CONTEXT = [
  'The Eiffel Tower was completed in 1889 for the World Fair in Paris. It was designed by the engineering company of Gustave Eiffel and is 330 metres tall.',
]

function score(over: Parameters<typeof interaction>[0], params = defaults) {
  const [r] = hallucinationScorer.score(prepare(interaction(over)), params)
  if (r === undefined) throw new Error('no result')
  return r
}

describe('grounding (retrieved context present)', () => {
  it('scores a supported answer low and an invented one high', () => {
    const supported = score({ retrieved_context: CONTEXT, response_text: 'The tower was completed in 1889 and designed by the company of Gustave Eiffel.' })
    const invented = score({ retrieved_context: CONTEXT, response_text: 'The tower was painted bright purple by Pablo Picasso during the Olympic celebrations.' })
    expect(supported).toMatchObject({ status: 'ok', flagged: false, label: 'supported' })
    expect(invented).toMatchObject({ status: 'ok', flagged: true, label: 'unsupported' })
    expect(invented.value ?? 0).toBeGreaterThan((supported.value ?? 1) + 0.4)
    // The quoted sentence is PII-redacted, names included (the PII scorer detects PERSON).
    expect(JSON.stringify(invented.details)).toContain('painted bright purple by [PERSON]')
  })

  it('weighs a wrong number more than a missing common word', () => {
    const wrongYear = score({ retrieved_context: CONTEXT, response_text: 'The Eiffel Tower was completed in 1925 in Paris.' })
    const extraWord = score({ retrieved_context: CONTEXT, response_text: 'The famous Eiffel Tower was completed in 1889 in Paris.' })
    expect(wrongYear.value ?? 0).toBeGreaterThan(extraWord.value ?? 1)
    expect(JSON.stringify(wrongYear.details)).toContain('1925')
  })

  it('normalizes numbers and number words ("330" vs "three hundred thirty" is not claimed; "5,300" = "5300")', () => {
    const ctx = ['The stadium has a seating capacity of 5,300 spectators and two stands.']
    const r = score({ retrieved_context: ctx, response_text: 'The stadium seats 5300 spectators in 2 stands.' })
    expect(r.value).toBe(0)
  })

  it('has nothing to check in a pure pleasantry', () => {
    const r = score({ retrieved_context: CONTEXT, response_text: 'Thanks!' })
    expect(r).toMatchObject({ status: 'ok', value: 0, label: 'no_claims', flagged: false })
  })
})

describe('what counts as a claim', () => {
  const POLICY = ['Travel policy, section 2: meals are reimbursed up to 45 EUR per day. Receipts are required above 25 EUR; Maria Lopez approves exceptions.']
  const grounded = 'Meals are reimbursed up to 45 EUR per day, and receipts are required above 25 EUR. [1]'

  it('ignores conversational filler around a grounded answer (acknowledgements, offers, generic advice)', () => {
    const plain = score({ retrieved_context: POLICY, response_text: grounded })
    const chatty = score({
      retrieved_context: POLICY,
      response_text: `Good question. ${grounded}\n\nLet me know if you need the full document. If your situation is unusual, check with your manager.`,
    })
    expect(chatty.flagged).toBe(false)
    expect(chatty.value).toBe(plain.value)
    expect((chatty.details as { claims: number }).claims).toBe(1)
  })

  it('still checks a sentence that looks like filler but carries a number or a name', () => {
    const r = score({ retrieved_context: POLICY, response_text: `${grounded} If your trip is longer, Tom Baker approves up to 90 EUR.` })
    expect(JSON.stringify(r.details)).toContain('[PERSON] approves up to 90 EUR')
    expect(r.value ?? 0).toBeGreaterThan(0.2)
  })

  it('flags invented numbers and names however much filler surrounds them', () => {
    const r = score({
      retrieved_context: POLICY,
      response_text: 'Sure! Meals are reimbursed up to 80 EUR per day and Peter Novak approves exceptions. Hope this helps!',
    })
    expect(r).toMatchObject({ flagged: true, label: 'unsupported' })
  })

  it('judges a reply made only of questions on the questions', () => {
    const r = score({ retrieved_context: POLICY, response_text: 'Have you asked the Berlin office about the hotel budget?' })
    expect(r.value ?? 0).toBeGreaterThan(0)
    expect(score({ retrieved_context: POLICY, response_text: 'Good question. Anything else?' })).toMatchObject({ value: 0, label: 'no_claims' })
  })

  it('forgives paraphrase when every number and name of the claim is supported', () => {
    const paraphrase = score({ retrieved_context: POLICY, response_text: 'You can expense up to 45 EUR a day for food; Maria Lopez signs off exceptions.' })
    const invented = score({ retrieved_context: POLICY, response_text: 'You can expense up to 60 EUR a day for food; Maria Lopez signs off exceptions.' })
    expect(paraphrase.value ?? 1).toBeLessThan(invented.value ?? 0)
    expect(paraphrase.flagged).toBe(false)
  })
})

describe('on generated RAG traffic', () => {
  it('rarely flags grounded answers and flags answers with invented facts', () => {
    const start = 1_700_000_000_000
    const gen = createTrafficGenerator({
      seed: 3,
      apps: ['kb-assistant'],
      incidents: [{ name: 'rag_hallucination', startMs: start, durationMs: 3000, share: 1 }],
    })
    const counts = { normal: { n: 0, flagged: 0 }, rag_hallucination: { n: 0, flagged: 0 } }
    for (let i = 0; i < 600; i++) {
      const e = gen.next(start + i * 10)
      if (e.retrieved_context.length === 0 || e.status !== 'ok') continue
      const kind = e.attributes.incident === 'rag_hallucination' ? 'rag_hallucination' : 'normal'
      const [r] = hallucinationScorer.score(prepare(e), defaults)
      counts[kind].n++
      if (r?.flagged === true) counts[kind].flagged++
    }
    expect(counts.normal.n).toBeGreaterThan(100)
    expect(counts.rag_hallucination.n).toBeGreaterThan(100)
    expect(counts.normal.flagged / counts.normal.n).toBeLessThan(0.05)
    expect(counts.rag_hallucination.flagged / counts.rag_hallucination.n).toBeGreaterThan(0.95)
  })
})

describe('consistency (sampled responses, no context)', () => {
  const samples = [
    'Marie Curie was a physicist born in Warsaw. She won two Nobel Prizes.',
    'Marie Curie, born in Warsaw, was a physicist and chemist who won two Nobel Prizes.',
    'Born in Warsaw, Marie Curie was a chemist and physicist. She received two Nobel Prizes.',
  ]
  it('gives a sentence that contradicts the samples a higher score than one they agree with', () => {
    const sentences = ['Marie Curie was a physicist born in Warsaw.', 'She later became a famous opera singer in Vienna.']
    const response = sentences.join(' ')
    const [agree, contradict] = selfCheckUnigram(sentences, analyze(response).tokens, samples.map((s) => analyze(s).tokens))
    expect(contradict?.maxNll ?? 0).toBeGreaterThan(agree?.maxNll ?? Infinity)
    expect(contradict?.normalized ?? 0).toBeLessThanOrEqual(1)
  })

  it('scores the event in [0, 1] and lists the worst sentence first', () => {
    const r = score({ sampled_responses: samples, response_text: 'Marie Curie was a physicist born in Warsaw. She later became a famous opera singer in Vienna.' })
    expect(r.status).toBe('ok')
    expect(r.value ?? -1).toBeGreaterThan(0)
    expect(r.value ?? 2).toBeLessThanOrEqual(1)
    const worst = (r.details as { worst: { sentence: string }[] }).worst
    expect(worst[0]?.sentence).toContain('opera')
  })

  it('prefers grounding when both context and samples are present', () => {
    const r = score({ retrieved_context: CONTEXT, sampled_responses: samples, response_text: 'It was completed in 1889.' })
    expect((r.details as { method: string }).method).toBe('grounding')
  })
})

describe('details', () => {
  it('never quote PII from the response (details are stored in every text mode)', () => {
    const r = score({ retrieved_context: CONTEXT, response_text: 'Call Gustave at 415-555-0199 or gustave@eiffel.example for tickets.' })
    const d = JSON.stringify(r.details)
    expect(d).toContain('[PHONE]')
    expect(d).not.toContain('0199')
    expect(d).not.toContain('gustave@eiffel.example')
  })
})

describe('not applicable', () => {
  it('returns not_applicable with a null value when there is neither context nor samples', () => {
    const r = score({ retrieved_context: [], sampled_responses: [] })
    expect(r).toMatchObject({ status: 'not_applicable', value: null, flagged: false })
  })
  it('returns not_applicable for an empty response', () => {
    const r = score({ retrieved_context: CONTEXT, response_text: '' })
    expect(r).toMatchObject({ status: 'not_applicable', value: null })
  })
})
