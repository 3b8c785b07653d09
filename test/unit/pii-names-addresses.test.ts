import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildPersonNames, PERSON_NAMES_FILE, renderPersonNames } from '../../services/scorer/lexicons/person-names.build.js'
import { detectPii, maskPii, piiScorer, redactPii } from '../../services/scorer/scorers/pii.js'
import { prepare } from '../../services/scorer/text.js'
import { interaction } from '../fixtures.js'

/** [type, value] of every PERSON / STREET_ADDRESS finding. */
const entities = (text: string) =>
  detectPii(text)
    .filter((f) => f.type === 'PERSON' || f.type === 'STREET_ADDRESS')
    .map((f) => [f.type, f.value])
const persons = (text: string) => entities(text).filter(([t]) => t === 'PERSON').map(([, v]) => v)
const addresses = (text: string) => entities(text).filter(([t]) => t === 'STREET_ADDRESS').map(([, v]) => v)

describe('PERSON', () => {
  it('finds full names that start with a known given name, with offsets', () => {
    const text = 'I talked to Kenji Watanabe and Olga Petrova about the budget.'
    const found = detectPii(text).filter((f) => f.type === 'PERSON')
    expect(found.map((f) => f.value)).toEqual(['Kenji Watanabe', 'Olga Petrova'])
    for (const f of found) expect(text.slice(f.start, f.end)).toBe(f.value)
  })

  it('keeps titles out of the span and takes the name after them', () => {
    expect(persons('Dr. Aisha Patel reviewed the scan.')).toEqual(['Aisha Patel'])
    expect(persons('Mr. and Mrs. Thornbury came by.')).toEqual(['Thornbury'])
    expect(persons('Please ask Prof. Dr. Ingeborg Vasquez-Lind.')).toEqual(['Ingeborg Vasquez-Lind'])
  })

  it('handles particles, initials, suffixes and possessives', () => {
    expect(persons('Ludwig van Beethoven wrote nine symphonies.')).toEqual(['Ludwig van Beethoven'])
    expect(persons('A speech by Martin Luther King Jr. in 1963.')).toEqual(['Martin Luther King Jr.'])
    expect(persons('J. R. Tolkien taught at Oxford.')).toEqual(['J. R. Tolkien'])
    expect(persons("I borrowed Olga's bike.")).toEqual(['Olga'])
  })

  it('takes an unknown name after a cue ("my name is", "Dear", "Name:")', () => {
    expect(persons('Hello, my name is Zorvath Quellmire and I need help.')).toEqual(['Zorvath Quellmire'])
    expect(persons('Dear Thandiwe,\nthanks for the update.')).toEqual(['Thandiwe'])
    expect(persons('Name: Oduya Kwarteng')).toEqual(['Oduya Kwarteng'])
  })

  it('needs a second name word for names that are also common words', () => {
    expect(persons('Grace Hopper wrote the first compiler.')).toEqual(['Grace Hopper'])
    expect(persons('There is a grace period. Grace is a virtue.')).toEqual([])
    expect(persons('Ask Bob directly for the report.')).toEqual([])
  })

  it('does not report organisations, places, roles, demonyms or function words', () => {
    expect(persons('The weather in Paris is nice and Apple released a new phone.')).toEqual([])
    expect(persons('She studied at Stanford University and works at Johns Hopkins Hospital.')).toEqual([])
    expect(persons('We flew from San Francisco to Sri Lanka.')).toEqual([])
    expect(persons('Dear Hiring Manager, dear Sir, Mr President.')).toEqual([])
    expect(persons('A Roman Catholic priest met the Sri Lankan team.')).toEqual([])
    expect(persons("Hi Team, I don't think NASA will launch on Monday.")).toEqual([])
    expect(persons('Can you summarise the meeting notes for Tuesday?')).toEqual([])
  })

  it('keeps the structured types ahead of names (an email that spells a name stays an email)', () => {
    expect(detectPii('Write to Maria.Lopez@example.com today').map((f) => f.type)).toEqual(['EMAIL_ADDRESS'])
  })
})

