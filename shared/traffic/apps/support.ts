/**
 * `support-bot`: the customer-support chatbot of "Lumora", a fictional project-management SaaS.
 * Multi-turn, streaming, cheap models. Topics cover billing, access, integrations and bugs.
 */
import { email } from '../incidents.js'
import type { Rng } from '../prng.js'
import { BROWSERS, COUNTRIES, CURRENCIES, FEATURES, INTEGRATIONS, MONTHS, PLANS, WEEKDAYS } from '../words.js'
import { topic, type AppSpec, type Draft, type SimUser, type Topic } from './types.js'

const SYSTEM_V3 = `You are Lumi, the support assistant for Lumora, a project-management platform for teams. Answer the customer's question politely and concisely. Only use information from the Lumora help center. If a request needs account changes you cannot make (refund approvals, plan downgrades with data loss, legal requests), explain the next step and offer to open a ticket with the support team. Never ask for full payment card numbers or passwords. Use numbered steps for procedures. Keep answers under 250 words.`

const SYSTEM_V4 = `You are Lumi, Lumora's customer support assistant.
Goals: resolve the customer's issue in as few turns as possible; be warm but brief; prefer concrete steps.
Rules:
- Ground every answer in the Lumora help center and the customer's plan details.
- Do not promise refunds or credits; say that a billing specialist will confirm them.
- Never request passwords, one-time codes or full card numbers.
- Escalate to a human agent when the customer asks twice or is frustrated.
Format: short intro sentence, numbered steps when there is a procedure, one closing line.`

interface Billing { plan: string; cur: string; amount: number; seats: number; month: string; day: number }
interface Access { feature: string; browser: string; minutes: number; code: number }
interface Integration { name: string; feature: string; errorCode: number; hours: number }
interface Seats { plan: string; seats: number; extra: number; cur: string; price: number }
interface Export { rows: number; days: number; format: string }
interface Outage { feature: string; minutes: number; region: string; weekday: string; hour: number }

const money = (cur: string, n: number) => `${cur}${n.toFixed(2)}`

