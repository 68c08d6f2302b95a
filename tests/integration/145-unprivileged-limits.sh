#!/bin/bash
# The limits on what a uid that is not root or in the admin group may hold, which root is not
# held to. max-client-locked-bytes, the role of RLIMIT_MEMLOCK: what it holds that reclaim
# cannot take back (regions it mlocks or creates locked, raw allocations) stays under the
# limit, however it tries; what it gives back (munlock, free, a closed connection) it may lock
# again. max-client-memcgs: the groups it owns, below one delegated to it (group ids are
# 65535 for the whole daemon). max-client-queued-events: the queues of all its subscriptions
# together, which a subscriber that stops reading makes the daemon keep. Frames still arriving:
# a frame longer than one read has its length set aside from four frames' worth for its uid
# before more of it is read (without, 64 connections sending 16 MiB and never ending held a
# gigabyte of the daemon's memory). Workers: of four, one is kept for root and the admin
# group, and a uid has at most two of the other three, however many calls it sends that run
# for long.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 72

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" --socket "$sock" "$@"; }
nobody_ctl=$tmp/nobody-ctl
printf '#!/bin/sh\nexec setpriv --reuid 65534 --regid 65534 --clear-groups "%s" --socket "%s" "$@"\n' \
	"$RECLAIMCTL" "$sock" >"$nobody_ctl"
chmod +x "$nobody_ctl"

if ! setpriv --reuid 65534 --regid 65534 --clear-groups true 2>/dev/null; then
	echo "1..0 # SKIP cannot switch to uid 65534 here"
	exit 77
fi

start_daemon --socket-mode 0666 --max-client-locked-bytes 1M --max-client-memcgs 3 \
	--max-client-queued-events 2048 --max-client-subscriptions 3 --max-frame 1M --workers 4 &&
	ok "daemon is READY" ||
	not_ok "daemon is READY"

# "refused" with exit status 5 (NO_SPACE) and the limit named, by its option and value.
refused() {
	local out rc

	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" -eq 5 ] && grep -q 'over the limit (max-client-locked-bytes 1048576)' <<<"$out"
}

# The probe's locked-close: a 1 MiB locked region of its own connection, which then closes.
locked_close() { "$RCLC_PROBE" --uid 65534 "$sock" locked-close 1024 2>&1 | grep -q 'code=OK'; }
# The daemon frees a closed connection's regions after it reads the close: wait (bounded).
locked_close_again() {
	local deadline=$((SECONDS + 10))

	while [ "$SECONDS" -lt "$deadline" ]; do
		locked_close && return 0
		sleep 0.05
	done
	return 1
}
relock() { nobody munlock "$1" >/dev/null && nobody mlock "$2" >/dev/null; }
free_then_lock() { nobody free "$1" >/dev/null && nobody mlock "$2" >/dev/null; }

a=$(nobody alloc 512K) && b=$(nobody alloc 768K)
check "uid 65534 creates two regions, 512 KiB and 768 KiB" test -n "$a" -a -n "$b"
check "it locks the first (512 KiB of 1 MiB)" nobody mlock "$a"
# Locked twice, it counts once: 512 KiB more still fit under 1 MiB.
relock_then_fit() {
	local l

	nobody mlock "$1" >/dev/null && l=$(nobody alloc 512K --locked) && nobody free "$l" >/dev/null
}
check "locking it again charges nothing more" relock_then_fit "$a"
check "locking the second would pass 1 MiB: NO_SPACE, naming the limit" refused nobody mlock "$b"
check "a region created locked past the limit is refused the same way" \
	refused nobody alloc 768K --locked
check "so is a raw allocation past it (order 8: 1 MiB)" refused nobody alloc-pages 8
check "after munlock of the first, the second locks" relock "$a" "$b"
check "... and the first no longer fits (768 + 512 KiB)" refused nobody mlock "$a"
check "freeing the locked region gives its bytes back: the first locks" free_then_lock "$b" "$a"
pfn=$(nobody alloc-pages 7)
check "a raw allocation of 512 KiB fits beside the 512 KiB locked" test -n "$pfn"
check "one more raw page does not" refused nobody alloc-pages 0
check "freeing the raw pages gives them back" nobody free-pages "$pfn" 7
l=$(nobody alloc 512K --locked)
check "... so that a 512 KiB region created locked fits again" test -n "$l"
nobody free "$l" >/dev/null
nobody munlock "$a" >/dev/null

