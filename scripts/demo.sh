#!/usr/bin/env bash
# The gateway on 127.0.0.1:8080 with a private Redis, everything under run/demo
# in the checkout (no system service is touched).
#   scripts/demo.sh start    start, print what to try, stop on Ctrl-C
#   scripts/demo.sh stop     stop what `start` left running
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$ROOT/run/demo
PORT=${DVC_DEMO_PORT:-8080}
REDIS_PORT=${DVC_DEMO_REDIS_PORT:-6390}

stop() {
    if [ -s "$RUN/nginx.pid" ]; then
        nginx -p "$RUN" -c "$RUN/nginx.conf" -e "$RUN/error.log" -s quit 2>/dev/null || true
        for _ in $(seq 50); do [ -s "$RUN/nginx.pid" ] || break; sleep 0.1; done
    fi
    if [ -s "$RUN/redis.pid" ]; then
        local pid; pid=$(cat "$RUN/redis.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$RUN/redis.pid"
    fi
    echo "demo: stopped"
}

wait_port() {
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "demo: nothing listening on port $1 (see $RUN/*.log)" >&2
    return 1
}

# A few dossiers, so the lookup shows something before any is submitted:
# one just submitted, one in processing past its appointment, one resolved.
seed() {
    local r=(redis-cli -p "$REDIS_PORT")
    local now; now=$(date +%s)
    local today; today=$(TZ=Asia/Ho_Chi_Minh date -d "@$now" +%y%m%d)
    vn() { TZ=Asia/Ho_Chi_Minh date -d "@$1" +%Y-%m-%dT%H:%M:%S+07:00; }
    local i=0
    # status, slug, hours since submission, hours from acceptance to due
    while read -r status slug age due_hours; do
        i=$((i + 1))
        local code; code=$(printf '000.00.10.H47-%s-%04d' "$today" "$i")
        local token="demo-token-$i"
        local hash; hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
        local sub=$((now - age * 3600)) acc=$((now - age * 3600 + 1800))
        local hist="[{\"at\":\"$(vn $sub)\",\"status\":\"submitted\",\"status_number\":1,\"actor\":\"citizen\"}"
        if [ "$status" != 1 ]; then
            hist="$hist,{\"at\":\"$(vn $acc)\",\"status\":\"$slug\",\"status_number\":$status,\"actor\":\"officer\"}"
        fi
        "${r[@]}" HSET "dvc:d:$code" code "$code" procedure 1.000001 agency 000.00.10.H47 \
            status "$status" delivery online submitted_at "$(vn $sub)" submitted_ts "$sub" \
            updated_at "$(vn $acc)" token_sha256 "$hash" history "$hist]" > /dev/null
        if [ "$status" != 1 ]; then
            local due=$((acc + due_hours * 3600))
            "${r[@]}" HSET "dvc:d:$code" accepted_at "$(vn $acc)" accepted_ts "$acc" \
                due_at "$(vn $due)" due_ts "$due" > /dev/null
        fi
        echo "  curl -s 'http://127.0.0.1:$PORT/dvc/v1/dossiers/$code?token=$token'"
    done <<'SEEDS'
1 submitted 1 0
4 processing 100 72
9 resolved 30 72
SEEDS
}

start() {
    command -v nginx > /dev/null && command -v redis-server > /dev/null \
        || { echo "demo: run 'make deps' first" >&2; exit 1; }
    [ -f "$ROOT/build/ngx_http_dvc_module.so" ] || { echo "demo: run 'make' first" >&2; exit 1; }
    stop > /dev/null 2>&1 || true
    mkdir -p "$RUN/tmp"

    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --pidfile "$RUN/redis.pid" --dir "$RUN" --logfile "$RUN/redis.log" \
        --appendonly yes --appendfsync everysec --save ''
    wait_port "$REDIS_PORT"

    local user="" dvc_http=""
    [ "$(id -u)" -eq 0 ] && user="user root;"
    # a signing key of the demo's own (mode 0600, never committed)
    mkdir -p "$RUN/keys"
    [ -s "$RUN/keys/signing.pem" ] \
        || "$ROOT/build/dvc" keygen --out "$RUN/keys/signing.pem" > /dev/null
    dvc_http="    dvc_schemas $ROOT/schemas;\n    dvc_calendar $ROOT/calendar/vn-2025-2027.cal;\n    dvc_signing_key $RUN/keys/signing.pem;"
    sed -e "s|@ROOT@|$ROOT|g; s|@RUN@|$RUN|g; s|@PORT@|$PORT|g; s|@REDIS_PORT@|$REDIS_PORT|g" \
        -e "s|@USER@|$user|; s|@DVC_HTTP@|$dvc_http|" \
        "$ROOT/examples/nginx-demo.conf.in" > "$RUN/nginx.conf"
    if ! nginx -p "$RUN" -c "$RUN/nginx.conf" -e "$RUN/error.log" -t -q; then
        stop > /dev/null; exit 1
    fi
    nginx -p "$RUN" -c "$RUN/nginx.conf" -e "$RUN/error.log"
    wait_port "$PORT"

    echo "demo: ngx_dvc on http://127.0.0.1:$PORT (Redis on 127.0.0.1:$REDIS_PORT)"
    echo "demo: files and logs in $RUN"
    echo
    echo "Look up the demo dossiers:"
    seed
    echo
    echo "Submit a dossier (birth registration, accepted at once, with a signed receipt):"
    echo "  curl -s -H 'Content-Type: application/json' --data-binary @examples/dossiers/1.001193.json http://127.0.0.1:$PORT/dvc/v1/dossiers"
    echo "The procedures and the public keys that verify every receipt:"
    echo "  curl -s http://127.0.0.1:$PORT/dvc/v1/procedures"
    echo "  curl -s http://127.0.0.1:$PORT/dvc/v1/keys"
    echo
    echo "A wrong token and an unknown code give the same 404:"
    echo "  curl -s 'http://127.0.0.1:$PORT/dvc/v1/dossiers/000.00.10.H47-261121-0001?token=wrong'"
    echo
    if [ -t 0 ] || [ "${DVC_DEMO_FOREGROUND:-}" = 1 ]; then
        echo "Ctrl-C stops the demo (or 'make demo-stop' from another terminal)."
        trap 'echo; stop; exit 0' INT TERM
        while [ -s "$RUN/nginx.pid" ] && kill -0 "$(cat "$RUN/nginx.pid")" 2>/dev/null; do
            sleep 1
        done
        stop
    else
        echo "Stop it with 'make demo-stop'."
    fi
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
