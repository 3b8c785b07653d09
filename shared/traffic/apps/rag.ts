/**
 * `kb-assistant`: an internal knowledge-base assistant (retrieval-augmented). Each call retrieves
 * 3-5 policy/runbook chunks; the question targets a fact in one of them and a grounded answer
 * restates that fact's numbers and names. A hallucinated answer (incident `rag_hallucination`)
 * keeps the wording but states other numbers/names and adds an unsupported claim.
 */
import { fill, type Rng } from '../prng.js'
import {
  CURRENCIES, DATASTORES, FIRST_NAMES, LAST_NAMES, MONTHS, OFFICES, REGIONS, SERVICES, TEAMS, TOOLS_APPROVED, VENDORS, WEEKDAYS,
} from '../words.js'
import type { AppSpec, Draft } from './types.js'

type Values = Record<string, string | number>

interface FactType {
  readonly id: string
  readonly docs: readonly string[]
  values(r: Rng): Values
  /** How the source document states the fact (used in chunks). */
  readonly statements: readonly string[]
  readonly questions: readonly string[]
  readonly answers: readonly string[]
}

const person = (r: Rng) => `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`

const FACTS: readonly FactType[] = [
  {
    id: 'pto', docs: ['People Handbook — Time Off', 'HR Policy 3.1: Paid Leave'],
    values: (r) => { const n = r.int(20, 28); return { n, k: r.int(3, 7), m: n + r.int(2, 5), c: r.int(3, 10) } },
    statements: ['Full-time employees accrue {n} days of paid time off per calendar year, increasing to {m} days after {k} years of continuous service. Up to {c} unused days may be carried over into the next year.'],
    questions: ['How many vacation days do I get per year?', 'how much PTO after {k} years here?', 'Can I carry unused vacation days into next year, and how many?'],
    answers: [
      'You accrue {n} days of paid time off per year. After {k} years of service this rises to {m} days, and you can carry over up to {c} unused days into the next year.',
      'Per the time-off policy, the allowance is {n} days a year ({m} days once you pass {k} years of continuous service). A maximum of {c} days carries over.',
    ],
  },
  {
    id: 'expenses', docs: ['Travel & Expense Policy', 'Finance Guide: Reimbursements'],
    values: (r) => ({ cur: r.pick(CURRENCIES), n: r.int(45, 95), m: r.pick([25, 30, 50, 75]), p: r.pick([500, 750, 1000, 1500, 2000]) }),
    statements: ['Meals during business travel are reimbursed up to {cur}{n} per day. Itemized receipts are required for any single expense above {cur}{m}, and expenses above {cur}{p} need pre-approval from a budget owner.'],
    questions: ['What is the daily meal allowance when travelling?', 'do I need receipts for small expenses?', 'Which expenses need approval before I book them?'],
    answers: [
      'The meal allowance on business trips is {cur}{n} per day. Keep itemized receipts for anything above {cur}{m}, and get pre-approval from your budget owner for expenses over {cur}{p}.',
      'You can claim up to {cur}{n} a day for meals. Receipts are mandatory above {cur}{m}; anything over {cur}{p} must be approved in advance.',
    ],
  },
  {
    id: 'failover', docs: ['Runbook: Regional Failover', 'SRE Handbook — Disaster Recovery'],
    values: (r) => { const [a, b] = r.sample(REGIONS, 2); return { svc: r.pick(SERVICES), n: r.int(3, 12), a: a ?? 'eu-west-1', b: b ?? 'us-east-1', m: r.int(2, 15) } },
    statements: ['The {svc} service runs {n} replicas in {a}. During a regional failover, traffic is shifted to the standby deployment in {b}; the target is to complete the switch within {m} minutes of the incident being declared.'],
    questions: ['Where does {svc} fail over to and how fast?', 'How many replicas does {svc} run in production?', 'what is the failover RTO for {svc}?'],
    answers: [
      '{svc} runs {n} replicas in {a}. In a regional failover, traffic moves to the standby in {b}, with a target of completing the switch within {m} minutes.',
      'According to the failover runbook, {svc} fails over from {a} to {b}, and the switch should complete within {m} minutes. Normal capacity is {n} replicas.',
    ],
  },
  {
    id: 'retention', docs: ['Data Retention Standard', 'Security Policy 7: Logging'],
    values: (r) => ({ kind: r.pick(['Audit logs', 'Application logs', 'Access logs', 'Billing events']), n: r.pick([30, 90, 180, 365, 400]), store: r.pick(DATASTORES), m: r.int(1, 7) }),
    statements: ['{kind} are retained for {n} days in {store} and then archived to cold storage for {m} years, after which they are deleted automatically.'],
    questions: ['How long do we keep {kind}?', 'where are {kind} stored and for how long?', 'When are archived {kind} deleted?'],
    answers: [
      '{kind} are kept for {n} days in {store}, then archived to cold storage for {m} years before automatic deletion.',
      'Under the retention standard, {kind} stay in {store} for {n} days; the archive copy is kept {m} years and then deleted.',
    ],
  },
  {
    id: 'passwords', docs: ['Security Policy 2: Credentials', 'IT Handbook — Accounts'],
    values: (r) => ({ n: r.int(12, 16), m: r.pick([60, 90, 120, 180]), tool: r.pick(TOOLS_APPROVED), l: r.int(5, 10) }),
    statements: ['Passwords for internal systems must be at least {n} characters long and are rotated every {m} days. {tool} is the only approved password manager, and accounts lock after {l} failed sign-in attempts.'],
    questions: ['What are the password requirements?', 'which password manager are we allowed to use?', 'How often do I have to change my password?'],
    answers: [
      'Internal passwords need at least {n} characters and must be rotated every {m} days. Use {tool}, the approved password manager; after {l} failed attempts your account is locked.',
      'The credentials policy requires a minimum of {n} characters, rotation every {m} days, and {tool} for storing passwords. Accounts lock after {l} failed sign-ins.',
    ],
  },
  {
    id: 'sla', docs: ['Customer SLA — Service Levels', 'Enterprise Agreement, Schedule B'],
    values: (r) => ({ plan: r.pick(['Business', 'Enterprise', 'Premier']), p: r.pick(['99.5', '99.9', '99.95']), n: r.pick([1, 2, 4, 8, 24]), c: r.pick([10, 15, 25]) }),
    statements: ['The {plan} tier includes a {p}% monthly uptime commitment and a first response to priority-one tickets within {n} hours. If uptime falls below the commitment, the customer receives a service credit of {c}% of the monthly fee.'],
    questions: ['What uptime do we promise {plan} customers?', 'What response time is in the {plan} SLA?', 'how big is the service credit if we miss the SLA?'],
    answers: [
      '{plan} customers get a {p}% monthly uptime commitment and a first response to P1 tickets within {n} hours. Missing the uptime target triggers a {c}% service credit.',
      'The SLA for the {plan} tier is {p}% uptime per month, with P1 responses within {n} hours; the credit for a breach is {c}% of the monthly fee.',
    ],
  },
  {
    id: 'oncall', docs: ['On-call Guide', 'Incident Response Procedure'],
    values: (r) => ({ team: r.pick(TEAMS), day: r.pick(WEEKDAYS), h: r.int(7, 17), who: person(r), m: r.pick([10, 15, 20, 30]) }),
    statements: ['The {team} on-call rotation hands over every {day} at {h}:00 UTC. If a page is not acknowledged within {m} minutes, it escalates to the engineering manager, currently {who}.'],
    questions: ['When does the {team} on-call rotation change?', 'who gets paged if {team} on-call does not answer?', 'What is the escalation time for {team} pages?'],
    answers: [
      'The {team} rotation changes every {day} at {h}:00 UTC. Unacknowledged pages escalate after {m} minutes to the engineering manager, {who}.',
      'Handover for {team} on-call is {day} at {h}:00 UTC; after {m} minutes without acknowledgement the page goes to {who}.',
    ],
  },
  {
    id: 'vendor', docs: ['Procurement Register', 'Vendor Management Policy'],
    values: (r) => ({ vendor: r.pick(VENDORS), month: r.pick(MONTHS), y: r.int(2025, 2027), cur: r.pick(CURRENCIES), v: r.int(12, 480) * 1000, owner: person(r) }),
    statements: ['The contract with {vendor} renews in {month} {y} with an annual value of {cur}{v}. The business owner is {owner}, who must confirm renewal at least 60 days in advance.'],
    questions: ['When does the {vendor} contract renew?', 'who owns the {vendor} relationship?', 'How much do we pay {vendor} per year?'],
    answers: [
      'The {vendor} contract renews in {month} {y} and is worth {cur}{v} per year. {owner} is the business owner and has to confirm the renewal 60 days ahead.',
      'According to the procurement register, {vendor} renews in {month} {y} ({cur}{v} annually); the owner is {owner}.',
    ],
  },
  {
    id: 'equipment', docs: ['IT Handbook — Equipment', 'Workplace Guide'],
    values: (r) => ({ n: r.int(3, 4), cur: r.pick(CURRENCIES), b: r.pick([300, 400, 500, 750]), office: r.pick(OFFICES), d: r.int(2, 10) }),
    statements: ['Laptops are refreshed every {n} years. Each employee has a one-time home-office budget of {cur}{b}; equipment for the {office} office is delivered within {d} business days of approval.'],
    questions: ['How often do we get a new laptop?', 'What is the home office budget?', 'how long does equipment take to arrive in {office}?'],
    answers: [
      'Laptops are replaced every {n} years, and you have a one-time home-office budget of {cur}{b}. In {office}, approved equipment arrives within {d} business days.',
      'The equipment policy gives a laptop refresh every {n} years and {cur}{b} for your home office; deliveries to {office} take up to {d} business days.',
    ],
  },
  {
    id: 'freeze', docs: ['Release Management Policy', 'Engineering Calendar'],
    values: (r) => ({ month: r.pick(['November', 'December']), s: r.int(10, 20), e: r.int(21, 31), team: r.pick(TEAMS), n: r.int(1, 4) }),
    statements: ['A production change freeze applies from {month} {s} to {month} {e}. During the freeze, at most {n} emergency deploys per day are allowed, each approved by the {team} lead on duty.'],
    questions: ['When is the change freeze this year?', 'can I deploy during the freeze?', 'Who approves emergency deploys during the freeze?'],
    answers: [
      'The change freeze runs from {month} {s} to {month} {e}. Only emergency deploys are allowed — at most {n} per day — and each needs approval from the {team} lead on duty.',
      'Production is frozen {month} {s}-{e}. You can still ship emergency fixes (up to {n} a day) with sign-off from the on-duty {team} lead.',
    ],
  },
]

