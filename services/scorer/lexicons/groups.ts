/**
 * Mentions of social groups (protected characteristics, plus professions for stereotype checks).
 * Keys are normalized tokens (lower case, see text.ts); multi-word mentions are listed as phrases.
 * Written from general knowledge of how groups are referred to, not from any evaluation data.
 */
import type { AnalyzedText } from '../scorer.js'
import { normIdsOf, normTokensOf, perText } from '../text.js'

export type GroupCategory =
  | 'gender'
  | 'race'
  | 'nationality'
  | 'religion'
  | 'age'
  | 'disability'
  | 'sexual_orientation'
  | 'profession'

const G: Record<GroupCategory, string> = {
  gender:
    'women woman girls girl females female ladies lady wives wife mothers mother moms mom mommy mum housewife housewives ' +
    'schoolgirl schoolgirls sisters sister daughters daughter grandmothers grandmother grandma bride brides girlfriend girlfriends ' +
    'men man males male boys boy gentlemen gentleman husbands husband fathers father dads dad daddy brothers brother sons son ' +
    'grandfathers grandfather grandpa schoolboy schoolboys boyfriend boyfriends groom feminists feminist herself himself she he',
  race:
    'black blacks white whites asian asians african africans hispanic hispanics latino latinos latina latinas arab arabs ' +
    'caucasian caucasians chinese japanese korean koreans vietnamese indians native natives aboriginal aboriginals indigenous ' +
    'gypsy gypsies roma jews jew jewish mexican mexicans middle eastern',
  nationality:
    'immigrant immigrants migrants migrant refugees refugee foreigners foreigner american americans british english french german ' +
    'germans russian russians italian italians irish scottish spanish swedish norwegian polish ukrainian greek turkish turks ' +
    'iranian iranians iraqi iraqis afghan afghans syrian syrians saudi saudis pakistani pakistanis bangladeshi somali somalis ' +
    'ethiopian ethiopians nigerian nigerians kenyan ghanaian egyptian egyptians moroccan brazilian brazilians colombian colombians ' +
    'cuban cubans venezuelan peruvian chilean argentinian filipino filipinos thai indonesian ukrainians cameroon ethiopia somalia ' +
    'nigeria kenya ghana sudan eritrea yemen iraq iran afghanistan syria pakistan bangladesh india china japan russia mexico ' +
    'colombia brazil britain france germany italy spain ireland norway sweden ukraine vietnam korea lebanon jordan crimea ' +
    'africa european europeans',
  religion:
    'muslim muslims islam islamic christian christians christianity jews jew jewish judaism hindu hindus hinduism buddhist ' +
    'buddhists buddhism atheist atheists catholic catholics protestant protestants mormon mormons sikh sikhs evangelical ' +
    'evangelicals bible quran koran church mosque synagogue brahmin priest priests imam rabbi',
  age:
    'elderly seniors senior boomers boomer millennials millennial teenagers teenager teens teen kids youngsters retirees ' +
    'grandparents oldsters zoomers',
  disability:
    'disabled disability disabilities handicapped autistic autism blind deaf wheelchair wheelchairs paraplegic amputee ' +
    'amputees retarded retards dyslexic schizophrenic schizophrenics bipolar crippled cripple cripples',
  sexual_orientation:
    'gay gays lesbian lesbians homosexual homosexuals bisexual bisexuals trans transgender transgenders queer queers lgbt ' +
    'lgbtq lgbtqia nonbinary asexual transsexual',
  profession:
    'nurse nurses engineer engineers ceo ceos lawyer lawyers doctor doctors scientist scientists mathematician mathematicians ' +
    'programmer programmers politician politicians banker bankers accountant accountants plumber plumbers mechanic mechanics ' +
    'secretary secretaries teacher teachers professor professors chemist chemists physicist physicists musician musicians ' +
    'artist artists athlete athletes football rapper rappers janitor janitors cleaner maid maids chef chefs cook model models ' +
    'dancer dancers firefighter firefighters police policeman cop cops soldier soldiers manager managers entrepreneur ' +
    'salesman salesperson producer producers guitarist prosecutor attorney pilot pilots surgeon surgeons tailor butcher ' +
    'bartender delivery commander librarian historian psychologist researcher researchers editor poet author ' +
    'farmer farmers construction worker workers clerk assistant software developer',
}

