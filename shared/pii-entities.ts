/**
 * PERSON and STREET_ADDRESS detection for the PII scorer (pii.ts), by rules over how names and
 * postal addresses are written, with name lists taken from the compromise NLP library's lexicon
 * (pii-names.ts, generated). compromise's own tagger is not used on the event path:
 * `nlp(text).people()` costs ~5 ms per short text, the whole scorer set has ~100 us per event.
 *
 * PERSON: runs of capitalised words ("chains": "Maria Gonzalez", "Dr. Aisha Patel",
 * "Ludwig van Beethoven", "J. K. Rowling", "Martin Luther King Jr.") are cut at function words
 * (The, When, Hi ...) and dropped when they name an organisation or place (… University, … Street,
 * San …, Fort …). What is left is a person when
 * - an honorific introduces it (Mr, Mrs, Ms, Dr, Prof, Sir, Judge, Captain ...; the title is not
 *   part of the span, as in CoNLL / Presidio), or a strong cue does ("my name is", "Dear", "Name:",
 *   "Regards,"), or a weak cue ("I'm", "this is", "named", "called") introduces two or more words;
 * - it starts with a known given name ("Maria", "Kenji") followed by any capitalised words, or is a
 *   known given name alone;
 * - it starts with a name that is also a word (Grace, Mark, Bill, Frank) followed by another
 *   capitalised word ("Grace Hopper": a lone "Grace" is not reported);
 * - a known surname follows an unknown capitalised word that does not open a sentence
 *   ("... with Krisztián Anderson").
 * Misses: names in lower or upper case, unknown given names without a cue ("Szabina Gelencsér"
 * when neither word is in the lists), lone surnames ("Smith said"). False finds: given names used
 * as place or brand names ("Charlotte" the city) and title-case headings.
 *
 * STREET_ADDRESS: a house number, capitalised street-name words and a street type (USPS Publication
 * 28 suffixes and their usual abbreviations: Street/St, Avenue/Ave, Road/Rd, Boulevard/Blvd,
 * Lane/Ln, Drive/Dr, Court/Ct, Way, Place, Terrace ...), optional directionals (N, SW, North) and
 * unit (Apt 4, Suite 200, #12); continental forms (Hauptstraße 5, Koskikatu 25, Calle Mayor 10,
 * Via Roma 12, 10 rue de Rivoli). The span extends over ", City, ST 12345", ", City 12345",
 * ", London SW1A 2AA", ", 75001 Paris" (on the same line or the next), but not over a city alone.
 * Misses: addresses without a house number or street type, lower-case addresses, PO boxes.
 */
import { AMBIGUOUS_NAMES, COUNTRIES, DEMONYMS, GIVEN_NAMES, PLACES, ROLES, SURNAMES } from './pii-names.js'

export interface EntitySpan {
  type: 'PERSON' | 'STREET_ADDRESS'
  start: number
  end: number
}

// ---------------------------------------------------------------------------------------------
// Word classes (lower case)

const GIVEN = 1
const AMBIG = 2
const SURNAME = 4
const HONORIFIC = 8
const STOP = 16
const ORG = 32
const SUFFIX = 64
const PLACE_PREFIX = 128
const ROLE = 256
const DEMONYM = 512
/** Address words, looked up in the same pass: a text without one has no address to look for. */
const STREET_TYPE = 1024
const TYPE_FIRST = 2048
/** Last word of a cue before a name ("my name is", "Dear"). */
const CUE = 4096
const NAME = GIVEN | AMBIG | SURNAME

/** Titles before a name. "General", "Dean", "Coach" are left out: they open too many non-names. */
const HONORIFICS =
  'mr mrs ms miss mx mister dr doctor prof professor sir dame lord lady madam madame mme mlle monsieur herr frau ' +
  'señor senor señora senora srta rev reverend fr father sister brother capt captain col colonel lt lieutenant ' +
  'sgt sergeant cpl corporal maj major det detective insp inspector officer judge justice sen senator rep ' +
  'representative gov governor mayor president chancellor rabbi imam pastor bishop cardinal pope aunt uncle ' +
  'grandma grandpa king queen prince princess duke duchess count countess baron baroness'

/**
 * Capitalised words that do not start or continue a name: function words (capitalised at the start
 * of a sentence), greetings, days and months, and words of address ("Hi Team").
 */
const STOPWORDS =
  'the a an and or but nor so yet if then than when while where what which who whom whose why how that this these ' +
  'those there here it its i me my mine we us our ours you your yours he him his she her hers they them their theirs ' +
  'is are was were be been being am do does did done have has had will would shall should can could may might must ' +
  'not no yes ok okay please thanks thank hello hi hey dear greetings regards sincerely best cheers welcome sorry ' +
  'good great new old all any some each every both either neither many much more most few other another such same ' +
  'own only just also very too for from to of in on at by with about into onto over under after before since until ' +
  'during through between among against without within per via as like unlike despite toward towards upon once ' +
  'monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun ' +
  'january february march may july september october november december jan feb mar apr jun jul aug sep sept oct ' +
  'nov dec today tomorrow yesterday tonight morning evening afternoon night week weekend month year ' +
  'team everyone everybody anyone someone nobody folks guys people customer customers user users support admin ' +
  'sir madam god note step question answer example summary introduction conclusion chapter section part figure ' +
  'table appendix re fw fwd subject dept'

