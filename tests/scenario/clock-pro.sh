#!/bin/bash
# The scenario programs again, each under the CLOCK-Pro reclaim policy (RCL_RECLAIM_POLICY,
# tests/lib/engine-fixture.h): the reclaim path below shrink_node_memcg changes, everything
# they check must still hold. Their TAP lines come through, renumbered into one plan.
#
# The plain build runs every scenario program under both policies. A sanitizer build reruns a part.
# Under ASan+debug: the programs that run threads (their own, or the engine's kswapd and
# flusher) and check_integrity, which between them reach every CLOCK-Pro path (the hands,
# test periods, non-resident entries, mapped pages, memcgs) with the engine's invariants
# checked. Under ThreadSanitizer, what TSan adds is a data race, and the only code CLOCK-Pro
# changes is the scan under lru_lock: the stress scenario (every thread of the daemon, madvise
# and frees racing reclaim) and the lock tests, not the threaded programs whose threads meet
# in code the policy does not touch (mapped take-backs, swap writes, memcg charges), which the
# TSan suite already runs under two-list; they cost 85 s there. The rest would cost CI
# minutes of sanitizer slowdown (check_reclaim alone 54 s under ASan) to repeat what the
# plain build checks.
set -u
export RCL_RECLAIM_POLICY=clock-pro
rc=0
n=0
progs="check_integrity check_reclaim check_advice check_faults check_swap_full check_regions
       check_locking check_api_fuzz check_files check_stress check_memcg check_mapped check_ptl
       check_lru_lock check_swapout check_file_cached check_i_pages check_lru_add
       check_readahead"
threaded="check_stress check_locking check_ptl check_lru_lock check_mapped check_memcg
	  check_swapout check_advice check_file_cached"
case ${RCL_SANITIZER:-none} in
tsan) progs="check_stress check_locking check_ptl check_lru_lock" ;;
asan) progs="check_integrity $threaded" ;;
esac
for prog in $progs; do
	bin=$top_builddir/tests/scenario/$prog
	if [ ! -x "$bin" ]; then
		echo "Bail out! $bin is not built"
		exit 99
	fi
	out=$("$bin") || rc=1
	while IFS= read -r line; do
		case $line in
		ok\ *|not\ ok\ *)
			n=$((n + 1))
			echo "$line" | sed -E "s/^(ok|not ok) [0-9]+/\1 $n clock-pro $prog:/"
			;;
		1..*) ;;
		*) echo "$line" ;;
		esac
	done <<< "$out"
done
echo "1..$n"
[ "$n" -gt 0 ] || exit 99
exit $rc