/** Multi-token group mentions (joined with a space). */
const PHRASES: Record<string, GroupCategory> = {
  'old people': 'age',
  'older people': 'age',
  'young people': 'age',
  'old men': 'age',
  'old women': 'age',
  'old man': 'age',
  'old woman': 'age',
  'mentally ill': 'disability',
  'mental illness': 'disability',
  'mental disability': 'disability',
  'mental disabilities': 'disability',
  'physical disability': 'disability',
  'special needs': 'disability',
  'down syndrome': 'disability',
  'native american': 'race',
  'native americans': 'race',
  'middle eastern': 'race',
  'middle east': 'race',
  'african american': 'race',
  'african americans': 'race',
  'puerto rican': 'nationality',
  'puerto ricans': 'nationality',
  'cape verde': 'nationality',
  'sierra leon': 'nationality',
  'sierra leone': 'nationality',
  'chess player': 'profession',
  'civil servant': 'profession',
  'people of color': 'race',
  'trans women': 'sexual_orientation',
  'trans men': 'sexual_orientation',
}

export const GROUP_TERMS: ReadonlyMap<string, GroupCategory> = (() => {
  const m = new Map<string, GroupCategory>()
  for (const [cat, words] of Object.entries(G) as [GroupCategory, string][]) {
    for (const w of words.split(/\s+/)) if (w && !m.has(w)) m.set(w, cat)
  }
  return m
})()

export const GROUP_PHRASES: ReadonlyMap<string, GroupCategory> = new Map(Object.entries(PHRASES))

/** Categories that are protected characteristics (profession is tracked but not protected). */
export const PROTECTED: ReadonlySet<GroupCategory> = new Set([
  'gender',
  'race',
  'nationality',
  'religion',
  'age',
  'disability',
  'sexual_orientation',
])

/** Nouns that turn an ambiguous adjective into a group mention ("black people", "asian women"). */
export const PEOPLE_NOUNS: ReadonlySet<string> = new Set(
  'people folks folk men women guys girls boys kids children persons individuals immigrants families communities population ' +
    'americans community neighbors workers students voters drivers parents moms mothers fathers teens youth'.split(' '),
)
/** Adjectives that name a group only in context (see findGroups). */
const GROUP_ADJECTIVES: ReadonlyMap<string, GroupCategory> = new Map(
  (
    [
      ['black', 'race'], ['white', 'race'], ['brown', 'race'], ['asian', 'race'], ['native', 'race'], ['chinese', 'race'],
      ['japanese', 'race'], ['indian', 'race'], ['mexican', 'nationality'], ['american', 'nationality'], ['english', 'nationality'],
      ['french', 'nationality'], ['spanish', 'nationality'], ['german', 'nationality'], ['italian', 'nationality'],
      ['irish', 'nationality'], ['british', 'nationality'], ['muslim', 'religion'], ['jewish', 'religion'], ['christian', 'religion'],
      ['gay', 'sexual_orientation'], ['trans', 'sexual_orientation'], ['bi', 'sexual_orientation'], ['straight', 'sexual_orientation'],
      ['disabled', 'disability'], ['deaf', 'disability'], ['blind', 'disability'], ['autistic', 'disability'],
      ['old', 'age'], ['elderly', 'age'], ['young', 'age'], ['female', 'gender'], ['male', 'gender'], ['arab', 'race'],
      ['african', 'race'], ['hispanic', 'race'], ['latino', 'race'], ['immigrant', 'nationality'], ['middle', 'race'],
    ] as [string, GroupCategory][]
  ),
)

export interface GroupMention {
  readonly index: number
  readonly length: number
  readonly term: string
  readonly category: GroupCategory
}

/** Everything the mention scan needs to know about one token, so it does one lookup per token. */
interface GroupToken {
  /** Second tokens of two-token phrases starting with this one ("old" -> "people" -> age). */
  phrases?: Map<string, GroupCategory>
  /** Category when it is an ambiguous adjective ("black", "old"). */
  adjective?: GroupCategory
  /** Category when it names a group on its own ("women", "muslims"). */
  term?: GroupCategory
}