/** Words that make a chain an organisation, venue or place, not a person ("... University", "... Street"). */
const ORG_WORDS =
  'inc ltd llc llp plc gmbh ag sa corp corporation company co group holdings bank university college school ' +
  'academy institute hospital clinic foundation association society museum library church cathedral temple mosque ' +
  'synagogue airport station hotel motel restaurant cafe bar pub river lake mountain mountains island islands ' +
  'beach valley county city state province republic kingdom empire center centre tower bridge building street ' +
  'avenue ave road rd boulevard blvd drive highway plaza trust fund partners associates labs laboratories systems ' +
  'technologies technology software solutions services service media news times post journal magazine records ' +
  'studios studio pictures films show festival theatre theater stadium arena award awards prize cup league club ' +
  'council committee department ministry agency office bureau police army navy party movement project program ' +
  'programme initiative conference summit act law syndrome disease effect theorem principle medal memorial tunnel ' +
  'canal bay coast desert forest gardens zoo mall market store shop brothers industries international global ' +
  'airlines airways motors pharma pharmaceuticals insurance capital ventures network networks cloud api sdk app ' +
  'apps day week olympics games series edition version'

/** Name suffixes kept in the span: "Martin Luther King Jr.", "John Smith III". */
const NAME_SUFFIXES = 'jr sr ii iii iv'

/** A place name starts with these: "San Francisco", "St. Louis", "Fort Worth", "Lake Placid". */
const PLACE_PREFIXES = 'san santa santo são sao st ste saint sainte fort port mount mt lake cape los las el new north south east west upper lower'

/** Adjectives of belief and origin that compromise's demonym list lacks ("Roman Catholic", "Sri Lankan"). */
const GROUP_ADJECTIVES =
  'catholic protestant orthodox evangelical lutheran anglican baptist methodist muslim islamic jewish hindu buddhist ' +
  'sikh mormon jain taoist shinto atheist agnostic lankan latino latina hispanic caucasian'

const WORD_CLASS = new Map<string, number>()
/**
 * The same classes in an open-addressing table keyed by a hash of the lower-cased word, so a token
 * is looked up from its characters without building a string (every capitalised word of every
 * text is looked up). Hits are verified against the stored word.
 */
const TABLE_SIZE = 1 << 14
const T_HASH = new Int32Array(TABLE_SIZE)
const T_CLASS = new Uint16Array(TABLE_SIZE)
const T_WORD: string[] = new Array<string>(TABLE_SIZE).fill('')
const FNV_OFFSET = 0x811c9dc5 | 0
/** FNV-1a step over a lower-cased ASCII code. */
function fnv(h: number, c: number): number {
  return Math.imul(h ^ (c >= 65 && c <= 90 ? c + 32 : c), 16777619)
}
function tableAdd(w: string, flag: number): void {
  let h = FNV_OFFSET
  for (let i = 0; i < w.length; i++) h = fnv(h, w.charCodeAt(i))
  let slot = h & (TABLE_SIZE - 1)
  while (T_CLASS[slot] !== 0 && T_WORD[slot] !== w) slot = (slot + 1) & (TABLE_SIZE - 1)
  T_HASH[slot] = h
  T_WORD[slot] = w
  T_CLASS[slot] = (T_CLASS[slot] as number) | flag
}
/** Class of text[start, end) (ASCII), given its hash `h`; 0 when not listed. */
function tableGet(text: string, start: number, end: number, h: number): number {
  let slot = h & (TABLE_SIZE - 1)
  for (;;) {
    const cls = T_CLASS[slot] as number
    if (cls === 0) return 0
    if (T_HASH[slot] === h) {
      const w = T_WORD[slot] as string
      if (w.length === end - start) {
        let i = 0
        while (i < w.length) {
          const c = text.charCodeAt(start + i)
          if ((c >= 65 && c <= 90 ? c + 32 : c) !== w.charCodeAt(i)) break
          i++
        }
        if (i === w.length) return cls
      }
    }
    slot = (slot + 1) & (TABLE_SIZE - 1)
  }
}
function addWords(list: string, flag: number): void {
  for (const w of list.split(' ')) {
    if (w === '') continue
    WORD_CLASS.set(w, (WORD_CLASS.get(w) ?? 0) | flag)
    tableAdd(w, flag)
  }
}
addWords(GIVEN_NAMES, GIVEN)
addWords(AMBIGUOUS_NAMES, AMBIG)
addWords(SURNAMES, SURNAME)
addWords(HONORIFICS, HONORIFIC)
addWords(STOPWORDS, STOP)
addWords(ORG_WORDS, ORG)
addWords(NAME_SUFFIXES, SUFFIX)
addWords(PLACE_PREFIXES, PLACE_PREFIX)
addWords(ROLES, ROLE)
addWords(DEMONYMS, DEMONYM)
addWords(GROUP_ADJECTIVES, DEMONYM)
/** Multi-word place names ("sri lanka", "san jose"), lower case, single-spaced. */
const PLACE_PHRASES = new Set(PLACES.split('|'))

/** True when two or three consecutive tokens of `r` spell a known place ("Sri Lanka", "Santa Ana"). */
function hasPlacePhrase(text: string, r: readonly Tok[]): boolean {
  for (let i = 0; i + 1 < r.length; i++) {
    let phrase = text.slice((r[i] as Tok).start, (r[i] as Tok).end).toLowerCase()
    for (let k = i + 1; k < Math.min(r.length, i + 3); k++) {
      phrase += ' ' + text.slice((r[k] as Tok).start, (r[k] as Tok).end).toLowerCase()
      if (PLACE_PHRASES.has(phrase)) return true
    }
  }
  return false
}

// ---------------------------------------------------------------------------------------------
// PERSON

