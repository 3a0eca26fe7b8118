#!/usr/bin/env bash
# nginx under valgrind memcheck, for `make test-valgrind` (TEST_NGINX_BINARY):
# the harness runs it exactly as it runs nginx.  Every process (master,
# workers: forked, so valgrind follows them) writes its own report to
# SERVROOT/logs/valgrind.PID; scripts/valgrind-summary.sh reads them.
set -euo pipefail
prefix=.
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    if [[ ${args[i]} == -p ]]; then prefix=${args[i + 1]}; fi
done
exec valgrind --tool=memcheck --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --track-origins=yes --num-callers=30 --error-limit=no --keep-debuginfo=yes \
    --log-file="$prefix/logs/valgrind.%p" \
    "${NGINX_BINARY:-/usr/sbin/nginx}" "$@"