const FILLERS = [
  'Exceptions require written approval and are reviewed every quarter.',
  'This section supersedes all earlier versions of the policy.',
  'Questions about this section can be raised in the internal help channel.',
  'Managers are responsible for making sure their teams follow this guidance.',
  'Regional regulations take precedence where they are stricter.',
  'The policy owner reviews this document at least once a year.',
  'See the related FAQ for worked examples.',
  'Violations are handled according to the disciplinary procedure.',
]

const SYSTEM_V1 = `You are Atlas, the internal knowledge assistant. Answer employee questions using ONLY the numbered context passages provided. Cite passages as [1], [2]. If the passages do not contain the answer, say that you don't know and suggest who to ask. Do not speculate about policy.`
const SYSTEM_V2 = `You are Atlas, an assistant that answers questions about company policies, runbooks and contracts.
Use only the context passages below; cite them with [n]. Quote numbers exactly as written. If the answer is not in the context, reply "I couldn't find this in the knowledge base" and name the document owner if known.`

const INVENTED_CLAIMS = [
  'This was last revised in {month} {y} by {who} after an internal audit found {k} exceptions.',
  'Note that {who} from the {team} team approved a temporary change to {k2} in {month} {y}.',
  'The {office} office follows a different rule, with a limit of {k2} instead.',
  'A pilot in {office} extended this to {k2} for {k} months starting {month} {y}.',
]