/** Between two words of a name: spaces, optionally after a dot and around particles (van, de, bin). */
const NAME_GAP = /^\.?[ \u00A0]{1,2}(?:(?:van|von|der|den|de|del|della|di|da|du|dos|das|do|le|la|bin|binti|ibn|al|el|ter|ten|af|zu|y)[ \u00A0]{1,2}){0,3}$/
/** Strong cues: a single capitalised word after them is a name. */
const STRONG_CUE = /(?:\bmy name is|\bmy name's|\bname\s*[:=]|\bdear|\bsigned|\bsincerely,?|\bregards,?|\battn\.?:?|\bcontact person\s*[:=]?)\s*$/i
/** Weak cues: need two capitalised words after them ("I'm Anna Berg", not "I'm Happy"). */
const WEAK_CUE = /(?:\bI am|\bI['’]m|\bthis is|\bnamed|\bcalled|\bname is)\s*$/i
/** "in Charlotte", "near Florence": a lone given name after these is a place. */
const PLACE_PREP = /\b(?:in|near|outside|around)\s+$/i
/** The last words of the cues above (in the word table): the cue regexes only run after one of these. */
addWords("is name's name dear signed sincerely regards attn person am i'm i’m named called", CUE)

/** Whether the word before `start` (skipping spaces and one ",", ":", "=" or ".") ends a cue; no string is built. */
function afterCueWord(text: string, start: number): boolean {
  let j = start - 1
  while (j >= 0 && j > start - 6) {
    const c = text.charCodeAt(j)
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 44 || c === 58 || c === 61 || c === 46) j--
    else break
  }
  const e = j + 1
  while (j >= 0 && e - j <= 12) {
    const c = text.charCodeAt(j)
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 39 || c === 0x2019) j--
    else break
  }
  if (e - j - 1 < 2) return false
  let h = FNV_OFFSET
  for (let i = j + 1; i < e; i++) h = fnv(h, text.charCodeAt(i))
  return (tableGet(text, j + 1, e, h) & CUE) !== 0
}
const SENTENCE_START = /(?:^|[.!?:;\n]["'“”‘’)\]]?)\s*["'“”‘’(]?$/

interface Tok {
  start: number
  end: number
  /** Word-class flags of the lower-cased word. */
  cls: number
  /** A single capital letter (an initial), with or without a dot after it. */
  initial: boolean
  /** The token ended in 's: the name ends here. */
  possessive: boolean
}

function isSentenceStart(text: string, start: number): boolean {
  return SENTENCE_START.test(text.slice(Math.max(0, start - 4), start))
}

/** Last letters of the cue words: a cheap test before the word before a chain is read. */
function mayEndCue(text: string, start: number): boolean {
  let j = start - 1
  while (j >= 0 && start - j <= 5) {
    const c = text.charCodeAt(j)
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 44 || c === 58 || c === 61 || c === 46) j--
    else return c === 115 || c === 101 || c === 114 || c === 100 || c === 121 || c === 110 || c === 109 // s e r d y n m
  }
  return false
}

/** Decides which part of a chain of capitalised tokens (cut at function words) is a person. */
function personInChain(text: string, pool: readonly Tok[], length: number, out: EntitySpan[]): void {
  // Most chains are one capitalised word that is no name ("Sure", "Context"): only a cue before it
  // ("my name is", "Dear") could make it one.
  let any = 0
  for (let k = 0; k < length; k++) any |= (pool[k] as Tok).cls
  const head0 = pool[0] as Tok
  const cueWord = mayEndCue(text, head0.start) && afterCueWord(text, head0.start)
  if (!(any & (NAME | HONORIFIC)) && !(head0.initial && text.charCodeAt(head0.end) === 46) && !cueWord) return
  const chain = pool.slice(0, length)
  let i = 0
  let cue = false
  // Leading titles: "Dr.", "Mr.", "Prof." (several: "Prof. Dr.").
  while (i < chain.length - 1 && (chain[i] as Tok).cls & HONORIFIC && !((chain[i] as Tok).cls & NAME)) {
    cue = true
    i++
  }
  // Leading demonyms: "American Jacob Zachar" -> "Jacob Zachar".
  while (i < chain.length && (chain[i] as Tok).cls & DEMONYM && !((chain[i] as Tok).cls & NAME)) i++
  let r = chain.slice(i)
  if (r.length === 0) return
  // Organisations, venues and places; "Roman Catholic", "Sri Lankan".
  if (r.some((t) => t.cls & (ORG | DEMONYM) && !(t.cls & NAME))) return
  if (r.length >= 2 && hasPlacePhrase(text, r)) return
  const first = r[0] as Tok
  if (first.cls & PLACE_PREFIX && !(first.cls & (GIVEN | SURNAME)) && r.length > 1) return
  if (r.length > 4) r = r.slice(0, 4)
  if (!cue && (first === head0 ? cueWord : afterCueWord(text, first.start))) {
    const before = text.slice(Math.max(0, first.start - 24), first.start)
    if (STRONG_CUE.test(before)) cue = true
    else if (r.length >= 2 && WEAK_CUE.test(before)) cue = true
  }
  const named = r.some((t) => t.cls & NAME)
  // A title or a cue before roles is not a name: "Mr President", "Dear Hiring Manager".
  if (cue && !named && r.some((t) => t.cls & ROLE)) return
  let s = -1
  // Dotted initials before a word: "J. K. Rowling", "A. Smith".
  if (cue || (first.initial && text[first.end] === '.' && r.some((t) => !t.initial))) s = 0
  else {
    const j = r.findIndex((t) => (t.cls & NAME) !== 0)
    if (j < 0) return
    const anchor = r[j] as Tok
    s = j
    // An unknown given name before a known surname, when it does not open a sentence ("with Krisztián Anderson").
    if (j > 0 && anchor.cls & SURNAME && !(anchor.cls & GIVEN)) {
      const prev = r[j - 1] as Tok
      if (!prev.initial && !isSentenceStart(text, prev.start)) s = j - 1
    }
    // Initials before the anchor: "J. K. Rowling", "J. Smith".
    while (s > 0 && (r[s - 1] as Tok).initial && text[(r[s - 1] as Tok).end] === '.') s--
    const n = r.length - s
    const head = r[s] as Tok
    // A name that is also a word, before a role: "Christian Leader", "Grace Manager".
    if (head.cls & AMBIG && !(head.cls & GIVEN) && r.slice(s + 1).some((t) => t.cls & ROLE && !(t.cls & NAME))) return
    if (n === 1) {
      // A lone word: only an unambiguous given name, not after "in"/"near" (a place).
      if (!(head.cls & GIVEN) || head.initial) return
      if (PLACE_PREP.test(text.slice(Math.max(0, first.start - 12), first.start))) return
    }
  }
  let e = r.length
  // Trailing initials are not part of a name ("... Smith J" is rare; "Washington D. C." is a place).
  while (e > s + 1 && (r[e - 1] as Tok).initial) e--
  if (e <= s) return
  const a = r[s] as Tok
  const b = r[e - 1] as Tok
  if (a.initial && e - s === 1) return
  // "Jr." keeps its dot.
  const end = b.cls & SUFFIX && text[b.end] === '.' ? b.end + 1 : b.end
  out.push({ type: 'PERSON', start: a.start, end })
}

/** Ends the chain of the first `length` pooled tokens (a module function: no closure per text); returns the new length, 0. */
function flushChain(text: string, length: number, out: EntitySpan[]): number {
  if (length > 0) personInChain(text, TOKEN_POOL, length, out)
  return 0
}

/** Token records reused from text to text (no allocation per token). */
const TOKEN_POOL: Tok[] = Array.from({ length: 32 }, () => ({ start: 0, end: 0, cls: 0, initial: false, possessive: false }))

/**
 * PERSON spans in `text` (unsorted; overlaps with other types are resolved by the caller). Returns
 * whether a capitalised word could belong to an address (a street type such as Street, Ave, Calle,
 * Via, or a compound street name such as Hauptstraße), so the caller can skip the address search.
 */
export function detectPersons(text: string, capStarts: readonly number[], out: EntitySpan[]): boolean {
  let streetCue = false
  let length = 0
  let after = 0
  for (const start of capStarts) {
    if (start < after) continue
    let end = tokenEnd(text, start)
    after = end
    let possessive = false
    let hash = tokHash
    if (tokApostrophe > 0) {
      const a = start + tokApostrophe
      const t = text.charCodeAt(a + 1)
      if ((t === 115 || t === 83) && end === a + 2) {
        // John's: the name is "John".
        possessive = true
        end = a
        hash = tokHashBeforeApostrophe
      } else if (!isUpperCode(t)) {
        // Don't, Won't, I'll: a contraction, not a name.
        length = flushChain(text, length, out)
        continue
      }
    }
    const initial = end - start === 1
    // ASCII words from the hash table; words with other letters ("José", "Señor") by their string.
    const cls = initial ? 0 : tokNonAscii ? (WORD_CLASS.get(text.slice(start, end).toLowerCase()) ?? 0) : tableGet(text, start, end, hash)
    if (
      !streetCue &&
      (cls & (STREET_TYPE | TYPE_FIRST) ||
        (end - start >= 6 && COMPOUND_TAILS.has(tailKey(text, end))) ||
        (initial && text.charCodeAt(start) === 67 && text.charCodeAt(end) === 47))
    ) {
      streetCue = true
    }
    // An acronym (NASA, USA) ends any chain; so does "I" (the pronoun, unless an initial with a dot).
    if (
      (!initial && !(tokNonAscii ? LOWER.test(text.slice(start, end)) : tokLower)) ||
      (initial && text.charCodeAt(start) === 73 && text.charCodeAt(end) !== 46)
    ) {
      length = flushChain(text, length, out)
      continue
    }
    const prev = length > 0 ? (TOKEN_POOL[length - 1] as Tok) : undefined
    if (prev !== undefined) {
      const gapStart = prev.end
      const joined =
        !prev.possessive &&
        start - gapStart <= 24 &&
        (start - gapStart === 1 ? text.charCodeAt(gapStart) === 32 : NAME_GAP.test(text.slice(gapStart, start))) &&
        (text.charCodeAt(gapStart) !== 46 || prev.initial || (prev.cls & (HONORIFIC | SUFFIX)) !== 0)
      if (!joined) length = flushChain(text, length, out)
    }
    if (cls & STOP && !(cls & NAME)) {
      // Function words split chains ("Hi Maria" -> "Maria"); they are never part of a name.
      length = flushChain(text, length, out)
      continue
    }
    if (length === TOKEN_POOL.length) length = flushChain(text, length, out)
    const t = TOKEN_POOL[length++] as Tok
    t.start = start
    t.end = end
    t.cls = cls
    t.initial = initial
    t.possessive = possessive
  }
  length = flushChain(text, length, out)
  return streetCue
}

/** Letters: ASCII, and from U+00C0 up to U+1FFF except × and ÷ (Latin, Greek, Cyrillic, combining marks). */
function isLetterCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 0xc0 && c < 0x2000 && c !== 0xd7 && c !== 0xf7)
}
const UPPER = /^\p{Lu}$/u
const LOWER = /\p{Ll}/u
function isUpperCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 0xc0 && UPPER.test(String.fromCharCode(c)))
}
// What tokenEnd saw in the token it read (module state: no object per token).
let tokApostrophe = -1
let tokLower = false
let tokMixed = false
let tokNonAscii = false
let tokHash = 0
let tokHashBeforeApostrophe = 0
/**
 * End of the capitalised word at `i`: letters, "'" + letters (O'Brien, John's), "-" + capital
 * (Smith-Jones). Sets tokApostrophe (offset of the first apostrophe, or -1), tokLower (an ASCII
 * lower-case letter), tokMixed (a capital after the first letter), tokNonAscii.
 */
