/**
 * Toxicity vocabulary by category. The profanity/sexual/slur roots start from the English dataset of
 * the `obscenity` package (its phrase list, categorised here) and are extended with insult, threat,
 * dehumanization and self-harm vocabulary written from knowledge of how abuse is phrased. Entries are
 * normalized tokens (see text.ts: lower case, leetspeak and repeated letters folded).
 */
import { englishDataset } from 'obscenity'

export type ToxCategory = 'profanity' | 'insult' | 'threat' | 'identity_attack' | 'sexual' | 'self_harm'

export interface Term {
  category: ToxCategory
  weight: number
}

/** Roots from obscenity's dataset, assigned to our categories (anything not listed is profanity). */
const OBSCENITY_CATEGORY: Record<string, Term> = {
  abo: { category: 'identity_attack', weight: 0.4 },
  abeed: { category: 'identity_attack', weight: 0.9 },
  africoon: { category: 'identity_attack', weight: 0.95 },
  arabush: { category: 'identity_attack', weight: 0.9 },
  boonga: { category: 'identity_attack', weight: 0.9 },
  chingchong: { category: 'identity_attack', weight: 0.9 },
  chink: { category: 'identity_attack', weight: 0.9 },
  kike: { category: 'identity_attack', weight: 0.95 },
  negro: { category: 'identity_attack', weight: 0.5 },
  nigger: { category: 'identity_attack', weight: 0.95 },
  tranny: { category: 'identity_attack', weight: 0.85 },
  dyke: { category: 'identity_attack', weight: 0.8 },
  fag: { category: 'identity_attack', weight: 0.9 },
  retard: { category: 'insult', weight: 0.8 },
  spastic: { category: 'insult', weight: 0.6 },
  rape: { category: 'threat', weight: 0.6 },
  // Clinical / everyday words: weak evidence on their own.
  sex: { category: 'sexual', weight: 0.15 },
  penis: { category: 'sexual', weight: 0.25 },
  vagina: { category: 'sexual', weight: 0.25 },
  anus: { category: 'sexual', weight: 0.2 },
  anal: { category: 'sexual', weight: 0.4 },
  incest: { category: 'sexual', weight: 0.3 },
  bestiality: { category: 'sexual', weight: 0.4 },
  semen: { category: 'sexual', weight: 0.3 },
  scat: { category: 'sexual', weight: 0.1 },
  tit: { category: 'sexual', weight: 0.6 },
  boob: { category: 'sexual', weight: 0.5 },
  orgasm: { category: 'sexual', weight: 0.5 },
  hooker: { category: 'sexual', weight: 0.6 },
  porn: { category: 'sexual', weight: 0.55 },
  piss: { category: 'profanity', weight: 0.45 },
  turd: { category: 'profanity', weight: 0.5 },
  arse: { category: 'profanity', weight: 0.6 },
  ass: { category: 'profanity', weight: 0.6 },
  bollocks: { category: 'profanity', weight: 0.6 },
  cock: { category: 'sexual', weight: 0.6 },
  dick: { category: 'profanity', weight: 0.7 },
  prick: { category: 'insult', weight: 0.7 },
  cuck: { category: 'insult', weight: 0.7 },
  cum: { category: 'sexual', weight: 0.7 },
}
const SEXUAL_DEFAULT = new Set([
  'blowjob', 'buttplug', 'deepthroat', 'dildo', 'doggystyle', 'ejaculate', 'felch', 'fellatio', 'fisting', 'gangbang',
  'handjob', 'hentai', 'jizz', 'lubejob', 'masturbate', 'orgy', 'wank',
])

/** Single-token terms: exact normalized token -> category and weight. */
export const TERMS: Map<string, Term> = new Map()

function add(words: string, category: ToxCategory, weight: number): void {
  for (const w of words.split(/\s+/)) if (w) TERMS.set(w, { category, weight })
}

for (const t of englishDataset.build().blacklistedTerms) {
  const word = englishDataset.getPayloadWithPhraseMetadata({ termId: t.id, startIndex: 0, endIndex: 0, matchLength: 0 })
    .phraseMetadata?.originalWord
  if (word === undefined || word.includes(' ')) continue
  const mapped = OBSCENITY_CATEGORY[word]
  if (mapped !== undefined) TERMS.set(word, mapped)
  else TERMS.set(word, { category: SEXUAL_DEFAULT.has(word) ? 'sexual' : 'profanity', weight: 0.8 })
}

