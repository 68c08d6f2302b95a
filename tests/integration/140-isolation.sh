#!/bin/bash
# Isolation between clients: the last reserved-connections slots stay free for root however
# many connections uid 65534 holds; uid 65534 sees the root group, its own memcgs and nothing
# of root's (list, stat, events, pressure, subscriptions), and no trace points at all.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 36

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" --socket "$sock" "$@"; }

if ! setpriv --reuid 65534 --regid 65534 --clear-groups true 2>/dev/null; then
	echo "1..0 # SKIP cannot switch to uid 65534 here"
	exit 77
fi

# Six connections, three of them reserved (the default reserve); the socket is everybody's.
start_daemon --socket-mode 0666 --max-connections 6 && ok "daemon is READY" ||
	not_ok "daemon is READY"

# uid 65534 holds every connection open to it: each holder subscribes, then waits for its
# stdin (a FIFO this script holds open) to end; `timeout` bounds them if the script dies.
mkfifo "$tmp/hold"
exec {hold}<>"$tmp/hold"
holders=()
for i in 1 2 3; do
	timeout 120 "$RCLC_PROBE" --uid 65534 "$sock" idle pressure 16 <"$tmp/hold" \
		>"$tmp/holder$i" 2>&1 {hold}>&- &
	holders+=($!)
done
held=yes
for i in 1 2 3; do wait_line "$tmp/holder$i" '^subscribed' || held=no; done
check "uid 65534 holds the three connections open to it" test "$held" = yes

out=$("$RCLC_PROBE" --uid 65534 "$sock" hello 2>&1)
check "uid 65534 cannot take a reserved connection: NO_SPACE saying why" \
	grep -q 'refused message=too many connections to reclaimd: 3 open, the other 3 of max-connections 6 are reserved for root and the admin group' <<<"$out"
out=$(nobody status 2>&1); rc=$?
check "reclaimctl as uid 65534 shows that refusal, exiting non-zero" \
	bash -c '[ "$0" -ne 0 ] && grep -q "reserved for root" <<<"$1"' "$rc" "$out"
check "root still connects and gets a reply" ctl status
out=$("$RCLC_PROBE" "$sock" hello)
check "... as an admin" grep -q 'uid=0 admin=1$' <<<"$out"
grep -q 'refused: too many connections to reclaimd' "$tmp/stderr"
check "the daemon logs the refusal with its reason" test $? = 0

# Let the holders go: EOF on their stdin; they unsubscribe and exit.
exec {hold}>&-
wait "${holders[@]}"
check "the holders exit cleanly" test $? = 0

# Root's groups, and one delegated to uid 65534 (like chown on a cgroup directory).
ctl memcg create /secret --max 8M >/dev/null
ctl memcg create /deleg --max 8M --owner 65534 >/dev/null
check "root creates /secret and /deleg (delegated to uid 65534)" \
	bash -c '"$0" --socket "$1" --json memcg list | python3 -c "import json,sys; p={m[\"path\"]: m[\"owner_uid\"] for m in json.load(sys.stdin)}; assert p[\"/secret\"]==0 and p[\"/deleg\"]==65534, p"' "$RECLAIMCTL" "$sock"
out=$(nobody memcg create /theirs --owner 65534 2>&1); rc=$?
check "uid 65534 cannot delegate a group to itself (PERMISSION_DENIED, exit 3)" \
	bash -c '[ "$0" -eq 3 ] && grep -q "owner_uid: only root or the admin group" <<<"$1"' "$rc" "$out"
check "uid 65534 creates a group inside its own" nobody memcg create /deleg/mine

# Delegation as cgroup v2 has it: the delegated group's limits and its removal stay with its
# parent's owner; the delegatee configures and removes what it makes below it.
out=$(nobody memcg set /deleg --max 1G 2>&1); rc=$?
check "uid 65534 cannot raise the max of the group delegated to it (exit 3, saying whose it is)" \
	bash -c '[ "$0" -eq 3 ] && grep -q "memcg set: /deleg was delegated to uid 65534: its limits and its removal belong to the owner of its parent (uid 0)" <<<"$1"' "$rc" "$out"
out=$(nobody memcg rm /deleg 2>&1); rc=$?
check "uid 65534 cannot remove it either (exit 3)" \
	bash -c '[ "$0" -eq 3 ] && grep -q "memcg delete: /deleg was delegated to uid 65534" <<<"$1"' "$rc" "$out"
