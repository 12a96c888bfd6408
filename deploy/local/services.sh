#!/usr/bin/env bash
# Starts/stops ParkGrid's services on loopback (the infrastructure is infra.sh's job).
#   run   start every installed service, seed demo data, print where to go, and stop
#         everything (services and infrastructure) on Ctrl-C
#   up    the same in the background; returns once every service answers /readyz
#   down  stop the services
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PARKGRID_LOCAL="${PARKGRID_LOCAL:-$REPO/.local}"
BIN="$REPO/.venv/bin"
RUN="$PARKGRID_LOCAL/run"
LOGS="$PARKGRID_LOCAL/logs"
READY_TIMEOUT="${READY_TIMEOUT:-90}"
mkdir -p "$RUN" "$LOGS"
# A checkout's run is development, said explicitly: the public development secrets, demo
# sign-in and the development ticket key are refused under any other PARKGRID_ENV.
export PARKGRID_ENV=development

say() { printf '[services] %s\n' "$*"; }

# name port app, for each service whose package is installed
installed() {
    local name port app
    while IFS=$'\t' read -r name port app; do
        [[ -z "$name" || "$name" == \#* ]] && continue
        local var="${name^^}_PORT"
        port="${!var:-$port}"
        if "$BIN/python" -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('$name') is None)" 2>/dev/null; then
            printf '%s %s %s\n' "$name" "$port" "$app"
        fi
    done <"$HERE/services.tsv"
}

alive() { [[ -f "$RUN/$1.pid" ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# A development mail sink for the notifications insights sends (every mail lands in
# $LOGS/mail.log): real SMTP, nothing leaves the machine.
start_mail_sink() {
    if alive mail; then return 0; fi
    setsid nohup "$BIN/python" -m aiosmtpd -n -l "127.0.0.1:${INSIGHTS_SMTP_PORT:-1025}" >>"$LOGS/mail.log" 2>&1 &
    echo $! >"$RUN/mail.pid"
    say "mail sink on 127.0.0.1:${INSIGHTS_SMTP_PORT:-1025} (mail in $LOGS/mail.log)"
}

start_all() {
    local name port app
    start_mail_sink
    while read -r name port app; do
        if alive "$name"; then say "$name already running (pid $(cat "$RUN/$name.pid"))"; continue; fi
        PARKGRID_SERVICE_NAME="$name" setsid nohup "$BIN/uvicorn" "$app" --host 127.0.0.1 --port "$port" \
            --no-access-log >>"$LOGS/$name.log" 2>&1 &
        echo $! >"$RUN/$name.pid"
        say "$name starting on http://127.0.0.1:$port (log $LOGS/$name.log)"
    done < <(installed)
}

wait_ready() {
    local name port app deadline=$((SECONDS + READY_TIMEOUT))
    while read -r name port app; do
        until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
            if ! alive "$name"; then say "$name exited; last lines of $LOGS/$name.log:"; tail -n 30 "$LOGS/$name.log"; return 1; fi
            if ((SECONDS > deadline)); then say "$name not ready after ${READY_TIMEOUT}s: $(curl -sS "http://127.0.0.1:$port/readyz" 2>&1)"; return 1; fi
            sleep 0.5
        done
        say "$name ready"
    done < <(installed)
}

stop_all() {
    local f pid
    for f in "$RUN"/*.pid; do
        [[ -e "$f" ]] || continue
        case "$(basename "$f" .pid)" in kafka|ferretdb) continue ;; esac
        pid="$(cat "$f")"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$f"
    done
}

seed() {
    if [[ -z "$(installed)" ]]; then return 0; fi
    # Seeders run the services' consumers briefly: keep their info logs out of the way.
    PARKGRID_LOG_LEVEL="${PARKGRID_LOG_LEVEL:-WARNING}" "$BIN/parkgrid" seed || say "seeding failed; see the output above"
}

summary() {
    local name port app any=0
    echo
    if alive frontdesk; then
        local web="http://127.0.0.1:${FRONTDESK_PORT:-8000}"
        echo "Open the web app: $web/"
        echo "  sign in as front desk (Casablanca): $web/sign-in/demo?role=front_desk&site_id=site-casablanca"
        echo "  sign in as a member:                $web/sign-in/demo?role=member"
        echo "  sign in as an admin:                $web/sign-in/demo?role=admin   (the network's dashboard, the audit trail)"
        echo
    fi
    echo "ParkGrid is running:"
    while read -r name port app; do
        any=1
        printf '  %-10s http://127.0.0.1:%s   (API docs: http://127.0.0.1:%s/docs)\n' "$name" "$port" "$port"
    done < <(installed)
    [[ $any -eq 1 ]] || echo "  (no service is installed yet: only the infrastructure runs)"
    echo "  kafka      ${KAFKA_HOST:-127.0.0.1}:${KAFKA_PORT:-9092}"
    echo "  store      mongodb://${FERRETDB_HOST:-127.0.0.1}:${FERRETDB_PORT:-27017}/"
    echo "  tokens     PARKGRID_ENV=development .venv/bin/parkgrid token --role admin   (see --help for member / front_desk)"
    echo
}

case "${1:-}" in
    up)
        start_all
        wait_ready
        seed
        summary
        ;;
    run)
        trap 'echo; say "stopping"; stop_all; bash "$HERE/infra.sh" down; exit 0' INT TERM
        start_all
        wait_ready
        seed
        summary
        echo "Press Ctrl-C to stop everything."
        while true; do sleep 1; done
        ;;
    down) stop_all ;;
    *) echo "usage: $0 run|up|down" >&2; exit 2 ;;
esac