# A connection's own locked region goes with the connection, and so does its charge.
check "a connection creates a 1 MiB locked region of its own, then closes" locked_close
check "once the daemon has freed it, the next connection may lock 1 MiB again" \
	locked_close_again

# Root (CAP_IPC_LOCK's role) is not held to it, and may lock a uid's region past its limit.
check "root creates a 2 MiB locked region past the 1 MiB limit" ctl alloc 2M --locked
d=$(nobody alloc 768K)
nobody mlock "$a" >/dev/null
check "root locks uid 65534's 768 KiB region beside the owner's 512 KiB" ctl mlock "$d"
check "the owner, at 1280 KiB locked by root's act, cannot lock one page more" \
	refused nobody alloc-pages 0
unlock_then_alloc() { nobody munlock "$1" >/dev/null && nobody alloc-pages 0 >/dev/null; }
check "the owner's munlock of it gives the bytes back: one raw page fits" unlock_then_alloc "$d"

# Groups: /u delegated to uid 65534 is one it owns; it may make two more, not three.
ctl memcg create /u --owner 65534 >/dev/null
make_groups() { nobody memcg create /u/a >/dev/null && nobody memcg create /u/a/b >/dev/null; }
check "uid 65534 makes two groups below the one delegated to it (3 owned, the limit)" make_groups
out=$(nobody memcg create /u/c 2>&1); rc=$?
check "a third is refused: NO_SPACE (exit 5) naming the limit" \
	bash -c '[ "$0" -eq 5 ] && grep -q "memcg create: uid 65534 already owns as many groups as it may (max-client-memcgs 3)" <<<"$1"' "$rc" "$out"
check "... and left nothing behind" bash -c '! "$0" --socket "$1" memcg stat /u/c 2>/dev/null' \
	"$RECLAIMCTL" "$sock"
remake() { nobody memcg rm /u/a/b >/dev/null && nobody memcg create /u/c >/dev/null; }
check "once it removes one, it may make another" remake
check "root makes groups past it, delegated to uid 65534 too" \
	ctl memcg create /v --owner 65534

# Subscriptions: two of uid 65534's connections hold a queue of 1024 events each, and never
mkfifo "$tmp/hold"
exec {hold}<>"$tmp/hold"
holders=()
for i in 1 2; do
	timeout 120 "$RCLC_PROBE" --uid 65534 "$sock" idle pressure 1024 <"$tmp/hold" \
		>"$tmp/holder$i" 2>&1 {hold}>&- &
	holders+=($!)
done
held() { wait_line "$tmp/holder1" '^subscribed' && wait_line "$tmp/holder2" '^subscribed'; }
check "uid 65534 holds two subscriptions with queues of 1024 events (2048, the limit)" held
out=$("$RCLC_PROBE" --uid 65534 "$sock" idle pressure 1 </dev/null 2>&1)
check "a third, of one event, is refused: NO_SPACE naming the limit" \
	grep -q "code=NO_SPACE message=subscribe: a queue of 1 more events would take uid 65534's subscriptions to 2049, over the limit (max-client-queued-events 2048)" <<<"$out"
out=$("$RCLC_PROBE" "$sock" idle pressure 65536 </dev/null 2>&1)
check "root subscribes with a queue of 65536 all the same" grep -q '^subscribed' <<<"$out"
exec {hold}>&-
wait "${holders[@]}"
subscribe_again() {
	local deadline=$((SECONDS + 10))

	while [ "$SECONDS" -lt "$deadline" ]; do
		"$RCLC_PROBE" --uid 65534 "$sock" idle pressure 2048 </dev/null 2>&1 |
			grep -q '^subscribed' && return 0
		sleep 0.05
	done
	return 1
}
check "once the holders unsubscribed, uid 65534 may queue 2048 events again" subscribe_again
# ... and it holds at most max-client-subscriptions (3 here), however small their queues: each
# is work for the loop at every event (65,536 of one event each stalled it for everyone).
subs_limited() {
	local deadline=$((SECONDS + 10)) out

	while [ "$SECONDS" -lt "$deadline" ]; do	# the last probe's may still be ending
		out=$("$RCLC_PROBE" --uid 65534 "$sock" subs 5 1 </dev/null 2>&1)
		grep -q '^subscribed=3$' <<<"$out" && grep -q "code=NO_SPACE message=subscribe: uid 65534 has 3 subscriptions, the limit (max-client-subscriptions 3)" <<<"$out" && return 0
		sleep 0.05
	done
	echo "$out" | tail -3 | sed 's/^/# /'
	return 1
}
check "uid 65534 holds 3 subscriptions, the limit; a fourth is refused NO_SPACE naming it" \
	subs_limited