const TOPICS: Topic<unknown>[] = [
  topic<Billing>({
    id: 'billing.double_charge',
    values: (r) => ({ plan: r.pick(PLANS), cur: r.pick(CURRENCIES), amount: r.int(9, 480) + r.pick([0, 0.5, 0.99]), seats: r.int(2, 60), month: r.pick(MONTHS), day: r.int(1, 28) }),
    ask: (r, v) => r.pick([
      `Hi, I was charged twice for my ${v.plan} subscription this month — two payments of ${money(v.cur, v.amount)} on ${v.month} ${v.day}. Can you fix this?`,
      `why do I see 2 charges of ${money(v.cur, v.amount)} on my card?? we only have one workspace on the ${v.plan} plan`,
      `Our finance team noticed a duplicate invoice for ${v.month} (${money(v.cur, v.amount)}, ${v.seats} seats). Which one should we pay?`,
    ]),
    answer: (r, v) => r.pick([
      `I'm sorry about the duplicate charge. When a payment is retried after a bank timeout, a second authorization of ${money(v.cur, v.amount)} can appear; it normally drops off within 3-5 business days.`,
      `Thanks for flagging this. A second charge of ${money(v.cur, v.amount)} on ${v.month} ${v.day} usually means the first payment attempt was held by your bank and then retried.`,
    ]) + ` Here is what to do:\n1. Open Settings → Billing → Invoices and check whether both invoices for ${v.month} show the status "Paid".\n2. If only one is marked paid, the other is a pending authorization and will be released automatically.\n3. If both are paid, reply here and I will open a ticket so a billing specialist can confirm the refund for your ${v.plan} plan.`,
  }),
  topic<Access>({
    id: 'access.2fa_lost',
    values: (r) => ({ feature: 'two-factor authentication', browser: r.pick(BROWSERS), minutes: r.pick([10, 15, 30]), code: r.int(100000, 999999) }),
    ask: (r, v) => r.pick([
      `I got a new phone and now I can't log in because the authenticator app is gone. What do I do?`,
      `Locked out of Lumora — 2FA codes don't work anymore after I reset my phone. Using ${v.browser}.`,
      `How can I recover my account if I lost my backup codes for two-factor login?`,
    ]),
    answer: (r, v) => r.pick([
      `No problem, this happens a lot after a phone change.`,
      `I understand how frustrating it is to be locked out.`,
    ]) + ` You can recover access without your old device:\n1. On the login page, choose "Use a backup code" and enter one of the ten codes you saved when you enabled 2FA.\n2. If you don't have backup codes, click "Can't access your device?" — we will email a recovery link that stays valid for ${v.minutes} minutes.\n3. After logging in, go to Profile → Security and register the authenticator app on your new phone.\nFor your security, I can't disable two-factor authentication from this chat, and our team will never ask you for a login code.`,
  }),
  topic<Integration>({
    id: 'integration.sync_error',
    values: (r) => ({ name: r.pick(INTEGRATIONS), feature: r.pick(FEATURES), errorCode: r.pick([401, 403, 409, 422, 429, 500, 503]), hours: r.int(2, 72) }),
    ask: (r, v) => r.pick([
      `Our ${v.name} integration stopped syncing about ${v.hours} hours ago. The log says error ${v.errorCode}.`,
      `${v.name} sync keeps failing with ${v.errorCode}, tasks are not showing up. Any idea?`,
      `Hello! Since yesterday nothing from ${v.name} arrives in our workspace. We didn't change anything on our side.`,
    ]),
    answer: (r, v) => {
      const cause = v.errorCode === 401 || v.errorCode === 403
        ? `an expired or revoked ${v.name} token, which happens when the person who connected the integration changes their password or leaves the organization`
        : v.errorCode === 429
          ? `${v.name} rate-limiting our requests; syncs resume automatically, but large backlogs can take a few hours`
          : `a temporary problem on the ${v.name} side or a field mapping that no longer matches`
      return r.pick([`Error ${v.errorCode} from ${v.name} usually points to ${cause}.`, `Thanks for the details. A ${v.errorCode} response means ${cause}.`]) +
        `\nPlease try this:\n1. Go to Settings → Integrations → ${v.name} and click "Reconnect".\n2. Run "Sync now" and watch the activity log for new errors.\n3. If the error persists after ${r.pick([15, 30, 60])} minutes, send me the timestamp of the last failed sync and I'll escalate it to our integrations team.`
    },
  }),
  topic<Seats>({
    id: 'billing.add_seats',
    values: (r) => ({ plan: r.pick(PLANS), seats: r.int(3, 120), extra: r.int(1, 25), cur: r.pick(CURRENCIES), price: r.pick([8, 12, 15, 19, 24]) }),
    ask: (r, v) => r.pick([
      `We need ${v.extra} more seats on our ${v.plan} plan. How much will it cost and when is it billed?`,
      `How do I add users? we have ${v.seats} seats and need ${v.extra} extra for the new hires`,
      `Is adding seats prorated? Planning to add ${v.extra} people mid-month.`,
    ]),
    answer: (r, v) => `${r.pick(['Great question!', 'Happy to help with that.', 'Sure.'])} On the ${v.plan} plan each additional seat costs ${money(v.cur, v.price)} per month, so ${v.extra} seats add ${money(v.cur, v.price * v.extra)} per month. Seats added mid-cycle are prorated for the remaining days and appear on your next invoice.\nTo add them:\n1. Open Settings → Members and click "Invite".\n2. Enter the email addresses; seats are added automatically when invitations are accepted.\n3. You can review the updated total under Settings → Billing before the next renewal.`,
  }),
  topic<Export>({
    id: 'data.export',
    values: (r) => ({ rows: r.int(2, 900) * 1000, days: r.pick([7, 14, 30, 90]), format: r.pick(['CSV', 'JSON', 'XLSX']) }),
    ask: (r, v) => r.pick([
      `Can I export all our tasks to ${v.format}? We have around ${v.rows.toLocaleString('en-US')} items.`,
      `export is stuck at 99% for a big project (${v.rows} rows), what should I do`,
      `Where can I download a full backup of our workspace data?`,
    ]),
    answer: (r, v) => `${r.pick(['Yes, you can export everything yourself.', 'Exports of that size are supported.'])} Large exports (more than 100,000 rows) run in the background and we email a download link when the file is ready; the link is valid for ${v.days} days.\n1. Go to Settings → Data → Export.\n2. Choose ${v.format} and the projects to include.\n3. Click "Start export" — for about ${v.rows.toLocaleString('en-US')} rows expect ${Math.max(2, Math.round(v.rows / 40000))} to ${Math.max(5, Math.round(v.rows / 15000))} minutes.\nIf an export stays at 99% for more than an hour, cancel it and start it again; a stuck job is usually released after a retry.`,
  }),
  topic<Outage>({
    id: 'status.slowness',
    values: (r) => ({ feature: r.pick(FEATURES), minutes: r.int(5, 90), region: r.pick(COUNTRIES), weekday: r.pick(WEEKDAYS), hour: r.int(6, 22) }),
    ask: (r, v) => r.pick([
      `Is Lumora down? ${v.feature} has been loading forever for the last ${v.minutes} minutes.`,
      `Everything is super slow today for our team in ${v.region}, is there an incident?`,
      `${v.feature} not working since ${v.weekday} around ${v.hour}:00. Anyone else?`,
    ]),
    answer: (r, v) => `${r.pick(['Sorry for the trouble.', 'Thanks for reporting this.'])} I don't see an active incident for ${v.feature} on our status page right now, but regional slowdowns are sometimes posted a few minutes late.\n1. Check status.lumora.example for updates and subscribe to notifications.\n2. Try a hard refresh (Ctrl+Shift+R) or a private window to rule out a cached script.\n3. If it's still slow, tell me roughly when it started and which page you were on, and I'll pass it to our on-call engineers together with your region (${v.region}).`,
  }),
  topic<Billing>({
    id: 'billing.cancel',
    values: (r) => ({ plan: r.pick(PLANS), cur: r.pick(CURRENCIES), amount: r.int(19, 900), seats: r.int(1, 40), month: r.pick(MONTHS), day: r.int(1, 28) }),
    ask: (r, v) => r.pick([
      `I want to cancel our ${v.plan} subscription before the renewal on ${v.month} ${v.day}.`,
      `how do i downgrade to the free plan without losing our projects?`,
      `We're moving to another tool. What happens to our data if we cancel?`,
    ]),
    answer: (r, v) => `${r.pick(["I'm sorry to see you go.", 'I can help you with that.'])} You can cancel at any time; the ${v.plan} plan stays active until the end of the current billing period, and you won't be charged on ${v.month} ${v.day}.\n1. Go to Settings → Billing → Plan and choose "Cancel subscription".\n2. Export any data you want to keep (Settings → Data → Export).\n3. After the period ends, the workspace switches to the free plan: projects stay readable, but features such as ${r.pick(FEATURES)} are turned off.\nIf you tell me what made you leave, I'll share it with the product team.`,
  }),
  topic<Access>({
    id: 'access.invite_not_received',
    values: (r) => ({ feature: r.pick(FEATURES), browser: r.pick(BROWSERS), minutes: r.int(10, 240), code: r.int(1, 9) }),
    ask: (r, v) => r.pick([
      `My colleague never got the invitation email. I sent it ${v.minutes} minutes ago.`,
      `Invites are not arriving for ${v.code} new team members, checked spam already`,
      `Can I resend an invitation? The first one expired.`,
    ]),
    answer: (r, v) => `${r.pick(['Let’s get your team in.', 'That can happen with strict mail filters.'])} Invitations come from no-reply@lumora.example and expire after 7 days.\n1. In Settings → Members, find the pending invitation and click "Resend".\n2. Ask your IT team to allow-list the lumora.example domain if invitations are filtered.\n3. As an alternative, copy the invite link from the same menu and share it directly; it works for anyone with an address on your verified domain.`,
  }),
]

