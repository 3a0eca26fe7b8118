# What the benchmarks of bench/*/run.sh share; sourced (bash) after they set
# PIN.  Nothing here starts or stops a server.

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