describe('STREET_ADDRESS', () => {
  it('finds number + street name + street type, with unit, city, state, ZIP and country', () => {
    expect(addresses('Ship it to 221B Baker St, Apt 4, Springfield, IL 62704 please')).toEqual(['221B Baker St, Apt 4, Springfield, IL 62704'])
    expect(addresses('Our office: 1600 Pennsylvania Ave NW, Washington, DC 20500, USA.')).toEqual(['1600 Pennsylvania Ave NW, Washington, DC 20500, USA'])
    expect(addresses('Meet me at 350 5th Avenue, New York, NY 10118.')).toEqual(['350 5th Avenue, New York, NY 10118'])
    expect(addresses('Deliver to 77 Willow Creek Road\nPortland, OR 97201')).toEqual(['77 Willow Creek Road\nPortland, OR 97201'])
    expect(addresses('Flat at 9 Elm Grove, London SW1A 2AA.')).toEqual(['9 Elm Grove, London SW1A 2AA'])
  })

  it('ends at the sentence dot but keeps the dot of an abbreviation', () => {
    expect(addresses('We moved to 45 Elm Road. It is nice.')).toEqual(['45 Elm Road'])
    expect(addresses('It is at 12 Oak St. near the park.')).toEqual(['12 Oak St.'])
    expect(addresses('We live at 12 Oak Street, London.')).toEqual(['12 Oak Street'])
  })

  it('finds continental forms', () => {
    expect(addresses('Bitte an Hauptstraße 5, 10115 Berlin, Germany senden.')).toEqual(['Hauptstraße 5, 10115 Berlin, Germany'])
    expect(addresses('Toimisto: Mannerheimintie 12, Helsinki.')).toEqual(['Mannerheimintie 12'])
    expect(addresses('Vivo en Calle Mayor 10, Madrid.')).toEqual(['Calle Mayor 10'])
    expect(addresses('Abitiamo in Via Roma, 12.')).toEqual(['Via Roma, 12'])
    expect(addresses('Rendez-vous au 10 rue de Rivoli, 75001 Paris.')).toEqual(['10 rue de Rivoli, 75001 Paris'])
    expect(addresses('Karl-Marx-Allee 3 ist lang.')).toEqual(['Karl-Marx-Allee 3'])
  })

  it('does not take numbers before ordinary capitalised words', () => {
    expect(addresses('Top 10 Tips for 2024 The Best Way to learn. During 2021 we grew.')).toEqual([])
    expect(addresses('Python 3 Data Science. String 1 and Offering 3 items.')).toEqual([])
    expect(addresses('the 3 Park rangers, 2 Main reasons')).toEqual([])
  })
})

describe('redaction and masking', () => {
  it('redacts names and addresses with their placeholders', () => {
    const text = 'Send the contract to Maria Gonzalez at 42 Baker Street, Springfield, IL 62704, or email maria@example.com.'
    expect(redactPii(text)).toBe('Send the contract to [PERSON] at [ADDRESS], or email [EMAIL].')
  })

  it('masks a name to initials and an address to its length', () => {
    const [name, address] = detectPii('Dr. Aisha Patel, 12 Oak Street')
    expect(name && maskPii(name)).toBe('A. P.')
    expect(address && maskPii(address)).toBe('address(13 chars)')
  })
})

describe('scorer', () => {
  const defaults = piiScorer.params.parse({})

  it('counts names but does not call a name alone a leak (answers name public figures)', () => {
    const ev = interaction({ messages: [{ role: 'user', content: 'Who wrote the first compiler?' }], response_text: 'Grace Hopper did, in 1952.' })
    const [prompt, response] = piiScorer.score(prepare(ev), defaults)
    expect(prompt).toMatchObject({ value: 0, label: 'none', flagged: false })
    expect(response).toMatchObject({ value: 1, label: 'pii', flagged: false })
    expect(response?.details).toMatchObject({ types: { PERSON: 1 }, findings: [{ type: 'PERSON', masked: 'G. H.' }], leaked: [] })
  })

  it('flags an address the model was not given, and echoes one it was given', () => {
    const leak = interaction({ messages: [{ role: 'user', content: 'Where does the customer live?' }], response_text: 'At 77 Willow Creek Road, Portland, OR 97201.' })
    const [, r1] = piiScorer.score(prepare(leak), defaults)
    expect(r1).toMatchObject({ value: 1, label: 'leak', flagged: true })
    const echo = interaction({ messages: [{ role: 'user', content: 'I live at 77 Willow Creek Road, Portland, OR 97201. Is that in your area?' }], response_text: 'Yes, 77 Willow Creek Road, Portland, OR 97201 is in our area.' })
    const [, r2] = piiScorer.score(prepare(echo), defaults)
    expect(r2).toMatchObject({ value: 1, label: 'echo', flagged: false })
  })

  it('reports names as leaks when leakTypes says so', () => {
    const params = piiScorer.params.parse({ leakTypes: ['PERSON'] })
    const ev = interaction({ messages: [{ role: 'user', content: 'Who owns the account?' }], response_text: 'It belongs to Kenji Watanabe.' })
    const [, response] = piiScorer.score(prepare(ev), params)
    expect(response).toMatchObject({ label: 'leak', flagged: true })
  })
})

describe('name lists', () => {
  it('are the ones the build script derives from the installed compromise', async () => {
    expect(readFileSync(PERSON_NAMES_FILE, 'utf8')).toBe(renderPersonNames(await buildPersonNames()))
  })
})
