#!/usr/bin/env bash
# End-to-end check of the running stack (after `infra/stack.sh up`) with real
# clients: Kafka topic create + produce + consume in a group, FerretDB ping and
# compound unique index (duplicate -> 11000), MariaDB login as techbank.
# Leaves no data behind except a uniquely named Kafka topic.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$here/lib/common.sh"
stack="$here/stack.sh"
bootstrap="127.0.0.1:$TECHBANK_KAFKA_PORT"
topic="smoke-$(date +%s)-$$"

echo "kafka: create $topic, produce 2, consume 2"
"$stack" kafka-tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
  --create --topic "$topic" --partitions 1 --replication-factor 1 >/dev/null
printf 'k1:hello\nk2:world\n' | "$stack" kafka-tool kafka.tools.ConsoleProducer \
  --bootstrap-server "$bootstrap" --topic "$topic" --property parse.key=true --property key.separator=:
got=$("$stack" kafka-tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$bootstrap" \
  --topic "$topic" --group "$topic-g" --from-beginning --max-messages 2 --timeout-ms 30000 2>/dev/null)
[[ $got == $'hello\nworld' ]] || { echo "kafka: consumed '$got'" >&2; exit 1; }
"$stack" kafka-tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --delete --topic "$topic"

echo "mongo: ping + compound unique index"
"$TOOLS_VENV/bin/python" - "mongodb://127.0.0.1:$TECHBANK_MONGO_PORT/" <<'EOF'
import sys, pymongo
from pymongo.errors import DuplicateKeyError
c = pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=5000)
assert c.admin.command("ping")["ok"] == 1
print("  server", c.server_info()["version"], "maxWireVersion", c.admin.command("hello")["maxWireVersion"])
db = c["techbank_smoke"]
try:
    ev = db["events"]
    ev.create_index([("aggregate_id", 1), ("version", 1)], unique=True)
    ev.insert_one({"aggregate_id": "a", "version": 1})
    ev.insert_one({"aggregate_id": "b", "version": 1})
    try:
        ev.insert_one({"aggregate_id": "a", "version": 1})
        sys.exit("  duplicate accepted: unique index not enforced")
    except DuplicateKeyError as e:
        assert e.code == 11000, e.code
        print("  duplicate rejected with code", e.code)
finally:
    c.drop_database("techbank_smoke")
EOF

echo "mongo: an index FerretDB makes gets its GIN twin in PostgreSQL"
"$TOOLS_VENV/bin/python" - "mongodb://127.0.0.1:$TECHBANK_MONGO_PORT/" <<'EOF'
import sys, pymongo
pymongo.MongoClient(sys.argv[1])["techbank_smoke_gin"]["events"].create_index("aggregate_id")
EOF
# shellcheck source=lib/postgres.sh
source "$here/lib/postgres.sh"
twins=$(pg_psql -d "$PG_DB" -At -c "SELECT count(*) FROM pg_indexes
  WHERE schemaname = 'techbank_smoke_gin' AND indexdef LIKE '%USING gin%aggregate_id%'")
"$TOOLS_VENV/bin/python" -c "import sys, pymongo; pymongo.MongoClient(sys.argv[1]).drop_database('techbank_smoke_gin')" \
  "mongodb://127.0.0.1:$TECHBANK_MONGO_PORT/"
[[ $twins == 1 ]] || { echo "mongo: expected one GIN twin, found '$twins'" >&2; exit 1; }
echo "  GIN twin present"

echo "mysql: techbank user over TCP"
mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$TECHBANK_MYSQL_PORT" -utechbank -ptechbank techbank \
  -N -e 'CREATE TABLE smoke_t (id INT PRIMARY KEY); INSERT INTO smoke_t VALUES (1); SELECT CONCAT("  ", VERSION(), " rows=", COUNT(*)) FROM smoke_t; DROP TABLE smoke_t;'
echo "smoke: all OK"
