#!/usr/bin/env bash
# The package on this machine's stock nginx, as a sysadmin uses it (TAP):
# apt-get install ./libnginx-mod-http-dvc_*.deb, the module enabled through
# /etc/nginx/modules-enabled, `nginx -t` on the packaged example site (with
# every other module enabled here, e.g. nchan and lua), a dossier submitted
# and looked up, then apt-get purge, and the machine's nginx packages and
# enabled modules exactly as before.  `make test-deb` builds the .deb first.
#
# It changes the machine's package state for a minute: it holds a lock so
# that two runs (two worktrees) never overlap, never touches the system's
# nginx service, and the other tests are unaffected (they load the module
# from build/ by absolute path and never include modules-enabled).  It is
# skipped when not root, or when the package is installed already (it would
# remove the machine's own copy).
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
n=0
failed=0

ok() {
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
    fi
    return "$1"
}

is() {
    [ "$1" = "$2" ]
    local rc=$?
    ok $rc "$3"
    [ $rc -eq 0 ] || printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if [ "$(id -u)" -ne 0 ]; then
    echo "1..0 # SKIP needs root (apt-get install)"
    exit 0
fi

deb=$(ls "$root"/build/deb/libnginx-mod-http-dvc_*.deb 2>/dev/null | grep -v dbgsym | head -1)
if [ -z "$deb" ]; then
    echo "Bail out! no build/deb/libnginx-mod-http-dvc_*.deb: run make deb"
    exit 1
fi

exec 9>/run/lock/ngx-dvc-deb-test.lock
flock -w 900 9 || { echo "Bail out! another run holds the lock"; exit 1; }

if dpkg-query -W -f='${Status}' libnginx-mod-http-dvc 2>/dev/null | grep -q 'ok installed'; then
    echo "1..0 # SKIP libnginx-mod-http-dvc is installed on this machine already; this test would remove it"
    exit 0
fi

apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -y -q "$@"
}

pkg_state() {
    dpkg-query -W -f='${Package} ${Version} ${Status}\n' 'nginx*' 'libnginx-mod-*' 2>/dev/null | sort
}

