#!/bin/bash
# TouchReply counts the faults of its touch as the kernel counts a task's min_flt/maj_flt:
# every page touched is a fault, the major ones those that waited for a read (pgmajfault
# moves by as many); a touch of a fresh file region waits for the file, a second touch and
# the first touch of anonymous memory wait for nothing.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 is missing"; exit 77; }
plan 7

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
majflt() { ctl stat vmstat | awk '$1 == "pgmajfault" { print $2 }'; }
# "PAGES MINOR MAJOR" of a touch --json.
touched() { ctl --json touch "$@" | python3 -c 'import json,sys; o = json.load(sys.stdin)
print(o["pages"], o["minor_faults"], o["major_faults"])'; }

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"

head -c 262144 /dev/urandom >"$tmp/data/f.dat"
f=$(ctl alloc 256K --file f.dat --shared)
m0=$(majflt)
read -r pages minor major < <(touched "$f" 0 64)
m1=$(majflt)
echo "# first touch of the file region: $pages pages, $minor minor, $major major"
check "a fresh file region's touch waits for the file (major faults > 0)" test "$major" -gt 0
check "... every page touched is a fault: minor + major = 64" \
	test $((minor + major)) -eq 64 -a "$pages" -eq 64
check "... the major faults are the pgmajfault the daemon counted" test $((m1 - m0)) -eq "$major"
check "the second touch waits for nothing: 64 minor, 0 major" \
	test "$(touched "$f" 0 64)" = "64 64 0"
a=$(ctl alloc 256K)
check "anonymous memory's first touch: 64 minor, 0 major" test "$(touched "$a")" = "64 64 0"
check "... and a write touch of it again: 64 minor, 0 major" \
	test "$(touched "$a" 0 64 --write)" = "64 64 0"

stop_daemon
finish
