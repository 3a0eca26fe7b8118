#!/bin/sh
# Folds one closed year of the statistics counters into a yearly total.
#
#   scripts/stats-rollup.sh YEAR [redis-cli options: -h HOST -p PORT -a PASS -n DB]
#
# Every report sums a counter's fields since the beginning (what was carried
# over, in progress or overdue "as of" a day needs all of history), so its
# cost grows with the days Redis keeps: about 2.5 ms of CPU per year of days
# (bench/stats/README.md).  This replaces, in every counter hash
# dvc:st:{cell}:{counter}, the day fields YYYYMMDD of YEAR by one field YYYY
# holding their sum.  Afterwards a report whose period lies after YEAR, before
# it, or holds all of it is exactly what it was; one whose period cuts YEAR is
# refused with a 400 naming from or to (the days are gone).  Roll up only
# years nobody needs day by day any more.
#
# Each hash is folded by one Lua script call, atomically, while the gateway
# runs: an event touching an old day afterwards (a late closing counted on its
# due day) just writes a day field again, which the report adds to the same
# "before" sum.  Running it twice for the same year folds what came since.
# Prints how many day fields it folded.
set -eu

usage() { echo "usage: $0 YEAR [redis-cli options]" >&2; exit 2; }
[ $# -ge 1 ] || usage
year=$1
shift
case $year in
    [12][0-9][0-9][0-9]) ;;
    *) usage ;;
esac
command -v redis-cli > /dev/null || { echo "$0: redis-cli is not installed (apt-get install redis-tools)" >&2; exit 2; }

# KEYS[1]: a counter hash; ARGV[1]: the year.  Returns the fields folded.
lua='local y = ARGV[1]
local days = {}
for _, k in ipairs(redis.call("HKEYS", KEYS[1])) do
    if #k == 8 and string.sub(k, 1, 4) == y then days[#days + 1] = k end
end
if #days == 0 then return 0 end
local sum = 0
for _, v in ipairs(redis.call("HMGET", KEYS[1], unpack(days))) do
    sum = sum + tonumber(v)
end
redis.call("HINCRBY", KEYS[1], y, sum)
redis.call("HDEL", KEYS[1], unpack(days))
return #days'

sha=$(redis-cli "$@" --raw SCRIPT LOAD "$lua")
case $sha in
    *[!0-9a-f]* | "") echo "$0: SCRIPT LOAD failed: $sha" >&2; exit 1 ;;
esac

# every counter hash (dvc:st:cells, the set of cells, has no second colon);
# key names hold only [A-Za-z0-9._:-], so they pass redis-cli's line parser
redis-cli "$@" --raw --scan --pattern 'dvc:st:*:*' \
    | sed "s/^/EVALSHA $sha 1 /; s/\$/ $year/" \
    | redis-cli "$@" --raw \
    | awk -v y="$year" '
        /^[0-9]+$/ { n += $1; k++; next }
        { print "stats-rollup: " $0 > "/dev/stderr"; bad++ }
        END {
            printf "stats-rollup: %d day fields of %s folded (%d counter hashes looked at)\n", n, y, k
            exit bad ? 1 : 0
        }'
