import { describe, expect, it } from 'vitest'
import { detectPii, ibanValid, luhnValid, maskPii, piiScorer, redactPii, ssnValid } from '../../services/scorer/scorers/pii.js'
import { prepare } from '../../services/scorer/text.js'
import { interaction } from '../fixtures.js'

const defaults = piiScorer.params.parse({})
const types = (text: string) => detectPii(text).map((f) => f.type)

describe('validators', () => {
  it('Luhn accepts valid card numbers and rejects a changed digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true)
    expect(luhnValid('378282246310005')).toBe(true)
    expect(luhnValid('4111 1111 1111 1111')).toBe(true)
    expect(luhnValid('4111111111111112')).toBe(false)
    expect(luhnValid('')).toBe(false)
  })

  it('IBAN needs the country length and mod 97 == 1', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true)
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true)
    expect(ibanValid('de89370400440532013000')).toBe(true)
    expect(ibanValid('GB82WEST12345698765433')).toBe(false) // checksum
    expect(ibanValid('GB82WEST1234569876543')).toBe(false) // GB is 22 characters
  })

  it('SSN rejects the SSA invalid ranges and voided numbers', () => {
    expect(ssnValid('123-45-6789')).toBe(true)
    expect(ssnValid('772-12-3456')).toBe(true) // areas above 772 are valid since 2011
    for (const bad of ['000-12-3456', '666-12-3456', '900-12-3456', '999-12-3456', '123-00-4567', '123-45-0000', '078-05-1120']) {
      expect(ssnValid(bad), bad).toBe(false)
    }
  })
})

describe('detectPii', () => {
  it('finds each structured type with exact offsets', () => {
    const text = 'Mail jane.doe+x@example.co.uk or call +44 20 7946 0958. Card 4111-1111-1111-1111, IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789, host 192.168.10.4 and 2001:db8::8a2e:370:7334.'
    const found = detectPii(text)
    expect(found.map((f) => f.type)).toEqual(['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD', 'IBAN_CODE', 'US_SSN', 'IP_ADDRESS', 'IP_ADDRESS'])
    for (const f of found) expect(text.slice(f.start, f.end)).toBe(f.value)
    expect(found[0]?.value).toBe('jane.doe+x@example.co.uk')
    expect(found[3]?.value).toBe('DE89 3704 0044 0532 0130 00')
  })

  it('does not report numbers that fail their checks', () => {
    expect(types('Order 4111111111111112 shipped')).toEqual([]) // Luhn fails
    expect(types('SSN 666-12-3456')).toEqual([])
    expect(types('IBAN GB82WEST12345698765433')).toEqual([])
    expect(types('Version 1.2.3 released on 2024-05-01, 300 users, 12:30:45')).toEqual([])
    expect(types('in 1977 the orchestra had 45 members')).toEqual([])
  })

  it('needs a phone word for ambiguous digit groups, not for +CC or NANP shapes', () => {
    expect(types('Phone: 0490 75 40 81')).toEqual(['PHONE_NUMBER'])
    expect(types('the code is 0490 75 40 81')).toEqual([])
    expect(types('reach us at (415) 555-0132 today')).toEqual(['PHONE_NUMBER'])
    expect(types('fax +33 1 42 68 53 00')).toEqual(['PHONE_NUMBER'])
  })

  it('finds secrets: cloud keys, bearer tokens, private keys, API keys, credential assignments', () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1\n-----END RSA PRIVATE KEY-----'
    const cases: [string, string][] = [
      ['aws_access_key_id = AKIAIOSFODNN7EXAMPLE', 'aws_access_key'],
      ['Authorization: Bearer abcdef0123456789ABCDEF.xyz', 'bearer_token'],
      [`here:\n${key}\nthanks`, 'private_key'],
      ['export OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx123456', 'openai_key'],
      ['token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked', 'github_token'],
      ['password = "hunter2hunter2"', 'credential_assignment'],
    ]
    for (const [text, kind] of cases) {
      const f = detectPii(text)
      expect(f.map((x) => x.kind), text).toContain(kind)
      expect(f.every((x) => x.type === 'SECRET')).toBe(true)
    }
    expect(detectPii(key)[0]?.value).toBe(key)
    expect(types('password: required')).toEqual([])
  })
})

describe('redactPii and maskPii', () => {
  it('replaces findings with placeholders and keeps the rest', () => {
    const text = 'Write to bob@example.org, card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE.'
    expect(redactPii(text)).toBe('Write to [EMAIL], card [CARD], key [SECRET].')
    expect(redactPii('nothing here')).toBe('nothing here')
  })

  it('masks without revealing the value', () => {
    const [card] = detectPii('card 4111 1111 1111 1111')
    expect(card && maskPii(card)).toBe('************1111')
    const [secret] = detectPii('AKIAIOSFODNN7EXAMPLE')
    expect(secret && maskPii(secret)).not.toContain('IOSFODNN')
  })
})