# LIMIT of group PATH as `memcg stat --json` shows it (as uid 65534), e.g. max_bytes.
limit_is() {
	nobody --json memcg stat "$1" | python3 -c 'import json, sys
v = json.load(sys.stdin)["limits"][sys.argv[1]]
sys.exit(0 if str(v) == sys.argv[2] else "%s is %s" % (sys.argv[1], v))' "$2" "$3"
}
check "... and its max is still the 8 MiB root gave it" limit_is /deleg max_bytes 8388608
check "uid 65534 sets the limits of the group it made below" \
	nobody memcg set /deleg/mine --max 4M --high 3M
mine_limits() { limit_is /deleg/mine max_bytes 4194304 && limit_is /deleg/mine high_bytes 3145728; }
check "... which memcg stat reads back" mine_limits
make_and_remove() { nobody memcg create /deleg/tmp && nobody memcg rm /deleg/tmp; }
check "uid 65534 makes and removes a group below its own" make_and_remove
check "root still sets the delegated group's limits" ctl memcg set /deleg --max 16M
check "... and its text stat says so as memory.max reads" \
	bash -c '"$0" --socket "$1" memcg stat /deleg | grep -qx "memory.max 16777216"' \
	"$RECLAIMCTL" "$sock"

list=$(nobody --json memcg list)
check "uid 65534's memcg list: its own groups" \
	python3 -c 'import json,sys; p=[m["path"] for m in json.loads(sys.argv[1])]; assert "/deleg" in p and "/deleg/mine" in p, p' "$list"
check "... and none of root's" \
	python3 -c 'import json,sys; p=[m["path"] for m in json.loads(sys.argv[1])]; assert "/secret" not in p, p' "$list"
out=$(nobody memcg list /secret 2>&1); rc=$?
check "uid 65534 cannot list below root's group (exit 3)" \
	bash -c '[ "$0" -eq 3 ] && grep -q "/secret belongs to uid 0" <<<"$1"' "$rc" "$out"
out=$(nobody memcg stat /secret 2>&1); rc=$?
check "uid 65534 cannot stat root's group: PERMISSION_DENIED naming the owner, as regions" \
	bash -c '[ "$0" -eq 3 ] && grep -q "memcg stat: /secret belongs to uid 0" <<<"$1"' "$rc" "$out"
check "uid 65534 stats its own group" nobody memcg stat /deleg
check "... and the root group (the daemon's figures)" nobody memcg stat /
out=$("$RCLC_PROBE" --uid 65534 "$sock" memcg-events /secret)
check "uid 65534 cannot read root's group's events" \
	grep -q '^code=PERMISSION_DENIED message=memcg events: /secret belongs to uid 0$' <<<"$out"
out=$("$RCLC_PROBE" --uid 65534 "$sock" memcg-events /deleg)
check "uid 65534 reads its own group's events" grep -q '^code=OK' <<<"$out"
out=$(nobody pressure /secret 2>&1); rc=$?
check "uid 65534 cannot read root's group's pressure" \
	bash -c '[ "$0" -eq 3 ] && grep -q "pressure: /secret belongs to uid 0" <<<"$1"' "$rc" "$out"
check "uid 65534 reads its own group's pressure" nobody pressure /deleg
out=$(timeout 30 "$RCLC_PROBE" --uid 65534 "$sock" idle pressure:/secret 16 </dev/null)
check "uid 65534 cannot subscribe to root's group's pressure" \
	grep -q '^code=PERMISSION_DENIED message=subscribe: /secret belongs to uid 0$' <<<"$out"
out=$(timeout 30 "$RCLC_PROBE" --uid 65534 "$sock" idle pressure:/deleg 16 </dev/null)
check "uid 65534 subscribes to its own group's pressure" grep -q '^subscribed' <<<"$out"
out=$(timeout 30 "$RCLC_PROBE" --uid 65534 "$sock" idle trace 16 </dev/null)
check "uid 65534 cannot subscribe to trace points" \
	grep -q '^code=PERMISSION_DENIED message=subscribe: trace points are for root and the admin group only (uid 65534)$' <<<"$out"
out=$(timeout 30 setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" \
	--socket "$sock" trace --count 1 2>&1); rc=$?
check "... nor through reclaimctl trace (exit 3)" \
	bash -c '[ "$0" -eq 3 ] && grep -q "trace points are for root" <<<"$1"' "$rc" "$out"
out=$(timeout 30 "$RCLC_PROBE" "$sock" idle trace 16 </dev/null)
check "root subscribes to trace points" grep -q '^subscribed' <<<"$out"
check "global statistics stay readable by uid 65534" nobody stat meminfo

stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
