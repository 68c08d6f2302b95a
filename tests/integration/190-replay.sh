#!/bin/bash
# reclaimctl replay through `reclaimd --deterministic`: a synthetic trace (zipf, a loop larger
# than the cache, a one-off scan, then all mixed) gives exactly the in-process engine's
# misses at every cache size, twice in a row, as faults (--access mmap) and as read() calls
# charged to a memcg per size (--access read); a cache larger than the footprint misses
# exactly the footprint; --fadvise normal and sequential read ahead (a small cache thrashes
# on the windows) where random reads exactly what is asked, for read() and for faults (the
# region madvised as --fadvise says, random by default); `reclaimctl madvise` sets a file
# region's read pattern (normal, random, sequential) and refuses other names; the summary
# counts the memcg's reclaim; --plot draws a PNG with gnuplot; a progress bar shows on a
# terminal only; a malformed trace, or a replay the daemon refuses, leaves no memcg, region or
# file behind. The daemon's misses match the engine's under --reclaim-policy clock-pro too.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 is missing"; exit 77; }
# Every replay here runs a --deterministic daemon (one worker, synchronous I/O) and the
# in-process engine (one thread): ThreadSanitizer finds nothing the TSan suite's threaded
# daemons do not meet, and the run cost 60 s of CI under it. The plain and ASan builds run it.
if [ "${RCL_SANITIZER:-none}" = tsan ]; then
	echo "1..0 # SKIP deterministic replays: one engine thread, nothing for ThreadSanitizer"
	exit 0
fi
plan 49

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
refused() { local want=$1 re=$2; shift 2; out=$("$@" 2>&1); local rc=$?
	[ $rc -eq "$want" ] && grep -qE "$re" <<<"$out"; }
misses() { python3 -c 'import json,sys; print(" ".join(str(o["misses"]) for o in json.load(sys.stdin)))'; }
nothing_left() { [ "$(ctl memcg list | wc -l)" -eq 1 ] && [ -z "$(ls -A "$tmp/data")" ] &&
	! grep -q replay "$tmp/state/file-owners" 2>/dev/null; }

# 1200 zipf(1.1) draws over 500 ids, a loop of 700 ids three times, a scan of 900 new ids,
# then zipf and loop interleaved.
python3 - "$tmp/trace.txt" <<'PY'
import random, sys
rnd = random.Random(12)
def zipf(n, s):
    w = [1.0 / (i + 1) ** s for i in range(n)]
    return lambda: rnd.choices(range(n), weights=w)[0]
z = zipf(500, 1.1)
ids = [z() for _ in range(1200)]
ids += [10000 + i for i in range(700)] * 3
ids += [20000 + i for i in range(900)]
for i in range(1500):
    ids.append(z() if i % 2 else 10000 + i % 700)
open(sys.argv[1], "w").write("\n".join(map(str, ids)) + "\n")
PY
footprint=$(sort -u "$tmp/trace.txt" | wc -l)
sizes=256K,1M,2M,4M,16M

start_daemon --deterministic --arena 16M --swap 16M && ok "reclaimd --deterministic is READY" ||
	not_ok "reclaimd --deterministic is READY"
d1=$(ctl --json replay "$tmp/trace.txt" --format text --access mmap --cache $sizes | misses)
d2=$(ctl --json replay "$tmp/trace.txt" --format text --access mmap --cache $sizes | misses)
mkdir -p "$tmp/engine/data"
e=$("$REPLAY_ENGINE" --arena 16M --swap 16M --dir "$tmp/engine" --format text --access mmap \
	--cache $sizes "$tmp/trace.txt" | awk '{ print $2 }' | paste -sd ' ')