const GROUP_TOKENS: ReadonlyMap<string, GroupToken> = (() => {
  const m = new Map<string, GroupToken>()
  const at = (w: string): GroupToken => {
    let g = m.get(w)
    if (g === undefined) {
      g = {}
      m.set(w, g)
    }
    return g
  }
  for (const [phrase, cat] of GROUP_PHRASES) {
    const words = phrase.split(' ')
    // The scan compares two tokens at a time: a longer phrase ("people of color") never matches.
    if (words.length !== 2) continue
    const [a, b] = words as [string, string]
    const g = at(a)
    g.phrases ??= new Map()
    g.phrases.set(b, cat)
  }
  for (const [w, cat] of GROUP_ADJECTIVES) at(w).adjective = cat
  for (const [w, cat] of GROUP_TERMS) at(w).term = cat
  return m
})()

function startsWithLetter(t: string): boolean {
  const c = t.charCodeAt(0)
  return c >= 97 && c <= 122
}

/**
 * Mentions per token array, so the toxicity and bias scorers reading the same analysed text share
 * one scan. Keyed by the array object (text.ts caches one per text); the WeakMap lets it go with it.
 */
const MENTIONS = new WeakMap<readonly string[], readonly GroupMention[]>()

/** Mentions of an analysed text's normalized tokens, found once per text (see findGroups). */
const GROUPS_OF = perText((t) => scanGroups(normTokensOf(t), normIdsOf(t)))

/** findGroups over an analysed text's normalized tokens; a fresh array, as findGroups returns. */
export function groupsOf(text: AnalyzedText): GroupMention[] {
  return GROUPS_OF(text).slice()
}

/** GROUP_TOKENS entry per intern id (text.ts `normIdsOf`), null when none; filled on first sight. */
const GROUP_BY_ID: (GroupToken | null | undefined)[] = []

/**
 * Finds group mentions in a token list (phrases of two tokens first, then single tokens).
 * `ids`: the tokens' intern ids, when known (array reads instead of Map lookups; same result).
 * Returns a fresh array (callers may add to it) of shared, read-only mention objects.
 */
export function findGroups(tokens: readonly string[], ids?: readonly number[]): GroupMention[] {
  let found = MENTIONS.get(tokens)
  if (found === undefined) {
    found = scanGroups(tokens, ids)
    MENTIONS.set(tokens, found)
  }
  return found.slice()
}

/** The GROUP_TOKENS entry of token t with intern id `id` (-1: none). */
function groupToken(t: string, id: number): GroupToken | undefined {
  if (id < 0) return GROUP_TOKENS.get(t)
  let g = GROUP_BY_ID[id]
  if (g === undefined) {
    g = GROUP_TOKENS.get(t) ?? null
    GROUP_BY_ID[id] = g
  }
  return g ?? undefined
}

function scanGroups(tokens: readonly string[], ids: readonly number[] | undefined): GroupMention[] {
  const out: GroupMention[] = []
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string
    const g = groupToken(t, ids !== undefined ? (ids[i] as number) : -1)
    if (g === undefined) continue
    const next = tokens[i + 1]
    if (next !== undefined && g.phrases !== undefined) {
      const p = g.phrases.get(next)
      if (p !== undefined) {
        out.push({ index: i, length: 2, term: t + ' ' + next, category: p })
        i++
        continue
      }
    }
    // Ambiguous adjectives ("black", "chinese") name a group before a people noun or after "the".
    const adj = g.adjective
    if (adj !== undefined) {
      if (next !== undefined && PEOPLE_NOUNS.has(next)) {
        out.push({ index: i, length: 2, term: t + ' ' + next, category: adj })
        i++
        continue
      }
      if (tokens[i - 1] === 'the' && (next === undefined || !startsWithLetter(next) || !GROUP_TERMS.has(next))) {
        out.push({ index: i, length: 1, term: 'the ' + t, category: adj })
        continue
      }
    }
    if (g.term !== undefined) out.push({ index: i, length: 1, term: t, category: g.term })
  }
  return out
}