// Profanity and its common forms.
add('fuck fucks fucked fucking fuckin fucker fuckers fck fuk fuking fking fkn fuq effing motherfucker motherfuckers mf wtf stfu gtfo', 'profanity', 0.85)
add('shit shits shitty shitting bullshit horseshit dipshit shithead', 'profanity', 0.75)
add('bitch bitches bitchy bitchin biatch bish', 'profanity', 0.8)
add('hoe hoes hoez thot thots skank skanks', 'profanity', 0.75)
add('pussy pussies', 'profanity', 0.75)
add('cunt cunts twat twats', 'profanity', 0.9)
add('asshole assholes arsehole dumbass jackass smartass fatass badass lameass asswipe', 'profanity', 0.75)
add('bastard bastards wanker wankers', 'profanity', 0.75)
add('damn dammit goddamn hell crap crappy sucks suck', 'profanity', 0.2)
add('nigga niggas nigguh niggaz', 'profanity', 0.8)
// Slurs and dehumanizing epithets against groups.
add('nigger niggers nigs coon coons jigaboo porchmonkey', 'identity_attack', 0.95)
add('faggot faggots fag fags faggy homo homos', 'identity_attack', 0.85)
add('kike kikes chink chinks gook gooks wetback wetbacks beaner beaners spic spics raghead ragheads towelhead towelheads', 'identity_attack', 0.95)
add('trannies tranny shemale dyke dykes', 'identity_attack', 0.85)
add('cracker crackers honky honkies redneck rednecks hillbilly hillbillies spook', 'identity_attack', 0.3)
add('retard retards retarded tard mongoloid', 'insult', 0.75)
add('ghetto', 'identity_attack', 0.3)
// Insults: stronger when aimed at the reader ("you ...").
add('idiot idiots idiotic moron morons moronic imbecile imbeciles cretin dimwit halfwit nitwit dumbo', 'insult', 0.6)
add('stupid dumb loser losers pathetic worthless useless ugly fatso freak freaks scumbag scum lowlife degenerate degenerates', 'insult', 0.4)
add('slut sluts whore whores', 'insult', 0.8)
add('trash garbage clown clowns jerk jerks douche douchebag', 'insult', 0.12)
// Sexual content.
add('horny nude nudes naked blowjobs boobs titties tits dicks cocks penises sexting pornhub xxx milf', 'sexual', 0.55)

/** Tokens that mark the reader as the target of an insult. */
export const SECOND_PERSON = new Set(['you', 'your', 'youre', 'u', 'ur', 'ya', 'yo', 'yall', 'thou'])

/** Tokens that negate what follows within a short window. */
export const NEGATORS = new Set([
  'not', 'no', 'never', 'nobody', 'none', 'neither', 'nor', 'without', 'dont', 'doesnt', 'didnt', 'isnt', 'arent', 'wasnt',
  'werent', 'wont', 'wouldnt', 'cant', 'cannot', 'couldnt', 'shouldnt', 'mustnt', 'aint', 'stop', 'nothing', 'nein', 'nicht',
])

/** Meta-language: talking about a word or a statement rather than using it. */
export const META_WORDS = new Set([
  'word', 'words', 'term', 'terms', 'slur', 'slurs', 'phrase', 'label', 'labels', 'insult', 'insults', 'say', 'says',
  'saying', 'said', 'call', 'calls', 'calling', 'called', 'use', 'uses', 'using', 'used', 'tweet', 'tweeted', 'claim',
  'claims', 'claiming', 'stereotype', 'stereotypes', 'myth', 'myths', 'rhetoric', 'language', 'quote', 'quoted',
  'yelled', 'shouted', 'wrote', 'writes', 'post', 'posted', 'comment', 'comments', 'remark', 'remarks', 'statement',
  'statements', 'idea', 'notion', 'belief', 'believe', 'believing', 'think', 'thinking', 'assume', 'assuming', 'message',
])

/** Condemnation: the speaker rejects what is quoted or reported. */
export const CONDEMN_WORDS = new Set([
  'hateful', 'hate', 'offensive', 'racist', 'racism', 'sexist', 'sexism', 'homophobic', 'homophobia', 'transphobic',
  'bigoted', 'bigotry', 'bigot', 'bigots', 'wrong', 'unacceptable', 'hurtful', 'harmful', 'disgusting', 'dehumanizing',
  'dehumanising', 'derogatory', 'ignorant', 'false', 'untrue', 'nonsense', 'inappropriate', 'xenophobic', 'xenophobia',
  'discrimination', 'discriminatory', 'prejudice', 'prejudiced', 'stereotyping', 'stop', 'shouldnt', 'dont', 'never',
  'not', 'ashamed', 'shame', 'condemn', 'condemns', 'reject', 'rejects', 'debunk', 'debunked', 'misogynistic', 'abusive',
])

