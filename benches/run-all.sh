#!/usr/bin/env bash
# Runs every scenario of README's "Performance" section RUNS times, each run
# against a fresh server in Redis mode (a PostgreSQL database created for it
# and dropped after, a Redis database flushed before), and prints a Markdown
# table of medians with min–max, the date and the commit.
#
#   cargo build --release && cargo bench --bench loadgen --no-run
#   benches/run-all.sh                        # RUNS=3, README sizes
#   RUNS=1 SIZE=smoke SCENARIOS="sends history" benches/run-all.sh
#
# Environment (defaults in brackets):
#   RUNS                 runs per scenario [3]
#   SIZE                 full (the README's commands) or smoke (seconds each) [full]
#   SCENARIOS            space-separated scenario labels to run [all]
#   CHATSTREAM_BIN       the server [target/release/chatstream]
#   LOADGEN_BIN          the load generator [newest target/release/deps/loadgen-*]
#   DATABASE_ADMIN_URL   where databases are created [postgres://postgres@127.0.0.1:5432/postgres]
#   BENCH_DATABASE_PREFIX  name prefix of the databases it creates [bench_]
#   BENCH_REDIS_URL      the server's Redis; this database is FLUSHED [redis://127.0.0.1:6379/4]
#                        A cluster (redis+cluster://h:p,…): every listed node is FLUSHED (list
#                        the masters); `sends` then has no raw XADD baseline and `archive`,
#                        which reads one instance's keys and memory, is refused
#   OUT                  where logs and JSON lines are kept [a new temporary directory]
#   SERVER_ENV           extra VAR=value settings for the server, space-separated
#                        (e.g. "STREAM_HOT_MESSAGES=100" for an archive soak that archives) []
# No cargo is run: build first, so that nothing compiles while measuring.
set -euo pipefail

cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
SIZE="${SIZE:-full}"
SCENARIOS="${SCENARIOS:-}"
CHATSTREAM_BIN="${CHATSTREAM_BIN:-target/release/chatstream}"
DATABASE_ADMIN_URL="${DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BENCH_DATABASE_PREFIX="${BENCH_DATABASE_PREFIX:-bench_}"
BENCH_REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/4}"
OUT="${OUT:-$(mktemp -d -t chatstream-bench.XXXXXX)}"
read -ra SERVER_ENV_ARGS <<<"${SERVER_ENV:-}"
if [ -z "${LOADGEN_BIN:-}" ]; then
  LOADGEN_BIN="$(find target/release/deps -maxdepth 1 -type f -name 'loadgen-*' -executable \
    -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n 1 | cut -d' ' -f2-)"
fi

die() {
  echo "run-all: $*" >&2
  exit 1
}
[ -x "$CHATSTREAM_BIN" ] || die "no server at $CHATSTREAM_BIN (cargo build --release, or set CHATSTREAM_BIN)"
[ -n "$LOADGEN_BIN" ] && [ -x "$LOADGEN_BIN" ] ||
  die "no load generator (cargo bench --bench loadgen --no-run, or set LOADGEN_BIN)"
case "$SIZE" in full | smoke) ;; *) die "SIZE is full or smoke, not $SIZE" ;; esac
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"
mkdir -p "$OUT"
CLUSTER=""
case "$BENCH_REDIS_URL" in redis+cluster://*) CLUSTER=yes ;; esac

