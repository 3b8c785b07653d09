/**
 * PII and secret detection and redaction, shared by the scorer (the 'pii' scorer, the redacted text
 * mode) and the sink (its second redaction pass): it was the one import from one service into another.
 *
 * Structured identifiers: email addresses, phone numbers, payment cards (Luhn), IBANs
 * (ISO 13616 mod 97), US SSNs (SSA invalid ranges), IPv4/IPv6 addresses and secrets (cloud keys,
 * bearer tokens, JWTs, private key blocks, common API key shapes, credential assignments).
 * Names (PERSON) and street addresses (STREET_ADDRESS): rules over capitalised words with name
 * lists from the compromise NLP library, and postal address shapes (pii-entities.ts).
 *
 * Every detector is a precompiled regex whose left edge is guarded by a look-behind, so a match can
 * only start at the beginning of a token: scanning stays linear in the text length. Candidates are
 * then validated with checksums / range rules, and overlaps are resolved by type priority.
 */
import { detectPersons, detectStreetAddresses, hasLowerRomanceStreet, type EntitySpan } from './pii-entities.js'

export type PiiType =
  | 'EMAIL_ADDRESS'
  | 'PHONE_NUMBER'
  | 'CREDIT_CARD'
  | 'IBAN_CODE'
  | 'US_SSN'
  | 'IP_ADDRESS'
  | 'SECRET'
  | 'PERSON'
  | 'STREET_ADDRESS'

export interface PiiFinding {
  type: PiiType
  /** UTF-16 offsets into the scanned text, end exclusive. */
  start: number
  end: number
  /** The matched text, verbatim. Never put it in score details: use maskPii(). */
  value: string
  /** For SECRET: which shape matched (aws_access_key, private_key, bearer_token, ...). */
  kind?: string
}

export const PII_TYPES: readonly PiiType[] = [
  'EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD', 'IBAN_CODE', 'US_SSN', 'IP_ADDRESS', 'SECRET', 'PERSON', 'STREET_ADDRESS',
]

/** Placeholders used by redactPii(). */
export const PII_PLACEHOLDER: Record<PiiType, string> = {
  EMAIL_ADDRESS: '[EMAIL]',
  PHONE_NUMBER: '[PHONE]',
  CREDIT_CARD: '[CARD]',
  IBAN_CODE: '[IBAN]',
  US_SSN: '[SSN]',
  IP_ADDRESS: '[IP]',
  SECRET: '[SECRET]',
  PERSON: '[PERSON]',
  STREET_ADDRESS: '[ADDRESS]',
}

/** Overlap resolution: the more specific (and more validated) type wins. */
const PRIORITY: Record<PiiType, number> = {
  SECRET: 7,
  EMAIL_ADDRESS: 6,
  IBAN_CODE: 5,
  CREDIT_CARD: 4,
  US_SSN: 3,
  IP_ADDRESS: 2,
  PHONE_NUMBER: 1,
  // Rule-found entities yield to validated identifiers ("... Street, 415-555-0132" keeps the phone).
  STREET_ADDRESS: 0,
  PERSON: -1,
}

// ---------------------------------------------------------------------------------------------
// Validators

/** Luhn (mod 10) checksum over the digits of s. */
export function luhnValid(s: string): boolean {
  let sum = 0
  let double = false
  let n = 0
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i) - 48
    if (c < 0 || c > 9) continue
    n++
    let d = c
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return n > 0 && sum % 10 === 0
}

/** IBAN lengths per country (ISO 13616 registry, SEPA and common others). */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22,
  GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31,
  MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24,
  SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
}

/** IBAN check: known country length (15..34 for unknown countries) and ISO 7064 mod 97 == 1. */
export function ibanValid(s: string): boolean {
  const iban = s.replace(/ /g, '').toUpperCase()
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false
  const expected = IBAN_LENGTHS[iban.slice(0, 2)]
  if (expected !== undefined ? iban.length !== expected : iban.length < 15 || iban.length > 34) return false
  // Move the first four characters to the end, letters become 10..35, compute mod 97 piecewise.
  const rearranged = iban.slice(4) + iban.slice(0, 4)
  let rem = 0
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i)
    const v = c >= 65 ? c - 55 : c - 48
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97
  }
  return rem === 1
}