enabled_state() {
    for f in /etc/nginx/modules-enabled/*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        echo "$f -> $(readlink "$f")"
    done
}

dir=$(mktemp -d /tmp/ngx-dvc-deb.XXXXXX)
chmod 0755 "$dir"
pkgs_before=$(pkg_state)
enabled_before=$(enabled_state)

cleanup() {
    [ -s "$dir/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null
    [ -s "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null
    [ -s "$dir/entry/nginx.pid" ] && kill -QUIT "$(cat "$dir/entry/nginx.pid")" 2>/dev/null
    [ -s "$dir/redis2.pid" ] && kill "$(cat "$dir/redis2.pid")" 2>/dev/null
    sleep 0.5
    if dpkg-query -W -f='${Status}' libnginx-mod-http-dvc 2>/dev/null | grep -q 'installed'; then
        apt_get purge libnginx-mod-http-dvc > /dev/null 2>&1
    fi
    [ "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT

# ---------------------------------------------------------------- install
apt_get install --no-install-recommends "$deb" > "$dir/install.log" 2>&1
ok $? "apt-get install ./$(basename "$deb")" || sed 's/^/#   /' "$dir/install.log"

is "$(dpkg-query -W -f='${Status}' libnginx-mod-http-dvc 2>/dev/null)" "install ok installed" \
   "the package is installed"

abi=$(dpkg-query -W -f='${Depends}' libnginx-mod-http-dvc | grep -o 'nginx-abi-[^ ,]*')
ok $([ -n "$abi" ] && dpkg-query -W -f='${Provides}' nginx | grep -qw "$abi"; echo $?) \
   "it depends on the ABI of the nginx installed here ($abi)"

[ -f /usr/lib/nginx/modules/ngx_http_dvc_module.so ]
ok $? "the module in /usr/lib/nginx/modules"

is "$(readlink /etc/nginx/modules-enabled/50-mod-http-dvc.conf)" \
   /usr/share/nginx/modules-available/mod-http-dvc.conf "enabled through modules-enabled"

is "$(cat /usr/share/nginx/modules-available/mod-http-dvc.conf)" \
   "load_module modules/ngx_http_dvc_module.so;" "mod-http-dvc.conf loads it"

[ -f /usr/share/ngx-dvc/calendar/vn-2025-2027.cal ] && [ -f /usr/share/ngx-dvc/schemas/1.001193.json ] \
    && [ -f /usr/share/ngx-dvc/schemas/common/person.json ]
ok $? "schemas and calendar under /usr/share/ngx-dvc"

/usr/bin/dvc keygen --out "$dir/signing.pem" > /dev/null 2>&1
ok $? "dvc keygen (the packaged command) makes the site's key"

# ---------------------------------------------------------------- the site
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --dir "$dir" \
    --logfile "$dir/redis.log" > /dev/null
for _ in $(seq 50); do redis-cli -p "$rport" ping > /dev/null 2>&1 && break; sleep 0.1; done

port=$(free_port)
sed -e "s|127.0.0.1:6379|127.0.0.1:$rport|" \
    -e "s|/etc/nginx/dvc/signing.pem|$dir/signing.pem|" \
    -e "s|listen 8080;|listen 127.0.0.1:$port;|" \
    /usr/share/doc/libnginx-mod-http-dvc/examples/dvc-site.conf > "$dir/dvc-site.conf"
mkdir -p "$dir/tmp"
cat > "$dir/nginx.conf" <<CONF
# as Debian's /etc/nginx/nginx.conf has it: every enabled module
include /etc/nginx/modules-enabled/*.conf;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 256; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    include $dir/dvc-site.conf;
}
CONF

out=$(/usr/sbin/nginx -t -c "$dir/nginx.conf" -e "$dir/error.log" 2>&1)
ok $? "nginx -t on the packaged example site" || echo "$out" | sed 's/^/#   /'

/usr/sbin/nginx -c "$dir/nginx.conf" -e "$dir/error.log"
ok $? "nginx starts"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/dvc/v1/keys" && break; sleep 0.1; done

body=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' \
       --data-binary @/usr/share/doc/libnginx-mod-http-dvc/examples/1.001193.json \
       "http://127.0.0.1:$port/dvc/v1/dossiers")
status=${body##*$'\n'}
body=${body%$'\n'*}
is "$status" 201 "a dossier submitted: 201"
code=$(printf '%s' "$body" | jq -r .code 2>/dev/null)
token=$(printf '%s' "$body" | jq -r .lookup_token 2>/dev/null)
[[ $code =~ ^000\.05\.22\.H29-[0-9]{6}-0001$ ]]
ok $? "with its code ($code)"
is "$(redis-cli -p "$rport" HGET "dvc:d:$code" status)" 2 "recorded in Redis"

is "$(curl -s -H "X-DVC-Lookup-Token: $token" "http://127.0.0.1:$port/dvc/v1/dossiers/$code" | jq -r .status)" \
   accepted "looked up with its token"

curl -s "http://127.0.0.1:$port/metrics" | grep -qx 'dvc_http_requests_total{endpoint="submit",code="201"} 1'
ok $? "dvc_metrics counts it"

grep -E '\[(alert|crit|emerg)\]|signal [0-9]+' "$dir/error.log" | grep -v 'signal 3\|signal 17\|signal 1 ' > "$dir/bad.log"
ok $([ -s "$dir/bad.log" ]; echo $((1 - $?))) "error log clean" || sed 's/^/#   /' "$dir/bad.log"

kill -QUIT "$(cat "$dir/nginx.pid")"
for _ in $(seq 50); do [ -e "$dir/nginx.pid" ] || break; sleep 0.1; done
kill "$(cat "$dir/redis.pid")" 2>/dev/null

# ---------------------------------------------------------------- the container's start
# docker/entrypoint.sh as the gateway image runs it, on the same package:
# keys made into the (volume) directory at the first start and kept at the
# next, nginx.conf from the environment, a Redis with a password
rport2=$(free_port)
redis-server --port "$rport2" --bind 127.0.0.1 --save '' --appendonly no \
    --requirepass entry-pass-123 --daemonize yes --pidfile "$dir/redis2.pid" \
    --dir "$dir" --logfile "$dir/redis2.log" > /dev/null
for _ in $(seq 50); do redis-cli -p "$rport2" -a entry-pass-123 --no-auth-warning ping > /dev/null 2>&1 && break; sleep 0.1; done
eport=$(free_port)
entry() {
    env DVC_LISTEN="127.0.0.1:$eport" DVC_REDIS="127.0.0.1:$rport2" DVC_REDIS_PASSWORD=entry-pass-123 \
        DVC_KEYS_DIR="$dir/volume/keys" DVC_RUN_DIR="$dir/entry" DVC_ACCESS_LOG="$dir/entry/access.log" \
        DVC_TEMPLATE="$root/docker/nginx.conf.in" "$@" "$root/docker/entrypoint.sh"
}
entry DVC_CHECK_ONLY=1 > "$dir/entry1.log" 2>&1
ok $? "the container's first start: keys made, nginx -t passes" || sed 's/^/#   /' "$dir/entry1.log"
is "$(stat -c %a "$dir/volume/keys/signing.pem") $(stat -c %a "$dir/volume/keys/event.key")" "600 600" \
   "both keys mode 0600 in the volume"
kid1=$(/usr/bin/dvc jwks "$dir/volume/keys/signing.pem" 2>/dev/null | jq -r '.keys[0].kid')
entry DVC_CHECK_ONLY=1 > "$dir/entry2.log" 2>&1
kid2=$(/usr/bin/dvc jwks "$dir/volume/keys/signing.pem" 2>/dev/null | jq -r '.keys[0].kid')
ok $([ -n "$kid1" ] && [ "$kid1" = "$kid2" ] && ! grep -q 'made the' "$dir/entry2.log"; echo $?) \
   "the next start keeps them (kid $kid1)"
entry > "$dir/entry3.log" 2>&1 &
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$eport/dvc/v1/keys" && break; sleep 0.1; done
st=$(curl -s -o "$dir/entry-answer" -w '%{http_code}' -H 'Content-Type: application/json' \
     --data-binary @/usr/share/doc/libnginx-mod-http-dvc/examples/1.001193.json \
     "http://127.0.0.1:$eport/dvc/v1/dossiers")
is "$st" 201 "the container's gateway (Redis with a password) records a dossier"
is "$(curl -s "http://127.0.0.1:$eport/dvc/v1/keys" | jq -r '.keys[0].kid')" "$kid1" \
   "and publishes the volume's key"
grep -q '"outcome":"ok"' "$dir/entry/access.log"
ok $? "its JSON access log"
[ -s "$dir/entry/nginx.pid" ] && kill -QUIT "$(cat "$dir/entry/nginx.pid")"
wait
kill "$(cat "$dir/redis2.pid")" 2>/dev/null

# ---------------------------------------------------------------- remove
apt_get purge libnginx-mod-http-dvc > "$dir/purge.log" 2>&1
ok $? "apt-get purge libnginx-mod-http-dvc" || sed 's/^/#   /' "$dir/purge.log"

left=""
for f in /usr/lib/nginx/modules/ngx_http_dvc_module.so /etc/nginx/modules-enabled/50-mod-http-dvc.conf \
         /usr/share/nginx/modules-available/mod-http-dvc.conf /usr/share/ngx-dvc /usr/bin/dvc \
         /usr/share/doc/libnginx-mod-http-dvc; do
    [ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
is "$left" "" "nothing of it left"

is "$(pkg_state)" "$pkgs_before" "the machine's nginx packages as before"
is "$(enabled_state)" "$enabled_before" "its enabled modules as before"

echo "1..$n"
[ $failed -eq 0 ]
