-- One row per event: the scores move onto the event's `interactions` row (issue 14).
-- Before, one event cost 11 rows (1 interaction + 1 per score entry) and the score aggregates ran
-- over all of them. Now:
--   scores      Map(key, value)   key 'scorer:target' ('toxicity:response'), every entry of the event
--                                 in its order; value NULL unless the entry's status is ok
--                                 (`scores['toxicity:response']` is the toxicity of the response)
--   flags       Array(key)        the keys of the entries that flagged the event
--   score_versions, score_statuses, score_labels, score_details
--                     Array(...)  each entry's version, status (ok, not_applicable, error), label and
--                                 evidence (JSON), aligned with `scores` (the i-th element belongs to
--                                 the i-th map entry)
-- `scores` stays as a VIEW with the columns of the old table (ARRAY JOIN of the map), and the
-- minute/hour score aggregates keep their tables, now fed by views that read the one row.
-- The old rows are moved onto their interactions rows (matched by Kafka topic/partition/offset,
-- which one message shares) by a mutation. Every statement can run again after a crash:
-- the move only fills rows whose map is empty, and CREATE OR REPLACE swaps the table for the view
-- in one statement.

ALTER TABLE {{database}}.interactions
    ADD COLUMN IF NOT EXISTS scores Map(LowCardinality(String), Nullable(Float64)) AFTER flagged_scorers,
    ADD COLUMN IF NOT EXISTS flags Array(LowCardinality(String)) AFTER scores,
    ADD COLUMN IF NOT EXISTS score_versions Array(LowCardinality(String)) AFTER flags,
    ADD COLUMN IF NOT EXISTS score_statuses Array(LowCardinality(String)) AFTER score_versions,
    ADD COLUMN IF NOT EXISTS score_labels Array(LowCardinality(String)) AFTER score_statuses,
    ADD COLUMN IF NOT EXISTS score_details Array(String) CODEC(ZSTD(3)) AFTER score_labels;

-- The old views read the long table: gone before the move, so nothing is counted twice.
DROP VIEW IF EXISTS {{database}}.scores_1m_mv;

DROP VIEW IF EXISTS {{database}}.scores_1h_mv;

-- The long rows grouped per message, in a Join table for joinGet in the mutation below.
CREATE TABLE IF NOT EXISTS {{database}}.migration_0004_scores
ENGINE = Join(ANY, LEFT, _topic, _partition, _offset) AS
SELECT
    _topic,
    _partition,
    _offset,
    CAST(groupArray((concat(scorer, ':', target), value)), 'Map(LowCardinality(String), Nullable(Float64))') AS scores,
    CAST(arrayFilter(k -> k != '', groupArray(if(flagged, concat(scorer, ':', target), ''))), 'Array(LowCardinality(String))') AS flags,
    CAST(groupArray(version), 'Array(LowCardinality(String))') AS score_versions,
    CAST(groupArray(status), 'Array(LowCardinality(String))') AS score_statuses,
    CAST(groupArray(label), 'Array(LowCardinality(String))') AS score_labels,
    groupArray(details) AS score_details
FROM {{database}}.scores
GROUP BY _topic, _partition, _offset;

ALTER TABLE {{database}}.interactions
UPDATE
    scores = joinGet('{{database}}.migration_0004_scores', 'scores', _topic, _partition, _offset),
    flags = joinGet('{{database}}.migration_0004_scores', 'flags', _topic, _partition, _offset),
    score_versions = joinGet('{{database}}.migration_0004_scores', 'score_versions', _topic, _partition, _offset),
    score_statuses = joinGet('{{database}}.migration_0004_scores', 'score_statuses', _topic, _partition, _offset),
    score_labels = joinGet('{{database}}.migration_0004_scores', 'score_labels', _topic, _partition, _offset),
    score_details = joinGet('{{database}}.migration_0004_scores', 'score_details', _topic, _partition, _offset)
WHERE empty(scores)
SETTINGS mutations_sync = 2;

-- The long shape for analysts: one row per event x scorer x target, the old table's columns and types.
CREATE OR REPLACE VIEW {{database}}.scores AS
SELECT
    event_id,
    event_time,
    app_name,
    environment,
    provider_name,
    request_model,
    prompt_template_version,
    CAST(substring(score_key, 1, position(score_key, ':') - 1) AS LowCardinality(String)) AS scorer,
    CAST(substring(score_key, position(score_key, ':') + 1) AS LowCardinality(String))    AS target,
    version,
    status,
    value,
    label,
    CAST(has(flags, score_key) AS Bool)         AS flagged,
    details,
    _topic,
    _partition,
    _offset,
    _inserted_at
FROM {{database}}.interactions
ARRAY JOIN mapKeys(scores) AS score_key, mapValues(scores) AS value, score_versions AS version, score_statuses AS status,
    score_labels AS label, score_details AS details;

-- Score aggregates from the one row: the entries are expanded inside the view, grouped by their key,
-- and the key split into scorer and target once per group.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.scores_1m_mv TO {{database}}.scores_1m AS
SELECT
    toStartOfMinute(src.event_time)            AS minute,
    src.app_name                               AS app_name,
    src.request_model                          AS request_model,
    substring(score_key, 1, position(score_key, ':') - 1) AS scorer,
    substring(score_key, position(score_key, ':') + 1)    AS target,
    toUInt64(count())                          AS rows,
    toUInt64(countIf(status = 'ok'))           AS scored,
    toUInt64(countIf(status = 'error'))        AS errors,
    toUInt64(countIf(has(src.flags, score_key)))   AS flagged,
    sum(ifNull(value, 0))                      AS value_sum,
    quantileTDigestState(ifNull(value, nan))   AS value_q
FROM {{database}}.interactions AS src
ARRAY JOIN mapKeys(src.scores) AS score_key, mapValues(src.scores) AS value, src.score_statuses AS status
GROUP BY minute, app_name, request_model, score_key;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.scores_1h_mv TO {{database}}.scores_1h AS
SELECT
    toStartOfHour(src.event_time)              AS hour,
    src.app_name                               AS app_name,
    src.request_model                          AS request_model,
    substring(score_key, 1, position(score_key, ':') - 1) AS scorer,
    substring(score_key, position(score_key, ':') + 1)    AS target,
    toUInt64(count())                          AS rows,
    toUInt64(countIf(status = 'ok'))           AS scored,
    toUInt64(countIf(status = 'error'))        AS errors,
    toUInt64(countIf(has(src.flags, score_key)))   AS flagged,
    sum(ifNull(value, 0))                      AS value_sum,
    quantileTDigestState(ifNull(value, nan))   AS value_q
FROM {{database}}.interactions AS src
ARRAY JOIN mapKeys(src.scores) AS score_key, mapValues(src.scores) AS value, src.score_statuses AS status
GROUP BY hour, app_name, request_model, score_key;

DROP TABLE IF EXISTS {{database}}.migration_0004_scores;