/**
 * US SSN validity (SSA rules since the 2011 randomization): area not 000, 666 or 900-999, group not
 * 00, serial not 0000; plus numbers the SSA voided after they were published (Woolworth wallet
 * card 078-05-1120, the 1940s advertising number 219-09-9999).
 */
export function ssnValid(s: string): boolean {
  const d = s.replace(/\D/g, '')
  if (d.length !== 9) return false
  const area = Number(d.slice(0, 3))
  const group = Number(d.slice(3, 5))
  const serial = Number(d.slice(5))
  if (area === 0 || area === 666 || area >= 900) return false
  if (group === 0 || serial === 0) return false
  if (d === '078051120' || d === '219099999') return false
  return true
}

function ipv6Valid(s: string): boolean {
  const halves = s.split('::')
  if (halves.length > 2) return false
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')))
  if (groups.some((g) => g.length < 1 || g.length > 4)) return false
  if (halves.length === 1 ? groups.length !== 8 : groups.length > 7) return false
  // "ab::cd" or "dead::beef" are words, not addresses: require two groups and at least one digit.
  return groups.length >= 2 && /\d/.test(s)
}

// ---------------------------------------------------------------------------------------------
// Detectors

interface Detector {
  type: PiiType
  kind?: string
  re: RegExp
  /** Capture group holding the sensitive part (default: the whole match). */
  group?: number
  /** Capture group holding a prefix read by a look-behind (the match itself starts after it). */
  local?: number
  /** A literal (or cheap regex) the text must contain for this detector to run. */
  gate?: string | RegExp
  /** Skip when the text has no digit at all. */
  needsDigit?: boolean
  /** A necessary condition on the text's profile (computed once per text): skip when false. */
  needs?: (p: Profile) => boolean
  /** Extra validation of the matched value; `text`/`start` allow looking at the surroundings. */
  valid?: (value: string, text: string, start: number) => boolean
}

