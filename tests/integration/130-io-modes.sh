#!/bin/bash
# The I/O switches: --swap-buffered and --file-buffered open the swap file and the files of
# file regions without O_DIRECT, --swap-sync keeps swap I/O synchronous; data still
# round-trips through swap and writeback.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 5

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }

start_daemon --swap-buffered --file-buffered --swap-sync \
	&& ok "daemon is READY" || not_ok "daemon is READY"

# The open flags of the daemon's descriptor for FILE, from /proc (octal, O_DIRECT = 040000).
flags_of() {
	local fd
	for fd in /proc/"$pid"/fd/*; do
		if [ "$(readlink "$fd")" = "$1" ]; then
			awk '/^flags:/ { print $2 }' /proc/"$pid"/fdinfo/"${fd##*/}"
			return
		fi
	done
}
direct() { (( (8#$1 & 8#40000) != 0 )); }

f=$(ctl alloc 1M --file data.bin --shared)
swap_flags=$(flags_of "$tmp/state/swap")
file_flags=$(flags_of "$tmp/data/data.bin")
check "the swap file is open without O_DIRECT" test -n "$swap_flags" -a "$(direct "$swap_flags" && echo d)" = ""
check "the data file is open without O_DIRECT" test -n "$file_flags" -a "$(direct "$file_flags" && echo d)" = ""

head -c $((20 << 20)) /dev/urandom >"$tmp/seed"
a=$(ctl alloc 20M)
ctl write "$a" 0 <"$tmp/seed" >/dev/null
cmp -s <(ctl read "$a" 0 $((20 << 20))) "$tmp/seed"
check "20 MiB through a 16 MiB arena and buffered, synchronous swap reads back" test $? = 0
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
