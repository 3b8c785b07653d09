-- Raw tables: one row per event (interactions), per event x scorer x target (scores), per alert
-- state change (alerts). Every row keeps the Kafka topic, partition and offset it came from: the
-- sink reads max(_offset) per partition on start and on every assignment and skips what is already
-- stored, so a re-delivered message is never inserted twice (see docs/ARCHITECTURE.md).
-- Retention TTLs are not written here: the runner applies them from configuration after migrating.
-- Timestamps: DateTime64(3, 'UTC') with Delta+ZSTD; floats with Gorilla+ZSTD; free text with ZSTD.

CREATE TABLE IF NOT EXISTS {{database}}.interactions
(
    event_id                UUID,
    event_time              DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    end_time                DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    scored_time             DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    app_name                LowCardinality(String),
    environment             LowCardinality(String),
    provider_name           LowCardinality(String),
    operation_name          LowCardinality(String),
    request_model           LowCardinality(String),
    response_model          LowCardinality(String),
    prompt_template_id      LowCardinality(String),
    prompt_template_version LowCardinality(String),
    trace_id                String CODEC(ZSTD(1)),
    session_id              String CODEC(ZSTD(1)),
    user_id_hash            String CODEC(ZSTD(1)),
    latency_ms              Float64 CODEC(Gorilla, ZSTD(1)),
    ttft_ms                 Nullable(Float64) CODEC(Gorilla, ZSTD(1)),
    input_tokens            UInt64 CODEC(T64, ZSTD(1)),
    output_tokens           UInt64 CODEC(T64, ZSTD(1)),
    cached_input_tokens     UInt64 CODEC(T64, ZSTD(1)),
    cost_usd                Nullable(Float64) CODEC(Gorilla, ZSTD(1)),
    status                  LowCardinality(String),
    error_type              LowCardinality(String),
    cache_hit               Bool,
    text_mode               LowCardinality(String),
    prompt_text             String CODEC(ZSTD(3)),
    response_text           String CODEC(ZSTD(3)),
    flagged_scorers         Array(LowCardinality(String)),
    _topic                  LowCardinality(String),
    _partition              UInt32,
    _offset                 UInt64,
    _inserted_at            DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(Delta, ZSTD(1)),
    CONSTRAINT end_after_start CHECK end_time >= event_time,
    CONSTRAINT known_text_mode CHECK text_mode IN ('full', 'redacted', 'none'),
    INDEX idx_event_id event_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toDate(event_time)
ORDER BY (app_name, request_model, event_time);

CREATE TABLE IF NOT EXISTS {{database}}.scores
(
    event_id                UUID,
    event_time              DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    app_name                LowCardinality(String),
    environment             LowCardinality(String),
    provider_name           LowCardinality(String),
    request_model           LowCardinality(String),
    prompt_template_version LowCardinality(String),
    scorer                  LowCardinality(String),
    target                  LowCardinality(String),
    version                 LowCardinality(String),
    status                  LowCardinality(String),
    value                   Nullable(Float64) CODEC(Gorilla, ZSTD(1)),
    label                   LowCardinality(String),
    flagged                 Bool,
    details                 String CODEC(ZSTD(3)),
    _topic                  LowCardinality(String),
    _partition              UInt32,
    _offset                 UInt64,
    _inserted_at            DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(Delta, ZSTD(1)),
    INDEX idx_event_id event_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toDate(event_time)
ORDER BY (app_name, scorer, request_model, event_time);

CREATE TABLE IF NOT EXISTS {{database}}.alerts
(
    alert_id          UUID,
    rule              LowCardinality(String),
    kind              LowCardinality(String),
    severity          LowCardinality(String),
    state             LowCardinality(String),
    reminder          Bool,
    labels            Map(LowCardinality(String), String),
    dedup_key         String,
    value             Float64 CODEC(Gorilla, ZSTD(1)),
    threshold         Float64 CODEC(Gorilla, ZSTD(1)),
    window_seconds    UInt32,
    started_time      DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    ended_time        Nullable(DateTime64(3, 'UTC')),
    emitted_time      DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    summary           String CODEC(ZSTD(3)),
    runbook_url       String,
    example_event_ids Array(String),
    _topic            LowCardinality(String),
    _partition        UInt32,
    _offset           UInt64,
    _inserted_at      DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(Delta, ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toDate(emitted_time)
ORDER BY (rule, emitted_time);
