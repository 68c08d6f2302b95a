#!/bin/bash
# Bad input: each gets a clear status or a closed connection, the daemon keeps serving a
# client that stays connected throughout, and nothing changes. Malformed frames, another
# uid's objects, admin-only requests, file paths leading out of the data directory.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 38

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }

# The socket is opened to everyone so that a second client can drop to uid 65534.
start_daemon --socket-mode 0666 --max-frame 64K && ok "daemon is READY" ||
	not_ok "daemon is READY"

# A client connected before and after all the bad input, on one connection.
coproc WATCH { exec "$RCLC_PROBE" "$sock" repl; }
echo >&"${WATCH[1]}"
expect_line "${WATCH[0]}" '^code=OK$' && ok "a client stays connected" ||
	not_ok "a client stays connected"
pfn=$(ctl alloc-pages 1)
region=$(ctl alloc 64K)
ctl write "$region" 100 "root's data"
# The snapshot leaves out which LRU list pages are on: a page written just now waits in a
# worker's per-thread pagevec and joins the LRU when that is drained, whatever else happens.
snapshot() { ctl stat buddyinfo; ctl stat meminfo | grep -Ev '^(Active|Inactive)'; }
before=$(snapshot)

out=$("$RCLC_PROBE" "$sock" oversize)
check "a frame over the limit: PROTOCOL_ERROR naming the sizes, then closed" \
	grep -qzE 'code=PROTOCOL_ERROR message=frame of 65537 bytes is over the limit of 65536 bytes.closed' <<<"$out"
out=$("$RCLC_PROBE" "$sock" garbage)
check "an undecodable frame: PROTOCOL_ERROR, then closed" \
	grep -qzE 'id=0 code=PROTOCOL_ERROR message=undecodable frame of 7 bytes.*closed' <<<"$out"
# Decoded, 32,760 empty ranges would take some 1.8 MB of the daemon's heap for a 64 KiB frame
# (700 MB for a 16 MiB one): refused in the decode, not after it.
out=$("$RCLC_PROBE" "$sock" empty-ranges)
check "a frame of 32760 empty ranges: undecodable (PROTOCOL_ERROR), then closed" \
	grep -qzE 'ranges=32760 .*code=PROTOCOL_ERROR message=undecodable frame of [0-9]+ bytes.*closed' <<<"$out"
# A string with a NUL inside decodes cut short at it (protobuf-c's C strings): "x", NUL, "y"
# wrote a file named x. Refused, naming the field, and nothing made.
out=$("$RCLC_PROBE" "$sock" nul-path)
check "a path with a NUL byte: INVALID_ARGUMENT naming the field" \
	grep -q '^code=INVALID_ARGUMENT message=file write: path holds a NUL byte, which no string may$' <<<"$out"
check "... and no file x was made" test ! -e "$tmp/data/x"
# Anyone who may connect can send undecodable frames by the thousand: the log says a few.
for i in $(seq 40); do "$RCLC_PROBE" "$sock" garbage >/dev/null; done
lines=$(grep -c 'undecodable frame' "$tmp/stderr")
check "40 undecodable frames more make a few log lines, not 40 ($lines)" test "$lines" -le 12
out=$("$RCLC_PROBE" "$sock" http)
check "bytes that are not frames: PROTOCOL_ERROR, then closed" \
	grep -qzE 'code=PROTOCOL_ERROR message=frame of [0-9]+ bytes is over the limit.*closed' <<<"$out"
check "a truncated frame: the client gets to close" \
	grep -q '^sent$' <<<"$("$RCLC_PROBE" "$sock" truncated)"
out=$("$RCLC_PROBE" "$sock" unknown)
check "an unknown message: UNSUPPORTED with its id, naming the field" \
	grep -q '^id=7 code=UNSUPPORTED message=unknown request (field 103)' <<<"$out"
check "... and the same connection keeps being served" \
	grep -q '^code=OK' <<<"$(tail -n +2 <<<"$out")"

out=$(ctl tunable set min_free_kbytes 99999999 2>&1); rc=$?
check "min_free_kbytes in range but past the arena: INVALID_ARGUMENT saying so" \
	test "$rc" = 1 -a -n "$(grep 'min_free_kbytes 99999999 is not below the arena.s [0-9]* KiB' <<<"$out")"
out=$("$RCLC_PROBE" --uid 65534 "$sock" hello)
check "uid 65534 connects and is not an admin" grep -q 'uid=65534 admin=0$' <<<"$out"
out=$("$RCLC_PROBE" --uid 65534 "$sock" free "$pfn" 1)
check "uid 65534 cannot free root's pages: PERMISSION_DENIED naming the owner" \
	grep -q "^code=PERMISSION_DENIED message=free pages: pfn $pfn belongs to uid 0$" <<<"$out"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" --socket "$sock" \
	tunable set min_free_kbytes 1000 2>&1)