/** Words that announce a phone number just before it (or "office"/"fax" just after it). */
const PHONE_CONTEXT_BEFORE =
  /(?:\b(?:phone|tel|telephone|mobile|cell|cellphone|fax|call(?:ing)?|text|sms|whatsapp|dial|reach|contact|answering|messages|landline|ring|hotline)\b[^\n\d]{0,20}|\b(?:office|desk|home|work)\s?[:#]\s?)\n?[^\n\d]{0,12}$/i
const PHONE_CONTEXT_AFTER = /^\s*[-(]?\s*(?:office|fax|mobile|cell|home|work|phone|tel)\b/i
/** Card context for the short (12-digit Maestro) numbers that Luhn alone would over-accept. */
const CARD_CONTEXT_BEFORE = /\b(?:card|cc|credit|debit|visa|mastercard|maestro|amex|pan)\b[^\n\d]{0,24}$/i
const SSN_CONTEXT_BEFORE = /\b(?:ssn|social security|social sec|ss#|ss no)\b[^\n\d]{0,24}$/i

function before(text: string, start: number, n: number): string {
  return text.slice(Math.max(0, start - n), start)
}

function digitCount(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) n++
  }
  return n
}

/** yyyy-mm-dd, dd-mm-yyyy, dd.mm.yyyy, mm/dd/yy ... shapes are dates, not phone numbers. */
const DATE_SHAPE = /^(?:(?:19|20)\d\d[-./ ](?:0?[1-9]|1[0-2])[-./ ](?:0?[1-9]|[12]\d|3[01])|(?:0?[1-9]|[12]\d|3[01])[-./ ](?:0?[1-9]|1[0-2])[-./ ](?:19|20)?\d\d)$/

function phoneStrong(value: string): boolean {
  const n = digitCount(value.replace(/\s*(?:x|ext\.?)\s*\d+$/i, ''))
  return n >= 8 && n <= 15
}

function phoneGeneric(value: string, text: string, start: number): boolean {
  const core = value.replace(/\s*(?:x|ext\.?)\s*\d+$/i, '')
  const n = digitCount(core)
  if (n < 7 || n > 13) return false
  if (DATE_SHAPE.test(core)) return false
  return PHONE_CONTEXT_BEFORE.test(before(text, start, 48)) || PHONE_CONTEXT_AFTER.test(text.slice(start + value.length, start + value.length + 16))
}

function cardValid(value: string, text: string, start: number): boolean {
  const d = value.replace(/\D/g, '')
  if (d.length < 12 || d.length > 19 || !luhnValid(d)) return false
  // Issuer identification: payment networks start with 1-6 (UATP, JCB, Amex/Diners, Visa, MC, Discover/Maestro...).
  const first = d.charCodeAt(0) - 48
  if (first < 1 || first > 6) return false
  if (/^(\d)\1+$/.test(d)) return false
  if (d.length === 12) return CARD_CONTEXT_BEFORE.test(before(text, start, 40))
  return true
}

const EXT = String.raw`(?:\s?(?:x|ext\.?)\s?\d{1,5})?`

const DETECTORS: readonly Detector[] = [
  // --- secrets -------------------------------------------------------------------------------
  {
    type: 'SECRET',
    kind: 'private_key', needs: (p) => p.dashRun >= 5, gate: '-----BEGIN',
    re: /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,12000}?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----)?/g,
  },
  { type: 'SECRET', kind: 'aws_access_key', needs: (p) => p.upperRun >= 20, re: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}(?![A-Za-z0-9])/g },
  {
    type: 'SECRET',
    kind: 'aws_secret_key',
    // The regex needs a ':' or '=' after the key name: the profile's flag is cheaper than the gate.
    needs: (p) => p.assign,
    gate: /aws/i,
    re: /(?<![A-Za-z0-9])aws_?(?:secret_?access_?key|secret_?key)["']?\s{0,3}[:=]\s{0,3}["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
  },
  { type: 'SECRET', kind: 'jwt', needs: (p) => p.tokenRun >= 11, gate: 'eyJ', re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { type: 'SECRET', kind: 'bearer_token', needs: (p) => p.authWord, re: /(?<![A-Za-z])(?:Bearer|Basic|Token)\s+([A-Za-z0-9\-._~+/]{16,}=*)/g, group: 1 },
  { type: 'SECRET', kind: 'openai_key', needs: (p) => p.tokenRun >= 23, gate: 'sk-', re: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d\d-)?[A-Za-z0-9_-]{20,}/g },
  { type: 'SECRET', kind: 'stripe_key', needs: (p) => p.tokenRun >= 24, gate: '_', re: /(?<![A-Za-z0-9_])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { type: 'SECRET', kind: 'github_token', needs: (p) => p.tokenRun >= 33, gate: '_', re: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/g },
  { type: 'SECRET', kind: 'gitlab_token', needs: (p) => p.tokenRun >= 26, gate: 'glpat-', re: /(?<![A-Za-z0-9_])glpat-[A-Za-z0-9_-]{20,}/g },
  { type: 'SECRET', kind: 'slack_token', needs: (p) => p.tokenRun >= 15, gate: 'xox', re: /(?<![A-Za-z0-9_])xox[abposr]-[A-Za-z0-9-]{10,}/g },
  { type: 'SECRET', kind: 'google_api_key', needs: (p) => p.tokenRun >= 39, gate: 'AIza', re: /(?<![A-Za-z0-9_])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g },
  { type: 'SECRET', kind: 'huggingface_token', needs: (p) => p.tokenRun >= 33, gate: 'hf_', re: /(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,}/g },
  { type: 'SECRET', kind: 'sendgrid_key', needs: (p) => p.tokenRun >= 43, gate: 'SG.', re: /(?<![A-Za-z0-9_])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}/g },
  { type: 'SECRET', kind: 'npm_token', needs: (p) => p.tokenRun >= 40, gate: 'npm_', re: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}/g },
  {
    // password = "...", api_key: ..., client_secret=...: the value must look machine-made
    // (a digit and a letter, or 16+ chars) so "password: required" is not a secret.
    type: 'SECRET',
    kind: 'credential_assignment',
    // No text gate: the regex is anchored on ':' / '=' and reads the key name by a look-behind,
    // which costs less than a case-insensitive scan of the whole text for the key words did.
    needs: (p) => p.assign,
    re: /[:=](?<=(?<![A-Za-z0-9_])(?:pass(?:word|wd)|pwd|api[_-]?key|apikey|secret[_-]?key|client[_-]?secret|access[_-]?token|auth[_-]?token|secret)["']?\s{0,3}[:=])\s{0,3}["']?([^\s"',;]{8,200})/gi,
    group: 1,
    valid: (v) => (/\d/.test(v) && /[A-Za-z]/.test(v)) || v.length >= 16,
  },
  // --- structured identifiers ------------------------------------------------------------------
  // Anchored on '@' (the local part is read by a look-behind) so the scan does not restart at every word.
  {
    type: 'EMAIL_ADDRESS',
    re: /@(?<=(?<![A-Za-z0-9._%+-])([A-Za-z0-9][A-Za-z0-9._%+-]{0,63})@)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
    local: 1,
    needs: (p) => p.at,
  },
  // IBAN: compact (any case) or printed in groups of four (upper case).
  { type: 'IBAN_CODE', needs: (p) => p.alnumRun >= 15, re: /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}[A-Za-z0-9]{11,30}(?![A-Za-z0-9])/g, valid: (v) => ibanValid(v) },
  { type: 'IBAN_CODE', needs: (p) => p.ibanHead, re: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?(?![A-Za-z0-9])/g, valid: (v) => ibanValid(v) },
  // Cards: 12-19 digits, compact or in groups (4-4-4-4[-3], Amex 4-6-5, Diners 4-6-4).
  { type: 'CREDIT_CARD', needs: (p) => p.digitRun >= 12, re: /(?<![\w.-])\d{12,19}(?![\w]|[.,-]\d)/g, valid: cardValid },
  { type: 'CREDIT_CARD', needs: (p) => p.groupedDigits >= 12, re: /(?<![\w.-])\d{4}([ -])\d{4,6}\1\d{4,5}(?:\1\d{1,4}){0,2}(?![\w]|[.,-]\d)/g, valid: cardValid },
  // SSN: 3-2-4 with dashes or spaces; 9 bare digits only after an SSN keyword.
  { type: 'US_SSN', needs: (p) => p.groupedDigits >= 9, re: /(?<![\w.-])\d{3}([- ])\d{2}\1\d{4}(?![\w]|[.,-]\d)/g, valid: (v) => ssnValid(v) },
  { type: 'US_SSN', needs: (p) => p.digitRun >= 9, re: /(?<![\w.-])\d{9}(?![\w]|[.,-]\d)/g, valid: (v, t, s) => ssnValid(v) && SSN_CONTEXT_BEFORE.test(before(t, s, 40)) },
  // IP addresses.
  { type: 'IP_ADDRESS', needs: (p) => p.dottedDigits, re: /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)/g },
  {
    type: 'IP_ADDRESS',
    needs: (p) => p.hexColons,
    gate: /[0-9A-Fa-f]:[0-9A-Fa-f]{0,4}:/,
    re: /(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:){1,7}(?::|(?::[0-9A-Fa-f]{1,4}){1,7}|[0-9A-Fa-f]{1,4})(?![\w:])|(?<![\w:.])::(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4}(?![\w:])/g,
    valid: ipv6Valid,
  },
  // Phones. Strong shapes need no context: +CC international, NANP (xxx) xxx-xxxx / xxx-xxx-xxxx.
  {
    type: 'PHONE_NUMBER',
    needs: (p) => p.plusDigit,
    re: new RegExp(String.raw`(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,6}${EXT}(?![\w]|[.-]\d)`, 'g'),
    valid: phoneStrong,
  },
  {
    type: 'PHONE_NUMBER',
    needs: (p) => p.groupedDigits >= 10,
    re: new RegExp(String.raw`(?<![\w+.-])(?:(?:1|001)[ .-]?)?(?:\([2-9]\d\d\) ?|[2-9]\d\d[.-])[2-9]\d\d[.-]\d{4}${EXT}(?![\w]|[.-]\d)`, 'g'),
    valid: phoneStrong,
  },
  // Any other grouping of 7-13 digits, only when a phone word announces it (Phone:, call me at, fax...).
  {
    type: 'PHONE_NUMBER',
    needs: (p) => p.groupedDigits >= 7,
    re: new RegExp(String.raw`(?<![\w+.-])(?:\(\d{1,4}\) ?)?\d{1,12}(?:[ .-]\d{1,8}){0,5}${EXT}(?![\w]|[.-]\d)`, 'g'),
    valid: phoneGeneric,
  },
]

