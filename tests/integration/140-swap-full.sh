#!/bin/bash
# Swap exhaustion never hands a client another client's bytes (issue 8, item 1). Four clients
# at once each write 33 MiB of seeded data in 256 KiB requests into their own persistent
# anonymous region of a 32 MiB arena with 96 MiB of swap, so memory and swap both run out;
# each then reads back every chunk the daemon acknowledged: every read is byte-exact or
# refused with NO_MEMORY / NO_SPACE. Once one region is freed, every acknowledged chunk of the
# other three reads back. Five daemons in a row, since the interleaving differs each time;
# three under ASan; one under TSan, whose slowdown makes a run cost 20 s there (the races it
# looks for are in every run; the interleavings are the plain build's to vary).
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
case ${RCL_SANITIZER:-none} in
none) RUNS=5 ;;
asan) RUNS=3 ;;
*) RUNS=1 ;;
esac
plan $((RUNS * 6))

SWAPFILL=$top_builddir/tests/lib/swapfill

# Run swapfill for clients 1..4 at once; each one's output line lands in $tmp/out.N.
all_clients() {
	local verb=$1 n p st pids=() rc=0
	for n in 1 2 3 4; do
		if [ "$verb" = fill ]; then
			"$SWAPFILL" "$sock" fill $((run * 10 + n)) 33 "$tmp/state.$n" >"$tmp/out.$n" 2>"$tmp/err.$n" &
		else
			"$SWAPFILL" "$sock" "$verb" $((run * 10 + n)) "$tmp/state.$n" >"$tmp/out.$n" \
				2>"$tmp/err.$n" &
		fi
		pids+=($!)
	done
	n=0
	for p in "${pids[@]}"; do
		n=$((n + 1))
		wait "$p"
		st=$?
		[ $st = 0 ] || { rc=1; echo "# client $n ($verb) exited with status $st"; }
	done
	return $rc
}

for run in $(seq 1 $RUNS); do
	start_daemon --arena 32M --swap 96M --workers 4 --max-client-bytes 0
	all_clients fill
	rc=$?
	check "run $run: four clients filled their regions, some writes refused" test $rc = 0
	check "run $run: ... and some of their writes were refused" \
		bash -c 'cat "$0"/out.* | grep -q "refused=[1-9]" && [ $(cat "$0"/out.* | wc -l) = 4 ]' "$tmp"
	sed 's/^/# /' "$tmp"/out.* "$tmp"/err.*
	all_clients verify
	rc=$?
	sed 's/^/# /' "$tmp"/out.* "$tmp"/err.*
	check "run $run: every acknowledged chunk reads back exact or is refused as NO_MEMORY/NO_SPACE" \
		test $rc = 0
	check "run $run: no chunk holds another region's bytes" \
		bash -c '! grep -hv " foreign=0 bad=0$" "$0"/out.*' "$tmp"
	"$RECLAIMCTL" --socket "$sock" free "$(head -n1 "$tmp/state.1" | cut -d' ' -f1)"
	for n in 2 3 4; do
		"$SWAPFILL" "$sock" verify-all $((run * 10 + n)) "$tmp/state.$n" >"$tmp/out.$n" \
			2>"$tmp/err.$n" || rc=1
	done
	sed 's/^/# /' "$tmp"/out.[234] "$tmp"/err.[234]
	check "run $run: once a region is freed, every acknowledged chunk of the others reads back" \
		test $rc = 0
	stop_daemon
	check "run $run: SIGTERM: exit 0" test "$EXIT" = 0
	rm -rf "$tmp/state" "$tmp/data"
done
finish