/** Dehumanizing or vilifying predicates about a group ("X are animals", "X are criminals"). */
export const VILIFY = new Set([
  'animals', 'animal', 'vermin', 'rats', 'rat', 'cockroaches', 'roaches', 'parasites', 'parasite', 'leeches', 'savages',
  'savage', 'subhuman', 'subhumans', 'apes', 'ape', 'monkeys', 'monkey', 'pigs', 'dogs', 'beasts', 'filth', 'filthy',
  'scum', 'garbage', 'trash', 'disease', 'diseased', 'plague', 'cancer', 'infestation', 'invaders', 'invasion', 'criminals',
  'criminal', 'terrorists', 'terrorist', 'rapists', 'rapist', 'pedophiles', 'pedophile', 'paedophiles', 'perverts', 'pervert',
  'perverted', 'inferior', 'disgusting', 'evil', 'violent', 'dangerous', 'stupid', 'dumb', 'lazy', 'dirty', 'worthless',
  'useless', 'primitive', 'barbaric', 'barbarians', 'thugs', 'thug', 'abominations', 'abomination', 'sick', 'mentally',
  'unnatural', 'degenerate', 'degenerates', 'freaks', 'liars', 'thieves', 'greedy', 'burden', 'threat', 'menace',
  'unintelligent', 'incapable', 'untrustworthy', 'worst', 'aggressive', 'illegals', 'illegal', 'delusional', 'confused',
  'brutes', 'brute', 'brutish', 'uncivilized', 'backward', 'ruining', 'ruin', 'destroying', 'destroy', 'stealing', 'steal', 'taking', 'infesting', 'breeding', 'mad', 'crazy',
])

/** Exclusion / harm demanded for a group ("X should be deported", "ban X", "don't hire X"). */
export const EXCLUDE = new Set([
  'deported', 'deport', 'banned', 'ban', 'killed', 'kill', 'shot', 'hanged', 'hung', 'exterminated', 'exterminate',
  'eradicated', 'eradicate', 'gassed', 'removed', 'sterilized', 'segregated', 'locked', 'jailed', 'fired', 'fire',
  'expelled', 'expel', 'excluded', 'exclude', 'wiped', 'eliminated', 'eliminate', 'abandon', 'shouldnt', 'discriminate',
  'lynched', 'burned', 'beaten',
])

/** Threat verbs ("I will kill you", "gonna beat your ass"). */
export const THREAT_VERBS = new Set([
  'kill', 'murder', 'shoot', 'stab', 'hurt', 'beat', 'punch', 'strangle', 'choke', 'slit', 'rape', 'behead', 'hang',
  'burn', 'bomb', 'destroy', 'smash', 'slap', 'torture', 'end', 'find', 'bury', 'cut', 'break', 'whoop', 'gut', 'skin',
])
/** Words that announce intent ("i will", "i'm gonna", "i'll"). */
export const INTENT = new Set(['will', 'ill', 'gonna', 'going', 'gon', 'finna', 'wanna', 'want', 'shall', 'imma', 'ima', 'should', 'gotta'])
export const HARM_OBJECTS = new Set(['you', 'u', 'ya', 'him', 'her', 'them', 'your', 'ur', 'yall', 'everyone', 'yourself', 'urself', 'family'])

/** Self-harm phrases, as token sequences. */
export const SELF_HARM_PHRASES: readonly string[][] = [
  ['kill', 'myself'], ['killing', 'myself'], ['end', 'my', 'life'], ['ending', 'my', 'life'], ['want', 'to', 'die'],
  ['wanna', 'die'], ['cut', 'myself'], ['cutting', 'myself'], ['hurt', 'myself'], ['hurting', 'myself'],
  ['suicidal'], ['kms'], ['take', 'my', 'own', 'life'], ['better', 'off', 'dead'], ['no', 'reason', 'to', 'live'],
  ['overdose', 'on'], ['hang', 'myself'],
]
/** Encouraging someone else to self-harm: a threat/insult. */
export const INCITE_SELF_HARM: readonly string[][] = [
  ['kill', 'yourself'], ['kill', 'urself'], ['kys'], ['go', 'die'], ['hope', 'you', 'die'], ['drink', 'bleach'],
  ['neck', 'yourself'], ['hang', 'yourself'], ['should', 'die'], ['deserve', 'to', 'die'],
]

/** Roots that make any token containing them profane ("motherfucker", "bitchass", "bullshit"). */
export const INFIX_ROOTS: readonly [string, Term][] = [
  ['fuck', { category: 'profanity', weight: 0.85 }],
  ['bitch', { category: 'profanity', weight: 0.8 }],
  ['cunt', { category: 'profanity', weight: 0.9 }],
  ['nigger', { category: 'identity_attack', weight: 0.95 }],
  ['nigga', { category: 'profanity', weight: 0.8 }],
  ['faggot', { category: 'identity_attack', weight: 0.85 }],
  ['shit', { category: 'profanity', weight: 0.75 }],
  ['whore', { category: 'insult', weight: 0.8 }],
  ['pussy', { category: 'profanity', weight: 0.75 }],
]
/** Prefixes of compound insults ending in "ass" ("dumbass", "bitchass"); "class", "grass" are not listed. */
export const ASS_PREFIXES = new Set(['dumb', 'jack', 'smart', 'fat', 'bad', 'lame', 'punk', 'broke', 'stupid', 'bitch', 'cheap', 'ugly', 'dumb', 'hard', 'kick', 'wise', 'big', 'sorry', 'weak', 'lil', 'hoe', 'thirsty', 'ratchet'])