/** Same fact type, other values: every numeric value is changed so the answer cannot be supported. */
function fakeValues(r: Rng, f: FactType, real: Values): Values {
  const fake = f.values(r)
  for (const [k, v] of Object.entries(fake)) {
    if (typeof v === 'number' && v === real[k]) fake[k] = v + r.int(1, 9)
  }
  return fake
}

function chunk(r: Rng, f: FactType, v: Values, idx: number): string {
  const doc = r.pick(f.docs)
  const parts = [fill(r.pick(f.statements), v)]
  if (r.chance(0.7)) parts.splice(r.int(0, 1), 0, r.pick(FILLERS))
  if (r.chance(0.4)) parts.push(r.pick(FILLERS))
  return `[${idx}] ${doc} (rev. ${r.int(2022, 2025)}-${String(r.int(1, 12)).padStart(2, '0')}), section ${r.int(1, 9)}.${r.int(1, 6)}\n${parts.join(' ')}`
}

function answer(r: Rng, f: FactType, v: Values, cite: number, hallucinate: boolean): string {
  const lead = r.pick(['', '', 'Good question. ', 'Sure. '])
  let text = `${lead}${fill(r.pick(f.answers), v)} [${cite}]`
  if (hallucinate) {
    const claim = fill(r.pick(INVENTED_CLAIMS), {
      month: r.pick(MONTHS), y: r.int(2015, 2021), who: person(r), k: r.int(11, 97), team: r.pick(TEAMS),
      office: r.pick(OFFICES), k2: `${r.int(101, 999)} units`,
    })
    text += ` ${claim}`
  }
  return text + r.pick(['', '', '\n\nLet me know if you need the full document.', '\n\nIf your situation is unusual, check with your manager.'])
}