echo "# daemon: $d1 / $d2, engine: $e, footprint $footprint"
check "five sizes replayed through the daemon" test "$(wc -w <<<"$d1")" -eq 5
check "the daemon's misses are the in-process engine's at every size" test "$d1" = "$e"
check "... and again on the second run" test "$d2" = "$e"
check "the misses fall as the cache grows" eval '[ "${d1%% *}" -gt "${d1##* }" ]'
check "a 16M cache (larger than the footprint) misses exactly the footprint" \
	test "${d1##* }" -eq "$footprint"

# read(): each size in a fresh memcg with that memory.max, random advice.
r1=$(ctl --json replay "$tmp/trace.txt" --format text --access read --cache $sizes | misses)
r2=$(ctl --json replay "$tmp/trace.txt" --format text --access read --cache $sizes | misses)
re=$("$REPLAY_ENGINE" --arena 16M --swap 16M --dir "$tmp/engine" --format text --access read \
	--cache $sizes "$tmp/trace.txt" | awk '{ print $2 }' | paste -sd ' ')
echo "# read: daemon $r1 / $r2, engine: $re"
check "--access read: five sizes replayed" test "$(wc -w <<<"$r1")" -eq 5
check "--access read: the daemon's misses are the in-process engine's at every size" \
	test "$r1" = "$re"
check "... and again on the second run" test "$r2" = "$re"
check "--access read: the misses fall as the cache grows" eval '[ "${r1%% *}" -gt "${r1##* }" ]'
check "--access read: a 16M cache misses exactly the footprint" test "${r1##* }" -eq "$footprint"
check "--access read: the small cache's reclaim is counted (pgscan, pgsteal > 0)" \
	eval 'ctl --json replay "$tmp/trace.txt" --format text --access read --cache 256K |
	python3 -c "import json,sys; o = json.load(sys.stdin)[0]; sys.exit(not (o[\"pgscan\"] > 0 and o[\"pgsteal\"] > 0))"'

# A sequential read of 2048 pages: random advice reads each page once whatever the cache;
# normal advice reads ahead in windows that a 64K cache cannot hold, so it reads far more.
seq 0 2047 >"$tmp/seq.txt"
fa() { ctl --json replay "$tmp/seq.txt" --format text --access read --cache 64K,16M \
	--fadvise "$1" | misses; }
fr=$(fa random); fn=$(fa normal); fs=$(fa sequential)
en=$("$REPLAY_ENGINE" --arena 16M --swap 16M --dir "$tmp/engine" --format text --access read \
	--cache 64K,16M --fadvise normal "$tmp/seq.txt" | awk '{ print $2 }' | paste -sd ' ')
echo "# sequential trace: random $fr, normal $fn (engine $en), sequential $fs"
check "--fadvise random reads exactly the 2048 pages at 64K and 16M" test "$fr" = "2048 2048"
check "--fadvise normal at 64K reads ahead more than it can keep (> 2048 pages read)" \
	test "${fn%% *}" -gt 2048
check "--fadvise normal: a 16M cache reads each page once" test "${fn##* }" -eq 2048
check "--fadvise normal: the daemon's pages read are the in-process engine's" test "$fn" = "$en"
check "--fadvise sequential at 64K reads ahead too (> 2048 pages read)" test "${fs%% *}" -gt 2048

# The same as faults: --access mmap madvises the region random unless --fadvise says
# otherwise, and MADV_RANDOM reads only the faulting page, whatever the cache.
fm() { ctl --json replay "$tmp/seq.txt" --format text --access mmap --cache 64K,16M \
	${1:+--fadvise "$1"} | misses; }
em() { "$REPLAY_ENGINE" --arena 16M --swap 16M --dir "$tmp/engine" --format text --access mmap \
	--cache 64K,16M ${1:+--fadvise "$1"} "$tmp/seq.txt" | awk '{ print $2 }' | paste -sd ' '; }
md=$(fm); mr=$(fm random); mn=$(fm normal); ms=$(fm sequential); ms2=$(fm sequential)
emd=$(em); ems=$(em sequential)
echo "# sequential trace as faults: default $md, random $mr, normal $mn," \
	"sequential $ms / $ms2 (engine: default $emd, sequential $ems)"
