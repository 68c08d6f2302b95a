#!/bin/bash
# A PSI subscription outlives the memcg it watches: the group is deleted, its id (a slot and a
# 16-bit generation) comes back with another group once the generation wraps, and that group
# may be another uid's. uid 65534 subscribes to its own /a/x and deletes it; uid 65533 makes
# /b/secret, which gets the same id, and makes it stall. The old subscription must hear
# nothing of it but that /a/x went (its listener is ended with its group, and no event goes
# to a uid that may not see the group), while root's subscription to /b/secret hears the
# stall. The daemon wraps the
# generations at 2 here (RECLAIMD_TEST_MEMCG_GENERATIONS), so that two deletes bring the id
# back instead of 65,536.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

skip_unless_setpriv
plan 8

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
printf '#!/bin/sh\nuid=$1; shift\nexec setpriv --reuid "$uid" --regid "$uid" --clear-groups "%s" --socket "%s" "$@"\n' \
	"$RECLAIMCTL" "$sock" >"$tmp/as"
chmod +x "$tmp/as"
as() { local uid=$1; shift; setpriv --reuid "$uid" --regid "$uid" --clear-groups "$RECLAIMCTL" --socket "$sock" "$@"; }
reports() { test "$(grep -c '^events=' "$1")" -ge "$2"; }

RECLAIMD_TEST_MEMCG_GENERATIONS=2 start_daemon --socket-mode 0666 &&
	ok "daemon (memcg ids back after 2 groups a slot) is READY" || not_ok "daemon is READY"
ctl memcg create /a --owner 65534 >/dev/null
ctl memcg create /b --owner 65533 >/dev/null
as 65534 memcg create /a/x >/dev/null

# uid 65534's subscription to /a/x, kept open; a line on its stdin makes it report.
mkfifo "$tmp/a-in" "$tmp/root-in"
exec {a_in}<>"$tmp/a-in" {root_in}<>"$tmp/root-in"
timeout 120 "$RCLC_PROBE" --uid 65534 "$sock" events psi:/a/x 64 <"$tmp/a-in" \
	>"$tmp/a-out" 2>&1 {a_in}>&- {root_in}>&- &
a_pid=$!
check "uid 65534 subscribes to PSI of its /a/x" wait_line "$tmp/a-out" '^subscribed'

# /a/x's slot is the lowest free one, taken by /a/y and then /b/secret: the second group
# after /a/x there has its id again.
check "uid 65534 deletes /a/x, makes and deletes /a/y; uid 65533 makes /b/secret" \
	bash -c '"$0" 65534 memcg rm /a/x && "$0" 65534 memcg create /a/y >/dev/null &&
		 "$0" 65534 memcg rm /a/y && "$0" 65533 memcg create /b/secret --max 2M >/dev/null' \
	"$tmp/as"

# Root watches /b/secret too: its event says the stall happened and the triggers were looked
# at, the old subscription's among them (one pass over every listener a sample).
timeout 120 "$RCLC_PROBE" "$sock" events psi:/b/secret 64 <"$tmp/root-in" \
	>"$tmp/root-out" 2>&1 {a_in}>&- {root_in}>&- &
root_pid=$!
check "root subscribes to PSI of /b/secret" wait_line "$tmp/root-out" '^subscribed'
id=$(as 65533 alloc 8M --memcg /b/secret)
heard=
for i in $(seq 60); do		# an 8M region in a 2M group, written over: it stalls
	as 65533 touch "$id" --write >/dev/null
	echo >&"$root_in"
	until_true 10 reports "$tmp/root-out" "$i" || break
	tail -1 "$tmp/root-out" | grep -q '^events=0 ' || { heard=yes; break; }
done
check "root hears /b/secret stall" test -n "$heard"
echo >&"$a_in"
check "uid 65534's old subscription heard nothing of it, but that /a/x went" \
	wait_line "$tmp/a-out" '^events=0 overflow=0 ended=1$'
grep -q '^events=' "$tmp/a-out" || sed 's/^/# /' "$tmp/a-out"
exec {a_in}>&- {root_in}>&-
wait "$a_pid" "$root_pid"
check "memcg list as uid 65534 shows its /a and none of uid 65533's groups" \
	bash -c 'grep -q "^/a " <<<"$1" && ! grep -q /b <<<"$1"' _ "$(as 65534 memcg list)"
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
