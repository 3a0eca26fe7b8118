# What the benchmarks of bench/*/run.sh share; sourced (bash) after they set
# PIN (and RUN, for bench_begin).  Nothing here starts or stops a server.

# bench_begin NAME TOOL...: how a benchmark starts, after checking what it
# needs built: bench_lock, then a bench_results with the directories the
# gateway (gateway.sh) uses
bench_begin() {
    bench_lock "$@"
    bench_results "$RUN/redis" "$RUN/dvc" "$RUN/keys"
}

# bench_lock NAME TOOL...: exit 2, saying so as NAME, if a TOOL is not
# installed or another run holds $RUN/lock; else $RUN exists, the lock stays
# held on fd 9 until the script exits (an exec in a function lasts for the
# whole shell) and say prints as NAME
bench_lock() {
    local tool
    BENCH_NAME=$1
    shift
    for tool in "$@"; do
        command -v "$tool" > /dev/null || { echo "$BENCH_NAME: '$tool' is not installed" >&2; exit 2; }
    done
    mkdir -p "$RUN"
    exec 9> "$RUN/lock"
    flock -n 9 || { echo "$BENCH_NAME: another run holds $RUN/lock" >&2; exit 2; }
}

# say WORDS...: a line of the run's output, as the NAME given to bench_lock
say() { echo "$BENCH_NAME: $*"; }

# bench_results DIR...: RES, a fresh directory for this run's results named
# by the UTC time, and the DIRs
bench_results() {
    RES=$RUN/results/$(date -u +%Y%m%d-%H%M%S)
    mkdir -p "$RES" "$@"
}

# pin CPU PID...: the processes and their children (nginx workers, Node's
# worker) on core CPU; nothing unless PIN=1
pin() {
    [ "$PIN" = 1 ] || return 0
    local cpu=$1 p q
    shift
    for p in "$@"; do
        for q in $p $(pgrep -P "$p" || true); do
            taskset -a -pc "$cpu" "$q" > /dev/null
        done
    done
}

# load CMD...: the load generator and seeding clients run on core 0 when pinned
load() { if [ "$PIN" = 1 ]; then taskset -c 0 "$@"; else "$@"; fi; }

# ticks PID...: CPU time (user + system, clock ticks) the processes used so far
ticks() {
    local p
    for p in "$@"; do cat "/proc/$p/stat" 2> /dev/null || true; done \
        | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}

# other_load: the % of one core that the box spends outside idle and iowait
# over 2 s; run before anything of ours starts, it is what others use (the
# box may be shared)
other_load() {
    local all0
    all0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
    sleep 2
    awk -v a="$all0" -v hz="$(getconf CLK_TCK)" \
        '/^cpu / { printf "%.0f", ($2 + $3 + $4 + $7 + $8 + $9 - a) * 100 / (hz * 2) }' /proc/stat
}

# machine_lines: the lines of machine.txt every benchmark starts with
machine_lines() {
    echo "date: $(date -u -Is)"
    echo "kernel: $(uname -r)"
    lscpu | grep -E 'Model name|^CPU\(s\)'
    nginx -v 2>&1
    redis-server --version
}