check "--access mmap reads exactly the 2048 faulted pages at 64K and 16M by default" \
	test "$md" = "2048 2048"
check "--access mmap --fadvise random reads exactly the 2048 pages too" test "$mr" = "2048 2048"
check "--access mmap --fadvise sequential at 64K reads ahead more than it can keep (> 2048)" \
	test "${ms%% *}" -gt 2048
check "--access mmap --fadvise sequential: a 16M cache reads each page once" \
	test "${ms##* }" -eq 2048
check "--access mmap --fadvise normal at 64K reads around the misses (> 2048)" \
	test "${mn%% *}" -gt 2048
check "--access mmap: the daemon's pages read are the engine's, random and sequential, twice" \
	test "$md $ms $ms2" = "$emd $ems $ems"

# reclaimctl madvise: the read pattern of a fresh (uncached) file region's faults. Random
# reads the faulting page alone, normal reads around it; other names are refused.
pgpgin() { ctl stat vmstat | sed -n 's/^pgpgin //p'; }
fault_read_kib() {
	local id before
	id=$(ctl alloc 1M --file "adv-$1.dat" --shared) || return 1
	ctl madvise "$id" "$1" >/dev/null || return 1
	before=$(pgpgin)
	ctl touch "$id" 100 1 >/dev/null || return 1
	echo $(($(pgpgin) - before))
	ctl free "$id" >/dev/null
}
kr=$(fault_read_kib random); kn=$(fault_read_kib normal)
echo "# one fault on a fresh file region: random read $kr KiB, normal $kn KiB"
check "madvise ID random: a fault reads only its page (4 KiB)" test "$kr" = 4
check "madvise ID normal: a fault reads around it (> 4 KiB)" eval '[ "${kn:-0}" -gt 4 ]'
id=$(ctl alloc 64K --file adv-bad.dat --shared)
check "madvise ID bogus is refused as a usage error (exit 64)" \
	refused 64 "unknown advice" ctl madvise "$id" bogus
check "madvise ID sequential is accepted on the whole region" \
	eval '[ "$(ctl madvise "$id" sequential)" = "16 pages" ]'
ctl free "$id" >/dev/null
for f in random normal bad; do ctl rm "adv-$f.dat"; done

r=$(ctl --json replay "$tmp/trace.txt" --format text --access read | misses)
check "--access read without a limit misses exactly the footprint" test "$r" -eq "$footprint"

# --plot: a PNG (its 8 signature bytes) where gnuplot is installed; refused up front without.
if command -v gnuplot >/dev/null; then
	rm -f "$tmp/mrc.png"
	ctl replay "$tmp/trace.txt" --format text --access read --cache 256K,1M,4M \
		--plot "$tmp/mrc.png" >/dev/null
	check "--plot draws the miss-ratio curve into a PNG" \
		test "$(head -c 8 "$tmp/mrc.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a
else
	ok "--plot draws the miss-ratio curve into a PNG # SKIP gnuplot is missing"
fi
check "--plot without gnuplot in PATH is refused naming it (exit 64), drawing nothing" \
	eval 'refused 64 "plot needs gnuplot, which is not in PATH" env PATH=/nonexistent "$RECLAIMCTL" --socket "$sock" \
	replay "$tmp/trace.txt" --format text --cache 1M --plot "$tmp/none.png" &&
	! test -e "$tmp/none.png"'

# The progress bar: on a terminal only.
if script -qec true /dev/null >/dev/null 2>&1; then
	out=$(script -qec "$RECLAIMCTL --socket $sock replay $tmp/trace.txt --format text \
		--cache 1M" /dev/null)
	check "on a terminal, a progress bar runs to 100% of the 5700 accesses" \
		grep -q "1024 KiB: 100.0% of 5700 accesses" <<<"$out"
else
	ok "on a terminal, a progress bar runs to 100% of the 5700 accesses # SKIP no script(1)"
