#!/bin/bash
# reclaimctl's range lists (touch, madvise, read and write --ranges): one vectored request
# each. Scattered bytes written in one request read back the same singly and as a list, with
# the pages swapped out in between; a bad range is refused naming its index, and nothing is
# written; a list that does not parse is a usage error.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 19

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
# refused STATUS PATTERN ARGS...: reclaimctl exits STATUS and says PATTERN on stderr.
refused() {
	local want=$1 pattern=$2 rc
	shift 2
	ctl "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$pattern" "$tmp/err"; then return 0; fi
	echo "# exit $rc, stderr: $(cat "$tmp/err")"
	return 1
}
singly() {	# the bytes of each OFFSET+LENGTH of $id, one request each, concatenated
	local r
	for r in "$@"; do ctl read "$id" "${r%+*}" "${r#*+}" || return 1; done
}

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"
id=$(ctl alloc 1M)

# 64 scattered 4 KiB pieces of random bytes, in an order that is not the region's, each
# across two pages (at 3K into a 16K stretch: pages 4k and 4k + 1).
head -c $((64 * 4096)) /dev/urandom >"$tmp/bytes"
list=() ; for i in $(seq 0 63); do list+=("$(( (i * 37 % 64) * 16 + 3 ))K+4K"); done
ranges=$(IFS=,; echo "${list[*]}")
check "write --ranges takes standard input over 64 scattered ranges in one request" \
	eval 'ctl write "$id" --ranges "$ranges" <"$tmp/bytes"'
check "... pages out the ranges' pages (madvise --ranges)" \
	eval 'ctl madvise "$id" pageout --ranges "$(for i in $(seq 0 63); do
		printf ",%d+2" $(( i * 4 )); done | sed "s/^,//")" >"$tmp/pages" &&
	      test "$(cat "$tmp/pages")" = "128 pages"'
singly "${list[@]}" >"$tmp/singly"
check "... and 64 single reads (faulting them back) give the bytes written" \
	cmp -s "$tmp/singly" "$tmp/bytes"
ctl madvise "$id" pageout >/dev/null
check "read --ranges gives the same bytes in one request, from swap again" \
	eval 'ctl read "$id" --ranges "$ranges" | cmp -s - "$tmp/bytes"'
check "... and its --json is their hex" \
	eval 'test "$(ctl --json read "$id" --ranges 3K+4K,19K+4K)" = \
	      "{\"hex\":\"$(singly 3K+4K 19K+4K | od -An -v -tx1 | tr -d " \n")\"}"'
check "write --ranges DATA spreads the argument over the ranges in order" \
	eval 'ctl write "$id" --ranges=900K+3,800K+2,850K+1 abcdef &&
	      test "$(ctl read "$id" --ranges 800K+2,850K+1,900K+3)" = defabc'
check "touch --ranges touches every range's pages, each a fault" \
	eval 'ctl touch "$id" --ranges 0+1,10+5,200+10 --write >"$tmp/touch" &&
	      awk "{ exit !(\$1 == 16 && \$3 + \$6 == 16) }" "$tmp/touch"'

# Refusals: nothing is written.
check "overlapping ranges are refused with status 1, naming both" \
	refused 1 'write: ranges\[2\] overlaps ranges\[0\]' \
	write "$id" --ranges 900K+3,100K+1,921601+1 XYZQw
check "... and the first range's bytes are unchanged" \
	test "$(ctl read "$id" 921600 3)" = abc
check "a range past the region is refused naming its index" \
	refused 1 'madvise: ranges\[1\]\.nr_pages 300 from page 200 runs past the region.s 256 pages' \
	madvise "$id" dontneed --ranges 0+1,200+300
check "... and the first range was not dropped" \
	eval 'ctl read "$id" --ranges "${list[0]}" | cmp -s - <(head -c 4096 "$tmp/bytes")'
check "a list that does not parse is a usage error (64)" \
	refused 64 'want START\+LEN' read "$id" --ranges 0+4K,oops
check "an empty range in a list is a usage error (64), not the rest of the region" \
	refused 64 'range 1 \(1\+0\) is empty; LEN is at least 1' \
	madvise "$id" dontneed --ranges 0+1,1+0
check "... and nothing was dropped" \
	eval 'ctl read "$id" --ranges "${list[0]}" | cmp -s - <(head -c 4096 "$tmp/bytes")'
check "data that does not fill the ranges exactly is a usage error" \
	refused 64 'the ranges hold 8 bytes, the data has 3' write "$id" --ranges 0+4,8+4 abc
# What only a hand-made request can say: both forms at once, too many ranges, data that
# does not fill the ranges; each refused, nothing written (the two ranges' bytes stay).
ctl write "$id" 0 zz >/dev/null && ctl write "$id" 8192 zz >/dev/null
"$RCLC_PROBE" "$sock" vec-bad "$id" >"$tmp/probe"
sed 's/^/# /' "$tmp/probe"
check "the daemon refuses malformed vectored requests, each with its reason" \
	diff - "$tmp/probe" <<'END'
code=INVALID_ARGUMENT message=touch: give range or ranges, not both
code=INVALID_ARGUMENT message=touch: ranges: 4097 given, 1..4096 allowed
code=INVALID_ARGUMENT message=read: give offset and length or ranges, not both
code=INVALID_ARGUMENT message=write: data has 3 bytes, the ranges 4
code=INVALID_ARGUMENT message=write: give offset or ranges, not both
END
check "... and wrote nothing" test "$(ctl read "$id" --ranges 0+2,8192+2)" = zzzz
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
