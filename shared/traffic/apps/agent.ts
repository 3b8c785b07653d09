/**
 * `ops-agent`: a tool-using operations agent for an online shop's back office. Each event is one
 * model call inside an agent loop: either it decides the next tool call (finish reason "tool")
 * or it answers from the tool results already in the conversation (role "tool" messages).
 */
import type { Rng } from '../prng.js'
import { MONTHS, OFFICES, REGIONS, SERVICES } from '../words.js'
import type { AppSpec, Draft } from './types.js'

const SYSTEM = `You are OpsPilot, an operations agent for the Northwind Outfitters back office. You can call tools: get_order(order_id), get_shipment(tracking_id), query_metrics(service, metric, window), search_runbooks(query), create_ticket(team, title, body). Call tools to gather facts before answering; never invent order data. Refunds above 200 USD need human approval: create a ticket instead of promising one. Answer in a short paragraph followed by the key facts as a list.`

interface Scenario {
  readonly id: string
  ask(r: Rng, s: Facts): string
  call(s: Facts): { name: string; args: Record<string, string | number> }
  result(s: Facts): Record<string, unknown>
  answer(r: Rng, s: Facts): string
}

interface Facts {
  order: number; tracking: string; carrier: string; warehouse: string; days: number; month: string; day: number
  amount: number; svc: string; region: string; p99: number; errRate: number; window: number; ticket: number
}

function facts(r: Rng): Facts {
  return {
    order: r.int(100000, 999999), tracking: `${r.pick(['1Z', 'JD', 'TBA'])}${r.int(10000000, 99999999)}`, carrier: r.pick(['DHL', 'UPS', 'DPD', 'FedEx', 'GLS']),
    warehouse: r.pick(OFFICES), days: r.int(2, 9), month: r.pick(MONTHS), day: r.int(1, 28), amount: r.int(15, 640) + r.pick([0, 0.5, 0.95]),
    svc: r.pick(SERVICES), region: r.pick(REGIONS), p99: r.int(180, 4200), errRate: r.int(1, 90) / 10, window: r.pick([15, 30, 60]), ticket: r.int(1000, 9999),
  }
}