function tokenEnd(text: string, i: number): number {
  const n = text.length
  let j = i + 1
  tokApostrophe = -1
  tokLower = false
  tokMixed = false
  const c0 = text.charCodeAt(i)
  tokNonAscii = c0 >= 0xc0
  let h = fnv(FNV_OFFSET, c0)
  for (;;) {
    while (j < n) {
      const c = text.charCodeAt(j)
      if (c >= 97 && c <= 122) tokLower = true
      else if (c >= 65 && c <= 90) tokMixed = true
      else if (c >= 0xc0 && c < 0x2000 && c !== 0xd7 && c !== 0xf7) tokNonAscii = true
      else break
      h = fnv(h, c)
      j++
    }
    const c = text.charCodeAt(j)
    if ((c === 39 || c === 0x2019) && isLetterCode(text.charCodeAt(j + 1))) {
      if (tokApostrophe < 0) {
        tokApostrophe = j - i
        tokHashBeforeApostrophe = h
      }
      tokMixed = true
      h = fnv(fnv(h, 39), text.charCodeAt(j + 1))
      j += 2
    } else if (c === 45 && isUpperCode(text.charCodeAt(j + 1))) {
      tokMixed = true
      h = fnv(fnv(h, 45), text.charCodeAt(j + 1))
      j += 2
    } else {
      tokHash = h
      return j
    }
  }
}