describe('piiScorer', () => {
  it('flags PII in the response that the prompt or context did not contain as a leak', () => {
    const input = prepare(
      interaction({
        messages: [{ role: 'user', content: 'What is the email of our account manager?' }],
        response_text: 'You can write to carol.smith@acme-corp.com or call 415-555-0199.',
      }),
    )
    const [prompt, response] = piiScorer.score(input, defaults)
    expect(prompt).toMatchObject({ target: 'prompt', value: 0, flagged: false })
    expect(response).toMatchObject({ target: 'response', value: 2, label: 'leak', flagged: true })
    const details = JSON.stringify(response?.details)
    expect(details).not.toContain('carol.smith@acme-corp.com')
    expect(details).toContain('EMAIL_ADDRESS')
  })

  it('treats PII repeated from the prompt or the retrieved context as an echo, even reformatted', () => {
    const input = prepare(
      interaction({
        messages: [{ role: 'user', content: 'My card 4111111111111111 was charged twice' }],
        retrieved_context: ['Billing desk: billing@shop.example'],
        response_text: 'I see two charges on card 4111 1111 1111 1111; billing@shop.example can refund one.',
      }),
    )
    const [prompt, response] = piiScorer.score(input, defaults)
    expect(prompt).toMatchObject({ value: 1, label: 'pii', flagged: true }) // a card number was sent to the provider
    expect(response).toMatchObject({ value: 2, label: 'echo', flagged: false })
  })
})

describe('piiScorer: role accounts and the system prompt', () => {
  it('does not count a role mailbox (no-reply@, support@) as a leak, but still redacts it', () => {
    const text = 'Invitations come from no-reply@lumora.example; write to Support+billing@lumora.example if needed.'
    const input = prepare(interaction({ messages: [{ role: 'user', content: 'Where do invites come from?' }], response_text: text }))
    const [, response] = piiScorer.score(input, defaults)
    expect(response).toMatchObject({ value: 2, label: 'role_account', flagged: false })
    expect(response?.details).toMatchObject({ leaked: [], role_accounts: 2 })
    expect(redactPii(text)).toBe('Invitations come from [EMAIL]; write to [EMAIL] if needed.')
  })

  it('still flags a personal address next to a role mailbox', () => {
    const input = prepare(
      interaction({
        messages: [{ role: 'user', content: 'Who handles my account?' }],
        response_text: 'Write to support@shop.example or directly to maria.lopez@shop.example.',
      }),
    )
    const [, response] = piiScorer.score(input, defaults)
    expect(response).toMatchObject({ value: 2, label: 'leak', flagged: true })
    expect(response?.details).toMatchObject({ leaked: [{ type: 'EMAIL_ADDRESS', masked: 'm***@shop.example' }], role_accounts: 1 })
  })

  it('counts PII the operator put in the system prompt as given (echo, not leak)', () => {
    const input = prepare(
      interaction({
        messages: [
          { role: 'system', content: 'Escalations go to the duty manager, Tom Berg, +44 20 7946 0018.' },
          { role: 'user', content: 'I want to escalate.' },
        ],
        response_text: 'You can reach the duty manager at +44 20 7946 0018.',
      }),
    )
    const [, response] = piiScorer.score(input, defaults)
    expect(response).toMatchObject({ value: 1, label: 'echo', flagged: false })
  })

  it('treats a reformatted IBAN from the context as an echo', () => {
    const input = prepare(
      interaction({
        messages: [{ role: 'user', content: 'Which account do I pay into?' }],
        retrieved_context: ['Payments: IBAN de89370400440532013000 (Commerzbank).'],
        response_text: 'Pay into DE89 3704 0044 0532 0130 00.',
      }),
    )
    const [, response] = piiScorer.score(input, defaults)
    expect(response).toMatchObject({ value: 1, label: 'echo', flagged: false })
  })
})

describe('detectPii pre-filters', () => {
  it('still finds each shape at the edge of its pre-filter', () => {
    // Shortest forms the cheap profile must not reject.
    expect(types('ip 1.2.3.4')).toEqual(['IP_ADDRESS'])
    expect(types('SSN 123 45 6789')).toEqual(['US_SSN'])
    expect(types('call +1 415 555 0132')).toEqual(['PHONE_NUMBER'])
    expect(types('(415) 555-0132')).toEqual(['PHONE_NUMBER'])
    expect(types('card 5555-5555-5555-4444')).toEqual(['CREDIT_CARD'])
    expect(types('IBAN GB82 WEST 1234 5698 7654 32')).toEqual(['IBAN_CODE'])
    expect(types('key sk-abcdefghijklmnopqrstu')).toEqual(['SECRET'])
    expect(types('a@b.co')).toEqual(['EMAIL_ADDRESS'])
  })
})
