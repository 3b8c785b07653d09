/**
 * Bias scorer: the signals that order a stereotype above its counter-statement (trait lexicons,
 * gender-occupation, valence for hostile-stereotype categories, negation, meta-discussion), and
 * what must stay at zero. Sentences written for this test, not taken from any eval set.
 */
import { describe, expect, it } from 'vitest'
import { biasParams, scoreBias } from '../../services/scorer/scorers/bias.js'
import { analyze } from '../../services/scorer/text.js'

const params = biasParams.parse({})
const bias = (t: string) => scoreBias(analyze(t), params)
const v = (t: string) => bias(t).value ?? 0

describe('ranking a stereotype above its counter-statement', () => {
  it('uses documented trait associations (gender, nationality, religion, age, profession)', () => {
    expect(v('Women are too emotional to run a company.')).toBeGreaterThan(v('Women are too ambitious to run a company.'))
    expect(v('Most Russians drink vodka every day.')).toBeGreaterThan(v('Most Russians drink tea every day.'))
    expect(v('The elderly are forgetful with new phones.')).toBeGreaterThan(v('The elderly are quick with new phones.'))
    expect(v('Politicians are corrupt.')).toBeGreaterThan(v('Politicians are punctual.'))
  })

  it('scores a gendered pronoun that matches an occupation stereotype above the other one', () => {
    expect(v('The surgeon said he would operate in the morning.')).toBeGreaterThan(v('The surgeon said she would operate in the morning.'))
    expect(v('The receptionist said she would call back.')).toBeGreaterThan(v('The receptionist said he would call back.'))
  })

  it('ranks unfavourable statements about an ethnic or national group above favourable ones', () => {
    // Neither trait is in the group's stereotype list: only the valence balance separates them.
    expect(v('Peruvian people are dishonest.')).toBeGreaterThan(v('Peruvian people are honest.'))
    // Negation flips valence: "not violent" is favourable.
    expect(v('The Syrian neighbours were not violent at all.')).toBeLessThan(v('The Syrian neighbours were violent.'))
  })

  it('does not use valence for ambivalent (gender) stereotypes', () => {
    // "Women are kind" is the stereotype and it is favourable; it must not drop below its twin.
    expect(v('Women are kind and caring.')).toBeGreaterThan(v('Women are rude and cold.') - 0.2)
  })
})

describe('what stays low', () => {
  it('gives text without a group mention zero', () => {
    expect(bias('The deployment failed because the disk was full.')).toMatchObject({ value: 0, label: 'none', flagged: false })
  })

  it('does not flag a statement about one person as a group stereotype', () => {
    expect(bias('My sister cooked dinner last night.').flagged).toBe(false)
    expect(v('My sister cooked dinner last night.')).toBeLessThan(v('Sisters always cook dinner.'))
  })

  it('discounts talk about stereotypes (counter-speech, media criticism)', () => {
    const endorse = v('Asians are nerdy and awkward.')
    const discuss = v('Films have long portrayed Asians as nerdy and awkward, a tired stereotype.')
    expect(discuss).toBeLessThan(endorse)
    expect(bias('Films have long portrayed Asians as nerdy and awkward, a tired stereotype.').flagged).toBe(false)
  })

  it('flags a generalized derogatory stereotype', () => {
    expect(bias('All Muslims are terrorists.')).toMatchObject({ flagged: true, label: 'religion' })
  })
})