// ---------------------------------------------------------------------------------------------
// STREET_ADDRESS

/** USPS Publication 28 street suffixes (and common UK/Commonwealth ones), with abbreviations. */
const STREET_TYPES = [
  'Street', 'St', 'Str', 'Avenue', 'Ave', 'Av', 'Road', 'Rd', 'Boulevard', 'Blvd', 'Lane', 'Ln', 'Drive', 'Dr', 'Court', 'Ct',
  'Place', 'Pl', 'Terrace', 'Ter', 'Terr', 'Circle', 'Cir', 'Parkway', 'Pkwy', 'Highway', 'Hwy', 'Freeway', 'Fwy',
  'Expressway', 'Expy', 'Square', 'Sq', 'Trail', 'Trl', 'Plaza', 'Plz', 'Alley', 'Aly', 'Way', 'Crescent', 'Cres', 'Close',
  'Grove', 'Grv', 'Gardens', 'Gdns', 'Mews', 'Row', 'Walk', 'Loop', 'Pike', 'Turnpike', 'Tpke', 'Causeway', 'Cswy',
  'Crossing', 'Xing', 'Heights', 'Hts', 'Hill', 'Hills', 'Ridge', 'Rdg', 'Park', 'Green', 'Glen', 'Commons', 'Cove', 'Cv',
  'Creek', 'Crk', 'Crest', 'Estates', 'Ests', 'Falls', 'Ferry', 'Fields', 'Forest', 'Harbor', 'Hbr', 'Haven', 'Hollow',
  'Junction', 'Jct', 'Knoll', 'Knolls', 'Landing', 'Lndg', 'Manor', 'Mnr', 'Meadow', 'Meadows', 'Mdws', 'Mill', 'Mills',
  'Motorway', 'Oval', 'Orchard', 'Parade', 'Rise', 'Route', 'Rte', 'Shore', 'Shores', 'Spur', 'Summit', 'Trace', 'Vista',
  'Wharf', 'Wynd', 'Embankment', 'Quay', 'Yard', 'Bypass', 'Station', 'Valley', 'View', 'Village', 'Point', 'Pt', 'Port',
  'Run', 'Springs', 'Spring', 'Island', 'Isle', 'Center', 'Ctr', 'Centre', 'Extension', 'Ext', 'Ville', 'Viaduct',
  'Underpass', 'Overpass', 'Tunnel', 'Ford', 'Fork', 'Forks', 'Flat', 'Flats', 'Gateway', 'Lake', 'Lakes', 'Lodge',
  'Mall', 'Mount', 'Mountain', 'Mtn', 'Neck', 'Pass', 'Path', 'Pines', 'Prairie', 'Ranch', 'Rapids', 'Shoal', 'Skyway',
  'Stravenue', 'Stream', 'Throughway', 'Track', 'Trafficway', 'Union', 'Well', 'Wells', 'Bend', 'Bluff', 'Bluffs',
  'Branch', 'Brook', 'Brooks', 'Burg', 'Camp', 'Canyon', 'Cape', 'Cliff', 'Cliffs', 'Club', 'Common', 'Corner', 'Corners',
  'Course', 'Courts', 'Curve', 'Dale', 'Dam', 'Divide', 'Drives', 'Estate', 'Field', 'Fort', 'Ft', 'Harbors', 'Inlet',
  'Key', 'Keys', 'Light', 'Lights', 'Loaf', 'Lock', 'Locks', 'Mission', 'Orchards', 'Plains', 'Plain', 'Ridges', 'Shoals',
  'Squares', 'Streets', 'Villages', 'Ways', 'Annex', 'Arcade', 'Bayou', 'Beach', 'Bottom', 'Burgs', 'Centers', 'Circles',
  'Crossroad', 'Fall', 'Fords', 'Forge', 'Forges', 'Glens', 'Greens', 'Groves', 'Islands', 'Junctions', 'Land', 'Manors',
  'Missions', 'Mountains', 'Parks', 'Parkways', 'Pine', 'Plains', 'Points', 'Ports', 'Radial', 'Ramp', 'Rapid', 'River',
  'Roads', 'Rue', 'Spurs', 'Trailer', 'Unions', 'Valleys', 'Views', 'Walks', 'Wall', 'Via',
]
/** Abbreviations whose dot belongs to them (a dot after "Road" ends the sentence instead). */
const ABBREVIATIONS = new Set(
  ('st str ave av rd blvd ln dr ct pl ter terr cir pkwy hwy fwy expy sq trl plz aly cres grv gdns tpke cswy xing hts rdg ' +
    'cv crk ests hbr jct lndg mnr mdws rte pt ctr ext mtn ft n s e w ne nw se sw apt ste fl rm bldg no')
    .split(' '),
)
// Title case and upper case ("123 MAIN ST"); longest first so "Street" wins over "St".
const TYPE_ALT = [...new Set(STREET_TYPES.flatMap((t) => [t, t.toUpperCase()]))].sort((a, b) => b.length - a.length).join('|')