/**
 * Cheap facts about a text, from one pass over its char codes. Each detector states a necessary
 * condition on them (`needs`), so the regexes only run on texts that could hold a match: a
 * 12-19 digit card needs a run of 12 digits, a grouped number needs that many digits in one run of
 * digits, spaces, dots, dashes and brackets, and so on. The conditions never reject a real match.
 */
interface Profile {
  hasDigit: boolean
  /** Longest run of digits. */
  digitRun: number
  /** Most digits in one run of [0-9 .()-] (grouped cards, SSNs, phone numbers). */
  groupedDigits: number
  /** Longest run of [A-Z0-9] (AWS key ids) and of [A-Za-z0-9] (compact IBANs). */
  upperRun: number
  alnumRun: number
  /** Two upper-case letters then two digits (a printed IBAN's head). */
  ibanHead: boolean
  /** A digit, a dot and a digit (IPv4). */
  dottedDigits: boolean
  /** '+' then a digit (international phone numbers). */
  plusDigit: boolean
  /** ':' or '=' somewhere (credential assignments); ':' (IPv6); '@' (emails). */
  assign: boolean
  colon: boolean
  at: boolean
  /** A hex digit, ':', 0-4 hex digits, ':' (what the IPv6 gate looks for), found in the same pass. */
  hexColons: boolean
  /** "Bearer", "Basic" or "Token" somewhere (each starts with a capital, so only capitals are tried). */
  authWord: boolean
  /** Longest run of [A-Za-z0-9_-] (API keys and tokens) and of '-' (private key armour). */
  tokenRun: number
  dashRun: number
  /** Where capitalised words start (PERSON candidates; "123 Main" house numbers before them). */
  capStarts: number[]
}

