#!/bin/bash
# systemd's memory-pressure protocol per memcg: `reclaimctl memcg watch-path` names the socket
# and the two variables a unit sets; a client that follows the protocol step by step (connect
# to $MEMORY_PRESSURE_WATCH, write the decoded $MEMORY_PRESSURE_WRITE, poll for POLLIN) gets
# no event while its memcg is idle, events under pressure on it, at most one per window, and
# a trigger that does not parse gets an error line while the daemon keeps serving; a memcg's
# socket serves only those who may see the group, and its directory lists nothing to others.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 is missing"; exit 77; }
plan 28

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
client=$top_srcdir/tests/lib/pressure-client.py
# watch NAME MEMCG TRIGGER: the watch-path output in $tmp/NAME.out, its environment lines in
# the array named NAME.
watch() {
	ctl memcg watch-path "$2" "$3" >"$tmp/$1.out" || return 1
	mapfile -t "$1" < <(tail -n 2 "$tmp/$1.out")
}
# gaps_at_least FILE SECONDS: consecutive events of FILE at least SECONDS apart.
gaps_at_least() {
	awk -v min="$2" '$1 == "event" { if (n++ && $2 - last < min) bad = 1; last = $2 }
		END { exit bad }' "$1"
}
events() { grep -c '^event' "$1"; }

# The sockets' directory made listable beforehand, as systemd's RuntimeDirectory= or an older
# daemon left it: the daemon must close it all the same.
mkdir -m 0755 "$tmp/pressure"
# At debug level the daemon logs each trigger it arms, which tells when a watcher is in place.
start_daemon --log-level debug && ok "daemon is READY" || not_ok "daemon is READY"
ctl memcg create /hot --max 4M >/dev/null
ctl memcg create /idle-one --max 4M >/dev/null

# A window of 1 s and a threshold of 10 ms: sustained pressure crosses it well within every
# window, so without the limit a client would get an event at every sample.
check "watch-path prints the socket and the two environment lines" \
	watch hot /hot "some 10000 1000000"