/** Function words: "2024 The Best Way", "10 Tips For ..." are not streets. */
const NOT_STREET = '(?:The|A|An|And|Or|Of|For|To|In|On|At|By|With|From|My|Your|Our|Their|His|Her|Its|This|That|These|Those|Is|Are|Was|Were|Be|Best|Top)'
const NUM = String.raw`\d{1,6}[A-Za-z]?(?:[-/]\d{1,5}[A-Za-z]?)?`
const DIR = String.raw`(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West|Northeast|Northwest|Southeast|Southwest)\.?`
/** A street-name word: capitalised (Baker, O'Neil, Martin-Luther, St.) or an ordinal (5th, 42nd). */
const SWORD = String.raw`(?:\p{Lu}[\p{L}\p{M}'’-]*\.?|\d{1,3}(?:st|nd|rd|th))`
const UNIT = String.raw`(?:,?[ \t]*(?:Apt|APT|Apartment|Suite|SUITE|Ste|STE|Unit|UNIT|Flat|Fl|Floor|Rm|Room|Bldg|Building|Lot|Space|Spc|Dept|No|#)\.?[ \t]*#?[ \t]*(?:[A-Za-z]?\d{1,5}[A-Za-z]?(?:-\d{1,4})?|[A-Z](?![\p{L}\p{N}])))`
/** A city word: capitalised, no dot (a dot ends the sentence) except in St. / Mt. / Ft. */
const CITYW = String.raw`(?:St\.|Ste\.|Mt\.|Ft\.|\p{Lu}[\p{L}\p{M}'’-]*)`
const CITY = String.raw`${CITYW}(?:[ \t]+${CITYW}){0,3}`
const POSTAL = String.raw`(?:\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d|\d{4,6})`
/** Separator between address lines: a comma, a line break, or both. */
const SEP = String.raw`(?:[ \t]*,[ \t]*(?:\r?\n[ \t]*)?|[ \t]*\r?\n[ \t]*,?[ \t]*)`
const SEP2 = String.raw`(?:[ \t]*,?[ \t]*(?:\r?\n[ \t]*,?[ \t]*)?)`
/** ", City, ST 12345" / ", City 12345" / ", City, ST" / ", 75001 Paris" / ", London SW1A 2AA". */
/** Country names in title or upper case ("Germany", "United States", "USA"), as the last line. */
const COUNTRY = `(?:USA|U\\.S\\.A\\.|U\\.S\\.|US|UK|U\\.K\\.|${COUNTRIES.split('|')
  .flatMap((c) => [c.replace(/(^|[ ])(\p{L})/gu, (_m, sp: string, ch: string) => sp + ch.toUpperCase()), c.toUpperCase()])
  .sort((a, b) => b.length - a.length)
  .join('|')})`
const TAIL = String.raw`(?:${SEP}(?:${CITY}${SEP2}(?:[A-Z]{2}(?![\p{L}\p{N}])(?:[ \t]+${POSTAL})?|(?:${CITYW}(?:[ \t]+${CITYW}){0,2}[ \t]+)?${POSTAL})|${POSTAL}[ \t]+${CITY})(?:${SEP2}${COUNTRY}(?![\p{L}\p{N}]))?)?`
const END = String.raw`(?![\p{L}\p{N}])`