flush_redis() {
  if [ -z "$CLUSTER" ]; then
    redis-cli -u "$BENCH_REDIS_URL" FLUSHDB >/dev/null
    return
  fi
  local nodes="${BENCH_REDIS_URL#redis+cluster://}" node
  nodes="${nodes%%/*}"
  for node in ${nodes//,/ }; do
    # A replica refuses (read-only); its master's flush reaches it.
    redis-cli -h "${node%:*}" -p "${node##*:}" FLUSHALL >/dev/null 2>&1 || true
  done
}
RESULTS="$OUT/results.tsv"
: >"$RESULTS"

# The server and the load generator each hold one descriptor per socket.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || echo "run-all: cannot raise ulimit -n ($(ulimit -n))" >&2

# label|takes --server-pid|loadgen arguments (@REDIS@: BENCH_REDIS_URL).
# The full sizes are the README's commands; keep the two lists in step.
scenarios() {
  if [ "$SIZE" = full ]; then
    cat <<'EOF'
fanout-graphql-1000|yes|fanout --protocol graphql --subscribers 1000 --rate 50 --duration 15
fanout-legacy-2000|yes|fanout --protocol legacy --subscribers 2000 --rate 50 --duration 15
fanout-graphql-1000x100conv|yes|fanout --subscribers 1000 --conversations 100 --rate 100 --duration 15
fanout-max-graphql-1000|yes|fanout --protocol graphql --subscribers 1000 --duration 10 --max
fanout-max-legacy-2000|yes|fanout --protocol legacy --subscribers 2000 --duration 10 --max
connections-graphql-10000|yes|connections --connections 10000
connections-legacy-10000|yes|connections --protocol legacy --connections 10000
history-c10|yes|history --concurrency 10 --duration 10 --messages 300
auth-c4|no|auth --concurrency 4 --duration 8
inbox-50x2000|no|inbox --conversations 50 --messages 2000 --requests 300
sends-c50|yes|sends --concurrency 50 --conversations 50 --duration 15 --redis-url @REDIS@
archive-1m|no|archive --messages 1000000 --conversations 1000 --redis-url @REDIS@
storm-10000|yes|storm --subscribers 10000 --conversations 100
EOF
  else
    cat <<'EOF'
fanout-graphql-1000|yes|fanout --protocol graphql --subscribers 20 --rate 20 --duration 3 --drain 3
fanout-legacy-2000|yes|fanout --protocol legacy --subscribers 20 --rate 20 --duration 3 --drain 3
fanout-graphql-1000x100conv|yes|fanout --subscribers 20 --conversations 4 --rate 20 --duration 3 --drain 3
fanout-max-graphql-1000|yes|fanout --protocol graphql --subscribers 20 --rate 20 --duration 2 --drain 3 --max --max-rate 50
fanout-max-legacy-2000|yes|fanout --protocol legacy --subscribers 20 --rate 20 --duration 2 --drain 3 --max --max-rate 50
connections-graphql-10000|yes|connections --connections 100 --warm 20
connections-legacy-10000|yes|connections --protocol legacy --connections 100 --warm 20
history-c10|yes|history --concurrency 4 --duration 3 --messages 50
auth-c4|no|auth --concurrency 2 --duration 2
inbox-50x2000|no|inbox --conversations 3 --messages 20 --requests 20
sends-c50|yes|sends --concurrency 8 --conversations 4 --duration 3 --redis-url @REDIS@
archive-1m|no|archive --messages 2000 --conversations 10 --pages 50 --redis-url @REDIS@
storm-10000|yes|storm --subscribers 100 --conversations 5 --before 5 --during 3
EOF
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SERVER_PID=""
DATABASE=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    # A graceful shutdown closes every socket first; bounded all the same.
    kill "$SERVER_PID" 2>/dev/null || true
    local deadline=$((SECONDS + 15))
    while kill -0 "$SERVER_PID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.2
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  if [ -n "$DATABASE" ]; then
    flush_redis || true
    psql -qX "$DATABASE_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DATABASE\" WITH (FORCE)" >/dev/null ||
      echo "run-all: could not drop database $DATABASE" >&2
    DATABASE=""
  fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# Starts a fresh server on a free port; sets SERVER_PID and PORT.
start_server() {
  local log="$1"
  DATABASE="${BENCH_DATABASE_PREFIX}$(date +%s)_$$_${RANDOM}"
  psql -qX "$DATABASE_ADMIN_URL" -c "CREATE DATABASE \"$DATABASE\"" >/dev/null
  flush_redis
  PORT="$(free_port)"
  env RATE_LIMIT_MESSAGES=100000000 AUTH_ADDRESS_LIMIT=0 MEMBERSHIP_CHANGES_PER_HOUR=100000000 \
    MAX_SOCKETS_PER_USER=1000000 RUST_LOG=warn BIND_ADDR="127.0.0.1:$PORT" \
    DATABASE_URL="${DATABASE_ADMIN_URL%/*}/$DATABASE" REDIS_URL="$BENCH_REDIS_URL" \
    "${SERVER_ENV_ARGS[@]}" "$CHATSTREAM_BIN" >"$log" 2>&1 &
  SERVER_PID=$!
  local deadline=$((SECONDS + 60))
  until curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"; do
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited at start (see $log)"
    [ "$SECONDS" -lt "$deadline" ] || die "the server was not healthy within 60 s (see $log)"
    sleep 0.2
  done
}

selected() {
  [ -z "$SCENARIOS" ] && return 0
  local s
  for s in $SCENARIOS; do
    [ "$s" = "$1" ] && return 0
  done
  return 1
}

COMMANDS="$OUT/commands.tsv"
: >"$COMMANDS"
while IFS='|' read -r label takes_pid arguments; do
  selected "$label" || continue
  if [ -n "$CLUSTER" ]; then
    [ "$label" = archive-1m ] && die "archive reads one Redis instance's keys and memory; not a cluster"
    arguments="${arguments// --redis-url @REDIS@/}"
  fi
  arguments="${arguments//@REDIS@/$BENCH_REDIS_URL}"
  printf '%s\t%s\n' "$label" "$arguments" >>"$COMMANDS"
  read -ra argv <<<"$arguments"
  for run in $(seq 1 "$RUNS"); do
    base="$OUT/$label.$run"
    start_server "$base.server.log"
    extra=()
    [ "$takes_pid" = yes ] && extra=(--server-pid "$SERVER_PID")
    echo "== $label run $run/$RUNS: loadgen ${argv[*]} ${extra[*]}" >&2
    if "$LOADGEN_BIN" --url "http://127.0.0.1:$PORT" "${argv[@]}" "${extra[@]}" \
      >"$base.json" 2>"$base.log"; then
      line="$(grep '^{' "$base.json" | tail -n 1 || true)"
    else
      echo "run-all: $label run $run failed (see $base.log)" >&2
      line=""
    fi
    printf '%s\t%s\t%s\n' "$label" "$run" "${line:-null}" >>"$RESULTS"
    stop_server
  done
done < <(scenarios)

COMMIT="$(git rev-parse --short HEAD)"
git diff --quiet HEAD -- || COMMIT="$COMMIT (with uncommitted changes)"
SERVER_ENV="${SERVER_ENV:-}" python3 - "$RESULTS" "$COMMANDS" "$RUNS" "$SIZE" "$COMMIT" <<'PY'
"""The collected JSON lines -> a Markdown table of medians (min–max)."""
import datetime
import json
import os
import statistics
import sys

results_path, commands_path, runs, size, commit = sys.argv[1:6]

# The figures worth a row, per JSON "scenario": (label, dotted path).
METRICS = {
    "fanout": [
        ("p99 ms", "latency.p99_ms"), ("p50 ms", "latency.p50_ms"),
        ("deliveries/s", "deliveries_per_sec"), ("lost", "lost"),
        ("duplicated", "duplicated"), ("out of order", "out_of_order"),
        ("server CPU µs/delivery", "server_cpu_us_per_delivery"),
    ],
    "fanout-max": [
        ("msg/s held", "max_rate_held"), ("deliveries/s", "best.deliveries_per_sec"),
        ("p99 ms at that rate", "best.latency.p99_ms"),
        ("server CPU µs/delivery", "best.server_cpu_us_per_delivery"),
    ],
    "connections": [("KiB per connection", "kib_per_connection"), ("live", "live"),
                    ("handshake+subscribe/s", "subscribes_per_s"), ("until live/s", "live_per_s")],
    "history": [
        ("REST req/s", "rest.requests_per_sec"), ("REST p99 ms", "rest.latency.p99_ms"),
        ("REST server CPU µs/request", "rest.server_cpu_us_per_request"),
        ("GraphQL req/s", "graphql.requests_per_sec"), ("GraphQL p99 ms", "graphql.latency.p99_ms"),
        ("GraphQL server CPU µs/request", "graphql.server_cpu_us_per_request"),
        ("send (one at a time) p99 ms", "send.latency.p99_ms"),
    ],
    "auth": [("signups/s", "signup.per_sec"), ("logins/s", "login.per_sec")],
    "inbox": [("REST p99 ms", "rest.latency.p99_ms"), ("GraphQL p99 ms", "graphql.latency.p99_ms")],
    "sends": [
        ("REST sends/s", "rest.per_sec"), ("REST p99 ms", "rest.latency.p99_ms"),
        ("REST errors", "rest.errors"), ("REST server CPU µs/send", "rest.server_cpu_us_per_send"),
        ("GraphQL sends/s", "graphql.per_sec"), ("GraphQL p99 ms", "graphql.latency.p99_ms"),
        ("GraphQL errors", "graphql.errors"),
        ("GraphQL server CPU µs/send", "graphql.server_cpu_us_per_send"),
        ("raw XADD ops/s", "xadd.per_sec"),
        ("REST / XADD %", "rest.ratio_to_xadd", 100), ("GraphQL / XADD %", "graphql.ratio_to_xadd", 100),
    ],
    "storm": [
        ("drop to all caught up ms", "total_ms"), ("catch-up p50 ms", "catch_up.p50_ms"),
        ("catch-up p99 ms", "catch_up.p99_ms"), ("catch-up max ms", "catch_up.max_ms"),
        ("reconnect to caught up p99 ms", "reconnect_to_caught_up.p99_ms"),
        ("lost", "lost"), ("duplicated", "duplicated"), ("out of order", "out_of_order"),
        ("failed reconnects", "failed_reconnects"),
        ("subscriptions ended early", "subscriptions_ended_early"),
        ("catch-up log reads (real)", "log_reads.real"), ("catch-up reads shared", "log_reads.shared"),
        ("server CPU s (drop to caught up)", "server_cpu_s"),
    ],
    "archive": [
        ("sends/s", "sends_per_sec"), ("refused", "refused"),
        ("Redis used_memory before, bytes", "used_memory_before"),
        ("Redis used_memory after, bytes", "used_memory_after"),
        ("entries left in Redis", "entries_in_redis"), ("longest stream", "longest_stream"),
        ("max archive lag s", "archive_lag_max_secs"),
        ("archive lag back to 0, s after the last send", "archive_settled_secs"),
        ("history from Redis p99 ms", "history.redis.p99_ms"),
        ("history from the database p99 ms", "history.database.p99_ms"),
    ],
}


def lookup(value, path):
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def fmt(x):
    if abs(x) >= 100 or x == int(x):
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}" if abs(x) >= 1 else f"{x:.3g}"


runs_by_label = {}
with open(results_path, encoding="utf-8") as f:
    for line in f:
        label, _run, payload = line.rstrip("\n").split("\t", 2)
        runs_by_label.setdefault(label, []).append(json.loads(payload))
commands = {}
with open(commands_path, encoding="utf-8") as f:
    for line in f:
        label, command = line.rstrip("\n").split("\t", 1)
        commands[label] = command

now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
server_env = os.environ.get("SERVER_ENV", "").strip()
print(f"{now}, commit {commit}, {runs} run(s) per scenario, sizes: {size}; "
      "median (min–max), each run against a fresh server (Redis mode"
      + (f", with {server_env}" if server_env else "") + ")\n")
print("| scenario | figure | median | min–max |")
print("|---|---|---|---|")
for label, results in runs_by_label.items():
    done = [r for r in results if r is not None]
    if len(done) < len(results):
        print(f"| {label} | failed runs | {len(results) - len(done)} of {len(results)} | |")
    if not done:
        continue
    for name, path, *scale in METRICS.get(done[0].get("scenario"), []):
        factor = scale[0] if scale else 1
        values = [v * factor for v in (lookup(r, path) for r in done) if v is not None]
        if not values:
            continue
        spread = f"{fmt(min(values))}–{fmt(max(values))}" if len(values) > 1 else ""
        print(f"| {label} | {name} | {fmt(statistics.median(values))} | {spread} |")
print("\nCommands (`loadgen --url … <arguments>`, plus `--server-pid` where it is taken):\n")
for label, command in commands.items():
    print(f"- {label}: `{command}`")
PY
echo "run-all: logs and JSON lines in $OUT" >&2
