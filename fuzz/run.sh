#!/usr/bin/env bash
# Runs libFuzzer targets (built by `make fuzz-build`) for SECONDS each.
#   fuzz/run.sh SECONDS TARGET...          (from the repo root)
# Each target first replays fuzz/regressions/TARGET/ (must all pass), then
# fuzzes from a scratch copy of fuzz/corpus/TARGET/ (build/fuzz/work/TARGET,
# kept between runs so coverage accumulates; the committed seeds stay small).
# Crashes land in build/fuzz/artifacts/TARGET/.  Logs: build/fuzz/TARGET.log.
# Exits non-zero if any target found something.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=$1; shift
status=0
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "$@"; do
    bin=build/fuzz/${t}_fuzz
    work=build/fuzz/work/$t
    art=build/fuzz/artifacts/$t
    mkdir -p "$work" "$art"
    if [[ -d fuzz/regressions/$t ]] && compgen -G "fuzz/regressions/$t/*" >/dev/null; then
        if ! "$bin" -runs=0 fuzz/regressions/"$t"/* >"build/fuzz/$t.regress.log" 2>&1; then
            echo "$t: a regression input fails again: build/fuzz/$t.regress.log"
            status=1
            continue
        fi
    fi
    cp -n fuzz/corpus/"$t"/* "$work"/ 2>/dev/null
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=16384 -print_final_stats=1 -artifact_prefix="$art/" \
        "$work" >"build/fuzz/$t.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build/fuzz/$t.log")
    cov=$(grep -o 'cov: [0-9]*' "build/fuzz/$t.log" | tail -1)
    if [[ $rc -ne 0 ]]; then
        echo "$t: FOUND a problem after ${execs:-?} runs (exit $rc): build/fuzz/$t.log, $art/"
        status=1
    else
        echo "$t: ok, ${execs:-?} runs in ${secs}s, $cov"
    fi
done
exit $status
