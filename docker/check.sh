#!/usr/bin/env bash
# What can be checked of docker/ without a container engine (this machine
# has the docker client but no daemon, and CI the same), as TAP:
# - the Dockerfile by dockerfilelint (npm, docker/lint/; hadolint is not
#   in Debian, and npm's hadolint only downloads a binary);
# - compose.yaml by docker-compose's own validation (`config`), with and
#   without the Redis password it demands;
# - the build context as docker-py computes it from .dockerignore (the same
#   code docker-compose sends to a daemon): sources in, no build/, run/ or
#   key;
# - the Dockerfile's own steps are those `make deb` and t/deb/install.sh run
#   here for real (make deb LINTIAN=:, apt-get install nginx ./…deb, the
#   entrypoint's first and second start against the installed package).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
B=${BUILD:-build}
n=0
failed=0

ok() {
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
    return "$1"
}

# ---------------------------------------------------------------- lint
dest=$B/docker-lint
if ! cmp -s docker/lint/package-lock.json "$dest/package-lock.json" \
   || [ ! -x "$dest/node_modules/.bin/dockerfilelint" ]
then
    mkdir -p "$dest"
    cp docker/lint/package.json docker/lint/package-lock.json "$dest/"
    (cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
fi
lint=$("$dest/node_modules/.bin/dockerfilelint" -j docker/Dockerfile 2>&1)
issues=$(printf '%s' "$lint" | jq '[.files[].issues[]] | length' 2>/dev/null)
ok $([ "$issues" = 0 ]; echo $?) "dockerfilelint: no issue in docker/Dockerfile" \
    || printf '%s\n' "$lint" | jq -r '.files[].issues[] | "#   line \(.line): \(.title)"'
# the linter does find what it should (so the check above can fail)
bad=$(printf 'FROM debian:12-slim\nRUN apt-get install curl\n' | "$dest/node_modules/.bin/dockerfilelint" -j 2>/dev/null \
      | jq '[.files[].issues[]] | length' 2>/dev/null)
ok $([ "${bad:-0}" -ge 1 ]; echo $?) "dockerfilelint flags an apt-get without -y ($bad issues)"

# ---------------------------------------------------------------- compose
out=$(DVC_REDIS_PASSWORD=check-only docker-compose -f docker/compose.yaml config 2>&1)
ok $? "docker-compose config: compose.yaml is valid" || printf '%s\n' "$out" | sed 's/^/#   /'
printf '%s\n' "$out" | grep -q -- '- --appendonly' && printf '%s\n' "$out" | grep -qx -- '    - always'
ok $? "Redis runs with appendonly yes, appendfsync always"
printf '%s\n' "$out" | grep -q 'dvc-keys:/var/lib/ngx-dvc/keys'
ok $? "the gateway's keys are in a volume"
out=$(env -u DVC_REDIS_PASSWORD docker-compose -f docker/compose.yaml config 2>&1)
[ $? -ne 0 ] && printf '%s' "$out" | grep -q 'set DVC_REDIS_PASSWORD'
ok $? "without DVC_REDIS_PASSWORD compose refuses to start"

# ---------------------------------------------------------------- context
ctx=$(python3 - <<'PY'
import os
from docker.utils.build import exclude_paths
with open('.dockerignore') as f:
    pats = [l.strip() for l in f if l.strip() and not l.startswith('#')]
for p in sorted(exclude_paths('.', pats, dockerfile='docker/Dockerfile')):
    print(p)
PY
)
ok $? "docker-py computes the build context from .dockerignore"
for f in Makefile config debian/rules core/dvc_code.c ngx_dvc_module/ngx_http_dvc_module.c \
         cli/dvc.c schemas/1.001193.json calendar/vn-2025-2027.cal docker/entrypoint.sh docker/nginx.conf.in; do
    printf '%s\n' "$ctx" | grep -qx "$f" || { echo "#   missing: $f"; miss=1; }
done
ok ${miss:-0} "the context holds what the build needs"
# a key, a build and a run directory in the checkout stay out of it
mkdir -p run/demo/keys build
touched=""
for f in run/demo/keys/signing.pem build/ngx_http_dvc_module.so docker/leftover.key; do
    [ -e "$f" ] || { : > "$f"; touched="$touched $f"; }
done
ctx=$(python3 -c "
from docker.utils.build import exclude_paths
pats = [l.strip() for l in open('.dockerignore') if l.strip() and not l.startswith('#')]
print('\n'.join(sorted(exclude_paths('.', pats, dockerfile='docker/Dockerfile'))))")
# shellcheck disable=SC2086
[ -n "$touched" ] && rm -f $touched
leak=$(printf '%s\n' "$ctx" | grep -E '^(build|build-[^/]*|run|\.git|t/servroot[^/]*)/|\.(pem|key|p12)$')
ok $([ -z "$leak" ]; echo $?) "no build/, run/, .git or key in the context" || printf '#   %s\n' $leak

echo "1..$n"
[ $failed -eq 0 ]
