#!/usr/bin/env bash
# Builds and runs the dossier scan benchmark against build/libdvccore.a.
#   bench/scan/run.sh [FILE] [SECONDS per mode] [ROUNDS]     (from the repo root)
# PIN=N pins it to CPU N with taskset.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/libdvccore.a
mkdir -p build/bench
cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Icore \
    -o build/bench/scan_bench bench/scan/scan_bench.c build/libdvccore.a \
    -Wl,-Bstatic -l:libyajl_s.a -Wl,-Bdynamic
pin=()
if [[ -n "${PIN:-}" ]]; then pin=(taskset -c "$PIN"); fi
"${pin[@]}" build/bench/scan_bench "$@"
