#!/usr/bin/env bash
# The gateway on 127.0.0.1:8080 with a private Redis, everything under run/demo
# in the checkout (no system service is touched).  DVC_DEMO_BIND=0.0.0.0
# listens on every address (a VM or a container reached from outside; the
# demo's keys are made on the first start, into run/demo/keys).  Online
# payment goes to the VNPAY simulator (examples/vnpay-sim.py) on
# 127.0.0.1:8091, and the demo's citizens (examples/demo-citizen.py) pay
# every fee the back-end asks for through it.  DVC_DEMO_RUN, _PORT,
# _REDIS_PORT, _SIM_PORT and _SPEED change the directory, ports and pace.
#   scripts/demo.sh start    start, print what to try, stop on Ctrl-C
#   scripts/demo.sh stop     stop what `start` left running
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${DVC_DEMO_RUN:-$ROOT/run/demo}
PORT=${DVC_DEMO_PORT:-8080}
SIM_PORT=${DVC_DEMO_SIM_PORT:-8091}
BIND=${DVC_DEMO_BIND:-127.0.0.1}
case $BIND in
    *[!0-9A-Fa-f.:\[\]]* | '') echo "demo: DVC_DEMO_BIND must be an address (0.0.0.0, 127.0.0.1, [::])" >&2; exit 1 ;;
esac
REDIS_PORT=${DVC_DEMO_REDIS_PORT:-6390}
SPEED=${DVC_DEMO_SPEED:-4}
GW=http://127.0.0.1:$PORT/dvc/v1

# the process a pid file names, stopped and waited for
stop_pid() {
    if [ -s "$1" ]; then
        local pid; pid=$(cat "$1")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$1"
    fi
}

