#!/bin/bash
# The request path's costs on the loop (issue 10): reads of resident pages, of anonymous and
# file regions, FileRead hits and reads of groups and counters are answered on the event loop
# thread without a hand-off (the loop's counter moves by one a request, the workers' does not
# move), the counters are in status --json and /metrics, and a pipelined stream of one-page
# resident writes costs at most 2 syscalls a request on the loop thread, as strace -c -p
# counts them (skipped where strace is missing or may not attach).
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 18

PIPELINE=$top_builddir/tests/lib/pipeline
READS=16
port=$(free_port)
start_daemon --arena 32M --metrics-listen "127.0.0.1:$port" &&
	ok "daemon is READY" || not_ok "daemon is READY"

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
# "LOOP WORKERS" from status --json.
counters() {
	ctl --json status | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["requests_on_loop"], d["requests_on_workers"])'
}

id=$(ctl alloc 1M)
head -c 65536 /dev/urandom >"$tmp/pages"
check "64 KiB written into a new region (its faults on workers)" \
	bash -c '[ -n "$0" ] && "$RECLAIMCTL" --socket "$1" write "$0" 0 <"$2" >/dev/null' \
	"$id" "$sock" "$tmp/pages"

# What two status calls cost with nothing in between, then the same with reads in between:
# each of the reads (and its connection's hello) must add one to the loop's count and none to
# the workers'.
read -r l0 w0 <<<"$(counters)"
read -r l1 w1 <<<"$(counters)"
for i in $(seq 0 $((READS - 1))); do
	ctl read "$id" $((i * 4096)) 4096 >>"$tmp/back"
done
read -r l2 w2 <<<"$(counters)"
echo "# loop $l0 $l1 $l2, workers $w0 $w1 $w2"
check "reads of resident pages: the workers' count moves only by the status calls' share" \
	test "$((w2 - w1))" -eq "$((w1 - w0))"
check "... and the loop's by one for each read and its hello" \
	test "$((l2 - l1))" -eq "$((l1 - l0 + 2 * READS))"
check "... and the reads gave back the bytes written" cmp "$tmp/back" "$tmp/pages"

# One vectored read of scattered resident pages: on the loop too, the same bytes.
read -r l0 w0 <<<"$(counters)"
read -r l1 w1 <<<"$(counters)"
ctl read "$id" --ranges 0+4K,40K+4K,8K+8K >"$tmp/vback"
read -r l2 w2 <<<"$(counters)"
echo "# vectored: loop $l0 $l1 $l2, workers $w0 $w1 $w2"
check "a vectored read of resident pages: on the loop, not on a worker" \
	test "$((l2 - l1))" -eq "$((l1 - l0 + 2))" -a "$((w2 - w1))" -eq "$((w1 - w0))"
check "... with the bytes of its ranges in order" \
	bash -c 'cat <(head -c 4096 "$0") <(tail -c +40961 "$0" | head -c 4096) \
		<(tail -c +8193 "$0" | head -c 8192) | cmp -s - "$1"' "$tmp/pages" "$tmp/vback"

# The same for a shared file region whose pages the write above brought in.
fid=$(ctl alloc 64K --file loop-answers.dat --shared)
check "64 KiB written into a shared file region" \
	bash -c '[ -n "$0" ] && "$RECLAIMCTL" --socket "$1" write "$0" 0 <"$2" >/dev/null' \
	"$fid" "$sock" "$tmp/pages"
read -r l0 w0 <<<"$(counters)"
read -r l1 w1 <<<"$(counters)"
for i in $(seq 0 $((READS - 1))); do
	ctl read "$fid" $((i * 4096)) 4096 >>"$tmp/fback"
done
read -r l2 w2 <<<"$(counters)"
echo "# file region: loop $l0 $l1 $l2, workers $w0 $w1 $w2"
check "reads of a file region's resident pages: none on the workers" \
	test "$((w2 - w1))" -eq "$((w1 - w0))"
check "... and the bytes written" cmp "$tmp/fback" "$tmp/pages"

# Reads of groups, regions and counters take no engine lock that reclaim or I/O holds: memcg
# stat and list, pressure, the /proc-style views, tunables, region info and status are
# answered on the loop, none on a worker.
ctl memcg create /loopcg >/dev/null
read -r l0 w0 <<<"$(counters)"
ctl memcg stat /loopcg >"$tmp/mstat"
ctl memcg list >/dev/null
ctl pressure /loopcg >/dev/null
ctl stat vmstat >/dev/null
ctl stat buddyinfo >/dev/null
ctl tunable get >/dev/null
ctl --json info "$id" >"$tmp/rinfo"
read -r l1 w1 <<<"$(counters)"
echo "# group and counter reads: loop $l0 $l1, workers $w0 $w1"
check "memcg stat and list, pressure, stat, tunable get, region info, status: none on a worker" \
	test "$w1" -eq "$w0" -a "$((l1 - l0))" -ge 14
check "... and memory.stat and the region's resident pages were read" \
	bash -c 'grep -q "^anon " "$0" && python3 -c "import json, sys
