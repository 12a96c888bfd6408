#!/usr/bin/env bash
# Starts/stops the project's real peers on loopback, without Docker:
#   kafka     single-node KRaft broker+controller (jars from Maven Central)
#   ferretdb  MongoDB wire protocol on FerretDB's embedded SQLite backend, or with
#             STORE=postgresql on a PostgreSQL 15 cluster of its own (Debian's package)
# Usage: infra.sh up|down|status|logs|wipe [kafka|ferretdb]
# Everything (config, data, logs, pid files) lives under $PARKGRID_LOCAL
# (default <repo>/.local), so the repo and the machine stay clean.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PARKGRID_LOCAL="${PARKGRID_LOCAL:-$REPO/.local}"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
FERRETDB_HOST="${FERRETDB_HOST:-127.0.0.1}"
FERRETDB_PORT="${FERRETDB_PORT:-27017}"
# FerretDB's HTTP debug listener (metrics, Go pprof), e.g. 127.0.0.1:8089 to profile the store
# (bench/README.md); "-" (the default) starts none, as port 8088 is often taken.
FERRETDB_DEBUG_ADDR="${FERRETDB_DEBUG_ADDR:--}"
# FerretDB's Go garbage collector. Its live heap is small (3-5 MB), so at Go's default (100) it
# collected about 50 times a second under the bench's bookings, a tenth of its CPU; at 400 it
# collects about 14 times a second (heap target 16-23 MB, resident under 110 MB) and its CPU per
# booking fell 10-20 % (bench/README.md, "FerretDB's own profile"). FERRETDB_GOGC=100 is Go's.
FERRETDB_GOGC="${FERRETDB_GOGC:-400}"
# More of SQLite's pragmas for FerretDB's connections, appended to its URI as given, e.g.
# '&_pragma=wal_autocheckpoint(10000)' (bench/README.md, 2026-12-07: checkpoints measured). None by default.
FERRETDB_SQLITE_EXTRA="${FERRETDB_SQLITE_EXTRA:-}"
# FerretDB's backend. sqlite, the default, is what `make bench` measured faster on this box
# (bench/README.md: "Store backends"); postgresql starts a cluster under $PARKGRID_LOCAL/postgresql
# on POSTGRES_PORT (loopback) and FerretDB on it, the same port and URI for the services.
STORE="${STORE:-sqlite}"
POSTGRES_PORT="${POSTGRES_PORT:-54329}"
POSTGRES_BIN="${POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"
INFRA_TIMEOUT="${INFRA_TIMEOUT:-120}"

# A fixed cluster id (base64url of 16 bytes, "ParkGridLocal001"): the node is formatted
# once and a re-format after a wipe gives the same id, so nothing needs to remember it.
KAFKA_CLUSTER_ID="UGFya0dyaWRMb2NhbDAwMQ"

K_DIR="$PARKGRID_LOCAL/kafka"
K_LIB="$K_DIR/lib"
K_CONF="$K_DIR/config"
K_DATA="$K_DIR/data"
K_LOGDIR="$K_DIR/logs"              # log4j side files (state-change, controller, ...)
K_PROPS="$K_CONF/server.properties"
F_BIN="$PARKGRID_LOCAL/bin/ferretdb"
F_DATA="$PARKGRID_LOCAL/ferretdb/data"
F_STATE="$PARKGRID_LOCAL/ferretdb/state"
P_DIR="$PARKGRID_LOCAL/postgresql"  # the cluster's data, its socket and its log
P_DATA="$P_DIR/data"
RUN="$PARKGRID_LOCAL/run"
LOGS="$PARKGRID_LOCAL/logs"

ALL_PARTS=(kafka ferretdb)

say() { printf '[infra] %s\n' "$*"; }
err() { printf '[infra] %s\n' "$*" >&2; }

addr_of() { # part -> host:port it serves
    case "$1" in
        kafka) printf '%s:%s' "$KAFKA_HOST" "$KAFKA_PORT" ;;
        ferretdb) printf '%s:%s' "$FERRETDB_HOST" "$FERRETDB_PORT" ;;
    esac
}
log_of() { printf '%s/%s.log' "$LOGS" "$1"; }
pidfile_of() { printf '%s/%s.pid' "$RUN" "$1"; }