check "root holds more" \
	grep -q '^subscribed=5$' <<<"$("$RCLC_PROBE" "$sock" subs 5 1 </dev/null 2>&1)"

# Frames still arriving. inbound.py opens N connections and sends each a frame of 1 MiB (the
# max-frame here) but its last 48,580 bytes: 1,000,000 bytes if the daemon reads them, or what
# the socket takes until nothing moves for a second. Asked to, it ends connection K's frame
# (which the daemon then refuses as undecodable, and closes) and tries the others again.
cat >"$tmp/inbound.py" <<'PY'
import select, socket, struct, sys, time
path, n, sent_max = sys.argv[1], int(sys.argv[2]), 1000000
frame = struct.pack(">I", 1 << 20) + b"\xff" * (1 << 20)
conns, sent = [], []
def push(i, upto):
    c = conns[i]
    idle = time.monotonic() + 1
    while sent[i] < upto and time.monotonic() < idle:
        if not select.select([], [c], [], 0.1)[1]:
            continue
        try:
            sent[i] += c.send(frame[sent[i]:upto])
            idle = time.monotonic() + 1
        except BlockingIOError:
            pass
    print("conn %d sent %d" % (i, sent[i]), flush=True)
for i in range(n):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    c.setblocking(False)
    conns.append(c)
    sent.append(0)
    push(i, sent_max)
print("ready", flush=True)
for line in sys.stdin:
    k = int(line.split()[1])
    push(k, len(frame))
    for i in range(n):
        if i != k and sent[i] < sent_max:
            push(i, sent_max)
    print("done", flush=True)
PY
inbound() { /usr/bin/python3 "$tmp/inbound.py" "$sock" "$@"; }
mkfifo "$tmp/ib"
exec {ib}<>"$tmp/ib"
setpriv --reuid 65534 --regid 65534 --clear-groups /usr/bin/python3 "$tmp/inbound.py" "$sock" 6 \
	<"$tmp/ib" >"$tmp/inbound" 2>&1 {ib}>&- &
sender=$!
wait_line "$tmp/inbound" '^ready$' 60
full=$(grep -c ' sent 1000000$' "$tmp/inbound")
check "uid 65534's first four frames of 1 MiB are read as they come ($full of 6 whole)" \
	bash -c 'grep -q "^conn 0 sent 1000000" "$0" && grep -q "^conn 3 sent 1000000" "$0" &&
		 test "$1" = 4' "$tmp/inbound" "$full"
check "... its fifth and sixth wait, unread: the socket takes the rest" \
	bash -c '! grep -qE "^conn [45] sent 1000000" "$0"' "$tmp/inbound"
check "... and the log says why" \
	grep -q "a frame of 1048576 bytes waits: the uid's frames arriving and requests queued take 4194320 of its 4194320 bytes" "$tmp/stderr"
check "another uid's frame is read meanwhile (uid 65533: its own share)" \
	grep -q '^conn 0 sent 1000000$' <<<"$(setpriv --reuid 65533 --regid 65533 --clear-groups \
		/usr/bin/python3 "$tmp/inbound.py" "$sock" 1 </dev/null 2>&1)"
check "... and root's, not held to one" \
	test "$(inbound 6 </dev/null | grep -c ' sent 1000000$')" = 6
echo "finish 0" >&"$ib"
wait_line "$tmp/inbound" '^done$' 60
check "once one of the four ends, one waiting frame takes its place and is read on" \
	test "$(tail -n 6 "$tmp/inbound" | grep -cE '^conn [45] sent 1000000$')" = 1
# The other finds no room: it is not read a byte further (it was read a chunk further at each
# frame that ended, until every held frame had come in whole).
unmoved() {
	local c before after

	for c in 4 5; do
		before=$(grep "^conn $c sent" "$tmp/inbound" | head -n 1)
		after=$(grep "^conn $c sent" "$tmp/inbound" | tail -n 1)
		[ "$after" = "conn $c sent 1000000" ] || [ "$before" = "$after" ] || return 1
	done
}
check "... and the other waits where it was, not read a byte further" unmoved
exec {ib}>&-
wait "$sender"