const SCENARIOS: readonly Scenario[] = [
  {
    id: 'late_order',
    ask: (r, s) => r.pick([`Why is order ${s.order} late? Customer is asking.`, `Check order #${s.order} — promised delivery was ${s.month} ${s.day}.`, `where is order ${s.order}`]),
    call: (s) => ({ name: 'get_order', args: { order_id: String(s.order) } }),
    result: (s) => ({ order_id: String(s.order), status: 'shipped', warehouse: s.warehouse, carrier: s.carrier, tracking_id: s.tracking, promised: `${s.month} ${s.day}`, delay_days: s.days, total_usd: s.amount }),
    answer: (r, s) => `${r.pick(['Order', 'The order'])} ${s.order} left the ${s.warehouse} warehouse and is with ${s.carrier} (tracking ${s.tracking}). It is running ${s.days} days behind the promised date of ${s.month} ${s.day}.\n- Status: shipped\n- Carrier: ${s.carrier}, tracking ${s.tracking}\n- Delay: ${s.days} days\n- Order total: ${s.amount.toFixed(2)} USD\n${s.amount > 200 ? 'A goodwill refund would exceed 200 USD, so it needs human approval; I can open a ticket for the customer-care lead.' : 'A delivery-delay voucher is within policy if the customer asks.'}`,
  },
  {
    id: 'latency_check',
    ask: (r, s) => r.pick([`Is ${s.svc} slow right now in ${s.region}?`, `p99 for ${s.svc} over the last ${s.window} minutes?`, `customers report errors at checkout, can you check ${s.svc}`]),
    call: (s) => ({ name: 'query_metrics', args: { service: s.svc, region: s.region, metric: 'latency_p99_ms,error_rate', window: `${s.window}m`, end: `${s.month} ${s.day}` } }),
    result: (s) => ({ service: s.svc, region: s.region, window_minutes: s.window, latency_p99_ms: s.p99, error_rate_pct: s.errRate, slo_p99_ms: 800 }),
    answer: (r, s) => `${s.p99 > 800 ? `${s.svc} is slower than its SLO in ${s.region}` : `${s.svc} looks healthy in ${s.region}`}: p99 latency over the last ${s.window} minutes is ${s.p99} ms against an SLO of 800 ms, with ${s.errRate}% errors.\n- p99: ${s.p99} ms\n- Error rate: ${s.errRate}%\n- Window: ${s.window} minutes\n${s.p99 > 800 || s.errRate > 2 ? r.pick(['I suggest paging the owning team; I can open a ticket with these numbers.', 'This is worth an incident ticket; the runbook recommends checking recent deploys first.']) : 'No action needed right now.'}`,
  },
  {
    id: 'open_ticket',
    ask: (r, s) => r.pick([`Open a ticket for the ${s.svc} team: error rate is ${s.errRate}% in ${s.region}.`, `file an incident for ${s.svc}, p99 ${s.p99}ms`]),
    call: (s) => ({ name: 'create_ticket', args: { team: s.svc, title: `${s.svc}: elevated errors in ${s.region}`, body: `p99 ${s.p99} ms, errors ${s.errRate}% over ${s.window}m` } }),
    result: (s) => ({ ticket_id: `OPS-${s.ticket}`, status: 'open', assignee_team: s.svc }),
    answer: (r, s) => `${r.pick(['Done.', 'Ticket created.'])} OPS-${s.ticket} is open for the ${s.svc} team with the current numbers (p99 ${s.p99} ms, ${s.errRate}% errors in ${s.region}).\n- Ticket: OPS-${s.ticket}\n- Status: open\n- Team: ${s.svc}`,
  },
]

const callText = (c: { name: string; args: Record<string, string | number> }) => JSON.stringify({ tool: c.name, arguments: c.args })

export const opsAgent: AppSpec = {
  name: 'ops-agent',
  weight: 0.15,
  models: [['gpt-4o', 0.5], ['claude-sonnet-4-20250514', 0.3], ['gemini-2.5-flash', 0.2]],
  cacheable: false,
  build(rng, _user, opts): Draft {
    // A run is two calls: choose a tool, then answer from its result. The second call continues
    // the session's pending run when there is one (same trace and model, same facts).
    const resumed = opts.resume as { facts: Facts; scenario: number; ask: string } | undefined
    const s = resumed?.facts ?? facts(rng)
    const scenarioIndex = resumed?.scenario ?? rng.int(0, SCENARIOS.length - 1)
    const sc = SCENARIOS[scenarioIndex] as Scenario
    const ask = resumed?.ask ?? sc.ask(rng, s)
    const messages: Draft['messages'] = [{ role: 'system', content: SYSTEM }, { role: 'user', content: ask }]
    const base = { context: [], templateId: 'ops.agent', templateVersion: '7', streaming: false }
    const call = sc.call(s)
    if (!resumed && rng.chance(0.5)) {
      return {
        ...base, operation: 'chat', messages, response: callText(call), samples: [], finish: 'tool',
        attributes: { 'app.topic': sc.id, 'agent.step': '1' },
        resume: { facts: s, scenario: scenarioIndex, ask },
      }
    }
    messages.push({ role: 'assistant', content: callText(call) }, { role: 'tool', content: JSON.stringify(sc.result(s)) })
    return {
      ...base,
      operation: 'chat',
      messages,
      response: sc.answer(rng, s),
      samples: opts.withSamples ? Array.from({ length: rng.int(3, 4) }, () => sc.answer(rng, s)) : [],
      finish: 'stop',
      attributes: { 'app.topic': sc.id, 'agent.step': '2', 'agent.tool': call.name },
    }
  },
}
