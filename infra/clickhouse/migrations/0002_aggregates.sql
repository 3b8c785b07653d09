-- Pre-aggregated metrics, filled by materialized views on every insert into the raw tables.
-- Counters are SimpleAggregateFunction(sum) (read with sum()), distributions are t-digest states
-- (read with quantileTDigestMerge(level)(col) for any level). NULL latencies/values are fed as NaN,
-- which the t-digest ignores, so the state type stays the plain Float64 one.
-- The minute tables serve dashboards and alert windows; the hourly rollups serve long ranges.

CREATE TABLE IF NOT EXISTS {{database}}.metrics_1m
(
    minute                  DateTime('UTC') CODEC(Delta, ZSTD(1)),
    app_name                LowCardinality(String),
    request_model           LowCardinality(String),
    environment             LowCardinality(String),
    prompt_template_version LowCardinality(String),
    events                  SimpleAggregateFunction(sum, UInt64),
    errors                  SimpleAggregateFunction(sum, UInt64),
    input_tokens            SimpleAggregateFunction(sum, UInt64),
    output_tokens           SimpleAggregateFunction(sum, UInt64),
    cached_input_tokens     SimpleAggregateFunction(sum, UInt64),
    cost_usd                SimpleAggregateFunction(sum, Float64),
    unpriced_events         SimpleAggregateFunction(sum, UInt64),
    cache_hits              SimpleAggregateFunction(sum, UInt64),
    latency_ms_sum          SimpleAggregateFunction(sum, Float64),
    latency_ms_q            AggregateFunction(quantileTDigest, Float64),
    ttft_ms_q               AggregateFunction(quantileTDigest, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(minute)
ORDER BY (app_name, request_model, environment, prompt_template_version, minute);

CREATE TABLE IF NOT EXISTS {{database}}.metrics_1h
(
    hour                    DateTime('UTC') CODEC(Delta, ZSTD(1)),
    app_name                LowCardinality(String),
    request_model           LowCardinality(String),
    environment             LowCardinality(String),
    prompt_template_version LowCardinality(String),
    events                  SimpleAggregateFunction(sum, UInt64),
    errors                  SimpleAggregateFunction(sum, UInt64),
    input_tokens            SimpleAggregateFunction(sum, UInt64),
    output_tokens           SimpleAggregateFunction(sum, UInt64),
    cached_input_tokens     SimpleAggregateFunction(sum, UInt64),
    cost_usd                SimpleAggregateFunction(sum, Float64),
    unpriced_events         SimpleAggregateFunction(sum, UInt64),
    cache_hits              SimpleAggregateFunction(sum, UInt64),
    latency_ms_sum          SimpleAggregateFunction(sum, Float64),
    latency_ms_q            AggregateFunction(quantileTDigest, Float64),
    ttft_ms_q               AggregateFunction(quantileTDigest, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (app_name, request_model, environment, prompt_template_version, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.metrics_1m_mv TO {{database}}.metrics_1m AS
SELECT
    toStartOfMinute(src.event_time)        AS minute,
    src.app_name AS app_name,
    src.request_model AS request_model,
    src.environment AS environment,
    src.prompt_template_version AS prompt_template_version,
    toUInt64(count())                  AS events,
    toUInt64(countIf(src.status = 'error')) AS errors,
    sum(src.input_tokens)                  AS input_tokens,
    sum(src.output_tokens)                 AS output_tokens,
    sum(src.cached_input_tokens)           AS cached_input_tokens,
    sum(ifNull(src.cost_usd, 0))           AS cost_usd,
    toUInt64(countIf(src.cost_usd IS NULL)) AS unpriced_events,
    toUInt64(countIf(src.cache_hit))       AS cache_hits,
    sum(src.latency_ms)                    AS latency_ms_sum,
    quantileTDigestState(src.latency_ms)   AS latency_ms_q,
    quantileTDigestState(ifNull(src.ttft_ms, nan)) AS ttft_ms_q
FROM {{database}}.interactions AS src
GROUP BY minute, app_name, request_model, environment, prompt_template_version;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.metrics_1h_mv TO {{database}}.metrics_1h AS
SELECT
    toStartOfHour(src.event_time)          AS hour,
    src.app_name AS app_name,
    src.request_model AS request_model,
    src.environment AS environment,
    src.prompt_template_version AS prompt_template_version,
    toUInt64(count())                  AS events,
    toUInt64(countIf(src.status = 'error')) AS errors,
    sum(src.input_tokens)                  AS input_tokens,
    sum(src.output_tokens)                 AS output_tokens,
    sum(src.cached_input_tokens)           AS cached_input_tokens,
    sum(ifNull(src.cost_usd, 0))           AS cost_usd,
    toUInt64(countIf(src.cost_usd IS NULL)) AS unpriced_events,
    toUInt64(countIf(src.cache_hit))       AS cache_hits,
    sum(src.latency_ms)                    AS latency_ms_sum,
    quantileTDigestState(src.latency_ms)   AS latency_ms_q,
    quantileTDigestState(ifNull(src.ttft_ms, nan)) AS ttft_ms_q
FROM {{database}}.interactions AS src
GROUP BY hour, app_name, request_model, environment, prompt_template_version;

-- Scores per minute x app x model x scorer x target (toxicity of prompts and of responses are
-- different questions, so target is part of the key). `rows` counts every entry, `scored` those
-- with status ok (value present), `errors` scorer failures.
CREATE TABLE IF NOT EXISTS {{database}}.scores_1m
(
    minute        DateTime('UTC') CODEC(Delta, ZSTD(1)),
    app_name      LowCardinality(String),
    request_model LowCardinality(String),
    scorer        LowCardinality(String),
    target        LowCardinality(String),
    rows          SimpleAggregateFunction(sum, UInt64),
    scored        SimpleAggregateFunction(sum, UInt64),
    errors        SimpleAggregateFunction(sum, UInt64),
    flagged       SimpleAggregateFunction(sum, UInt64),
    value_sum     SimpleAggregateFunction(sum, Float64),
    value_q       AggregateFunction(quantileTDigest, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(minute)
ORDER BY (app_name, request_model, scorer, target, minute);

CREATE TABLE IF NOT EXISTS {{database}}.scores_1h
(
    hour          DateTime('UTC') CODEC(Delta, ZSTD(1)),
    app_name      LowCardinality(String),
    request_model LowCardinality(String),
    scorer        LowCardinality(String),
    target        LowCardinality(String),
    rows          SimpleAggregateFunction(sum, UInt64),
    scored        SimpleAggregateFunction(sum, UInt64),
    errors        SimpleAggregateFunction(sum, UInt64),
    flagged       SimpleAggregateFunction(sum, UInt64),
    value_sum     SimpleAggregateFunction(sum, Float64),
    value_q       AggregateFunction(quantileTDigest, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (app_name, request_model, scorer, target, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.scores_1m_mv TO {{database}}.scores_1m AS
SELECT
    toStartOfMinute(src.event_time)          AS minute,
    src.app_name AS app_name,
    src.request_model AS request_model,
    src.scorer AS scorer,
    src.target AS target,
    toUInt64(count())                    AS rows,
    toUInt64(countIf(src.status = 'ok'))     AS scored,
    toUInt64(countIf(src.status = 'error'))  AS errors,
    toUInt64(countIf(src.flagged))           AS flagged,
    sum(ifNull(src.value, 0))                AS value_sum,
    quantileTDigestState(ifNull(src.value, nan)) AS value_q
FROM {{database}}.scores AS src
GROUP BY minute, app_name, request_model, scorer, target;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.scores_1h_mv TO {{database}}.scores_1h AS
SELECT
    toStartOfHour(src.event_time)            AS hour,
    src.app_name AS app_name,
    src.request_model AS request_model,
    src.scorer AS scorer,
    src.target AS target,
    toUInt64(count())                    AS rows,
    toUInt64(countIf(src.status = 'ok'))     AS scored,
    toUInt64(countIf(src.status = 'error'))  AS errors,
    toUInt64(countIf(src.flagged))           AS flagged,
    sum(ifNull(src.value, 0))                AS value_sum,
    quantileTDigestState(ifNull(src.value, nan)) AS value_q
FROM {{database}}.scores AS src
GROUP BY hour, app_name, request_model, scorer, target;