function profile(text: string): Profile {
  // Locals only in the loop (one object write per text, not per character).
  let hasDigit = false
  let ibanHead = false
  let dottedDigits = false
  let plusDigit = false
  let assign = false
  let colon = false
  let at = false
  let hexColons = false
  let authWord = false
  let digits = 0
  let grouped = 0
  let upper = 0
  let alnum = 0
  let token = 0
  let dash = 0
  let digitRun = 0
  let groupedDigits = 0
  let upperRun = 0
  let alnumRun = 0
  let tokenRun = 0
  let dashRun = 0
  const capStarts = CAP_STARTS
  capStarts.length = 0
  const n = text.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c >= 97 && c <= 122) {
      // A run of lower-case letters (most of prose) at once: each letter would reset digits,
      // grouped, upper and dash and extend alnum and token, so only the run's length matters.
      let j = i + 1
      while (j < n) {
        const d = text.charCodeAt(j)
        if (d < 97 || d > 122) break
        j++
      }
      digits = 0
      grouped = 0
      upper = 0
      dash = 0
      alnum += j - i
      token += j - i
      if (alnum > alnumRun) alnumRun = alnum
      if (token > tokenRun) tokenRun = token
      i = j - 1
      continue
    }
    if (c >= 48 && c <= 57) {
      hasDigit = true
      if (++digits > digitRun) digitRun = digits
      if (++grouped > groupedDigits) groupedDigits = grouped
      if (++upper > upperRun) upperRun = upper
      if (++alnum > alnumRun) alnumRun = alnum
      if (++token > tokenRun) tokenRun = token
      dash = 0
      if (i >= 3 && isUpperCode(text.charCodeAt(i - 3)) && isUpperCode(text.charCodeAt(i - 2)) && isDigitCode(text.charCodeAt(i - 1))) ibanHead = true
      if (i >= 2 && text.charCodeAt(i - 1) === 46 && isDigitCode(text.charCodeAt(i - 2))) dottedDigits = true
      if (i >= 1 && text.charCodeAt(i - 1) === 43) plusDigit = true
      continue
    }
    digits = 0
    // Separators that keep a grouped number together; anything else ends the group.
    if (!(c === 32 || c === 46 || c === 45 || c === 40 || c === 41)) grouped = 0
    if (c >= 65 && c <= 90) {
      if (i === 0 || !isWordCode(text.charCodeAt(i - 1))) capStarts.push(i)
      if (!authWord && (c === 66 || c === 84) && (text.startsWith('Bearer', i) || text.startsWith('Basic', i) || text.startsWith('Token', i))) authWord = true
      if (++upper > upperRun) upperRun = upper
      if (++alnum > alnumRun) alnumRun = alnum
      if (++token > tokenRun) tokenRun = token
      dash = 0
    } else {
      upper = 0
      alnum = 0
      // A non-ASCII capital opening a word (Ł, Ö, É): rare, so the exact test is affordable.
      if (c >= 0xc0 && c < 0x2000 && (i === 0 || !isWordCode(text.charCodeAt(i - 1))) && isUpperLetter(c)) capStarts.push(i)
      if (c === 45 || c === 95) {
        if (++token > tokenRun) tokenRun = token
        if (c === 45) {
          if (++dash > dashRun) dashRun = dash
        } else dash = 0
      } else {
        token = 0
        dash = 0
        if (c === 58) {
          assign = true
          colon = true
          if (!hexColons && i > 0 && isHexCode(text.charCodeAt(i - 1))) {
            let k = i + 1
            while (k < n && k <= i + 4 && isHexCode(text.charCodeAt(k))) k++
            if (k < n && text.charCodeAt(k) === 58) hexColons = true
          }
        } else if (c === 61) assign = true
        else if (c === 64) at = true
      }
    }
  }
  return { hasDigit, digitRun, groupedDigits, upperRun, alnumRun, ibanHead, dottedDigits, plusDigit, assign, colon, at, hexColons, authWord, tokenRun, dashRun, capStarts }
}

