#!/bin/bash
# Files of the data directory: a client opens only what open(2) would let its uid, gid and
# groups open; a private region never changes its file; bad paths get a clear status naming
# them; msync of a range writes that range and says how much. Clients run as root and, with
# setpriv, as uids 65534 and 65533.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
command -v setpriv >/dev/null || { echo "1..0 # SKIP setpriv is missing"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root to switch uids"; exit 77; }
plan 44

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
as() { local u=$1; shift; setpriv --reuid "$u" --regid "$u" --clear-groups "$RECLAIMCTL" \
	--socket "$sock" "$@"; }
data=$tmp/data
quiet() { "$@" >/dev/null; }
# Bytes, size and mtime: what "unchanged on disk" means here.
fingerprint() { stat -c '%s %Y.%y' "$data/$1" && sha256sum <"$data/$1"; }
# Run a refused command: exit status $1 and its message matching $2.
refused() { local want=$1 re=$2; shift 2; out=$("$@" 2>&1); local rc=$?
	[ $rc -eq "$want" ] && grep -qE "$re" <<<"$out"; }

start_daemon --socket-mode 0666 && ok "daemon is READY" || not_ok "daemon is READY"

# Root's file, created through reclaimd with the default mode 0600.
r=$(ctl alloc 8K --file root.dat --shared)
ctl write "$r" 0 "root's secret" && ctl sync "$r" >/dev/null
check "root's file is recorded as root's, mode 0600" \
	grep -qx '0 0 0600 [0-9]* [0-9.-]* root.dat' "$tmp/state/file-owners"
before=$(fingerprint root.dat)
check "uid 65534 may not map root's file private: PERMISSION_DENIED naming owner and mode" \
	refused 3 "path 'root.dat' belongs to uid 0 \(group 0, mode 0600\): uid 65534 may not read it" \
	as 65534 alloc 4K --file root.dat
check "... nor shared" refused 3 "uid 65534 may not read and write it" \
	as 65534 alloc 4K --file root.dat --shared
check "... nor change its mode" refused 3 "only its owner, root or the admin group" \
	as 65534 chmod 0666 root.dat
check "root's file is unchanged on disk" test "$(fingerprint root.dat)" = "$before"

# A mode-600 file put there by hand: its on-disk owner and mode decide.
printf 'by hand' >"$data/hand.dat"; chmod 600 "$data/hand.dat"
hand=$(fingerprint hand.dat)
check "uid 65534 may not map a mode-600 file put there by hand" \
	refused 3 "path 'hand.dat' belongs to uid 0 \(group 0, mode 0600\)" \
	as 65534 alloc 4K --file hand.dat --shared
check "the file put there by hand is unchanged" test "$(fingerprint hand.dat)" = "$hand"

# Read for everyone: private yes, shared no.
ctl alloc 4K --file public.dat --shared --mode 0644 >/dev/null
p=$(as 65534 alloc 4K --file public.dat)
check "a file granted read to everyone (0644) maps private for uid 65534" test -n "$p"
check "... and not shared" refused 3 "may not read and write" \
	as 65534 alloc 4K --file public.dat --shared
check "root narrows it with chmod 0600" quiet ctl chmod 0600 public.dat
check "... and then uid 65534 may not map it private" refused 3 "mode 0600" \
	as 65534 alloc 4K --file public.dat

# uid 65534's own file.
n=$(as 65534 alloc 8K --file nobody.dat --shared)
check "uid 65534 creates its own file" test -n "$n"
check "... recorded as uid 65534's, gid 65534, mode 0600" \
	grep -qx '65534 65534 0600 [0-9]* [0-9.-]* nobody.dat' "$tmp/state/file-owners"
check "uid 65534 maps its own file again" quiet as 65534 alloc 4K --file nobody.dat --shared
check "uid 65533 may not map it" refused 3 "belongs to uid 65534" \
	as 65533 alloc 4K --file nobody.dat
check "uid 65533 may not chmod it" refused 3 "only its owner" as 65533 chmod 0666 nobody.dat
check "its owner grants everyone read and write" quiet as 65534 chmod 0666 nobody.dat
check "... then uid 65533 maps it shared" quiet as 65533 alloc 4K --file nobody.dat --shared
check "--mode beyond 0777 is a usage error" refused 64 "MODE must be octal" \
	ctl alloc 4K --file x.dat --shared --mode 1777

# A name with spaces at both ends, which the table must keep as it is.
check "uid 65534 creates ' lead ' (spaces at both ends)" \
	quiet as 65534 alloc 4K --file " lead " --shared --mode 0600

# The table outlives the daemon.
stop_daemon
check "the daemon stops cleanly" test "$EXIT" = 0
start_daemon --socket-mode 0666
check "after a restart uid 65534 still may not map root's file" refused 3 "belongs to uid 0" \
	as 65534 alloc 4K --file root.dat
check "... and uid 65533 still may map uid 65534's file shared (0666)" \
	quiet as 65533 alloc 4K --file nobody.dat --shared
check "... uid 65534 still owns ' lead ', spaces and all" \
	quiet as 65534 chmod 0640 " lead "
check "... uid 65533 may not map it" refused 3 "path ' lead ' belongs to uid 65534" \
	as 65533 alloc 4K --file " lead "
check "... and the table, written again, keeps the spaces" \
	grep -qx '65534 65534 0640 [0-9]* [0-9.-]*  lead ' "$tmp/state/file-owners"

# A private region leaves its file alone: bytes, size and mtime; past the end reads zeros.
printf 'twelve bytes' >"$data/short.dat"; chmod 644 "$data/short.dat"
short=$(fingerprint short.dat)
v=$(as 65534 alloc 16K --file short.dat)
as 65534 write "$v" 0 "OVERWRITTEN!" && as 65534 write "$v" 9000 "past the end"
check "a private region reads back its own writes" \
	test "$(as 65534 read "$v" 0 12)" = "OVERWRITTEN!"
as 65534 sync "$v" >/dev/null && as 65534 free "$v"
check "after writes, sync and free the file's bytes, size and mtime are unchanged" \
	test "$(fingerprint short.dat)" = "$short"
v=$(as 65534 alloc 16K --file short.dat)
check "a private region shows the file, then zeros past its end" \
	test "$(as 65534 read "$v" 0 12)" = "twelve bytes"
check "... every byte past the end is zero" \
	test "$(as 65534 read "$v" 12 16372 | tr -d '\0' | wc -c)" = 0
check "a private region over a missing file: NOT_FOUND naming the path" \
	refused 2 "path 'missing.dat': no such file" ctl alloc 4K --file missing.dat
check "... and nothing was created" test ! -e "$data/missing.dat"

# Paths: a clear status naming them, never INTERNAL.
mkdir "$data/d"
for c in ".:1:'.' has a '.' component" "d/:1:'d/' ends in '/'" "a//b:1:'a//b' has an empty" \
	 "d:1:'d' is a directory" "root.dat/x:2:'root.dat/x': a component is not a directory" \
	 "../x:1:'../x' has a '..' component" "/abs:1:'/abs' is absolute" \
	 ":1:path: empty; name a file" "nodir/x.dat:2:'nodir/x.dat': no such file"; do
	IFS=: read -r path code re <<<"$c"
	check "path '$path' (shared): status $code naming it" \
		refused "$code" "$re" ctl alloc 4K --file "$path" --shared
done

# msync of a range writes that range only and says how many pages.
s=$(ctl alloc 64K --file ranged.dat --shared)
ctl touch "$s" --write >/dev/null
check "sync of pages 4..7 writes 4 pages" test "$(ctl sync "$s" 4 4)" = "4 pages written"
check "sync of the region then writes the other 12" \
	test "$(ctl sync "$s")" = "12 pages written"
stop_daemon
finish