const CLOSINGS = [
  'Is there anything else I can help you with?',
  'Let me know if that solves it!',
  'Hope this helps — just reply here if anything is unclear.',
  'If this did not work, I can connect you with a support specialist.',
  '',
]

const HISTORY_OPENERS = [
  ['hi', 'Hi there! I’m Lumi, Lumora’s assistant. How can I help you today?'],
  ['hello, quick question', 'Of course — what would you like to know?'],
  ['I need help with my account', 'Sure, I can help with your account. What seems to be the problem?'],
  ['are you a bot?', 'I’m Lumi, an AI assistant for Lumora. I can answer most questions, and I can bring in a human agent whenever you like.'],
] as const

/** Details customers add to a question: who they are, how urgent it is. */
function userDetail(rng: Rng): string {
  return rng.pick([
    () => `We're on the ${rng.pick(PLANS)} plan with ${rng.int(2, 300)} users.`,
    () => `Workspace: ${rng.pick(['acme', 'bluefin', 'orbit', 'kestrel', 'nimbus', 'tandem', 'quarry'])}-${rng.int(10, 999)}.`,
    () => `This is urgent, we have a client demo at ${rng.int(1, 5)}pm.`,
    () => `I already tried logging out and back in on ${rng.pick(BROWSERS)}.`,
    () => `It started ${rng.int(2, 11)} days ago.`,
    () => `Thanks in advance!`,
    () => `(sent from ${rng.pick(BROWSERS)})`,
    () => `I've been a customer since ${rng.int(2016, 2024)}.`,
  ])()
}