# ---------------------------------------------------------------- process identity

# Is pid a process of ours for this part? Decided on the exact argv, so that another
# Kafka/FerretDB on the machine, or e.g. a `go build -o .../bin/ferretdb`, never matches.
is_ours() { # part pid
    local part="$1" pid="$2" args=()
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || return 1
    [[ ${#args[@]} -gt 0 ]] || return 1          # zombie / kernel thread
    case "$part" in
        kafka)
            local a main=0 props=0
            for a in "${args[@]}"; do
                [[ "$a" == kafka.Kafka ]] && main=1
                [[ "$a" == "$K_PROPS" ]] && props=1
            done
            ((main && props)) ;;
        ferretdb) [[ "${args[0]}" == "$F_BIN" ]] ;;
        *) return 1 ;;
    esac
}

# All live processes of ours for a part, found by scanning /proc (works without pid files).
scan_ours() { # part
    local d pid
    for d in /proc/[0-9]*; do
        pid="${d#/proc/}"
        [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
        if is_ours "$1" "$pid"; then printf '%s\n' "$pid"; fi
    done
}

# The pid of the running part (pid file first, then a /proc scan), or fail.
running_pid() { # part
    local pf pid
    pf="$(pidfile_of "$1")"
    if [[ -f "$pf" ]]; then
        pid="$(cat "$pf" 2>/dev/null || true)"
        if [[ "$pid" =~ ^[0-9]+$ ]] && is_ours "$1" "$pid"; then
            printf '%s' "$pid"
            return 0
        fi
    fi
    pid="$(scan_ours "$1" | head -n1)"
    [[ -n "$pid" ]] || return 1
    printf '%s' "$pid"
}

alive() { kill -0 "$1" 2>/dev/null; }

now_ms() { date +%s%3N; }
elapsed() { # since a now_ms value, as seconds with one decimal
    local ms=$(($(now_ms) - $1))
    printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

# ---------------------------------------------------------------- probes

port_open() { # host port ; pure bash, 2 s cap
    # shellcheck disable=SC2016 # $0/$1 expand in the inner bash, on purpose
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# A real MongoDB-wire `ping` (OP_MSG {ping: 1, $db: "admin"}), with the standard
# library only, so readiness needs no driver installed. Succeeds on {ok: 1.0}.
mongo_ping() { # host port
    python3 - "$1" "$2" <<'PY' 2>/dev/null
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
elems = b"\x10ping\x00" + struct.pack("<i", 1) + b"\x02$db\x00" + struct.pack("<i", 6) + b"admin\x00"
doc = struct.pack("<i", 4 + len(elems) + 1) + elems + b"\x00"
body = struct.pack("<I", 0) + b"\x00" + doc
msg = struct.pack("<iiii", 16 + len(body), 1, 0, 2013) + body
with socket.create_connection((host, port), timeout=3) as s:
    s.settimeout(3)
    s.sendall(msg)
    buf = b""
    while len(buf) < 4 or len(buf) < struct.unpack("<i", buf[:4])[0]:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
sys.exit(0 if b"\x01ok\x00" + struct.pack("<d", 1.0) in buf else 1)
PY
}

# ---------------------------------------------------------------- kafka

write_kafka_config() {
    mkdir -p "$K_CONF" "$K_DATA" "$K_LOGDIR"
    # Single-node KRaft (broker and controller in one JVM), sized for a 2-core box.
    cat >"$K_PROPS" <<EOF
# Generated by deploy/local/infra.sh on every 'up'; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$K_DATA

# The project creates its topics itself; a typo must fail, not create a topic.
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
# Keep history unless a topic overrides retention. log.retention.ms takes precedence
# over the hours/minutes settings; -1 means no time limit.
log.retention.ms=-1
log.retention.bytes=-1

# Internal topics: one replica, and fewer partitions than the defaults (50) so the
# first consumer group / transaction does not create 50 partitions on a small box.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=10
group.initial.rebalance.delay.ms=0
# After a kill -9 the restarted broker cannot register until the old incarnation's
# session expires (default 9 s). A shorter session would make that restart quicker, but
# on a loaded 2-core machine (a test suite, several JVMs) heartbeats arrive late and a
# 4 s session fenced the broker mid-run ("All brokers are currently fenced"): robustness
# under load wins over a few seconds saved on a restart.
broker.session.timeout.ms=12000
broker.heartbeat.interval.ms=2000

# Fewer threads than the defaults (3 network, 8 I/O, 10 background): 2 cores.
num.network.threads=2
num.io.threads=2
background.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
EOF

    # log4j2 as a .properties file: it needs nothing beyond log4j-core (the YAML form
    # would depend on jackson-dataformat-yaml being on the classpath). Everything goes
    # to stdout, which is $LOGS/kafka.log; the chatty side logs go to $K_LOGDIR.
    cat >"$K_CONF/log4j2.properties" <<'EOF'
# Generated by deploy/local/infra.sh
status = warn
name = parkgrid-kafka

appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n

appender.state.type = RollingFile
appender.state.name = STATE
appender.state.fileName = ${sys:kafka.logs.dir}/state-change.log
appender.state.filePattern = ${sys:kafka.logs.dir}/state-change.log.%i
appender.state.layout.type = PatternLayout
appender.state.layout.pattern = [%d] %p %m (%c)%n
appender.state.policies.type = Policies
appender.state.policies.size.type = SizeBasedTriggeringPolicy
appender.state.policies.size.size = 10MB
appender.state.strategy.type = DefaultRolloverStrategy
appender.state.strategy.max = 2

appender.cleaner.type = RollingFile
appender.cleaner.name = CLEANER
appender.cleaner.fileName = ${sys:kafka.logs.dir}/log-cleaner.log
appender.cleaner.filePattern = ${sys:kafka.logs.dir}/log-cleaner.log.%i
appender.cleaner.layout.type = PatternLayout
appender.cleaner.layout.pattern = [%d] %p %m (%c)%n
appender.cleaner.policies.type = Policies
appender.cleaner.policies.size.type = SizeBasedTriggeringPolicy
appender.cleaner.policies.size.size = 10MB
appender.cleaner.strategy.type = DefaultRolloverStrategy
appender.cleaner.strategy.max = 2

rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT

logger.state.name = state.change.logger
logger.state.level = INFO
logger.state.additivity = false
logger.state.appenderRef.state.ref = STATE

logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = INFO
logger.cleaner.additivity = false
logger.cleaner.appenderRef.cleaner.ref = CLEANER

logger.request.name = kafka.request.logger
logger.request.level = WARN

# The full config dumps (5 x ~300 lines per start) drown the useful lines.
logger.configdump.name = org.apache.kafka.common.config.AbstractConfig
logger.configdump.level = WARN
EOF
}

kafka_java() { # runs a Kafka class with our classpath
    java -cp "$K_LIB/*" "$@"
}

# Format the storage if it is not formatted yet. Skipped when meta.properties exists
# (the formatter writes it last), which saves a JVM start on every 'up'.
format_kafka() {
    local log
    log="$(log_of kafka)"
    [[ -f "$K_DATA/meta.properties" ]] && return 0
    if [[ -n "$(ls -A "$K_DATA" 2>/dev/null)" ]]; then
        # Data but no meta.properties: a first run killed mid-format, or the file was
        # lost. Formatting again would write a new directory.id that the KRaft voter
        # set stored in __cluster_metadata does not know: the controller never becomes
        # leader and the broker gives up after 60 s. The data cannot be used: start over.
        say "kafka: $K_DATA has data but no meta.properties; wiping it and formatting again (local data is lost)"
        wipe_kafka_data
    fi
    say "kafka: formatting storage in $K_DATA"
    if kafka_java kafka.tools.StorageTool format --standalone -t "$KAFKA_CLUSTER_ID" \
        -c "$K_PROPS" --ignore-formatted >>"$log" 2>&1 </dev/null 8>&-; then
        return 0
    fi
    # A crash during a first run can leave a data dir that is neither empty nor
    # formatted; the formatter then refuses. Nothing in it can be used: start over.
    say "kafka: format failed; wiping $K_DATA and formatting again (local data is lost)"
    wipe_kafka_data
    kafka_java kafka.tools.StorageTool format --standalone -t "$KAFKA_CLUSTER_ID" \
        -c "$K_PROPS" --ignore-formatted >>"$log" 2>&1 </dev/null 8>&-
}

wipe_kafka_data() {
    rm -rf "$K_DATA"
    mkdir -p "$K_DATA"
}

# Did the broker stop because of its storage (rather than e.g. a busy port)?
# Looks only at ERROR/FATAL lines, exceptions and stack frames of this run's log.
# With "print", shows the matching lines.
kafka_storage_error() { # [print]
    local re='meta\.properties|InconsistentClusterId|InconsistentNodeId|InconsistentTopicId|CorruptRecord|KafkaStorageException|bootstrap\.checkpoint|not formatted|no readable meta|directory id|metadata\.properties\.|storage\.internals\.log|unable to register with the controller quorum'
    local lines
    lines="$(grep -E '(ERROR|FATAL|Exception|^[[:space:]]+at )' "$(log_of kafka)" | grep -iE "$re" | head -n 3 || true)"
    [[ -n "$lines" ]] || return 1
    if [[ "${1:-}" == print ]]; then printf '%s\n' "$lines" | cut -c1-300 | sed 's/^/[infra]   /'; fi
    return 0
}

# Is the directory.id in meta.properties different from the one the KRaft voter set
# (stored in __cluster_metadata) holds for node 1? Then the controller is never
# elected and the broker gives up after 60 s (initial registration timeout).
kafka_voter_mismatch() {
    local voter mine
    voter="$(grep -o 'Starting voters are VoterSet(voters={1=VoterNode(voterKey=ReplicaKey(id=1, directoryId=[A-Za-z0-9_-]*' \
        "$(log_of kafka)" 2>/dev/null | tail -n 1 | sed 's/.*directoryId=//' || true)"
    mine="$(sed -n 's/^directory\.id=//p' "$K_DATA/meta.properties" 2>/dev/null || true)"
    [[ -n "$voter" && -n "$mine" && "$voter" != "$mine" ]]
}

start_kafka() {
    local log pf
    log="$(log_of kafka)"
    pf="$(pidfile_of kafka)"
    cd "$K_DIR"          # the JVM writes hs_err/heap dumps in its cwd
    # setsid: own session, so the caller's Ctrl-C / terminal hangup does not reach it;
    # nohup for good measure; 8>&- so the broker does not keep our lock file held.
    setsid nohup java \
        -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$K_CONF/log4j2.properties" \
        -Dkafka.logs.dir="$K_LOGDIR" \
        -cp "$K_LIB/*" kafka.Kafka "$K_PROPS" \
        >>"$log" 2>&1 </dev/null 8>&- &
    printf '%s\n' "$!" >"$pf"
    disown "$!"     # no "Killed" job notices from this shell if it must be killed
    cd - >/dev/null
}

# 0 ready, 1 the process exited, 2 not ready yet
probe_kafka() { # pid
    alive "$1" || return 1
    port_open "$KAFKA_HOST" "$KAFKA_PORT" || return 2
    grep -q 'Kafka Server started' "$(log_of kafka)" || return 2
}

# ---------------------------------------------------------------- ferretdb

# The backend arguments of the FerretDB that STORE asks for.
ferretdb_backend() {
    case "$STORE" in
        # synchronous(normal): with SQLite's WAL, a commit is safe from any process crash (kill -9
        #   of FerretDB included) and is fsynced at checkpoints, not one fsync per write: the
        #   durability of MongoDB's default write concern (journal flushed every 100 ms), which is
        #   what production runs. FULL (SQLite's default) cost ~3 ms of fsync per write here, held
        #   under FerretDB's one-writer lock. FERRETDB_SYNCHRONOUS=full restores it.
        sqlite) printf '%s\n' --handler=sqlite \
            "--sqlite-url=file:$F_DATA/?_pragma=synchronous(${FERRETDB_SYNCHRONOUS:-normal})$FERRETDB_SQLITE_EXTRA" ;;
        postgresql) printf '%s\n' --handler=postgresql \
            "--postgresql-url=postgres://postgres@127.0.0.1:$POSTGRES_PORT/ferretdb" ;;
    esac
}

# The backend a running FerretDB of ours was started with (sqlite, postgresql), from its argv.
ferretdb_store_of() { # pid
    local a args=()
    mapfile -d '' -t args <"/proc/$1/cmdline" 2>/dev/null || return 1
    for a in "${args[@]}"; do
        if [[ "$a" == --handler=* ]]; then printf '%s' "${a#--handler=}"; return 0; fi
    done
    return 1
}

start_ferretdb() {
    local log pf backend=()
    log="$(log_of ferretdb)"
    pf="$(pidfile_of ferretdb)"
    mapfile -t backend < <(ferretdb_backend)
    mkdir -p "$F_DATA" "$F_STATE"
    cd "$F_STATE"
    # --debug-addr: none unless FERRETDB_DEBUG_ADDR asks (FerretDB's own default would take 8088).
    # --telemetry=disable : no attempt to reach beacon.ferretdb.com.
    # --log-level=error : at warn, FerretDB dumps every failed command as a ~20-line
    #   WARN (e.g. each pymongo close sends endSessions, which 1.24 does not know).
    GOGC="$FERRETDB_GOGC" setsid nohup "$F_BIN" "${backend[@]}" \
        --listen-addr="$FERRETDB_HOST:$FERRETDB_PORT" \
        --state-dir="$F_STATE" --debug-addr="$FERRETDB_DEBUG_ADDR" --telemetry=disable --log-level=error \
        >>"$log" 2>&1 </dev/null 8>&- &
    printf '%s\n' "$!" >"$pf"
    disown "$!"     # no "Killed" job notices from this shell if it must be killed
    cd - >/dev/null
}

# ---------------------------------------------------------------- postgresql (STORE=postgresql)

# PostgreSQL refuses to run as root: its tools run as the `postgres` user then, which owns
# $P_DIR (and must be able to reach it: a $PARKGRID_LOCAL under a 0700 directory will not do).
as_postgres() {
    if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgresql_running() { as_postgres "$POSTGRES_BIN/pg_ctl" -D "$P_DATA" status >/dev/null 2>&1; }

# Creates the cluster on first use and starts it (waiting until it takes connections), then
# makes FerretDB's database. The server's log is $P_DIR/postgresql.log.
start_postgresql() {
    [[ -x "$POSTGRES_BIN/initdb" ]] || { err "postgresql: $POSTGRES_BIN/initdb not found (apt-get install postgresql-15)"; return 1; }
    mkdir -p "$P_DIR"
    if [[ $EUID -eq 0 ]]; then chown postgres:postgres "$P_DIR"; fi
    if ! as_postgres test -w "$P_DIR"; then
        err "postgresql: the postgres user cannot write $P_DIR (is a parent directory private?)"
        return 1
    fi
    if [[ ! -f "$P_DATA/PG_VERSION" ]]; then
        say "postgresql: creating a cluster in $P_DATA"
        rm -rf "$P_DATA"
        # Its output to ferretdb's log: $P_DIR/postgresql.log is the server's, written as `postgres`.
        as_postgres "$POSTGRES_BIN/initdb" -D "$P_DATA" -A trust -U postgres --no-sync >>"$(log_of ferretdb)" 2>&1 \
            || { err "postgresql: initdb failed (see $(log_of ferretdb))"; return 1; }
    fi
    if postgresql_running; then
        say "postgresql: already running ($P_DATA)"
    else
        # synchronous_commit=off: a commit is durable within a moment (the WAL writer flushes it),
        # as SQLite's synchronous=normal under WAL that the default store runs with.
        say "postgresql: starting on 127.0.0.1:$POSTGRES_PORT"
        as_postgres "$POSTGRES_BIN/pg_ctl" -D "$P_DATA" -l "$P_DIR/postgresql.log" -w -t 60 \
            -o "-p $POSTGRES_PORT -k $P_DIR -c listen_addresses=127.0.0.1 -c synchronous_commit=off" \
            start >/dev/null 8>&- || { err "postgresql: did not start (see $P_DIR/postgresql.log)"; return 1; }
    fi
    if ! as_postgres "$POSTGRES_BIN/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'" 2>/dev/null | grep -q 1; then
        as_postgres "$POSTGRES_BIN/createdb" -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres ferretdb \
            || { err "postgresql: could not create the ferretdb database"; return 1; }
    fi
}

stop_postgresql() {
    [[ -f "$P_DATA/postmaster.pid" ]] || return 0
    if postgresql_running; then
        say "postgresql: stopping"
        as_postgres "$POSTGRES_BIN/pg_ctl" -D "$P_DATA" -m fast -w stop >/dev/null 2>&1 || true
    fi
}

probe_ferretdb() { # pid ; 0 ready, 1 the process exited, 2 not ready yet
    alive "$1" || return 1
    port_open "$FERRETDB_HOST" "$FERRETDB_PORT" || return 2
    mongo_ping "$FERRETDB_HOST" "$FERRETDB_PORT" || return 2
}

# ---------------------------------------------------------------- commands

# 0: running, nothing to do; 3: our process is there but not ready yet;
# 1: must be started (a stale pid file is removed).
already_up() { # part
    local part="$1" pid addr pf
    addr="$(addr_of "$part")"
    pf="$(pidfile_of "$part")"
    if pid="$(running_pid "$part")"; then
        printf '%s\n' "$pid" >"$pf"
        if [[ "$part" == ferretdb ]] && [[ "$(ferretdb_store_of "$pid" || true)" != "$STORE" ]]; then
            err "ferretdb: running on $(ferretdb_store_of "$pid" || echo '?'), not STORE=$STORE: stop it first ($0 down ferretdb)"
            return 4
        fi
        if port_open "${addr%:*}" "${addr##*:}"; then
            say "$part: already running (pid $pid, $addr)"
            return 0
        fi
        say "$part: already starting (pid $pid); waiting for it"
        return 3
    fi
    if port_open "${addr%:*}" "${addr##*:}"; then
        say "$part: $addr already answers (not a process of ours); starting nothing"
        return 0
    fi
    if [[ -f "$pf" ]]; then
        say "$part: removing stale pid file (pid $(cat "$pf" 2>/dev/null) is gone)"
        rm -f "$pf"
    fi
    return 1
}

rotate_log() { # part ; one log per run keeps it small and readiness greps only this run
    local log
    log="$(log_of "$1")"
    if [[ -f "$log" ]]; then mv -f "$log" "$log.1"; fi
    : >"$log"
}

report_failure() { # part why
    local log
    log="$(log_of "$1")"
    err "$1: FAILED: $2"
    err "---- last 30 lines of $log"
    tail -n 30 "$log" >&2 || true
    err "---- full log: $log"
}

stop_pids() { # part pid... ; TERM, wait up to 20 s, then KILL
    local part="$1" pid left i
    shift
    kill -TERM "$@" 2>/dev/null || true
    for ((i = 0; i < 80; i++)); do
        left=()
        for pid in "$@"; do alive "$pid" && left+=("$pid"); done
        [[ ${#left[@]} -eq 0 ]] && return 0
        sleep 0.25
    done
    say "$part: still running after 20 s, sending SIGKILL to ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        left=()
        for pid in "$@"; do alive "$pid" && left+=("$pid"); done
        [[ ${#left[@]} -eq 0 ]] && return 0
        sleep 0.25
    done
}

down_part() { # part
    local part="$1" pf pids=() pid
    pf="$(pidfile_of "$part")"
    if [[ -f "$pf" ]]; then
        pid="$(cat "$pf" 2>/dev/null || true)"
        if [[ "$pid" =~ ^[0-9]+$ ]] && is_ours "$part" "$pid"; then pids+=("$pid"); fi
    fi
    # Also anything of ours without (or with a wrong) pid file.
    while read -r pid; do
        [[ -n "$pid" && " ${pids[*]} " != *" $pid "* ]] && pids+=("$pid")
    done < <(scan_ours "$part")
    if [[ ${#pids[@]} -eq 0 ]]; then
        say "$part: not running"
    else
        say "$part: stopping (pid ${pids[*]})"
        stop_pids "$part" "${pids[@]}"
        say "$part: stopped"
    fi
    rm -f "$pf"
    # Whatever STORE says now: a cluster left by an earlier STORE=postgresql goes down with it.
    if [[ "$part" == ferretdb ]]; then stop_postgresql; fi
}

cmd_up() {
    local part started=() failed=() deadline pid rc
    local -A t0=()      # part -> start time (ms), for the "ready in N s" lines
    # Install only what is being started (fast no-op when already installed).
    local installs=("$@")
    if [[ "$STORE" == postgresql && " $* " == *" ferretdb "* ]]; then installs+=(postgresql); fi
    "$HERE/install.sh" "${installs[@]}" 8>&-
    mkdir -p "$RUN" "$LOGS"
    for part in "$@"; do
        t0[$part]="$(now_ms)"
        rc=0
        already_up "$part" || rc=$?
        case $rc in
            0) continue ;;
            3) started+=("$part"); continue ;;
            4) failed+=("$part"); continue ;;
        esac
        rotate_log "$part"
        case "$part" in
            kafka)
                write_kafka_config
                if ! format_kafka; then
                    report_failure kafka "could not format storage in $K_DATA"
                    failed+=(kafka)
                    continue
                fi
                say "kafka: starting on $(addr_of kafka) (controller $KAFKA_HOST:$KAFKA_CONTROLLER_PORT)"
                start_kafka ;;
            ferretdb)
                if [[ "$STORE" == postgresql ]] && ! start_postgresql; then
                    report_failure ferretdb "its PostgreSQL cluster did not start"
                    failed+=(ferretdb)
                    continue
                fi
                say "ferretdb: starting on $(addr_of ferretdb) (on $STORE)"
                start_ferretdb ;;
        esac
        started+=("$part")
    done
    # Both were started in parallel (above); poll them together until each is ready,
    # has died, or INFRA_TIMEOUT is over.
    local pending=("${started[@]}") next retried=0
    deadline=$((SECONDS + INFRA_TIMEOUT))
    while [[ ${#pending[@]} -gt 0 ]]; do
        next=()
        for part in "${pending[@]}"; do
            pid="$(cat "$(pidfile_of "$part")" 2>/dev/null || true)"
            rc=0
            "probe_$part" "${pid:-0}" || rc=$?
            if [[ "$part" == kafka && $rc -eq 2 && $retried -eq 0 ]] && kafka_voter_mismatch; then
                # Would only fail after the 60 s registration timeout: stop it now.
                say "kafka: meta.properties directory.id is not the KRaft voter's; the controller can never be elected"
                kill -KILL "$pid" 2>/dev/null || true
                while alive "$pid"; do sleep 0.1; done
                printf 'ERROR [infra.sh] directory id mismatch with the KRaft voter set\n' >>"$(log_of kafka)"
                rc=1
            fi
            if [[ "$part" == kafka && $rc -eq 1 && $retried -eq 0 ]] && kafka_storage_error; then
                # The broker refused its storage (e.g. a first run killed mid-way, or
                # meta.properties lost). Local data only: wipe, format, start once more.
                retried=1
                say "kafka: broker stopped on a storage error; wiping $K_DATA, re-formatting and retrying once (local data is lost)"
                kafka_storage_error print
                wipe_kafka_data
                rotate_log kafka    # so the checks above only see the new attempt
                if format_kafka; then
                    start_kafka
                    next+=(kafka)
                    continue
                fi
            fi
            if [[ $rc -eq 2 && $SECONDS -ge $deadline ]]; then rc=3; fi
            case $rc in
                0) say "$part: ready on $(addr_of "$part") (pid $pid, $(elapsed "${t0[$part]}") s)" ;;
                1) report_failure "$part" "the process exited during startup"
                   rm -f "$(pidfile_of "$part")"
                   failed+=("$part") ;;
                2) next+=("$part") ;;
                *) report_failure "$part" "not ready within INFRA_TIMEOUT=${INFRA_TIMEOUT}s; stopping it"
                   down_part "$part" >/dev/null
                   failed+=("$part") ;;
            esac
        done
        pending=("${next[@]}")
        if [[ ${#pending[@]} -gt 0 ]]; then sleep 0.25; fi
    done
    [[ ${#failed[@]} -eq 0 ]] || return 1
}

cmd_down() {
    local part
    for part in "$@"; do down_part "$part"; done
}

cmd_status() {
    local part pid addr rc=0
    for part in "$@"; do
        addr="$(addr_of "$part")"
        if pid="$(running_pid "$part")"; then
            if port_open "${addr%:*}" "${addr##*:}"; then
                if [[ "$part" == ferretdb ]]; then
                    say "$part: running (pid $pid, $addr, on $(ferretdb_store_of "$pid" || echo '?'))"
                    if [[ "$(ferretdb_store_of "$pid" || true)" != "$STORE" ]]; then
                        err "ferretdb: not on STORE=$STORE (down ferretdb first, or say STORE=$(ferretdb_store_of "$pid" || echo '?'))"
                        rc=4
                    fi
                else
                    say "$part: running (pid $pid, $addr)"
                fi
            else
                say "$part: starting or unhealthy (pid $pid, $addr not answering)"
                rc=3
            fi
        elif port_open "${addr%:*}" "${addr##*:}"; then
            say "$part: running (not ours: $addr answers, no process of ours)"
        else
            say "$part: stopped"
            rc=3
        fi
    done
    return $rc
}

cmd_logs() {
    local part files=()
    for part in "$@"; do
        if [[ -f "$(log_of "$part")" ]]; then files+=("$(log_of "$part")"); fi
    done
    if [[ ${#files[@]} -eq 0 ]]; then
        say "no logs yet under $LOGS"
        return 0
    fi
    if [[ "${FOLLOW:-0}" == 1 ]]; then
        exec tail -n 50 -F "${files[@]}"
    fi
    tail -n 50 "${files[@]}"
}

cmd_wipe() {
    local part
    cmd_down "$@"
    # Keep the downloaded jars and the built binary; drop state, config and logs.
    for part in "$@"; do
        case "$part" in
            kafka) rm -rf "$K_DATA" "$K_LOGDIR" "$K_CONF" ;;
            ferretdb) rm -rf "$PARKGRID_LOCAL/ferretdb" "$P_DIR" ;;
        esac
        rm -f "$(log_of "$part")" "$(log_of "$part").1"
        say "$part: data wiped"
    done
}

usage() {
    cat >&2 <<EOF
usage: $0 up|down|status|logs|wipe [kafka|ferretdb]
env: PARKGRID_LOCAL=$PARKGRID_LOCAL KAFKA_HOST KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_HEAP
     FERRETDB_HOST FERRETDB_PORT STORE=sqlite|postgresql POSTGRES_PORT POSTGRES_BIN
     INFRA_TIMEOUT (s) FOLLOW=1 (logs -f)
EOF
    exit 2
}

main() {
    [[ $# -ge 1 && $# -le 2 ]] || usage
    local cmd="$1" parts=("${ALL_PARTS[@]}")
    if [[ $# -eq 2 ]]; then
        case "$2" in kafka | ferretdb) parts=("$2") ;; *) usage ;; esac
    fi
    [[ "$INFRA_TIMEOUT" =~ ^[0-9]+$ ]] || { err "INFRA_TIMEOUT must be a number of seconds"; exit 2; }
    case "$STORE" in sqlite | postgresql) ;; *) err "STORE must be sqlite or postgresql, not '$STORE'"; exit 2 ;; esac
    mkdir -p "$PARKGRID_LOCAL"
    case "$cmd" in
        up | down | wipe)
            # One up/down/wipe at a time (make -j, two terminals). Fd 8 is closed for
            # every process started, so the lock ends with this script.
            exec 8>"$PARKGRID_LOCAL/.infra.lock"
            flock 8 ;;
    esac
    case "$cmd" in
        up) cmd_up "${parts[@]}" ;;
        down) cmd_down "${parts[@]}" ;;
        status) cmd_status "${parts[@]}" ;;
        logs) cmd_logs "${parts[@]}" ;;
        wipe) cmd_wipe "${parts[@]}" ;;
        *) usage ;;
    esac
}

main "$@"
