/**
 * What the demo expects: each scripted incident must fire its alert (rules in
 * config/demo-alert-rules.yaml: the default rules' logic with windows short enough for a few
 * minutes of traffic), and the analyst questions it answers at the end.
 */
import type { IncidentName } from '../../shared/traffic/index.js'

export const EXPECTED_ALERTS: { incident: IncidentName; rule: string; label?: string }[] = [
  { incident: 'toxicity_spike', rule: 'demo-toxic-responses', label: 'support-bot' },
  { incident: 'latency_regression', rule: 'demo-latency-p95', label: 'gpt-4o-mini' },
  { incident: 'pii_leak', rule: 'demo-pii-leaks', label: 'support-bot' },
  { incident: 'injection_campaign', rule: 'demo-prompt-injection', label: 'kb-assistant' },
  { incident: 'rag_hallucination', rule: 'demo-rag-hallucination', label: 'kb-assistant' },
  { incident: 'cost_runaway', rule: 'demo-cost-runaway', label: 'code-assistant' },
]

export const DEMO_QUERIES: { title: string; sql: string }[] = [
  {
    title: 'Cost per app (from the per-minute aggregates)',
    sql: `SELECT app_name, sum(events) AS calls, round(sum(cost_usd), 4) AS usd, round(sum(cost_usd) / sum(events) * 1000, 4) AS usd_per_1k_calls
FROM metrics_1m GROUP BY app_name ORDER BY usd DESC`,
  },
  {
    title: 'p95 latency and time to first token by model',
    sql: `SELECT request_model, sum(events) AS calls, round(quantileTDigestMerge(0.95)(latency_ms_q)) AS p95_ms, round(quantileTDigestMerge(0.95)(ttft_ms_q)) AS p95_ttft
FROM metrics_1m GROUP BY request_model ORDER BY p95_ms DESC`,
  },
  {
    title: 'Flag rate by scorer and app (share of scored entries flagged)',
    sql: `SELECT scorer, target, app_name, sum(scored) AS n_scored, sum(flagged) AS n_flagged, round(sum(flagged) / sum(scored), 3) AS flag_rate
FROM scores_1m GROUP BY scorer, target, app_name HAVING n_flagged > 0 ORDER BY flag_rate DESC LIMIT 12`,
  },
  {
    title: 'Alerts raised during the run',
    sql: `SELECT rule, severity, state, labels, round(value, 3) AS value, threshold, emitted_time
FROM alerts WHERE NOT reminder ORDER BY emitted_time`,
  },
]