function render(rng: Rng, t: Topic<unknown>, v: unknown, user: SimUser, greet: boolean): string {
  const hello = greet ? rng.pick([`Hi ${user.first}! `, `Hello ${user.first}, `, `Thanks for reaching out, ${user.first}. `, '']) : ''
  // Support tools stamp a case reference on most replies.
  const ref = rng.chance(0.7) ? `\n\n${rng.pick(['Case reference', 'Ticket', 'Reference'])}: LUM-${rng.int(100000, 999999)}` : ''
  return `${hello}${t.answer(rng, v)}${ref}\n\n${rng.pick(CLOSINGS)}`.trim()
}

export const supportBot: AppSpec = {
  name: 'support-bot',
  weight: 0.38,
  models: [['gpt-4o-mini', 0.6], ['claude-3-5-haiku-20241022', 0.3], ['gpt-4o', 0.1]],
  cacheable: true,
  build(rng, user, opts): Draft {
    const v4 = rng.chance(0.35)
    const t = rng.pick(TOPICS)
    const v = t.values(rng)
    const messages: Draft['messages'] = [{ role: 'system', content: v4 ? SYSTEM_V4 : SYSTEM_V3 }]
    if (rng.chance(0.4)) {
      const [u, a] = rng.pick(HISTORY_OPENERS)
      messages.push({ role: 'user', content: u }, { role: 'assistant', content: a })
    }
    // Some customers volunteer their own contact details: PII in the prompt, not a leak.
    const own = rng.chance(0.03) ? ` My account email is ${email(rng, user.first, user.last)}.` : ''
    messages.push({ role: 'user', content: t.ask(rng, v) + (rng.chance(0.6) ? ` ${userDetail(rng)}` : '') + own })
    const greet = messages.length === 2
    const response = render(rng, t, v, user, greet)
    const samples = opts.withSamples ? Array.from({ length: rng.int(3, 5) }, () => render(rng, t, v, user, greet)) : []
    return {
      operation: 'chat',
      messages,
      response,
      context: [],
      samples,
      finish: 'stop',
      templateId: 'support.reply',
      templateVersion: v4 ? '4' : '3',
      streaming: true,
      attributes: { 'app.topic': t.id, 'app.channel': rng.pick(['web', 'web', 'ios', 'android', 'email']) },
    }
  },
}
