/**
 * Prompt-injection rules (English and German), written from the published taxonomy of attacks:
 * instruction override, role-play jailbreaks, system-prompt extraction, task hijacking and
 * indirect instructions planted in retrieved documents. A rule is a sequence of slots (token sets)
 * matched in order over normalized tokens, each slot within `gap` tokens of the previous one.
 */

export type InjectionKind = 'override' | 'jailbreak' | 'extraction' | 'hijack' | 'markup' | 'encoded' | 'indirect'

export interface Rule {
  id: string
  kind: InjectionKind
  weight: number
  slots: readonly ReadonlySet<string>[]
  /** Max tokens skipped between consecutive slots (default 3). */
  gap?: number
}

const S = (words: string): ReadonlySet<string> => new Set(words.split(/\s+/).filter(Boolean))

const OVERRIDE_V = S(
  'ignore ignoring ignored forgotten disregard disregarding forget forgetting override overwrite skip neglect abandon discard drop ' +
    'ignoriere ignorieren ignoriert vergiss vergessen vergesst vergessen missachte missachten überspringe verwerfe zaboravi ' +
    'olvida olvide olvidar ignora oublie oubliez ignorez забудьте забудь игнорируй',
)
const PRIOR = S(
  'previous prior above preceding earlier initial original former last old foregoing given provided all any every your the ' +
    'these those system vorherigen vorherige bisherigen bisherige obigen oben alle allen alles deine ihre die sve ' +
    'todo todas todos las les toutes tous все',
)
const INSTR = S(
  'instructions instruction instrucciones directions directives rules guidelines prompts prompt orders commands context ' +
    'constraints restrictions programming training guidance policies policy filters safeguards task tasks messages content ' +
    'said told text everything above anweisungen anweisung instruktionen befehle regeln vorgaben aufgaben aufgabe ' +
    'informationen richtlinien alles gesagte vorherige obige instrukcije ausführungen instrucciones consignes инструкции',
)
const ROLE_INTRO = S('you du')
const NOW = S('now jetzt nun')
const ARE = S('are bist will werden sind')
const PRETEND = S('pretend pretending roleplay tu stell')
const PRETEND_OBJ = S('you youre your to du dir so that')
const NO = S('no without keine ohne free unrestricted unfiltered uncensored any')
const LIMITS = S(
  'restrictions restriction limitations limits rules filters filter censorship guidelines boundaries ethics morals constraints ' +
    'einschränkungen regeln grenzen filter zensur',
)
const JB_TOKENS = S('dan jailbreak jailbroken jailbreaking stan dude aim antigpt devmode')
const DEV = S('developer debug god admin unrestricted entwickler')
const MODE = S('mode modus')
const REVEAL = S(
  'reveal show print repeat output display tell share leak give write spell dump recite zeige zeig gib nenne wiederhole verrate schreibe',
)
const YOUR = S('your the me my deine deinen dein die den ihre initial hidden original secret')
const SECRET = S(
  'system prompt prompts instructions instruction initial hidden secret password passwort passcode key geheimnis anweisungen ' +
    'systemprompt configuration',
)
const TEXT_ABOVE = S('text words everything message messages content lines')
const ABOVE = S('above earlier before oben vorher')
const NEW = S('new neue neuen neues different real true actual')
const TASK = S('task tasks instructions instruction aufgabe aufgaben anweisungen anweisung orders role mission objective')
const INSTEAD = S('instead stattdessen sondern')
const SAY = S('say write print output respond reply answer type sage sag schreibe schreib antworte gib')
const AI_ADDR = S('ai assistant assistants model llm chatbot bot gpt chatgpt claude ki sprachmodell')
const IF_YOU = S('if when wenn falls')
const MUST = S('must should need shall have muss musst sollst solltest')