/**
 * Where capitalised words start, for the text being profiled: one array reused from text to text
 * (detectPii reads it before the next text is profiled), so most texts allocate nothing for it.
 */
const CAP_STARTS: number[] = []
/** Entity spans of the text being scanned, reused the same way. */
const ENTITIES: EntitySpan[] = []

/** Letters (ASCII, and U+00C0..U+1FFF except × and ÷: Latin, Greek, Cyrillic ...), digits, '_' and '@'. */
function isWordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 64 || (c >= 0xc0 && c < 0x2000 && c !== 0xd7 && c !== 0xf7)
}
const UPPER_LETTER = /^\p{Lu}$/u
function isUpperLetter(c: number): boolean {
  return UPPER_LETTER.test(String.fromCharCode(c))
}

function isUpperCode(c: number): boolean {
  return c >= 65 && c <= 90
}
function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}
function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57
}

/** All PII and secret findings in `text`, sorted by start, non-overlapping. */
export function detectPii(text: string): PiiFinding[] {
  if (text.length === 0) return []
  const candidates: PiiFinding[] = []
  const prof = profile(text)
  for (const d of DETECTORS) {
    if (d.needsDigit === true && !prof.hasDigit) continue
    if (d.needs !== undefined && !d.needs(prof)) continue
    if (d.gate !== undefined && !(typeof d.gate === 'string' ? text.includes(d.gate) : d.gate.test(text))) continue
    d.re.lastIndex = 0
    for (let m = d.re.exec(text); m !== null; m = d.re.exec(text)) {
      if (m[0].length === 0) {
        d.re.lastIndex++
        continue
      }
      const g = d.group ?? 0
      const value = m[g]
      if (value === undefined) continue
      let start = g === 0 ? m.index : m.index + m[0].indexOf(value)
      let full = value
      if (d.local !== undefined) {
        const prefix = m[d.local] ?? ''
        start -= prefix.length
        full = prefix + value
      }
      if (d.valid && !d.valid(full, text, start)) continue
      const f: PiiFinding = { type: d.type, start, end: start + full.length, value: full }
      if (d.kind !== undefined) f.kind = d.kind
      candidates.push(f)
    }
  }
  const entities = ENTITIES
  entities.length = 0
  const streetCue = prof.capStarts.length > 0 && detectPersons(text, prof.capStarts, entities)
  if (prof.hasDigit && (streetCue || hasLowerRomanceStreet(text))) detectStreetAddresses(text, prof.capStarts, entities)
  for (const e of entities) candidates.push({ type: e.type, start: e.start, end: e.end, value: text.slice(e.start, e.end) })
  entities.length = 0
  if (candidates.length <= 1) return candidates
  // Keep the highest-priority (then longest) candidate of each overlapping group.
  candidates.sort((a, b) => PRIORITY[b.type] - PRIORITY[a.type] || b.end - b.start - (a.end - a.start) || a.start - b.start)
  const kept: PiiFinding[] = []
  for (const c of candidates) {
    if (!kept.some((k) => c.start < k.end && k.start < c.end)) kept.push(c)
  }
  return kept.sort((a, b) => a.start - b.start)
}