export const kbAssistant: AppSpec = {
  name: 'kb-assistant',
  weight: 0.27,
  models: [['gpt-4o', 0.45], ['claude-sonnet-4-20250514', 0.3], ['gemini-2.5-flash', 0.25]],
  cacheable: true,
  build(rng, _user, opts): Draft {
    const k = rng.int(3, 5)
    const facts = rng.sample(FACTS, k)
    const values = facts.map((f) => f.values(rng))
    // The relevant chunk is usually ranked first, not always.
    const target = rng.chance(0.7) ? 0 : rng.int(1, k - 1)
    const f = facts[target] as FactType
    const v = values[target] as Values
    const context = facts.map((fact, i) => chunk(rng, fact, values[i] as Values, i + 1))
    const v2 = rng.chance(0.5)
    const question = fill(rng.pick(f.questions), v)
    const prompt = `Context:\n${context.join('\n\n')}\n\nQuestion: ${question}`
    const said = opts.hallucinate ? fakeValues(rng, f, v) : v
    const response = answer(rng, f, said, target + 1, opts.hallucinate)
    // A hallucinating model is not consistent with itself: each sample invents its own values.
    const samples = opts.withSamples
      ? Array.from({ length: rng.int(3, 5) }, () => answer(rng, f, opts.hallucinate ? fakeValues(rng, f, v) : v, target + 1, opts.hallucinate))
      : []
    return {
      operation: 'chat',
      messages: [
        { role: 'system', content: v2 ? SYSTEM_V2 : SYSTEM_V1 },
        { role: 'user', content: prompt },
      ],
      response,
      context,
      samples,
      finish: 'stop',
      templateId: 'kb.answer',
      templateVersion: v2 ? '2' : '1',
      streaming: rng.chance(0.8),
      attributes: { 'app.topic': f.id, 'rag.chunks': String(k), 'rag.index': 'kb-prod-v7' },
    }
  },
}