/** Number first, English street type last: "221B Baker St", "1600 Pennsylvania Ave NW, Washington, DC 20500". */
const US_STREET = new RegExp(
  String.raw`(?<![\p{L}\p{N}_.,/#-])${NUM},?[ \t]+(?!${NOT_STREET}[ \t])(?:${DIR}[ \t]+)?(?:${SWORD}[ \t]+){1,4}(?:${TYPE_ALT})\.?(?:[ \t]+${DIR})?${END}${UNIT}?${TAIL}${END}`,
  'gu',
)
const PARTICLE = String.raw`(?:de|del|de la|la|las|los|el|des|du|d'|di|della|delle|dei|da|do|dos|das)`
const NAMEPARTS = String.raw`(?:${PARTICLE}[ \t]+)*\p{Lu}[\p{L}\p{M}'’.-]*(?:[ \t]+(?:${PARTICLE}[ \t]+)*\p{Lu}[\p{L}\p{M}'’.-]*){0,3}`
/** Compound street names: "Hauptstraße 5", "Koskikatu 25", "Drottninggatan 12", "Karl-Marx-Allee 3". */
const COMPOUND_STREET = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:(?:\p{Lu}[\p{L}\p{M}]*-)+(?:Straße|Strasse|Gasse|Weg|Platz|Allee|Damm)|(?:\p{Lu}[\p{L}\p{M}]*-)*\p{Lu}[\p{L}\p{M}]{2,}?(?:straße|strasse|str\.|gasse|weg|platz|allee|damm|ufer|gracht|straat|laan|plein|singel|steeg|vej|gade|gatan|vägen|gränd|katu|tie|kuja|veien|vegen|utca|ulica))[ \t]+${NUM}${END}${UNIT}?${TAIL}${END}`,
  'gu',
)
/** Street type first, number last: "Calle Mayor 10", "Via Roma, 12", "Rua Augusta 25". */
const TYPE_FIRST_STREET = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:Calle|C/|Avenida|Avda\.|Paseo|Carrer|Via|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Rua|Travessa|Praça|Estrada|Alameda|Rue|Boulevard|Chemin|Allée|Impasse|Quai|Ulica|ul\.|Strada|Bulevar)[ \t]+${NAMEPARTS},?[ \t]+(?:n[º°o]\.?[ \t]*)?${NUM}${END}${UNIT}?${TAIL}${END}`,
  'gu',
)
/** Number first, French street type: "10 rue de Rivoli, 75001 Paris", "5 avenue Foch". */
const NUMBER_FIRST_ROMANCE = new RegExp(
  String.raw`(?<![\p{L}\p{N}_.,/#-])${NUM},?[ \t]+(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|cours|route|passage|square|Rue|Avenue|Boulevard|Chemin|Allée|Impasse|Quai|Cours)[ \t]+${NAMEPARTS}${END}${UNIT}?${TAIL}${END}`,
  'gu',
)
/**
 * Where a number-first address can start: a number, then a capitalised word, an ordinal ("350 5th
 * Avenue") or a French street type ("10 rue ..."). A plain (non-unicode) regex, cheap to scan; the
 * address regexes then run anchored (sticky) at its hits only, and only when a street type follows.
 */
const NUMBER_FIRST_GATE = /\d[A-Za-z]?,?[ \t]+(?:[A-Z]|\d{1,3}(?:st|nd|rd|th)[ \t]|(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|cours|route|passage|square)[ \t])/g
/** Digit runs; those right after "word " (or "Str. ", "Roma, ") can end a number-last address. */
const DIGIT_RUN = /\d+/g
const STREET_TYPE_WORDS = new Set(STREET_TYPES.flatMap((t) => [t, t.toUpperCase()]))
addWords(STREET_TYPES.join(' ').toLowerCase(), STREET_TYPE)
const ROMANCE_TYPES_FIRST_WORD = new Set(
  'rue avenue av boulevard bd place chemin allée impasse quai cours route passage square Rue Avenue Boulevard Chemin Allée Impasse Quai Cours'.split(' '),
)
/** Street types that come first in Romance and Slavic addresses (the number comes last). */
const TYPE_FIRST_WORDS = new Set(
  'Calle Avenida Avda Paseo Carrer Via Viale Piazza Piazzale Corso Largo Vicolo Rua Travessa Praça Estrada Alameda Rue Boulevard Chemin Allée Impasse Quai Ulica Strada Bulevar'.split(' '),
)
addWords([...TYPE_FIRST_WORDS].join(' ').toLowerCase(), TYPE_FIRST)
/** French street types written in lower case after the number ("10 rue de Rivoli"): not capitalised words. */
const LOWER_ROMANCE_CUE = / (?:rue|avenue|boulevard|place|chemin|allée|impasse|quai|cours|route|passage|square|bd|av\.) /
export function hasLowerRomanceStreet(text: string): boolean {
  return LOWER_ROMANCE_CUE.test(text)
}
const COMPOUND_SUFFIXES = [
  'straße', 'strasse', 'str.', 'gasse', 'weg', 'platz', 'allee', 'damm', 'ufer', 'gracht', 'straat', 'laan', 'plein', 'singel',
  'steeg', 'vej', 'gade', 'gatan', 'vägen', 'gränd', 'katu', 'tie', 'kuja', 'veien', 'vegen', 'utca', 'ulica',
]
/** The last three characters of a word as one number (lower-cased), without building a string. */
function tailKey(text: string, end: number): number {
  let k = 0
  for (let i = end - 3; i < end; i++) {
    const c = text.charCodeAt(i)
    k = k * 65536 + (c >= 65 && c <= 90 ? c + 32 : c)
  }
  return k
}
const COMPOUND_TAILS = new Set(COMPOUND_SUFFIXES.map((x) => tailKey(x, x.length)))

const STICKY = (re: RegExp) => new RegExp(re.source, 'uy')
const US_STREET_AT = STICKY(US_STREET)
const NUMBER_FIRST_ROMANCE_AT = STICKY(NUMBER_FIRST_ROMANCE)
const COMPOUND_STREET_AT = STICKY(COMPOUND_STREET)
const TYPE_FIRST_STREET_AT = STICKY(TYPE_FIRST_STREET)

