#!/usr/bin/env bash
# Installs the Debian 12 packages ngx_dvc needs to build, test and run its demo,
# only those missing.  Used by `make deps`, `make test` and `make demo`.
set -euo pipefail

pkgs=(
    build-essential nginx nginx-dev libhiredis-dev libyajl-dev libssl-dev libpcre2-dev
    libutf8proc-dev libidn2-dev redis-server redis-tools libtest-base-perl libcmocka-dev clang libclang-rt-14-dev
    llvm curl jq wrk python3 python3-jwcrypto python3-redis openssl libfaketime
    # bench/procedures: the CLI's peak memory (GNU time's %M)
    time
    # notifications: t/067-notify.t mails through a real local SMTP server
    python3-aiosmtpd
    # scripts/shape-check.py (make test-unit): calls between files, function sizes
    universal-ctags
    # uploads' virus scan: t/111-clamd.t runs clamd with its own database
    clamav-daemon
    # coexistence test: Debian's nchan (bundles its own hiredis) and lua modules
    libnginx-mod-nchan libnginx-mod-http-lua libnginx-mod-http-ndk
    # web portal browser tests (t/120-portal.t): Debian's chromium driven by
    # npm playwright-core, the printed PDF read back with poppler and zbar
    chromium poppler-utils zbar-tools fonts-dejavu-core
    # metrics test: a real Prometheus scrapes dvc_metrics, promtool lints it
    prometheus
    # make deb (debhelper, Debian's dh_nginx from nginx-dev) and its check
    debhelper dpkg-dev lintian
    # docker/check.sh: compose.yaml validated and the build context computed
    # by docker-compose's own code (no container engine here)
    docker-compose
)

missing=()
for p in "${pkgs[@]}"; do
    [[ $p == \#* ]] && continue
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$p")
    fi
done

# npm installs the browser tests' tooling (t/browser/package-lock.json);
# a machine with its own Node (and npm) keeps it
command -v npm >/dev/null || missing+=(nodejs npm)

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#pkgs[@]} packages present"
    exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
# several builds may install at once (developers' worktrees): wait for
# dpkg's lock instead of failing on it
$sudo apt-get -o DPkg::Lock::Timeout=900 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"

# Installing nginx starts the system service on port 80; the project never
# uses it (tests and demo run their own nginx), so leave the system as it was.
if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null; then
    $sudo systemctl disable --now nginx 2>/dev/null || true
fi
# likewise clamd and freshclam: the tests run their own clamd, offline
if [[ " ${missing[*]} " == *" clamav-daemon "* ]] && command -v systemctl >/dev/null; then
    $sudo systemctl disable --now clamav-daemon clamav-freshclam 2>/dev/null || true
fi
# the same for Prometheus (port 9090) and its node exporter: the metrics
# test starts its own on a free port
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null; then
    $sudo systemctl disable --now prometheus prometheus-node-exporter 2>/dev/null || true
fi