# Workers. A discarding read of 4096 x 64 MiB from the disk (the arena is 16 MiB) runs for
# minutes: uid 65534 sends four, on four connections.
check "uid 65534 writes a 64 MiB file" nobody fwrite big.dat 0 --fill 0x41 --length 64M
ranges=()
for i in $(seq 4096); do ranges+=(0 64M); done
readers=()
long_read() {
	setpriv --reuid "$1" --regid "$1" --clear-groups "$RECLAIMCTL" --socket "$sock" \
		fread "$2" "${ranges[@]}" --discard >/dev/null 2>&1 &
	readers+=($!)
}
pgpgin() { ctl stat vmstat | awk '$1 == "pgpgin" { print $2 }'; }
read_past() { [ "$(pgpgin)" -gt "$1" ]; }
p0=$(pgpgin)
for i in 1 2 3 4; do long_read 65534 big.dat; done
check "uid 65534's long reads are reading" until_true 20 read_past $((p0 + 16384))
calls() { ctl --json status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["calls_on_workers"], d["calls_waiting_for_workers"])'; }
two_wait() { [ "$(calls)" = "2 2" ]; }
check "... two of them on workers, two waiting (status: $(calls))" until_true 20 two_wait
populate() {
	local out

	out=$(timeout 20 setpriv --reuid "$1" --regid "$1" --clear-groups "$RECLAIMCTL" \
		--socket "$sock" alloc 1M --populate) && [ -n "$out" ]
}
check "uid 65533 still has a worker: its alloc --populate is answered" populate 65533
check "... and writes a 64 MiB file of its own" \
	setpriv --reuid 65533 --regid 65533 --clear-groups "$RECLAIMCTL" --socket "$sock" \
	fwrite other.dat 0 --fill 0x42 --length 64M
long_read 65533 other.dat
p1=$(pgpgin)
check "... and its own long read runs beside uid 65534's two" until_true 20 read_past $((p1 + 16384))
check "with the three others' workers taken, root's alloc --populate is answered" populate 0
for r in "${readers[@]}"; do kill -KILL "$r"; done
wait "${readers[@]}" 2>/dev/null
# The three that ran: uid 65534's two and uid 65533's one. A waiting read of uid 65534 may
# get a worker freed by the first stops before the daemon has seen its own client go: it then
# stops at once, after 0 bytes, and its line may come before the others'. So wait for the
# lines named, not for a count of any.
ran_stopped() {
	[ "$(grep -c "file read of 'big.dat' stopped after [1-9]" "$tmp/stderr")" -ge 2 ] &&
	[ "$(grep -c "file read of 'other.dat' stopped after" "$tmp/stderr")" = 1 ]
}
check "the long reads stop with their clients: uid 65534's two and uid 65533's one say so" \
	until_true 20 ran_stopped
check "the daemon still answers uid 65534" nobody rm big.dat

# A client that goes away does not take its call's worker with it: a touch of a region four
# times the arena runs on after its client has closed (touch does not look), and still counts
# against its uid. uid 65534 sends 24 such touches, each client killed a moment later: at
# most two of them are ever on the workers (status, sampled until they are done), and root is
# answered meanwhile.
orid=$(nobody alloc 40M)
nobody touch "$orid" --write >/dev/null
# One every 50 ms, each killed after 300 ms: new calls keep coming while older ones run on
# with their clients gone (a pace for the load, not a wait for anything).
(
	for i in $(seq 24); do
		setpriv --reuid 65534 --regid 65534 --clear-groups timeout -s KILL 0.3 \
			"$RECLAIMCTL" --socket "$sock" touch "$orid" --write >/dev/null 2>&1 &
		sleep 0.05
	done
	wait
) &
orphans=$!
most=0
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
	read -r on waiting <<<"$(calls)"
	[ "$on" -gt "$most" ] && most=$on
	kill -0 "$orphans" 2>/dev/null || [ "$on" -gt 0 ] || break
done
wait "$orphans"
check "orphaned touches of uid 65534 on the workers at once: at most two ($most)" \
	test "$most" -le 2 -a "$most" -ge 1
check "... and root is answered" populate 0
nobody free "$orid" >/dev/null

