#!/bin/bash
# SIGTERM while dirty file pages exist: the daemon writes them back and fsyncs before it
# exits, so the file on disk holds every byte written through the socket.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 6

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"
python3 -c 'import random, sys; random.seed(6); sys.stdout.buffer.write(random.randbytes(3 << 20))' \
	>"$tmp/seed"
id=$(ctl alloc 3M --file out.dat --shared)
check "a shared file region under the data directory" grep -Eq '^[0-9]+$' <<<"$id"
ctl write "$id" 0 <"$tmp/seed"
check "3 MiB written into it" test $? = 0
check "the dirty pages are not on disk yet" \
	bash -c '! cmp -s -n 3145728 "$0" "$1"' "$tmp/seed" "$tmp/data/out.dat"

stop_daemon
check "SIGTERM: exit 0" test "$EXIT" = 0
check "after exit the file on disk holds every written byte" \
	cmp -s -n 3145728 "$tmp/seed" "$tmp/data/out.dat"
finish