fi
ctl replay "$tmp/trace.txt" --format text --cache 1M >/dev/null 2>"$tmp/progress.err"
check "... and none when standard error is not a terminal" test ! -s "$tmp/progress.err"
check "nothing is left behind: no memcg, no file" nothing_left

# Ids are decimal, zero-padded or not, hex with 0x: 10, 8, 10, 8, 16 is three pages.
printf '0010\n8\n10\n0008\n0x10\n' >"$tmp/padded.txt"
check "zero-padded ids are decimal, not octal: three distinct pages miss" \
	test "$(ctl --json replay "$tmp/padded.txt" --format text --cache 1M | misses)" = 3
printf '1\n2\nthree\n' >"$tmp/bad.txt"
check "a garbage line is refused naming it (exit 64)" \
	refused 64 "bad.txt:3: 'three' is not an object id" ctl replay "$tmp/bad.txt" --format text
check "--cache past 16 EiB is refused as not a size, not as below 4K (exit 64)" \
	refused 64 "takes sizes \(K, M or G, below 16 EiB in all\)" ctl replay "$tmp/trace.txt" \
	--format text --cache 99999999999999G
head -c 30 /dev/zero >"$tmp/bad.bin"
check "a truncated oracleGeneral record is refused naming it" \
	refused 64 "bad.bin: record 2 \(byte 24\) is truncated: 6 of 24 bytes" \
	ctl replay "$tmp/bad.bin"
# 9001 pages are over the default max-client-bytes (arena + swap, 32M): the region is refused
# after the memcg was made.
seq 0 9000 >"$tmp/big.txt"
check "a replay whose file region is over the client's bytes is refused naming the limit" \
	refused 5 "over the limit \(max-client-bytes" ctl replay "$tmp/big.txt" --format text \
	--access read --cache 1M
check "... and leaves nothing behind: no memcg, no file" nothing_left

stop_daemon

# CLOCK-Pro: a deterministic daemon of that policy against the engine configured with it,
# as faults and as read() calls, twice each. The two-list figures above are the baseline
# the policy's must differ from somewhere, or the option reached neither side.
start_daemon --deterministic --arena 16M --swap 16M --reclaim-policy clock-pro &&
	ok "reclaimd --deterministic --reclaim-policy clock-pro is READY" ||
	not_ok "reclaimd --deterministic --reclaim-policy clock-pro is READY"
check "status says reclaim policy clock-pro" grep -q "reclaim policy clock-pro" <<<"$(ctl status)"
eng() { "$REPLAY_ENGINE" --arena 16M --swap 16M --dir "$tmp/engine" --format text \
	--reclaim-policy clock-pro --access "$1" --cache $sizes "$tmp/trace.txt" |
	awk '{ print $2 }' | paste -sd ' '; }
for access in mmap read; do
	c1=$(ctl --json replay "$tmp/trace.txt" --format text --access $access --cache $sizes |
		misses)
	c2=$(ctl --json replay "$tmp/trace.txt" --format text --access $access --cache $sizes |
		misses)
	ce=$(eng $access)
	[ $access = mmap ] && two=$d1 || two=$r1
	echo "# clock-pro --access $access: daemon $c1 / $c2, engine $ce (two-list $two)"
	check "clock-pro --access $access: the daemon's misses are the engine's at every size" \
		eval '[ "$(wc -w <<<"$c1")" -eq 5 ] && [ "$c1" = "$ce" ]'
	check "... and again on the second run" test "$c2" = "$ce"
	check "clock-pro --access $access: its misses are not two-list's" test "$ce" != "$two"
done
check "clock-pro: nothing is left behind: no memcg, no file" nothing_left
stop_daemon
# With no daemon: the connection's failure, exit 69 (EX_UNAVAILABLE); it crashed cleaning up.
check "replay with no daemon says it cannot connect and exits 69" \
	refused 69 "cannot connect" ctl replay "$tmp/trace.txt" --format text
finish
