# A private redis-server and Debian's nginx with our module, for the benchmarks
# that measure the gateway alone (bench/stats, bench/strings, bench/events); sourced (bash)
# after lib.sh, with NAME (for messages), ROOT, HERE (its nginx.conf.in),
# RUN, MODULE, REDIS_PORT and DVC_PORT set.  bench/lookup and bench/submit
# start the peers too and use ../shared/bench/peers/env.sh instead.

stop_pidfile() {
    [ -s "$1" ] || return 0
    local pid
    pid=$(cat "$1")
    if kill "$pid" 2> /dev/null; then
        for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    fi
    rm -f "$1"
}

wait_port() {
    for _ in $(seq 50); do
        (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
        sleep 0.1
    done
    echo "$NAME: nothing listening on port $1" >&2
    return 1
}

# gateway_stop: both servers, by their pid files (also leftovers of an
# interrupted run); gateway_traps: stop them on exit and on Ctrl-C
gateway_stop() {
    trap - EXIT INT TERM
    stop_pidfile "$RUN/dvc/nginx.pid"
    stop_pidfile "$RUN/redis/redis.pid"
}
gateway_traps() {
    gateway_stop > /dev/null 2>&1 || true
    trap gateway_stop EXIT
    trap 'echo; echo "$NAME: interrupted"; exit 130' INT TERM
}

# gateway_start: Redis (no persistence: the benchmarks measure the gateway)
# pinned to core 0, a fresh signing key, nginx from $HERE/nginx.conf.in
# (checked with -t first) pinned to core 1; sets R, the nginx prefix
gateway_start() {
    redis_start
    rm -f "$RUN/keys/k1.pem"
    "$ROOT/build/dvc" keygen --out "$RUN/keys/k1.pem" > /dev/null 2>&1
    nginx_start
}
redis_start() {
    mkdir -p "$RUN/redis" "$RUN/dvc" "$RUN/keys"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --pidfile "$RUN/redis/redis.pid" --dir "$RUN/redis" --logfile "$RUN/redis/redis.log" \
        --save '' --appendonly no
    wait_port "$REDIS_PORT"
    pin 0 "$(cat "$RUN/redis/redis.pid")"
}
# nginx_start: nginx with $MODULE (and $EVKEY, the event key, when the
# configuration names one); nginx_stop: it alone, Redis stays up
nginx_start() {
    nginx_conf
    nginx -p "$R" -c "$R/nginx.conf" -e "$R/error.log"
    wait_port "$DVC_PORT"
    pin 1 "$(cat "$R/nginx.pid")"
    echo "$NAME: ngx_dvc on http://127.0.0.1:$DVC_PORT (1 worker), redis on $REDIS_PORT"
}
# nginx_conf: $R/nginx.conf from $HERE/nginx.conf.in, checked with -t
nginx_conf() {
    R=$RUN/dvc
    sed -e "s|@MODULE@|$MODULE|; s|@RUN@|$R|g; s|@PORT@|$DVC_PORT|; s|@REDIS_PORT@|$REDIS_PORT|" \
        -e "s|@ROOT@|$ROOT|g; s|@KEY@|$RUN/keys/k1.pem|; s|@EVKEY@|${EVKEY:-}|" \
        "$HERE/nginx.conf.in" > "$R/nginx.conf"
    : > "$R/error.log"
    nginx -p "$R" -c "$R/nginx.conf" -e "$R/error.log" -t -q
}
nginx_stop() { stop_pidfile "$RUN/dvc/nginx.pid"; }
