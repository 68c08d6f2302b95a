#!/bin/bash
# A mapped region is not freed under its mapping (attack15 #3). Before, a RegionFree of it
# from another connection of the same uid made the daemon shut the mapping's connection
# down: that connection's other regions were freed with their bytes and its other mappings
# died with SIGSEGV. Now the free is refused with BUSY naming the region and what to do, and
# changes nothing; so is one from the mapping's own connection (which lost that connection
# the same way). After the unmap either connection frees it.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

skip_without_userfaultfd
plan 8

# Unprivileged as in the attack, where this test may switch uids.
as=()
[ "$(id -u)" = 0 ] && as=(--uid 65534)

start_daemon --socket-mode 0666 && ok "daemon is READY" || not_ok "daemon is READY"
timeout 120 "$MAP_CLIENT" "${as[@]}" "$sock" freemapped >"$tmp/out" 2>"$tmp/err"
rc=$?
sed 's/^/# /' "$tmp/out" "$tmp/err"
check "the client ends well (exit $rc), no SIGSEGV" test "$rc" = 0
check "another connection's free of mapped region P: BUSY, unmap it there first" \
	grep -qE '^free P: code=BUSY message=region free: region [0-9]+ is mapped by connection [0-9]+: unmap it there first; nothing was freed$' \
	"$tmp/out"
check "the mapping connection's own free of mapped region Q: BUSY, unmap it first" \
	grep -qE '^free Q: code=BUSY message=region free: region [0-9]+ is mapped by this connection: unmap it first; nothing was freed$' \
	"$tmp/out"
check "the mapping connection, its region N and both mappings keep their bytes" \
	grep -qx 'kept N P Q' "$tmp/out"
check "after the unmap the other connection frees P" grep -qx 'freed P after unmap' "$tmp/out"
check "... and the mapping connection frees Q" grep -qx 'freed Q after unmap' "$tmp/out"
stop_daemon
check "no connection was closed for a lost mapping, and the daemon stops cleanly" \
	bash -c '! grep -q "while connection .* mapped it" "$0" && [ "$1" = 0 ]' \
	"$tmp/stderr" "${EXIT:-}"

finish
