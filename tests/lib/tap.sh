# tap.sh - TAP helpers for integration tests (sourced by tests/integration/*.sh).
# Every wait is bounded: expect_line gives up after $TAP_TIMEOUT seconds.

TAP_TIMEOUT=${TAP_TIMEOUT:-30}
tap_n=0
tap_failed=0

plan() { echo "1..$1"; }

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
}

# skip DESCRIPTION REASON: a check that cannot be made in this build, reported as skipped.
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

# check DESCRIPTION COMMAND...: ok if the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# expect_line FD PATTERN: read lines from FD until one matches the extended regex PATTERN.
# The matching line is left in $LINE; everything read is appended to $TAP_TRANSCRIPT.
expect_line() {
	local fd=$1 pattern=$2 deadline=$((SECONDS + TAP_TIMEOUT))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if ! IFS= read -r -t "$((deadline - SECONDS))" LINE <&"$fd"; then
			return 1
		fi
		[ -n "${TAP_TRANSCRIPT:-}" ] && printf '%s\n' "$LINE" >> "$TAP_TRANSCRIPT"
		if [[ $LINE =~ $pattern ]]; then
			return 0
		fi
	done
	return 1
}

tap_done() {
	[ "$tap_failed" -eq 0 ]
}
