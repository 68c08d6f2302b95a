#!/bin/bash
# Buffered file I/O over the socket: fwrite creates a file as the client's, fread reads it
# back (vectored), the page cache reads each page from the file once (pgpgin) and
# none once cached, the file region rules decide who may read or write, bad requests are
# refused naming the field and change nothing, rm removes only one's own files. Reads charge
# the memcg named on the request, else the client's Hello memcg; fadvise DONTNEED drops a
# file's cached pages and WILLNEED reads them in; a memcg whose open files have closed goes.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
command -v setpriv >/dev/null || { echo "1..0 # SKIP setpriv is missing"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root to switch uids"; exit 77; }
plan 43

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
as() { local u=$1; shift; setpriv --reuid "$u" --regid "$u" --clear-groups "$RECLAIMCTL" \
	--socket "$sock" "$@"; }
refused() { local want=$1 re=$2; shift 2; out=$("$@" 2>&1); local rc=$?
	[ $rc -eq "$want" ] && grep -qE "$re" <<<"$out"; }
# Pages read from files: pgpgin counts KiB (and swap-ins, which this test has none of).
majflt() { ctl stat vmstat | awk '$1 == "pgpgin" { print $2 / 4 }'; }
data=$tmp/data
# A memcg's memory.stat value.
mstat() { ctl memcg stat "$1" | awk -v k="$2" '$1 == k { print $2 }'; }

start_daemon --socket-mode 0666 && ok "daemon is READY" || not_ok "daemon is READY"

check "uid 65534 creates a file with fwrite" as 65534 fwrite mine.dat 0 "hello, page cache"
check "... recorded as uid 65534's, mode 0600" \
	grep -qE '^65534 65534 0600 [0-9]+ [0-9.-]+ mine.dat$' "$tmp/state/file-owners"
check "fread gives the bytes back" test "$(as 65534 fread mine.dat 0 17)" = "hello, page cache"
check "a vectored fread gives each range in order" \
	test "$(as 65534 fread mine.dat 7 4 0 5)" = "pagehello"
check "fread stops at the end of the file" test "$(as 65534 fread mine.dat 13 100)" = "ache"
check "uid 65533 may not read uid 65534's file" \
	refused 3 "path 'mine.dat' belongs to uid 65534 .*uid 65533 may not read it" \
	as 65533 fread mine.dat 0 4
check "... nor write it" refused 3 "uid 65533 may not write it" as 65533 fwrite mine.dat 0 x

# A file put there by hand, readable by all: read yes, write no.
head -c 65536 /dev/urandom >"$data/hand.dat"; chmod 644 "$data/hand.dat"
sum=$(sha256sum <"$data/hand.dat")
m0=$(majflt)
check "uid 65533 reads a 0644 file of 16 pages (discarding the data)" \
	test "$(as 65533 fread hand.dat 0 64K --discard)" = 65536
m1=$(majflt)
check "... 16 pages read: each page read from the file once" test $((m1 - m0)) -eq 16
as 65533 fread hand.dat 0 64K --discard >/dev/null
check "... and none the second time: the pages are cached" test "$(majflt)" -eq "$m1"
check "the data read matches the file" \
	test "$(ctl fread hand.dat 4096 8192 | sha256sum)" = \
	     "$(tail -c +4097 "$data/hand.dat" | head -c 8192 | sha256sum)"
check "uid 65533 may not write the 0644 file" refused 3 "may not write it" \
	as 65533 fwrite hand.dat 0 x
check "--fill writes LEN bytes of BYTE" ctl fwrite fill.dat 4096 --fill 0x41 --length 8K
check "... read back" test "$(ctl fread fill.dat 4096 8192 | tr -d A | wc -c)" -eq 0

# Refusals name the field and change nothing.
check "a range of length 0 is INVALID_ARGUMENT naming it" \
	refused 1 "ranges\[1\]: offset 0 length 0" ctl fread hand.dat 0 1 0 0
# 2^43, the page cache's end: named as such, not as "not a regular file".
check "a write at 8 TiB, past the page cache's end, is INVALID_ARGUMENT naming the limit" \
	refused 1 "offset 8796093022208 length 5 must be a non-empty range below 8796093022208" \
	ctl fwrite hand.dat 8796093022208 hello
check "a read over the frame limit is INVALID_ARGUMENT, nothing allocated for it" \
	refused 1 "104857600 bytes in 1 range are over the daemon's frame limit" \
	ctl fread hand.dat 0 100M
check "... but --discard reads it" test "$(ctl fread hand.dat 0 100M --discard)" = 65536
check "a path leading out is INVALID_ARGUMENT" refused 1 "'\.\.' component" \
	ctl fread ../x 0 1
check "a missing memcg is NOT_FOUND" refused 2 "memcg" ctl fread hand.dat 0 1 --memcg /none
check "fadvise of an unknown advice is a usage error" refused 64 "unknown ADVICE" \
	ctl fadvise hand.dat sideways
check "fadvise random is accepted" ctl fadvise hand.dat random
check "uid 65533 may not remove root's file" refused 3 "only its owner" as 65533 rm hand.dat
check "root removes it" eval 'ctl rm hand.dat && ! test -e "$data/hand.dat"'

# The memcg a read charges, and fadvise.
head -c 65536 /dev/urandom >"$data/a.dat"; head -c 65536 /dev/urandom >"$data/b.dat"
head -c 65536 /dev/urandom >"$data/c.dat"
ctl memcg create /fio && ctl memcg create /hello
ctl fread a.dat 0 64K --discard --memcg /fio >/dev/null
check "fread --memcg /fio charges the 16 pages it read to /fio" test "$(mstat /fio file)" -eq 65536
check "... and none to /hello" test "$(mstat /hello file)" -eq 0
m0=$(majflt)
check "fadvise dontneed is accepted" ctl fadvise a.dat dontneed
check "... and drops the file's cached pages from /fio" test "$(mstat /fio file)" -eq 0
ctl fread a.dat 0 64K --discard >/dev/null
check "... so the next read reads the 16 pages from the file again" test $(($(majflt) - m0)) -eq 16
ctl fadvise a.dat dontneed
check "a read naming no memcg is charged to the client's Hello memcg" \
	test "$("$RCLC_PROBE" --hello-memcg /hello "$sock" fread b.dat 65536)" = "code=OK message="
check "... /hello holds its 16 pages" test "$(mstat /hello file)" -eq 65536
m0=$(majflt)
check "fadvise willneed --memcg /fio is accepted" ctl fadvise c.dat willneed --memcg /fio
check "... it read the 16 pages into /fio" \
	eval '[ $(($(majflt) - m0)) -eq 16 ] && [ "$(mstat /fio file)" -eq 65536 ]'
ctl fread c.dat 0 64K --discard >/dev/null
check "... and a read after it reads nothing from the file" test $(($(majflt) - m0)) -eq 16
# A closed connection's open files are closed on a worker after the close: poll, bounded.
rm_within() { local deadline=$((SECONDS + 20))
	while [ "$SECONDS" -lt "$deadline" ]; do
		ctl memcg rm "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1; }
check "with their connections closed, the memcgs' open files are closed: both memcgs go" \
	eval 'rm_within /fio && rm_within /hello'
# A connection that holds a file open charged to /hold keeps /hold; its end lets it go.
ctl memcg create /hold
mkfifo "$tmp/hold"
"$RCLC_PROBE" --hello-memcg /hold "$sock" fread b.dat 4096 hold <"$tmp/hold" >"$tmp/held" &
exec {hfd}>"$tmp/hold"
deadline=$((SECONDS + 20))
while [ "$SECONDS" -lt "$deadline" ] && ! grep -q "code=OK" "$tmp/held"; do sleep 0.05; done
check "a connection holds b.dat open, charged to /hold" grep -q "code=OK" "$tmp/held"
check "... so /hold cannot be removed: BUSY naming open files" \
	refused 10 "still has child groups, regions or open files" ctl memcg rm /hold
exec {hfd}>&-
check "... until that connection ends" rm_within /hold

# Requests name files by path: a connection that read a file reads what the path names now,
# not the file it opened before another client removed and replaced it.
ctl fwrite swap.dat 0 AAAAAAAA >/dev/null
mkfifo "$tmp/reader.in"
: >"$tmp/reader.out"
"$RCLC_PROBE" "$sock" fread-each swap.dat 8 >>"$tmp/reader.out" <"$tmp/reader.in" &
reader=$!
exec {rfd}>"$tmp/reader.in"
# read_now N: one more read on that connection; print its answer, the Nth line (bounded).
read_now() {
	local deadline=$((SECONDS + 20))

	echo >&"$rfd"
	while [ "$SECONDS" -lt "$deadline" ] && [ "$(wc -l <"$tmp/reader.out")" -lt "$1" ]; do
		sleep 0.05
	done
	sed -n "${1}p" "$tmp/reader.out"
}
first=$(read_now 1)
ctl rm swap.dat
gone=$(read_now 2)
ctl fwrite swap.dat 0 BBBBBBBB >/dev/null
second=$(read_now 3)
exec {rfd}>&-
wait "$reader"
echo "# one connection read: $first / $gone / $second"
check "a connection reads a file it opened" test "$first" = 4141414141414141
check "... finds it gone once another client removed it" \
	grep -q "no such file" <<<"$gone"
check "... and reads the new file at that path, not the old one it held" \
	test "$second" = 4242424242424242

stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
