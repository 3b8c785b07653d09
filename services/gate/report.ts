/**
 * The gate's reports: JUnit XML (one testcase per check, so any CI shows each one; failed checks
 * carry a <failure>, checks that could not be evaluated an <error>) and a Markdown summary for a
 * pull-request comment.
 */
import type { CheckResult, GateResult } from './gates.js'

/** Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry. */
export function xmlEscape(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

export interface ReportContext {
  gatesFile: string
  candidateFile: string
  baselineSource: string | null
  /** Seconds the gate took (scoring included). */
  seconds: number
  timestamp: Date
}

function checkText(c: CheckResult): string {
  return c.conditions.map((x) => `${x.status.toUpperCase()}: ${x.message}`).join('\n')
}

export function junitXml(r: GateResult, ctx: ReportContext): string {
  const failures = r.checks.filter((c) => c.status === 'fail').length
  const errors = r.checks.filter((c) => c.status === 'error').length
  const suite = `llmwatch gate (${ctx.gatesFile} version ${r.version})`
  const props: [string, string][] = [
    ['gates_file', ctx.gatesFile],
    ['gates_version', String(r.version)],
    ['candidate', ctx.candidateFile],
    ['candidate_events', String(r.candidate.events)],
    ['baseline', ctx.baselineSource ?? ''],
    ['baseline_events', r.baseline === null ? '' : String(r.baseline.events)],
    ['confidence', String(r.confidence)],
    ['per_test_confidence', String(r.perTestConfidence)],
  ]
  const cases = r.checks.map((c) => {
    const open = `    <testcase classname="llmwatch.gate" name="${xmlEscape(c.name)}" time="0">`
    const first = c.conditions.find((x) => x.status === c.status)
    if (c.status === 'pass') return `${open}\n      <system-out>${xmlEscape(checkText(c))}</system-out>\n    </testcase>`
    const tag = c.status === 'fail' ? 'failure' : 'error'
    return `${open}\n      <${tag} message="${xmlEscape(first?.message ?? c.status)}" type="${c.status === 'fail' ? 'threshold' : 'not_evaluated'}">${xmlEscape(checkText(c))}</${tag}>\n    </testcase>`
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="llmwatch gate" tests="${r.checks.length}" failures="${failures}" errors="${errors}" time="${ctx.seconds.toFixed(3)}">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${r.checks.length}" failures="${failures}" errors="${errors}" skipped="0" time="${ctx.seconds.toFixed(3)}" timestamp="${ctx.timestamp.toISOString().replace(/\.\d+Z$/, '')}">`,
    '    <properties>',
    ...props.map(([k, v]) => `      <property name="${k}" value="${xmlEscape(v)}"/>`),
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, '<br>')
}

const ICON = { pass: '✅', fail: '❌', error: '⚠️' } as const

export function markdownSummary(r: GateResult, ctx: ReportContext): string {
  const failed = r.checks.filter((c) => c.status === 'fail').length
  const errored = r.checks.filter((c) => c.status === 'error').length
  const head =
    r.status === 'pass'
      ? `## ${ICON.pass} llmwatch gate passed: ${r.checks.length} of ${r.checks.length} checks`
      : r.status === 'fail'
        ? `## ${ICON.fail} llmwatch gate failed: ${failed} of ${r.checks.length} checks failed`
        : `## ${ICON.error} llmwatch gate could not evaluate ${errored} of ${r.checks.length} checks${failed > 0 ? ` (${failed} failed)` : ''}`
  const conf = (x: number) => `${(x * 100).toFixed(2).replace(/\.?0+$/, '')}%`
  const lines = [
    head,
    '',
    `Candidate \`${ctx.candidateFile}\`: ${r.candidate.events} events` +
      (r.baseline !== null ? `; baseline ${ctx.baselineSource?.startsWith('ClickHouse') === true ? ctx.baselineSource : `\`${ctx.baselineSource}\``}: ${r.baseline.events} events` : '; no baseline') +
      `. Gates \`${ctx.gatesFile}\` version ${r.version}; ${conf(r.confidence)} confidence` +
      (r.tests > 1 && r.perTestConfidence !== r.confidence ? ` (Bonferroni over ${r.tests} interval tests: each at ${conf(r.perTestConfidence)})` : '') +
      '.',
    '',
    '| | check | result |',
    '|---|---|---|',
    ...r.checks.map((c) => `| ${ICON[c.status]} | ${mdCell(c.name)} | ${mdCell(c.conditions.map((x) => (c.conditions.length > 1 ? `${ICON[x.status]} ` : '') + x.message).join('\n'))} |`),
    '',
  ]
  return lines.join('\n')
}
