#!/bin/sh
# The gateway container's start (docker/Dockerfile): the keys made on the
# first start into the keys volume (never in the image), nginx.conf written
# from the environment, `nginx -t`, then nginx in the foreground.
#
#   DVC_LISTEN          address:port to listen on (0.0.0.0:8080)
#   DVC_REDIS           host:port or unix:PATH of Redis (redis:6379); a
#                       name is resolved when nginx starts
#   DVC_REDIS_PASSWORD  Redis's password (requirepass), if any
#   DVC_KEYS_DIR        the keys volume (/var/lib/ngx-dvc/keys)
#   DVC_RUN_DIR         pid and temporary files (/run/ngx-dvc)
#   DVC_CONF            the nginx.conf written (DVC_RUN_DIR/nginx.conf)
#   DVC_ACCESS_LOG      the JSON access log (/dev/stdout)
#   DVC_CHECK_ONLY=1    stop after `nginx -t` (docker/check.sh)
set -eu

listen=${DVC_LISTEN:-0.0.0.0:8080}
redis=${DVC_REDIS:-redis:6379}
keys=${DVC_KEYS_DIR:-/var/lib/ngx-dvc/keys}
run=${DVC_RUN_DIR:-/run/ngx-dvc}
conf=${DVC_CONF:-$run/nginx.conf}
access_log=${DVC_ACCESS_LOG:-/dev/stdout}
template=${DVC_TEMPLATE:-/etc/ngx-dvc/nginx.conf.in}

case $listen$redis$keys$run$access_log in
    *[!A-Za-z0-9_./:@-]*)
        echo "dvc-entrypoint: DVC_LISTEN, DVC_REDIS and the paths take letters, digits and ._/:@- only" >&2
        exit 1 ;;
esac

umask 077
mkdir -p "$keys" "$run"

if [ ! -s "$keys/signing.pem" ]; then
    dvc keygen --out "$keys/signing.pem" >&2
    echo "dvc-entrypoint: made the signing key in $keys (first start); back it up" >&2
fi
if [ ! -s "$keys/event.key" ]; then
    # 32 random bytes as hex: the back-end signs its events with it
    od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$keys/event.key.new"
    mv "$keys/event.key.new" "$keys/event.key"
    echo "dvc-entrypoint: made the event key in $keys (first start); give it to the back-end" >&2
fi
chmod 600 "$keys/signing.pem" "$keys/event.key"

password=""
if [ -n "${DVC_REDIS_PASSWORD:-}" ]; then
    case $DVC_REDIS_PASSWORD in
        *[!A-Za-z0-9_.,+=-]*)
            echo "dvc-entrypoint: DVC_REDIS_PASSWORD takes letters, digits and _.,+=- only" >&2
            exit 1 ;;
    esac
    password="    dvc_redis_password $DVC_REDIS_PASSWORD;"
fi

sed -e "s|@LISTEN@|$listen|g" -e "s|@REDIS@|$redis|g" -e "s|@KEYS@|$keys|g" \
    -e "s|@RUN@|$run|g" -e "s|@ACCESS_LOG@|$access_log|g" \
    -e "s|@REDIS_PASSWORD@|$password|" "$template" > "$conf.new"
mv "$conf.new" "$conf"

nginx -t -q -c "$conf"

if [ "${DVC_CHECK_ONLY:-}" = 1 ]; then
    exit 0
fi

exec nginx -c "$conf" -g 'daemon off;'
