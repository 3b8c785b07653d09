-- Plain-named views for analysts: the common questions are one SELECT away.
-- They read the hourly rollups (cheap over months) except top_flagged_events, which lists events.
-- docs/ANALYTICS.md documents each column; test/integration/analytics.test.ts checks them.

CREATE VIEW IF NOT EXISTS {{database}}.quality_by_model_daily AS
SELECT
    toDate(src.hour)                                    AS day,
    app_name,
    request_model,
    scorer,
    target,
    sum(src.rows)                                       AS entries,
    sum(src.scored)                                     AS scored,
    sum(src.flagged)                                    AS flagged,
    if(sum(src.scored) = 0, 0, sum(src.flagged) / sum(src.scored)) AS flag_rate,
    if(sum(src.scored) = 0, NULL, sum(src.value_sum) / sum(src.scored)) AS avg_value,
    quantileTDigestMerge(0.5)(src.value_q)              AS p50_value,
    quantileTDigestMerge(0.95)(src.value_q)             AS p95_value
FROM {{database}}.scores_1h AS src
GROUP BY day, app_name, request_model, scorer, target;

CREATE VIEW IF NOT EXISTS {{database}}.cost_by_app_daily AS
SELECT
    toDate(src.hour)             AS day,
    app_name,
    environment,
    sum(src.events)              AS events,
    sum(src.input_tokens)        AS input_tokens,
    sum(src.output_tokens)       AS output_tokens,
    sum(src.cached_input_tokens) AS cached_input_tokens,
    sum(src.cost_usd)            AS cost_usd,
    sum(src.unpriced_events)     AS unpriced_events
FROM {{database}}.metrics_1h AS src
GROUP BY day, app_name, environment;

CREATE VIEW IF NOT EXISTS {{database}}.latency_slo_daily AS
SELECT
    toDate(src.hour)                            AS day,
    app_name,
    request_model,
    environment,
    sum(src.events)                             AS events,
    sum(src.errors)                             AS errors,
    if(sum(src.events) = 0, 0, sum(src.errors) / sum(src.events)) AS error_rate,
    if(sum(src.events) = 0, 0, sum(src.latency_ms_sum) / sum(src.events)) AS avg_latency_ms,
    quantileTDigestMerge(0.5)(src.latency_ms_q)  AS p50_latency_ms,
    quantileTDigestMerge(0.95)(src.latency_ms_q) AS p95_latency_ms,
    quantileTDigestMerge(0.99)(src.latency_ms_q) AS p99_latency_ms,
    quantileTDigestMerge(0.95)(src.ttft_ms_q)    AS p95_ttft_ms,
    sum(src.cache_hits)                         AS cache_hits
FROM {{database}}.metrics_1h AS src
GROUP BY day, app_name, request_model, environment;

-- One row per event that at least one scorer flagged, most-flagged first, with its stored text
-- (as the privacy setting allowed). Filter on event_time / app_name outside.
CREATE VIEW IF NOT EXISTS {{database}}.top_flagged_events AS
SELECT
    event_id,
    event_time,
    app_name,
    environment,
    request_model,
    prompt_template_id,
    prompt_template_version,
    length(flagged_scorers) AS flag_count,
    flagged_scorers,
    status,
    text_mode,
    prompt_text,
    response_text
FROM {{database}}.interactions
WHERE notEmpty(flagged_scorers)
ORDER BY flag_count DESC, event_time DESC;