/** The last character of a street name before its number: a letter, the dot of "Str.", a comma ("Via Roma, 12"). */
function isWordEndCode(c: number): boolean {
  return isLetterCode(c) || c === 46 || c === 44
}
function isAlnumCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

/**
 * What the words after a house number at `from` hold, up to 7 words on the same line and before a
 * comma: 1 = an English street type ("... Baker Street"), 2 = a French type right after the number
 * ("10 rue ..."), 0 = neither (most numbers: "3 Days", "2024 The ...").
 */
function streetTypeAhead(text: string, from: number): number {
  const n = text.length
  let i = from
  for (let k = 0; k < 7 && i < n; k++) {
    let c = text.charCodeAt(i)
    while (c === 32 || c === 9) c = text.charCodeAt(++i)
    const ws = i
    while (i < n && c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 44) c = text.charCodeAt(++i)
    let we = i
    if (text.charCodeAt(we - 1) === 46) we--
    if (we > ws) {
      const word = text.slice(ws, we)
      if (k === 1 && ROMANCE_TYPES_FIRST_WORD.has(word)) return 2
      if (k >= 2 && STREET_TYPE_WORDS.has(word)) return 1
    }
    if (c !== 32 && c !== 9) return 0
  }
  return 0
}

/** Runs a sticky address regex at `at`; pushes the match (trimmed) and returns its end, or -1. */
function addressAt(re: RegExp, text: string, at: number, out: EntitySpan[]): number {
  re.lastIndex = at
  const m = re.exec(text)
  if (m === null) return -1
  let end = at + m[0].length
  // Trailing separators the tail may have consumed without a postal part.
  while (end > at && /[\s,]/.test(text[end - 1] as string)) end--
  // A dot after a full street word ends the sentence ("... 45 Elm Road."); after "St." it is the abbreviation's.
  if (text[end - 1] === '.') {
    const word = /(\p{L}+)\.$/u.exec(text.slice(Math.max(at, end - 16), end))?.[1]
    if (word !== undefined && !ABBREVIATIONS.has(word.toLowerCase())) end--
  }
  out.push({ type: 'STREET_ADDRESS', start: at, end })
  return end
}

/**
 * STREET_ADDRESS spans in `text` (unsorted). The caller skips texts without a digit and passes
 * where capitalised words start (a type word of a number-last street is one: "Calle", "Via").
 */
export function detectStreetAddresses(text: string, capStarts: readonly number[], out: EntitySpan[]): void {
  // Number first: "221B Baker St", "10 rue de Rivoli".
  NUMBER_FIRST_GATE.lastIndex = 0
  let done = -1
  for (let g = NUMBER_FIRST_GATE.exec(text); g !== null; g = NUMBER_FIRST_GATE.exec(text)) {
    // Back to the start of the house number ("221B", "12-14", "5/12").
    let ns = g.index
    while (ns > 0 && ns > g.index - 14) {
      const c = text.charCodeAt(ns - 1)
      if (isAlnumCode(c) || c === 45 || c === 47) ns--
      else break
    }
    while (ns < g.index && !(text.charCodeAt(ns) >= 48 && text.charCodeAt(ns) <= 57)) ns++
    if (ns <= done) continue
    const ahead = streetTypeAhead(text, ns)
    if (ahead === 0) continue
    const end = addressAt(ahead === 1 ? US_STREET_AT : NUMBER_FIRST_ROMANCE_AT, text, ns, out)
    if (end > 0) {
      done = end
      NUMBER_FIRST_GATE.lastIndex = end
    }
  }
  // Number last: "Hauptstraße 5", "Via Roma 12". The word before the number names the street type...
  // (overlaps with the number-first finds are resolved by the caller)
  done = -1
  DIGIT_RUN.lastIndex = 0
  let typeStarts: number[] | undefined
  for (let a = DIGIT_RUN.exec(text); a !== null; a = DIGIT_RUN.exec(text)) {
    const p = a.index
    if (p < 5 || p <= done) continue
    const sp = text.charCodeAt(p - 1)
    if ((sp !== 32 && sp !== 9) || !isWordEndCode(text.charCodeAt(p - 2))) continue
    if (COMPOUND_TAILS.has(tailKey(text, p - 1))) {
      let ws = p - 1
      while (ws > 0 && ws > p - 48) {
        const c = text.charCodeAt(ws - 1)
        if (c === 32 || c === 9 || c === 10) break
        ws--
      }
      const word = text.slice(ws, p - 1).toLowerCase()
      if (COMPOUND_SUFFIXES.some((x) => word.length >= x.length + 3 && word.endsWith(x))) {
        const end = addressAt(COMPOUND_STREET_AT, text, ws, out)
        if (end > 0) {
          done = end
          continue
        }
      }
    }
    // ... or a type word opens the street a few words before ("Calle Mayor", "Rua Augusta"); which
    // capitalised words are type words is found once per text, on the first number that needs it.
    typeStarts ??= capStarts.filter((at) => {
      let e = at + 1
      while (e < text.length && isLetterCode(text.charCodeAt(e))) e++
      return TYPE_FIRST_WORDS.has(text.slice(at, e)) || (e === at + 1 && text.charCodeAt(at) === 67 && text.charCodeAt(e) === 47)
    })
    for (const at of typeStarts) {
      if (at >= p) break
      if (at < p - 64 || at <= done) continue
      const end = addressAt(TYPE_FIRST_STREET_AT, text, at, out)
      if (end > 0) {
        done = end
        break
      }
    }
  }
}