assert json.load(open(sys.argv[1]))[\"resident_pages\"] >= 16" "$1"' "$tmp/mstat" "$tmp/rinfo"

# FileRead hits of a file the connection holds open: the first read opens it (and activates
# the pages the write left referenced) on a worker; the later ones are answered on the loop.
# A read that meets a page whose activation still waits in a worker's LRU vector goes to a
# worker again (the access would activate it once more, as the kernel's would); it then
# leaves the page unreferenced, so the next one is the loop's: at most half of them.
# Write BYTES random bytes to FILE, run rclc-probe MODE FILE ARGS... into OUT, and split the
# probe's requests between the loop and the workers (split_loop, split_worker), less the
# counters' own reads and the probe's hello.
probe_split() {
	local bytes=$1 out=$2 mode=$3 file=$4 l0 w0 l1 w1 l2 w2
	shift 4
	head -c "$bytes" /dev/urandom >"$tmp/fdata"
	ctl fwrite "$file" 0 <"$tmp/fdata" >/dev/null
	read -r l0 w0 <<<"$(counters)"
	read -r l1 w1 <<<"$(counters)"
	"$top_builddir/tests/lib/rclc-probe" "$sock" "$mode" "$file" "$@" >"$out"
	read -r l2 w2 <<<"$(counters)"
	split_worker=$((w2 - w1 - (w1 - w0)))
	split_loop=$((l2 - l1 - (l1 - l0) - 1))
	echo "# $mode: $(cat "$out"); loop $l0 $l1 $l2, workers $w0 $w1 $w2"
}

probe_split 16384 "$tmp/hits" fread-hits loop-hits.dat 16384 20
check "20 FileReads of one cached range on one connection read the same bytes" \
	grep -qx 'reads=20 same=1' "$tmp/hits"
check "... the first on a worker, at least half of the others on the loop ($split_loop)" \
	test "$split_worker" -ge 1 -a "$split_worker" -le 10 -a "$split_loop" -ge 10 -a \
	"$((split_worker + split_loop))" -eq 20

# The same with 8 scattered one-page ranges in each FileRead: the loop answers those too once
# the single-range reads that start it (on one connection) have read each page once.
probe_split 65536 "$tmp/vhits" freadv-hits loopv-hits.dat 8 20
check "20 FileReads of 8 scattered ranges read what single-range reads of them read" \
	grep -qx 'reads=20 same=1' "$tmp/vhits"
check "... at least half of the 20 on the loop ($split_loop of 28 requests)" \
	test "$split_loop" -ge 10 -a "$((split_worker + split_loop))" -eq 28

# /metrics is a snapshot rendered once a second: poll for one that has the family (bounded).
page=
for _ in $(seq 100); do
	page=$(timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" &&
		printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && cat <&3' "$port")
	grep -q '^reclaimd_requests_total{where="worker"} [1-9]' <<<"$page" && break
	sleep 0.1
done
check "/metrics: reclaimd_requests_total by where, with HELP and TYPE" \
	test "$(grep -c -e '^# HELP reclaimd_requests_total ' -e '^# TYPE reclaimd_requests_total counter' \
		-e '^reclaimd_requests_total{where="loop"} [1-9]' \
		-e '^reclaimd_requests_total{where="worker"} [1-9]' <<<"$page")" = 4

# Syscalls a request on the loop thread (the daemon's main thread: strace -p without -f
# follows that thread alone) over a stream of one-page rewrites, 32 in flight.
strace_pid=
if ! command -v strace >/dev/null; then
	ok "at most 2 syscalls a request on the loop # SKIP strace is not installed"
else
	"$PIPELINE" "$sock" 4 32 2 4 write >"$tmp/pipe.out" 2>&1 &
	pp=$!
	for _ in $(seq 600); do
		grep -q '^written$' "$tmp/pipe.out" && break
		kill -0 "$pp" 2>/dev/null || break
		sleep 0.05
	done
	strace -c -p "$pid" -o "$tmp/strace.out" 2>"$tmp/strace.err" &
	strace_pid=$!
	for _ in $(seq 200); do
		grep -q 'attached' "$tmp/strace.err" && break
		kill -0 "$strace_pid" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q 'attached' "$tmp/strace.err"; then
		kill "$strace_pid" 2>/dev/null
		wait "$strace_pid" 2>/dev/null
		wait "$pp"
		ok "at most 2 syscalls a request on the loop # SKIP strace cannot attach here: $(head -n 1 "$tmp/strace.err")"
	else
		read -r l0 w0 <<<"$(counters)"
		wait "$pp"
		prc=$?
		read -r l1 w1 <<<"$(counters)"
		kill -INT "$strace_pid"
		wait "$strace_pid"
		calls=$(awk '$NF == "total" { print $4 }' "$tmp/strace.out")
		reqs=$((l1 + w1 - l0 - w0))
		echo "# pipeline: $(tail -n 1 "$tmp/pipe.out") (exit $prc)"
		echo "# loop thread: ${calls:-?} syscalls for $reqs requests"
		sed 's/^/#   /' "$tmp/strace.out"
		check "at most 2 syscalls a request on the loop for pipelined one-page writes" \
			test "$prc" -eq 0 -a -n "$calls" -a "$reqs" -gt 1000 -a \
			"$((calls))" -le "$((2 * reqs))"
	fi
fi

stop_daemon
finish