check "uid 65534 cannot set a tunable (reclaimctl exits 3)" \
	bash -c '[ $0 -eq 3 ] && grep -q "only root or the admin group" <<<"$1"' $? "$out"
setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" --socket "$sock" shutdown \
	2>/dev/null
check "uid 65534 cannot shut the daemon down" test $? -eq 3

# Another uid's region, memcgs at the top level, file paths leading out of the data directory.
nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" --socket "$sock" "$@"; }
for cmd in "touch $region --write" "write $region 0 theirs" "read $region 0 16" "free $region" \
	   "madvise $region dontneed" "sync $region"; do
	out=$(nobody $cmd 2>&1)
	check "uid 65534 cannot ${cmd%% *} root's region: PERMISSION_DENIED naming the owner" \
		bash -c '[ $0 -eq 3 ] && grep -q "region $1 belongs to uid 0" <<<"$2"' $? "$region" "$out"
done
out=$(nobody memcg create /theirs 2>&1)
check "uid 65534 cannot create a top-level memcg" \
	bash -c '[ $0 -eq 3 ] && grep -q "only root or the admin group" <<<"$1"' $? "$out"
out=$(ctl alloc 4K --file ../escape 2>&1)
check "a file path with '..': INVALID_ARGUMENT naming it" \
	bash -c '[ $0 -eq 1 ] && grep -q "path .../escape. has a .... component" <<<"$1"' $? "$out"
out=$(ctl alloc 4K --file "$tmp/escape" 2>&1)
check "an absolute file path: INVALID_ARGUMENT naming it" \
	bash -c '[ $0 -eq 1 ] && grep -q "is absolute" <<<"$1"' $? "$out"
ln -s "$tmp" "$tmp/data/out"
out=$(ctl alloc 4K --file out/escape 2>&1)
check "a symlink leading out of the data directory: PERMISSION_DENIED" \
	bash -c '[ $0 -eq 3 ] && grep -q "leads out of the data directory" <<<"$1"' $? "$out"
check "no file was created outside the data directory" test ! -e "$tmp/escape"
# Names are text: bytes that are not UTF-8 would come back in answers and in --json output
# that no JSON parser takes.
out=$(ctl fwrite $'bad\xff\xfe.dat' 0 x 2>&1)
check "a file path that is not UTF-8: INVALID_ARGUMENT naming the field" \
	bash -c '[ $0 -eq 1 ] && grep -q "file write: path is not UTF-8 text" <<<"$1"' $? "$out"
out=$(ctl memcg create $'/caf\xe9' 2>&1)
check "a memcg name that is not UTF-8 (Latin-1): INVALID_ARGUMENT" \
	bash -c '[ $0 -eq 1 ] && grep -q "is not UTF-8 text" <<<"$1"' $? "$out"
check "... and neither was made" \
	bash -c '! ls -A "$0" | grep -q "^bad" && ! "$1" --socket "$2" memcg list | grep -q caf' \
	"$tmp/data" "$RECLAIMCTL" "$sock"
check "root's region still holds its data" test "$(ctl read "$region" 100 11)" = "root's data"

after=$(snapshot)
check "nothing changed: buddyinfo and meminfo are as before" test "$before" = "$after"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | sed 's/^/# /'

# A vectored madvise is checked whole before any range is acted on: FREE over an anonymous
# region and a file region (FREE is for anonymous memory) is refused naming ranges[1], and
# the anonymous region was not made lazy-free meanwhile: paged out, its bytes come back.
anon=$(ctl alloc 64K)
ctl write "$anon" 0 "anon's data"
filereg=$(ctl alloc 16K --file free.dat --shared)
out=$("$RCLC_PROBE" "$sock" madvise-free "$anon" "$filereg")
check "madvise FREE over [anon, file]: refused, naming ranges[1] and why" \
	grep -q "^refused: madvise: ranges\[1\]: FREE is for anonymous regions, and region $filereg maps a file; nothing was done$" <<<"$out"
ctl madvise "$anon" pageout >/dev/null
check "... and the anonymous region's bytes survive a pageout" \
	test "$(ctl read "$anon" 0 11)" = "anon's data"
ctl free "$anon"; ctl free "$filereg"; ctl rm free.dat
echo >&"${WATCH[1]}"
check "the client connected throughout is still answered" expect_line "${WATCH[0]}" '^code=OK$'
exec {WATCH[1]}>&-
ctl free-pages "$pfn" 1
check "root still frees its pages" test $? -eq 0

stop_daemon
check "the daemon exits 0, it never crashed" test "$EXIT" = 0
finish
