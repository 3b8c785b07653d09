/**
 * Builds shared/pii-names.ts, the name lists of the PII scorer's PERSON
 * detector, from the lexicon of the `compromise` NLP library (MIT, Spencer Kelly and contributors).
 *
 *   npx tsx services/scorer/lexicons/person-names.build.ts
 *
 * compromise's own name finder (`nlp(text).people()`) costs about 5 ms per short text, far over the
 * scorers' budget of 100 us per event, so the scorer runs rules over these lists instead. compromise
 * is a dev dependency: only this script and the test that checks the committed file against it
 * (test/unit/pii-names-addresses.test.ts) load it; the event path reads the generated file.
 *
 * What is taken (single words only, lower case):
 * - given: words compromise tags FirstName / MaleName / FemaleName and that are not also common
 *   words (it lists those as "switches": grace Person|Verb, rose Person|Noun, austin Person|Place),
 *   plus its single-word well-known people (plato, rihanna, ...);
 * - ambiguous: those switches (a name or a word: Grace, Mark, Bill, Frank, Austin);
 * - surnames: words tagged LastName;
 * - roles: words tagged Actor that are not names (president, manager, customer): "Dear Hiring
 *   Manager" and "Mr President" are not people's names;
 * - demonyms (american, brazilian): "Roman Catholic" or "Maria Brazilian" is not a full name;
 * - place names of two or more words (countries, regions, cities: "sri lanka", "san jose"), which
 *   start with a given name often enough to matter;
 * - country names (the last line of an international postal address).
 */
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
/** Generated into shared/ since the sink redacts with the same detector (shared/pii.ts). */
export const PERSON_NAMES_FILE = join(here, '..', '..', '..', 'shared', 'pii-names.ts')

/** Never names here: months (compromise lists April, June ... as Person|Date) and name particles. */
const EXCLUDED = new Set(['jan', 'january', 'sep', 'april', 'june', 'august', 'van', 'von', 'de', 'del', 'la', 'le', 'da', 'di'])

interface CompromiseModel {
  one: { lexicon: Record<string, string | string[]> }
  two: { switches: Record<string, string> }
}

export interface PersonNameLists {
  version: string
  given: string[]
  ambiguous: string[]
  surnames: string[]
  roles: string[]
  demonyms: string[]
  places: string[]
  countries: string[]
}

export async function buildPersonNames(): Promise<PersonNameLists> {
  const nlp = (await import('compromise')).default as unknown as { model(): CompromiseModel; version: string }
  const version = nlp.version
  const model = nlp.model()
  const lexicon = model.one.lexicon
  const switches = model.two.switches
  const tags = (w: string): string[] => {
    const t = lexicon[w]
    return t === undefined ? [] : Array.isArray(t) ? t : [t]
  }
  const isGiven = (w: string) => tags(w).some((t) => t === 'FirstName' || t === 'MaleName' || t === 'FemaleName')
  const plain = (w: string) => /^[a-z][a-z'-]*[a-z]$/.test(w) && !EXCLUDED.has(w)
  const given = new Set<string>()
  const ambiguous = new Set<string>()
  const surnames = new Set<string>()
  const roles = new Set<string>()
  const demonyms = new Set<string>()
  const places = new Set<string>()
  const countries = new Set<string>()
  for (const w of Object.keys(lexicon)) {
    if (/^[a-z]+(?: [a-z]+)+$/.test(w) && tags(w).some((t) => t === 'Country' || t === 'City' || t === 'Region' || t === 'Place')) places.add(w)
    if (/^[a-z]+(?: [a-z]+)*$/.test(w) && tags(w).includes('Country')) countries.add(w)
    if (!plain(w)) continue
    const sw = switches[w]
    if (isGiven(w)) (sw !== undefined ? ambiguous : given).add(w)
    else if (tags(w).includes('LastName')) surnames.add(w)
    else if (tags(w).includes('Person') && sw === undefined) given.add(w)
    else if (tags(w).includes('Actor') && sw === undefined) roles.add(w)
    else if (tags(w).includes('Demonym')) demonyms.add(w)
  }
  for (const [w, t] of Object.entries(switches)) if (t.startsWith('Person|') && plain(w)) ambiguous.add(w)
  for (const w of ambiguous) {
    given.delete(w)
    surnames.delete(w)
  }
  const sorted = (s: Set<string>) => [...s].sort()
  return { version, given: sorted(given), ambiguous: sorted(ambiguous), surnames: sorted(surnames), roles: sorted(roles), demonyms: sorted(demonyms), places: sorted(places), countries: sorted(countries) }
}

/** Words joined by `sep`, wrapped at ~100 columns as string concatenations. */
function block(words: readonly string[], sep = ' '): string {
  const lines: string[] = []
  let line = ''
  for (const w of words) {
    if (line !== '' && line.length + w.length + 1 > 96) {
      lines.push(line)
      line = ''
    }
    line += (line === '' ? '' : sep) + w
  }
  if (line !== '') lines.push(line)
  return lines.map((l, i) => `  '${l}${i < lines.length - 1 ? sep : ''}'`).join(' +\n')
}

export function renderPersonNames(l: PersonNameLists): string {
  return `/**
 * Name lists for the PII scorer's PERSON detector. GENERATED by person-names.build.ts from the
 * lexicon of compromise ${l.version} (MIT, Spencer Kelly and contributors): do not edit by hand,
 * re-run \`npx tsx services/scorer/lexicons/person-names.build.ts\`.
 * ${l.given.length} given names, ${l.ambiguous.length} names that are also common words, ${l.surnames.length} surnames,
 * ${l.roles.length} roles, ${l.demonyms.length} demonyms, ${l.places.length} multi-word places, ${l.countries.length} countries; lower case.
 */
export const NAMES_SOURCE = 'compromise@${l.version}'

/** Given names (and single-word well-known people) that are not also common words. */
export const GIVEN_NAMES =
${block(l.given)}

/** Names that are also common words or places (Grace, Mark, Bill, Frank, Austin): a name only next to another name. */
export const AMBIGUOUS_NAMES =
${block(l.ambiguous)}

/** Surnames. */
export const SURNAMES =
${block(l.surnames)}

/** Roles and occupations (president, manager, customer): not names. */
export const ROLES =
${block(l.roles)}

/** Demonyms (american, brazilian). */
export const DEMONYMS =
${block(l.demonyms)}

/** Place names of two or more words, joined by "|". */
export const PLACES =
${block(l.places, '|')}

/** Country names, joined by "|". */
export const COUNTRIES =
${block(l.countries, '|')}
`
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const lists = await buildPersonNames()
  writeFileSync(PERSON_NAMES_FILE, renderPersonNames(lists))
  process.stderr.write(
    `wrote ${PERSON_NAMES_FILE}: ${lists.given.length} given, ${lists.ambiguous.length} ambiguous, ${lists.surnames.length} surnames, ` +
      `${lists.roles.length} roles, ${lists.demonyms.length} demonyms, ${lists.places.length} places, ${lists.countries.length} countries\n`,
  )
}
