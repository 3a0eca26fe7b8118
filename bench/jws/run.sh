#!/usr/bin/env bash
# Builds and runs bench/jws/jws_bench.c against build/libdvccore.a, pinned to
# a core with PIN=N.  usage: bench/jws/run.sh [SECONDS_PER_ROUND=0.5]
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/libdvccore.a
mkdir -p build/bench
cc -std=c11 -O2 -g -Wall -Wextra -Werror -Icore -o build/bench/jws_bench \
    bench/jws/jws_bench.c build/libdvccore.a -Wl,-Bstatic -l:libyajl_s.a \
    -Wl,-Bdynamic -lcrypto
pin=(); [ -n "${PIN:-}" ] && pin=(taskset -c "$PIN")   # PIN=1: pin to core 1
"${pin[@]}" build/bench/jws_bench "${1:-0.5}"
