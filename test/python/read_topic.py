"""A Python consumer of llmwatch's Avro topics, as an integration would write one (used by
test/integration/tail.test.ts): confluent-kafka (librdkafka) reads the topic, the Apache Avro library
decodes each value. The writer schema comes from the Confluent wire format's schema id: looked up in
the schema registry (GET /schemas/ids/{id}) when a registry URL is given, else from the project's
schemas/registry.json and .avsc files (the fixed ids). Prints one JSON object per record:
{"offset": ..., "schema_id": ..., "value": {...}}. Avro's logical types arrive as Python objects
(timestamp-millis as an aware datetime, uuid as a string or UUID); the JSON shows them as epoch
milliseconds and strings, as llmwatch's own JSON does.

usage: read_topic.py BROKERS TOPIC COUNT [--registry URL | --schemas DIR]
"""
import io
import json
import os
import struct
import sys
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import avro.io
import avro.schema
from confluent_kafka import Consumer


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def plain(o):
    if isinstance(o, datetime):
        return (o - EPOCH) // timedelta(milliseconds=1)
    if isinstance(o, uuid.UUID):
        return str(o)
    raise TypeError(f"cannot show {type(o).__name__} as JSON")


def main() -> int:
    brokers, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    opts = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    cache = {}

    def writer_schema(schema_id):
        if schema_id not in cache:
            if "--registry" in opts:
                with urllib.request.urlopen(f"{opts['--registry']}/schemas/ids/{schema_id}", timeout=10) as res:
                    cache[schema_id] = avro.schema.parse(json.load(res)["schema"])
            else:
                d = opts["--schemas"]
                with open(os.path.join(d, "registry.json")) as f:
                    subjects = json.load(f)["subjects"]
                files = {v["id"]: v["file"] for versions in subjects.values() for v in versions}
                with open(os.path.join(d, files[schema_id])) as f:
                    cache[schema_id] = avro.schema.parse(f.read())
        return cache[schema_id]

    consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"py-{os.getpid()}", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen = 0
    try:
        while seen < count:
            msg = consumer.poll(30)
            if msg is None:
                print(f"read_topic.py: no record within 30 s ({seen} of {count})", file=sys.stderr)
                return 1
            if msg.error():
                print(f"read_topic.py: {msg.error()}", file=sys.stderr)
                return 1
            value = msg.value()
            magic, schema_id = struct.unpack(">bI", value[:5])
            if magic != 0:
                print(f"read_topic.py: offset {msg.offset()}: not Confluent framing (magic byte {magic})", file=sys.stderr)
                return 1
            record = avro.io.DatumReader(writer_schema(schema_id)).read(avro.io.BinaryDecoder(io.BytesIO(value[5:])))
            print(json.dumps({"offset": msg.offset(), "schema_id": schema_id, "value": record}, default=plain), flush=True)
            seen += 1
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