# Requests queued behind a long one count in the same share as frames arriving: a client
# sends a discarding read of 4 GiB, then 36 writes of 200 KB on the same connection,
# which wait their turn decoded. Past four frames' worth the daemon stops reading it (before,
# a connection held max-pipeline x max-frame: 64 GiB for a uid's 64 at the defaults).
check "uid 65534 writes a 64 MiB file to read" nobody fwrite slow.dat 0 --fill 0x43 --length 64M
cat >"$tmp/queued.py" <<'PY'
import select, socket, struct, sys, time
def varint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])
def field(num, wire, payload):
    key = varint(num << 3 | wire)
    return key + (payload if wire == 0 else varint(len(payload)) + payload)
def request(rid, num, body):
    msg = field(1, 0, varint(rid)) + field(num, 2, body)
    return struct.pack(">I", len(msg)) + msg
rng = field(1, 0, varint(0)) + field(2, 0, varint(64 << 20))
read = field(1, 2, b"slow.dat") + field(3, 2, rng) * 64 + field(4, 0, varint(1))
data = b"q" * 200000
write = field(1, 2, b"q.dat") + field(3, 2, field(1, 0, varint(0)) + field(2, 0, varint(len(data)))) + field(4, 2, data)
frames = request(1, 10, field(1, 0, varint(1))) + request(2, 41, read)
frames += b"".join(request(3 + i, 42, write) for i in range(36))
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect(sys.argv[1])
c.setblocking(False)
sent, idle = 0, time.monotonic() + 2
while sent < len(frames) and time.monotonic() < idle:
    if select.select([], [c], [], 0.1)[1]:
        try:
            sent += c.send(frames[sent:])
            idle = time.monotonic() + 2
        except BlockingIOError:
            pass
print("sent %d of %d" % (sent, len(frames)), flush=True)
sys.stdin.read()
PY
mkfifo "$tmp/qhold"
exec {qhold}<>"$tmp/qhold"
setpriv --reuid 65534 --regid 65534 --clear-groups /usr/bin/python3 "$tmp/queued.py" "$sock" \
	<"$tmp/qhold" >"$tmp/queued" 2>&1 {qhold}>&- &
queuer=$!
wait_line "$tmp/queued" '^sent ' 60
qsent=$(sed -n 's/^sent \([0-9]*\) of.*/\1/p' "$tmp/queued")
check "a connection's queued writes stop its reading past the share ($qsent of 7.2 MB taken)" \
	test "${qsent:-0}" -ge 3600000 -a "${qsent:-0}" -lt 6500000
check "... and the log says so" grep -q "(uid 65534): reading waits: the uid's frames arriving and requests queued take" "$tmp/stderr"
exec {qhold}>&-
wait "$queuer"
# Not read, the connection is still watched: its client gone, the read stops and the writes
# queued behind it are dropped (the read ran on, then wrote q.dat for nobody).
check "its client gone while it is not read, the long read stops" \
	until_true 20 grep -q "file read of 'slow.dat' stopped after" "$tmp/stderr"
settled() { [ "$(calls)" = "0 0" ]; }
# (The read stopped because the connection was closed, which dropped the queued writes first.)
until_true 20 settled
check "... and the writes queued behind it never ran" test ! -e "$tmp/data/q.dat"
nobody rm slow.dat >/dev/null

# Answers a client does not read are the daemon's memory too, in the same share (4 MiB here).
# A connection stops its calls past 1 MiB of its own answers, but one whose last call started
# below that may hold two answers of 1 MB, and 64 connections held 128 MB; now a uid's calls
# wait once its unread answers fill its share. Three connections of uid 65534, one after the
# other, each send four reads of 1 MB and read nothing: the first two leave 4 MB unread, the
# third's first answer takes the uid past its share, and its next call waits; root's and
# uid 65533's calls do not. Once the readers read, every answer comes. (A new connection's
# Hello is a call too: that is why the three are made one after the other.)
nrid=$(nobody alloc 1M)
mkfifo "$tmp/nhold"
exec {nhold}<>"$tmp/nhold"
noreaders=()
for i in 1 2 3; do
	timeout 120 "$RCLC_PROBE" --uid 65534 "$sock" noread "$nrid" 1000000 4 <"$tmp/nhold" \
		>"$tmp/noread$i" 2>&1 {nhold}>&- &
	noreaders+=($!)
	wait_line "$tmp/noread$i" '^sent=4$'
