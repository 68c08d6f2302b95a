#!/bin/bash
# A mapped region OOM-killed (its memcg at memory.max with nothing reclaimable) is lost alone,
# as the kernel kills the task that owns the memory, not its neighbours. Before, the daemon
# shut the mapping's whole connection down: the request that caused the kill went unanswered,
# and every other mapping of the connection died with SIGSEGV. Now the daemon ends that
# mapping alone (its notice channel, MapRegionReply.loss_notice): the library makes it PROT_NONE
# and an access to it gets SIGSEGV with the library's message, never zeros; the connection,
# its requests and its other mapping go on, every byte kept; the client unmaps the lost one on
# the same connection. A library that takes no loss notices still gets SIGSEGV, not zeros: its
# connection is shut down, as before.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

skip_without_userfaultfd
plan 15

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
pages=256

# No swap: the memcg's anonymous pages cannot be reclaimed, so its limit ends in an OOM kill.
start_daemon --swap 0 --oom-policy 1 && ok "daemon is READY" || not_ok "daemon is READY"
ctl memcg create /keep >/dev/null
ctl memcg create /victim --max $((pages * 4))K >/dev/null
timeout 120 "$MAP_CLIENT" "$sock" oomkill /keep /victim "$pages" >"$tmp/out" 2>"$tmp/err"
rc=$?
sed 's/^/# /' "$tmp/out" "$tmp/err"
if [ "$rc" = 77 ]; then
	echo "1..0 # SKIP no userfaultfd for mapped regions here"
	exit 77
fi
read -r _ p q _ < <(grep '^regions ' "$tmp/out")
check "the touch that OOM-killed region Q is answered on the same connection" \
	grep -q '^touched R$' "$tmp/out"
kills=$(ctl --json memcg stat /victim | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"]["oom_kill"])')
check "... it was the memcg's OOM kill (memory.events oom_kill $kills)" test "$kills" = 1
check "the library ends Q's mapping (PROT_NONE)" grep -q '^lost Q$' "$tmp/out"
check "mapping P of the same connection keeps every byte, and stays read-write" \
	grep -q "^kept P $pages pages\$" "$tmp/out"
check "the connection goes on: a Read of P, Q not found" grep -q '^connection goes on$' "$tmp/out"
check "an access to Q ends in SIGSEGV (exit $rc)" test "$rc" = 139
check "... having read nothing" bash -c '! grep -q "^read Q" "$0"' "$tmp/out"
check "... and the library says why" \
	grep -q "reclaimd: mapped region ${q:-none} lost: reclaimd dropped it (its region OOM-killed or freed, or reclaimd gone)" \
	"$tmp/err"
check "the daemon ended that mapping, not the connection" \
	grep -q "region ${q:-none} went away while connection [0-9]* mapped it: ending that mapping alone (the connection goes on)" \
	"$tmp/stderr"

# Once told, the client unmaps the lost mapping on the same connection: the daemon forgets it
# (its descriptors and its count come back) though its region is gone.
ctl memcg create /victim2 --max $((pages * 4))K >/dev/null
timeout 120 "$MAP_CLIENT" "$sock" oomkill /keep /victim2 "$pages" unmap >"$tmp/out2" 2>"$tmp/err2"
rc=$?
sed 's/^/# /' "$tmp/out2" "$tmp/err2"
check "a second client unmaps its OOM-killed mapping, then its other one, and ends well (exit $rc)" \
	bash -c 'test "$0" = 0 && grep -q "^unmapped Q$" "$1"' "$rc" "$tmp/out2"

# A library that takes no loss notices (as one older than them; RECLAIMD_MAP_LOSS_NOTICE=0)
# learns of a loss only from its connection's hang-up: the daemon shuts that down as before,
# and every mapping of it ends in SIGSEGV, never zeros.
ctl memcg create /victim3 --max $((pages * 4))K >/dev/null
RECLAIMD_MAP_LOSS_NOTICE=0 timeout 120 "$MAP_CLIENT" "$sock" oomkill /keep /victim3 "$pages" \
	>"$tmp/out3" 2>"$tmp/err3"
rc=$?
sed 's/^/# /' "$tmp/out3" "$tmp/err3"
read -r _ _ q3 _ < <(grep '^regions ' "$tmp/out3")
check "without loss notices the kill closes the connection: the touch fails, both mappings end" \
	bash -c 'grep -q "^touch R: " "$0" && grep -q "^lost P and Q$" "$0"' "$tmp/out3"
check "... and a read of the killed one gets SIGSEGV (exit $rc), not zeros" \
	bash -c 'test "$0" = 139 && ! grep -q "^read Q" "$1"' "$rc" "$tmp/out3"
check "... the daemon saying why" \
	grep -q "region ${q3:-none} went away while connection [0-9]* mapped it: closing that connection (its client takes no loss notices)" \
	"$tmp/stderr"
stop_daemon
check "the daemon stops cleanly (exit ${EXIT:-none})" test "${EXIT:-}" = 0

finish
