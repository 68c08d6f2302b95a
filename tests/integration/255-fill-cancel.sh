#!/bin/bash
# A FileWrite with --fill asks for up to 16 TiB in a frame of a few bytes. It writes the file
# it opened for all of its chunks: removed meanwhile, the file goes on being written where it
# was opened (an unlinked file) and is never created again at its old path. And it stops when
# its connection closes: a client killed in the middle of one leaves no worker writing for
# hours, and the daemon then stops at once. A FileRead with --discard asks for as much (4,096
# ranges of the whole file, each read again); it stops the same way.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 16

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
data=$tmp/data
dirtied() { ctl stat vmstat | awk '$1 == "nr_dirtied" { print $2 }'; }
pgpgin() { ctl stat vmstat | awk '$1 == "pgpgin" { print $2 }'; }
grown_past() { [ "$(dirtied)" -gt "$1" ]; }
read_past() { [ "$(pgpgin)" -gt "$1" ]; }

# uid 65534's files may take 40 GiB (sparse ones count as far as they reach).
start_daemon --socket-mode 0666 --max-client-file-bytes 40G && ok "daemon is READY" ||
	not_ok "daemon is READY"

# 4 GiB: far more than the steps below take to write at disk speed, and a bound on the disk
# the test may use if they are slow. The client itself in the background, to be killed.
"$RECLAIMCTL" --socket "$sock" fwrite big.dat 0 --fill 0x41 --length 4G >"$tmp/fill.out" 2>&1 &
filler=$!
check "a 4 GiB fill is writing big.dat" until_true 20 test -s "$data/big.dat"
check "another client removes big.dat while it is written" ctl rm big.dat
d0=$(dirtied)
check "the fill goes on writing after the remove" until_true 20 grown_past $((d0 + 16))
check "... into the file it opened: big.dat is not created again" test ! -e "$data/big.dat"

# The client goes away in the middle: its worker stops at the next chunk (and says so in the
# log, as nobody takes the answer); a fill left running held its worker, and the daemon's
# shutdown, until every byte was written.
kill -KILL "$filler"
wait "$filler" 2>/dev/null
check "the fill stops when its client is gone" \
	until_true 20 grep -q "file write of 'big.dat' stopped after [0-9]* bytes: the connection closed" \
	"$tmp/stderr"
# A write is charged to its file's owner for all it asks before it starts; one that stops
# short gives back what it did not write. A fill of 4 GiB by uid 65534 stopped early leaves
# room for 36 GiB and a byte: the 4 GiB charge kept (before) left 36 GiB exactly.
nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" --socket "$sock" "$@"; }
# (Not through nobody(): $! would be the subshell running it, and the client would outlive
# its kill.)
setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" --socket "$sock" \
	fwrite own.dat 0 --fill 0x43 --length 4G >"$tmp/own.out" 2>&1 &
own=$!
check "uid 65534's 4 GiB fill is writing own.dat" until_true 20 test -s "$data/own.dat"
kill -KILL "$own"
wait "$own" 2>/dev/null
check "... stops when its client is gone" \
	until_true 20 grep -q "file write of 'own.dat' stopped after [0-9]* bytes: the connection closed" \
	"$tmp/stderr"
check "... and gives back what it did not write: a byte at 36 GiB fits the 40 GiB" \
	nobody fwrite far.dat $((36 << 30)) x
nobody rm own.dat >/dev/null
nobody rm far.dat >/dev/null

# 64 MiB, four times the arena: every pass of the read comes from the disk (pgpgin), 256 GiB
# in all, minutes of a worker's time at disk speed.
check "a 64 MiB file to read" ctl fwrite read.dat 0 --fill 0x42 --length 64M
ranges=()
for i in $(seq 4096); do ranges+=(0 64M); done
"$RECLAIMCTL" --socket "$sock" fread read.dat "${ranges[@]}" --discard >"$tmp/read.out" 2>&1 &
reader=$!
p0=$(pgpgin)
check "a discarding read of 4096 x 64 MiB is reading" until_true 20 read_past $((p0 + 16384))
kill -KILL "$reader"
wait "$reader" 2>/dev/null
check "the read stops when its client is gone" \
	until_true 20 grep -q "file read of 'read.dat' stopped after [0-9]* bytes: the connection closed" \
	"$tmp/stderr"
# Any client can make such a line: 40 of them at once, killed a moment later, make a few.
before=$(grep -c "stopped after" "$tmp/stderr")
gone=()
for i in $(seq 40); do
	timeout -s KILL 0.3 "$RECLAIMCTL" --socket "$sock" fread read.dat 0 64M 0 64M 0 64M \
		--discard >/dev/null 2>&1 &
	gone+=($!)
done
wait "${gone[@]}"
quiet() { [ "$(ctl --json status 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["calls_on_workers"] + d["calls_waiting_for_workers"])')" = 0 ]; }
until_true 60 quiet
lines=$(($(grep -c "stopped after" "$tmp/stderr") - before))
check "40 reads whose clients went make a few log lines, not 40 ($lines)" test "$lines" -le 12
ctl rm read.dat >/dev/null
stop_daemon
check "the daemon exits 0 with the fill's and the read's clients gone" test "$EXIT" = 0
check "... and big.dat was never created again" test ! -e "$data/big.dat"
check "... nor anything else in the data directory" test -z "$(ls -A "$data")"
finish