/** The text with every finding replaced by its placeholder ([EMAIL], [CARD], ...). */
export function redactPii(text: string, findings: readonly PiiFinding[] = detectPii(text)): string {
  if (findings.length === 0) return text
  let out = ''
  let pos = 0
  for (const f of findings) {
    out += text.slice(pos, f.start) + PII_PLACEHOLDER[f.type]
    pos = f.end
  }
  return out + text.slice(pos)
}

/** A display form that identifies a finding without revealing it. */
export function maskPii(f: PiiFinding): string {
  const v = f.value
  switch (f.type) {
    case 'EMAIL_ADDRESS': {
      const at = v.indexOf('@')
      return `${v.slice(0, 1)}***${v.slice(at)}`
    }
    case 'CREDIT_CARD':
    case 'IBAN_CODE':
    case 'US_SSN':
    case 'PHONE_NUMBER': {
      const compact = v.replace(/[^A-Za-z0-9]/g, '')
      return `${'*'.repeat(Math.max(0, compact.length - 4))}${compact.slice(-4)}`
    }
    case 'IP_ADDRESS':
      return v.includes(':') ? `${v.split(':')[0]}:***` : `${v.split('.')[0]}.*.*.*`
    case 'SECRET':
      return `${f.kind ?? 'secret'}(${v.length} chars)`
    case 'PERSON': {
      // Initials: "Maria Gonzalez" -> "M. G."
      let out = ''
      for (let i = 0; i < v.length; i++) {
        const c = v.charCodeAt(i)
        const prev = i === 0 ? 32 : v.charCodeAt(i - 1)
        if (c !== 32 && c !== 46 && (prev === 32 || prev === 46)) out += (out === '' ? '' : ' ') + v[i] + '.'
      }
      return out
    }
    case 'STREET_ADDRESS':
      return `address(${v.length} chars)`
  }
}

/**
 * What the scorer's redaction is, as a Kafka header on the llm.scores records it redacted
 * (`llmwatch.redaction`): the sink skips its second pass over a record redacted by this same
 * detector (`redactPii` again finds nothing there). Change the version whenever detection changes,
 * so that records redacted by an older detector are redacted again.
 */
export const REDACTION_HEADER = 'llmwatch.redaction'
export const PII_REDACTION = 'pii/2'