sockpath=$(head -n 1 "$tmp/hot.out")
check "... MEMORY_PRESSURE_WATCH is the socket, MEMORY_PRESSURE_WRITE the trigger in base64" \
	test "${hot[0]}" = "MEMORY_PRESSURE_WATCH=$sockpath" -a \
	"$(printf '%s' "${hot[1]#MEMORY_PRESSURE_WRITE=}" | base64 -d)" = "some 10000 1000000"
check "... and the daemon serves that socket" until_true 10 test -S "$sockpath"
watch idle /idle-one "some 10000 1000000"
check "a memcg's socket name escapes its '-' as systemd does" \
	test "$(basename "$(head -n 1 "$tmp/idle.out")")" = 'idle\x2done.sock'
until_true 10 test -S "$(head -n 1 "$tmp/idle.out")"
check "watch-path of a memcg that does not exist fails" \
	eval '! ctl memcg watch-path /nope 2>/dev/null'
out=$(ctl memcg watch-path /idle-one bogus 2>&1); rc=$?
check "watch-path with a trigger the socket would refuse is a usage error (64) naming why" \
	test "$rc" = 64 -a -n "$(grep "bad TRIGGER 'bogus': want" <<<"$out")"
out=$(ctl memcg watch-path /idle-one "some 100 100000" 2>&1); rc=$?
check "... as is one whose window is under 500 ms" \
	test "$rc" = 64 -a -n "$(grep 'the window is not within 500000..10000000 usec' <<<"$out")"

env "${hot[@]}" python3 "$client" 2.5 >"$tmp/quiet" 2>&1
echo "# idle /hot for 2.5 s: $(tr '\n' ' ' <"$tmp/quiet")"
check "no event in 2.5 windows while /hot is idle" test ! -s "$tmp/quiet"

# Pressure on /hot: 12M written over and over through a 4M memory.max, bounded in rounds and
# time; the /hot and /idle-one clients watch meanwhile.
id=$(ctl alloc 12M --memcg /hot)
env "${hot[@]}" python3 "$client" 8 >"$tmp/hot.events" 2>&1 &
hot_pid=$!
env "${idle[@]}" python3 "$client" 8 >"$tmp/idle.events" 2>&1 &
idle_pid=$!
(
	end=$((SECONDS + 10))
	for _ in $(seq 400); do
		[ "$SECONDS" -lt "$end" ] || break
		ctl touch "$id" --write >/dev/null || break
	done
) &
driver=$!
wait "$hot_pid" "$idle_pid"
wait "$driver"
echo "# /hot under pressure for 8 s: $(tr '\n' ' ' <"$tmp/hot.events")"
echo "# /idle-one meanwhile: $(tr '\n' ' ' <"$tmp/idle.events")"
check "under pressure on /hot its watcher gets events" test "$(events "$tmp/hot.events")" -ge 2
# The protocol's event is one byte, so its time here is when the client woke for it: the
# daemon's own times are at least a window apart (230-psi-subscribe checks those), but a
# loaded machine may deliver one late and the next on time. Without the limit, events would
# come at every 200 ms sample; gaps under half a window catch that, whatever the delivery.
check "... at most one per 1 s window (no two closer than 0.5 s as received)" \
	gaps_at_least "$tmp/hot.events" 0.5
check "... and no more than 8 s of windows hold (9)" test "$(events "$tmp/hot.events")" -le 9
check "... nothing else on the stream" test "$(grep -vc '^event' "$tmp/hot.events")" -eq 0
check "the watcher of an idle sibling memcg gets none" test ! -s "$tmp/idle.events"

# A trigger that does not parse: an error line, the connection closed, the reason logged.
bad=("${hot[0]}" "MEMORY_PRESSURE_WRITE=$(printf 'sometimes 10 20' | base64)")
env "${bad[@]}" python3 "$client" 5 >"$tmp/bad" 2>&1
echo "# bad trigger: $(tr '\n' ' ' <"$tmp/bad")"
check "a trigger that does not parse gets an error line, then the daemon hangs up" \
	test "$(cat "$tmp/bad")" = 'error error: want "some|full STALL_USEC WINDOW_USEC"'$'\n''eof'
check "... and the daemon logs it" grep -q 'pressure watch /hot: want' "$tmp/stderr"
range=("${hot[0]}" "MEMORY_PRESSURE_WRITE=$(printf 'some 10000 20000000' | base64)")
env "${range[@]}" python3 "$client" 5 >"$tmp/range" 2>&1
check "a window beyond 10 s is refused, naming the range" \
	grep -q '^error error: the window is not within 500000..10000000 usec' "$tmp/range"
check "... and the daemon keeps serving (status, and the socket takes a good trigger)" \
	eval 'ctl status >/dev/null && env "${hot[@]}" python3 "$client" 0.5 >"$tmp/after" &&
	      ! grep -q "^error\|^eof" "$tmp/after"'

# A memcg's socket serves those who may see the group, as Subscribe does: its owner, the
# owner of a group above it, root and the admin group; the root group's serves everyone. uid
# 65533 may neither list the directory (the names of uid 65534's groups) nor watch uid 65534's
# /owned: it is told why and hung up on, while the owner watches.
if setpriv --reuid 65534 --regid 65534 --clear-groups true 2>/dev/null; then
	as65533=(setpriv --reuid 65533 --regid 65533 --clear-groups)
	as65534=(setpriv --reuid 65534 --regid 65534 --clear-groups)
	ctl memcg create /owned --owner 65534 >/dev/null
	watch owned /owned "some 10000 1000000"
	until_true 10 test -S "$(head -n 1 "$tmp/owned.out")"	# made by the loop, after
	check "uid 65533 cannot list the pressure sockets, so not the names of others' memcgs" \
		eval '! "${as65533[@]}" ls "$(dirname "$sockpath")" >/dev/null 2>&1'
	env "${owned[@]}" "${as65533[@]}" /usr/bin/python3 "$client" 5 >"$tmp/stranger" 2>&1
	echo "# uid 65533 on /owned: $(tr '\n' ' ' <"$tmp/stranger")"
	check "uid 65533 arming a trigger on uid 65534's memcg is told whose it is, and hung up on" \
		test "$(cat "$tmp/stranger")" = \
		'error error: uid 65533 may not watch /owned: it belongs to uid 65534'$'\n''eof'
	check "... and the daemon logs it" \
		grep -q 'pressure watch /owned: uid 65533 may not watch /owned' "$tmp/stderr"
	env "${owned[@]}" "${as65534[@]}" /usr/bin/python3 "$client" 0.5 >"$tmp/owner" 2>&1
	check "... while its owner, knowing the socket's path, watches it" test ! -s "$tmp/owner"

	# A group removed and made again between two samples keeps its socket, and its
	# watchers: uid 65534's watcher of its /reused must hear nothing of uid 65533's new one.
	ctl memcg create /reused --owner 65534 >/dev/null
	watch reused /reused "some 10000 1000000"
	until_true 10 test -S "$(head -n 1 "$tmp/reused.out")"
	env "${reused[@]}" "${as65534[@]}" /usr/bin/python3 "$client" 6 >"$tmp/reused.events" 2>&1 &
	reused_pid=$!
	wait_line "$tmp/stderr" 'pressure watch /reused: some 10000 1000000' 10
	ctl memcg rm /reused >/dev/null
	ctl memcg create /reused --owner 65533 --max 4M >/dev/null
	rid=$(ctl alloc 12M --memcg /reused)
	(
		end=$((SECONDS + 5))
		for _ in $(seq 200); do
			[ "$SECONDS" -lt "$end" ] || break
			ctl touch "$rid" --write >/dev/null || break
		done
	) &
	rdriver=$!
	wait "$reused_pid"
	wait "$rdriver"
	echo "# uid 65534 on /reused, made again by uid 65533: $(tr '\n' ' ' <"$tmp/reused.events")"
	check "the watcher of a group made again by another uid hears nothing of it, hung up on" \
		eval '! grep -q "^event" "$tmp/reused.events" &&
		      test "$(tail -n 1 "$tmp/reused.events")" = eof'

	# Anyone may watch the root group, but one uid holds at most 8 of a memcg's watchers:
	# uid 65533 opens 12 to the root's socket, 4 are hung up on, and uid 65534 still watches.
	# Before, one uid could take all 64 and lock the others out.
	watch root / "some 10000 1000000"
	until_true 10 test -S "$(head -n 1 "$tmp/root.out")"
	cat >"$tmp/hold.py" <<'PY'
import base64, os, select, socket, sys, time
path = os.environ["MEMORY_PRESSURE_WATCH"]
trigger = base64.b64decode(os.environ["MEMORY_PRESSURE_WRITE"])
conns = []
for _ in range(12):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    try:
        s.sendall(trigger)
    except OSError:
        pass    # hung up on before the trigger got there: its read below says so
    conns.append(s)
hung, deadline = set(), time.monotonic() + 10
while len(hung) < 4 and time.monotonic() < deadline:
    for s in select.select([c for c in conns if c not in hung], [], [], 0.2)[0]:
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data or data.startswith(b"error"):
            hung.add(s)
print("hung_up=%d" % len(hung), flush=True)
sys.stdin.read()
PY
	mkfifo "$tmp/whold"
	exec {whold}<>"$tmp/whold"
	env "${root[@]}" timeout 60 setpriv --reuid 65533 --regid 65533 --clear-groups \
		/usr/bin/python3 "$tmp/hold.py" <"$tmp/whold" >"$tmp/held" 2>&1 {whold}>&- &
	wholder=$!
	check "uid 65533 opens 12 watches of the root memcg: 4 are hung up on" \
		wait_line "$tmp/held" '^hung_up=4$'
	echo "# uid 65533's 12 watches of the root: $(tr '\n' ' ' <"$tmp/held")"
	check "... the log says why" grep -q 'pressure watch /: too many watchers of this memcg from this uid' "$tmp/stderr"
	env "${root[@]}" "${as65534[@]}" /usr/bin/python3 "$client" 0.5 >"$tmp/other" 2>&1
	# (It may hear /reused's pressure in the root's: only a refusal would fail it.)
	check "... and uid 65534 still watches it" eval '! grep -q "^error\|^eof" "$tmp/other"'
	exec {whold}>&-
	wait "$wholder"
else
	for i in 1 2 3 4 5 6 7 8; do ok "memcgs' owners and watchers # SKIP cannot switch uids here"; done
fi

ctl memcg rm /idle-one >/dev/null
check "the socket of a memcg removed goes with it" \
	until_true 10 test ! -e "$(head -n 1 "$tmp/idle.out")"

stop_daemon
check "daemon exits 0, its pressure sockets removed" \
	test "$EXIT" = 0 -a ! -e "$sockpath"
finish