const ACT = S('act acting fungieren fungierst agiere agieren')
const AS = S('as als like')
const WANT_YOU = S('want möchte will')
const ROLE = S('role rolle character persona stil style')
const ENOUGH = S('enough done genügt erledigt reicht fertig')
const ANSWER_NOT = S('dont do nicht not')
const ANSWER = S('answer respond reply beantworte antworte antworten')
const SOURCES = S('articles article documents document context provided sources texts text artikel kontext dokumente')
const OWN = S('own eigenen eigenes')
const KNOWLEDGE = S('knowledge opinion wissen meinung')
const ONLY = S('only just nur')
const OUTPUT = S('output say print reply respond write ausgeben sage sag schreibe antworte')

export const RULES: readonly Rule[] = [
  // Role assignment: "I want you to act as", "act as a Python interpreter", "ich möchte, dass Sie als ... fungieren"
  { id: 'act-as', kind: 'jailbreak', weight: 0.55, slots: [ACT, AS], gap: 0 },
  { id: 'want-you-act', kind: 'jailbreak', weight: 0.6, slots: [WANT_YOU, S('you sie du'), S('to als'), ACT], gap: 1 },
  { id: 'want-you-als', kind: 'jailbreak', weight: 0.6, slots: [WANT_YOU, S('sie du'), S('als'), ACT], gap: 6 },
  { id: 'play-role', kind: 'jailbreak', weight: 0.5, slots: [S('play spielst spiele stay bleiben bleibst absorbed gehst'), ROLE], gap: 3 },
  { id: 'now-you-are-2', kind: 'jailbreak', weight: 0.6, slots: [S('now jetzt nun'), S('you bist'), S('are du')], gap: 0 },
  // Conversation hijack: "That is enough. Now write ...", "Sehr gut. Das ist erledigt. Verfasse nun ..."
  { id: 'that-is-enough', kind: 'hijack', weight: 0.5, slots: [S('that das'), S('is ist was war'), ENOUGH], gap: 0 },
  { id: 'now-task', kind: 'hijack', weight: 0.4, slots: [S('now nun jetzt'), S('help task aufgabe hilf challenge herausforderung')], gap: 4 },
  // Refusing the provided context: "answer by your own knowledge and not by the articles"
  { id: 'not-by-sources', kind: 'override', weight: 0.65, slots: [ANSWER_NOT, S('by according from based on to'), S('the provided given den die'), SOURCES], gap: 1 },
  { id: 'own-knowledge', kind: 'override', weight: 0.5, slots: [OWN, KNOWLEDGE], gap: 0 },
  { id: 'dont-answer', kind: 'hijack', weight: 0.55, slots: [ANSWER_NOT, ANSWER], gap: 1 },
  { id: 'despite-told', kind: 'override', weight: 0.6, slots: [S('despite regardless trotz'), S('what was'), S('told said gesagt')], gap: 3 },
  { id: 'only-output', kind: 'hijack', weight: 0.45, slots: [ONLY, OUTPUT], gap: 1 },
  { id: 'reversed-override', kind: 'override', weight: 0.85, slots: [PRIOR, INSTR, OVERRIDE_V], gap: 2 },
  // "ignore (all) previous instructions", "vergiss alle vorherigen Anweisungen", "forget everything"
  { id: 'override', kind: 'override', weight: 0.92, slots: [OVERRIDE_V, PRIOR, INSTR], gap: 3 },
  { id: 'override-direct', kind: 'override', weight: 0.85, slots: [OVERRIDE_V, INSTR], gap: 1 },
  // "you are now DAN", "du bist jetzt", "from now on you are"
  { id: 'you-are-now', kind: 'jailbreak', weight: 0.7, slots: [ROLE_INTRO, ARE, NOW], gap: 0 },
  { id: 'now-you-are', kind: 'jailbreak', weight: 0.6, slots: [S('from ab'), NOW, S('on an'), ROLE_INTRO], gap: 1 },
  { id: 'pretend', kind: 'jailbreak', weight: 0.45, slots: [PRETEND, PRETEND_OBJ], gap: 1 },
  { id: 'no-restrictions', kind: 'jailbreak', weight: 0.75, slots: [NO, LIMITS], gap: 2 },
  { id: 'jailbreak-name', kind: 'jailbreak', weight: 0.45, slots: [JB_TOKENS] },
  { id: 'do-anything-now', kind: 'jailbreak', weight: 0.9, slots: [S('do'), S('anything'), S('now')], gap: 0 },
  { id: 'dev-mode', kind: 'jailbreak', weight: 0.8, slots: [DEV, MODE], gap: 1 },
  { id: 'stay-in-character', kind: 'jailbreak', weight: 0.6, slots: [S('stay'), S('character')], gap: 1 },
  // "reveal your system prompt", "repeat the text above", "what is written above"
  { id: 'extract-secret', kind: 'extraction', weight: 0.8, slots: [REVEAL, YOUR, SECRET], gap: 2 },
  { id: 'extract-prior', kind: 'extraction', weight: 0.75, slots: [REVEAL, S('previous prior above initial original all earlier vorherigen obigen alle'), S('instructions prompts prompt anweisungen rules')], gap: 2 },
  { id: 'dont-follow', kind: 'override', weight: 0.8, slots: [S('not dont nicht'), S('listen follow obey befolge befolgen'), PRIOR, INSTR], gap: 2 },
  { id: 'embed-code', kind: 'hijack', weight: 0.55, slots: [S('following subsequent below folgenden'), S('code'), S('snippet section block excerpt')], gap: 1 },
  { id: 'alter-output', kind: 'hijack', weight: 0.4, slots: [S('modify enhance translate change alter encode provide display write in'), S('your'), S('response reply answer elucidation output message')], gap: 1 },
  { id: 'extract-above', kind: 'extraction', weight: 0.8, slots: [REVEAL, TEXT_ABOVE, ABOVE], gap: 2 },
  { id: 'written-above', kind: 'extraction', weight: 0.7, slots: [S('written said steht stand'), ABOVE], gap: 1 },
  { id: 'system-prompt', kind: 'extraction', weight: 0.55, slots: [S('system'), S('prompt')], gap: 0 },
  // "your new task is", "instead, say ..."
  { id: 'new-task', kind: 'hijack', weight: 0.7, slots: [NEW, TASK], gap: 1 },
  { id: 'instead-say', kind: 'hijack', weight: 0.5, slots: [INSTEAD, SAY], gap: 3 },
  { id: 'now-say', kind: 'hijack', weight: 0.35, slots: [S('now nun jetzt'), SAY], gap: 1 },
  // Indirect injection in documents: text addressed to the model.
  { id: 'if-you-are-ai', kind: 'indirect', weight: 0.75, slots: [IF_YOU, S('you'), S('are re'), AI_ADDR], gap: 2 },
  { id: 'ai-must', kind: 'indirect', weight: 0.55, slots: [AI_ADDR, MUST], gap: 2 },
  { id: 'important-instructions', kind: 'indirect', weight: 0.6, slots: [S('important new hidden'), S('instructions instruction message')], gap: 1 },
]

/** Markup that imitates chat-template or system delimiters (checked on the raw text, lower case). */
export const MARKUP: readonly { pattern: RegExp; weight: number; id: string }[] = [
  { id: 'chat-template', pattern: /<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>/, weight: 0.9 },
  { id: 'inst-tags', pattern: /\[\/?inst\]|<<\/?sys>>/, weight: 0.85 },
  { id: 'fake-role-header', pattern: /(?:^|\n)\s*(?:#{2,}|\[|\{)?\s*(?:system|admin|developer)\s*(?:message|prompt|override)?\s*[:\]}]/, weight: 0.75 },
  { id: 'close-context', pattern: /<\/(?:context|document|documents|data|input|user_input|text)>/, weight: 0.7 },
  // Code that exfiltrates data, opens connections or loops forever, handed to the model to "include".
  { id: 'dangerous-code', pattern: /subprocess\.|os\.system|socket\.socket|pexpect|win32clipboard|\.terminate\(\)|private[/_]key|while true:/, weight: 0.4 },
  { id: 'end-marker', pattern: /(?:end of (?:context|document|input|prompt)|={3,}\s*end)/, weight: 0.5 },
]