stop() {
    stop_pid "$RUN/citizen.pid"
    stop_pid "$RUN/backend.pid"
    stop_pid "$RUN/vnpay-sim.pid"
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

# A few dossiers submitted through the API, as citizens do: each paper the
# dossier lists is uploaded first (POST /dvc/v1/uploads: a small PDF or JPEG
# made here), and the dossier names it by the SHA-256 the gateway answered;
# the back-end (examples/backend.py) takes them from the inbox and moves
# them along.  Prints "code token" per dossier into $RUN/seeded.
seed() {
    /usr/bin/python3 - "$GW" "$ROOT/examples/dossiers" > "$RUN/seeded" <<'PY'
import json, sys, urllib.request
gw, examples = sys.argv[1], sys.argv[2]
def post(path, body, ctype):
    req = urllib.request.Request(gw + path, data=body, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        sys.exit("demo: %s answered %d: %s" % (path, e.code, e.read().decode()))
for n, f in enumerate("1.001612 1.002820 1.009994 2.000488 1.001193 1.001612 1.002820 2.000488".split()):
    d = json.load(open("%s/%s.json" % (examples, f), encoding="utf-8"))
    for i, doc in enumerate(d.get("documents", [])):
        tag = ("%s %d %d %s" % (f, n, i, doc["kind"])).encode()
        if doc["media_type"] == "application/pdf":
            body = b"%PDF-1.7\n% " + tag + b"\ntrailer\n<< >>\n%%EOF\n"
        elif doc["media_type"] == "image/png":
            body = b"\x89PNG\r\n\x1a\n" + tag
        else:
            body = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + tag + b"\xff\xd9"
        up = post("/uploads", body, doc["media_type"])
        doc["sha256"], doc["size"] = up["sha256"], up["size"]
    a = post("/dossiers", json.dumps(d, ensure_ascii=False).encode(), "application/json")
    print(a["code"], a["lookup_token"])
PY
}

start() {
    command -v nginx > /dev/null && command -v redis-server > /dev/null \
        && command -v jq > /dev/null && /usr/bin/python3 -c 'import redis' 2> /dev/null \
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
    # a signing key and an event key of the demo's own (mode 0600, never
    # committed); the back-end signs its events with the second
    mkdir -p "$RUN/keys"
    [ -s "$RUN/keys/signing.pem" ] \
        || "$ROOT/build/dvc" keygen --out "$RUN/keys/signing.pem" > /dev/null
    if [ ! -s "$RUN/keys/event.key" ]; then
        (umask 077 && openssl rand -hex 32 > "$RUN/keys/event.key")
    fi
    chmod 600 "$RUN/keys/event.key"
    # the merchant's secret the simulator and the gateway share (VNPAY's
    # vnp_HashSecret; mode 0600, as dvc_payment requires)
    if [ ! -s "$RUN/keys/vnpay.secret" ]; then
        (umask 077 && openssl rand -hex 16 > "$RUN/keys/vnpay.secret")
    fi
    chmod 600 "$RUN/keys/vnpay.secret"
    dvc_http="    dvc_schemas $ROOT/schemas;\n    dvc_calendar $ROOT/calendar/vn-2025-2027.cal;\n    dvc_signing_key $RUN/keys/signing.pem;\n    dvc_event_key $RUN/keys/event.key name=demo;\n    dvc_documents $RUN/documents;"
    dvc_http="$dvc_http\n    # online payment (docs/payment.md): the VNPAY simulator stands in for\n    # sandbox.vnpayment.vn, which cannot be reached from here\n    dvc_payment vnpay tmn_code=DVCDEMO1 secret=$RUN/keys/vnpay.secret\n                return_url=http://127.0.0.1:$PORT/lookup.html\n                url=http://127.0.0.1:$SIM_PORT/paymentv2/vpcpay.html;"
    sed -e "s|@ROOT@|$ROOT|g; s|@RUN@|$RUN|g; s|@PORT@|$PORT|g; s|@BIND@|$BIND|g; s|@REDIS_PORT@|$REDIS_PORT|g" \
        -e "s|@USER@|$user|; s|@DVC_HTTP@|$dvc_http|" \
        "$ROOT/examples/nginx-demo.conf.in" > "$RUN/nginx.conf"
    if ! nginx -p "$RUN" -c "$RUN/nginx.conf" -e "$RUN/error.log" -t -q; then
        stop > /dev/null; exit 1
    fi
    nginx -p "$RUN" -c "$RUN/nginx.conf" -e "$RUN/error.log"
    wait_port "$PORT"

    # VNPAY's side: checks the payment URL, calls the gateway's IPN, sends
    # the citizen back (its own session, like the back-end)
    setsid /usr/bin/python3 "$ROOT/examples/vnpay-sim.py" --port "$SIM_PORT" \
        --tmn DVCDEMO1 --secret-file "$RUN/keys/vnpay.secret" \
        --ipn "http://127.0.0.1:$PORT/dvc/v1/payments/vnpay/ipn" \
        >> "$RUN/vnpay-sim.log" 2>&1 < /dev/null &
    echo $! > "$RUN/vnpay-sim.pid"
    wait_port "$SIM_PORT" || { stop > /dev/null; exit 1; }

    # the agency's back-end, next to them (its own session: it outlives
    # this script until `make demo-stop`); every dossier with a fee that
    # gets that far is asked to pay it online
    setsid /usr/bin/python3 "$ROOT/examples/backend.py" --gateway "$GW" \
        --redis "redis://127.0.0.1:$REDIS_PORT/0" --key "$RUN/keys/event.key" \
        --speed "$SPEED" --consumer demo-backend --payment 1 --online-payment \
        >> "$RUN/backend.log" 2>&1 < /dev/null &
    echo $! > "$RUN/backend.pid"

    seed || { stop > /dev/null; exit 1; }

    # the citizens: each pays its fee through the simulator when asked
    setsid /usr/bin/python3 "$ROOT/examples/demo-citizen.py" --gateway "$GW" \
        --seeded "$RUN/seeded" --every 2 \
        >> "$RUN/citizen.log" 2>&1 < /dev/null &
    echo $! > "$RUN/citizen.pid"
    local today first token
    today=$(TZ=Asia/Ho_Chi_Minh date +%Y-%m-%d)
    read -r first token < "$RUN/seeded"

    echo "demo: ngx_dvc on http://$BIND:$PORT (Redis on 127.0.0.1:$REDIS_PORT)"
    echo "demo: the back-end examples/backend.py takes a step every ${SPEED}s; its log: $RUN/backend.log"
    echo "demo: files and logs in $RUN"
    echo
    echo "$(wc -l < "$RUN/seeded") dossiers were just submitted. Watch one move (run it again every few seconds):"
    echo "  curl -s -H 'X-DVC-Lookup-Token: $token' $GW/dossiers/$first | jq '{status, status_number, due_at, history}'"
    echo "The others (code, lookup token) are in $RUN/seeded; what the back-end did: tail -f $RUN/backend.log"
    echo
    echo "Fees are paid online: the back-end asks for the procedure's fee (status 6, \"Yêu cầu thực"
    echo "hiện nghĩa vụ tài chính\"), the citizen pays through the VNPAY simulator on 127.0.0.1:$SIM_PORT"
    echo "(examples/vnpay-sim.py, VNPAY's protocol), whose IPN moves the dossier back to 4 with a signed"
    echo "payment receipt. Who paid what: tail -f $RUN/citizen.log; a dossier's payment:"
    echo "  curl -s -H 'X-DVC-Lookup-Token: TOKEN' $GW/dossiers/CODE | jq '{status_number, payment}'"
    echo "Pay one yourself while it is in status 6 (the URL is the provider's page; the simulator pays at once):"
    echo "  URL=\$(curl -s -X POST -H \"X-DVC-Lookup-Token: \$TOKEN\" $GW/dossiers/\$CODE/payment | jq -r .payment_url)"
    echo "  curl -s -o /dev/null -w '%{http_code} %{redirect_url}\\n' \"\$URL\""
    echo
    echo "Submit one of your own and keep its code and token: upload its paper first, then name it"
    echo "in documents[] by the sha256 and size the upload answered (docs/api.md#uploading-a-document):"
    echo "  printf '%%PDF-1.7\\n%% my scan\\n%%%%EOF\\n' > /tmp/scan.pdf"
    echo "  U=\$(curl -s -H 'Content-Type: application/pdf' --data-binary @/tmp/scan.pdf $GW/uploads)"
    echo "  B=\$(jq --argjson u \"\$U\" '.documents |= map(.sha256 = \$u.sha256 | .size = \$u.size | .media_type = \$u.type)' examples/dossiers/1.009994.json)"
    echo "  R=\$(curl -s -H 'Content-Type: application/json' --data-binary \"\$B\" $GW/dossiers)"
    echo "  CODE=\$(jq -r .code <<< \"\$R\"); TOKEN=\$(jq -r .lookup_token <<< \"\$R\")"
    echo "  curl -s -H \"X-DVC-Lookup-Token: \$TOKEN\" $GW/dossiers/\$CODE | jq"
    echo "Withdraw it before it is resolved (the back-end confirms, or declines with a reason):"
    echo "  curl -s -H \"X-DVC-Lookup-Token: \$TOKEN\" -H 'Content-Type: application/json' \\"
    echo "       -d '{\"reason\": \"Tôi đã nộp nhầm thủ tục\"}' $GW/dossiers/\$CODE/withdrawal"
    echo "Rate a dossier once it is resolved (status 9 or 10; once only):"
    echo "  curl -s -H 'X-DVC-Lookup-Token: $token' -H 'Content-Type: application/json' \\"
    echo "       -d '{\"rating\": \"very_satisfied\", \"comment\": \"Cán bộ hướng dẫn tận tình\"}' $GW/dossiers/$first/rating"
    echo
    echo "Today's report for the province (JSON, then CSV; paid_online and fees_collected_online"
    echo "count the payments, level=3|4 and sector=CODE restrict it):"
    echo "  curl -s '$GW/stats?from=$today&to=$today' | jq"
    echo "  curl -s '$GW/stats?from=$today&to=$today&level=4' | jq '{received_new, paid_online, fees_collected_online}'"
    echo "  curl -s -H 'Accept: text/csv' '$GW/stats?from=$today&to=$today'"
    echo
    echo "The procedures and the public keys that verify every receipt:"
    echo "  curl -s $GW/procedures"
    echo "  curl -s $GW/keys"
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