done
check "uid 65534 sends 12 reads of 1 MB on three connections and reads no answer" \
	grep -q '^sent=4$' "$tmp/noread3"
check "... its calls wait once its unread answers fill its share, as the log says" \
	until_true 20 grep -q "(uid 65534): calls wait: the uid's answers unread take over its 4194320 bytes" "$tmp/stderr"
check "... root's calls do not" populate 0
check "... nor uid 65533's" populate 65533
exec {nhold}>&-
wait "${noreaders[@]}"
all_answered() { local i; for i in 1 2 3; do grep -q '^answered=4$' "$tmp/noread$i" || return 1; done; }
check "once they read, each connection has its four answers" all_answered
nobody free "$nrid" >/dev/null

# max-client-file-bytes, by default the arena and the swap (16M + 64M here): the bytes of the
# files a uid owns in the data directory, as far as the daemon let them reach, checked before
# a write (before, uid 65534 filled the disk with two 512 MiB fills).
nobody fwrite a.dat 0 --fill 0x41 --length 60M >/dev/null
out=$(nobody fwrite b.dat 0 --fill 0x42 --length 30M 2>&1)
check "a fill that would take uid 65534's files past the limit is refused, naming it" \
	bash -c '[ $0 -eq 5 ] && grep -q "file write: .b.dat. to 31457280 bytes would take uid 65534.s files to 94371840 bytes, over the limit (max-client-file-bytes 83886080)" <<<"$1"' $? "$out"
check "... and b.dat was not made" test ! -e "$tmp/data/b.dat"
out=$(nobody fwrite c.dat 1G x 2>&1)
check "a byte written past 1 GiB (a sparse file) counts as its length: refused" \
	bash -c '[ $0 -eq 5 ] && grep -q "max-client-file-bytes" <<<"$1"' $? "$out"
out=$(nobody alloc 30M --file d.dat --shared 2>&1)
check "a shared file region that would grow its file past it: refused" \
	bash -c '[ $0 -eq 5 ] && grep -q "region create: .d.dat. to 31457280 bytes would take uid 65534.s files" <<<"$1"' $? "$out"
check "root is not held to it (a byte past 1 GiB)" ctl fwrite root.dat 1G x
# Removed, a.dat is let go: it was cached (60 MiB through a 16 MiB arena leave pages and
# shadow entries), and an unlinked inode's blocks stay taken while a descriptor of it does.
# Before, its cache kept one until reclaim took the last shadow. At once, or, if the flusher
# was writing it back, once that walk is done.
held_deleted() { ls -l "/proc/$pid/fd" | grep -c "/$1 (deleted)"; }
none_held() { [ "$(held_deleted "$1")" = 0 ]; }
check "uid 65534 removes a.dat" nobody rm a.dat
check "... and the daemon let go of a.dat's descriptor: its blocks are free" \
	until_true 20 none_held a.dat
check "... and it writes b.dat" nobody fwrite b.dat 0 --fill 0x42 --length 30M
# A removed file the daemon still holds (here a region of uid 65534 maps it) takes its blocks
# until the last user goes: so long, it counts. 30 MiB (b.dat) + 50 MiB (e.dat) fill the
# limit; e.dat removed but mapped, 10 MiB more are refused; once the region goes, taken.
nobody fwrite e.dat 0 --fill 0x45 --length 50M >/dev/null
erid=$(nobody alloc 4K --file e.dat --shared)
nobody rm e.dat >/dev/null
out=$(nobody fwrite f.dat 0 --fill 0x46 --length 10M 2>&1)
check "a file removed while a region still maps it counts until then: refused, naming it" \
	bash -c '[ $0 -eq 5 ] && grep -q "file write: .f.dat. to 10485760 bytes would take uid 65534.s files to 94371840 bytes" <<<"$1"' $? "$out"
check "... while the daemon holds e.dat open" test "$(held_deleted e.dat)" -ge 1
check "uid 65534 frees the region" nobody free "$erid"
check "... and the daemon lets go of e.dat" until_true 20 none_held e.dat
check "... and the write is taken" nobody fwrite f.dat 0 --fill 0x46 --length 10M
nobody rm f.dat >/dev/null
nobody rm b.dat >/dev/null
ctl rm root.dat >/dev/null
ctl rm other.dat >/dev/null

finish
