# daemon.sh - start a real reclaimd for an integration test (sourced after tap.sh).
#
#   start_daemon [REClAIMD OPTION]...   start it under run-notify in $tmp, wait for READY=1
#   stop_daemon                         SIGTERM, wait for exit=N; leaves it in $EXIT
#   free_port [PORT]...                 a TCP port free on 127.0.0.1 for --metrics-listen,
#                                       none of the PORTs (picked before, not yet bound)
#   wait_line FILE PATTERN [SECONDS]    wait (at most SECONDS, 30 by default) until FILE has
#                                       a line matching the extended regex PATTERN
#   skip_without_userfaultfd            the whole test skipped (exit 77) on a machine whose
#                                       daemon could not map regions (no /dev/userfaultfd)
#   hold_region                         a map-client holding a region of its connection,
#                                       in the background until hold_region_end: sets
#                                       $rid, $holder and the fd $hold (close it in other
#                                       background commands: {hold}>&-)
#
# RCL_RECLAIM_POLICY, when set, is every daemon's --reclaim-policy (an option the test gives
# itself comes after it and wins): the *-clock-pro.sh tests rerun a test under CLOCK-Pro.
#
# Sets $pid, $sock, and the file descriptor $nfd to run-notify's stream (notify messages and
# the exit status, one per line). Every wait is bounded by tap.sh's expect_line.

tmp=$(mktemp -d)
chmod 755 "$tmp"	# a test client that drops to uid 65534 must reach the socket
TAP_TRANSCRIPT=$tmp/transcript
sock=$tmp/sock
pid=
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$tmp"' EXIT

start_daemon() {
	coproc RN { exec "$RUN_NOTIFY" --timeout 120 "$tmp/notify" "$RECLAIMD" --arena 16M \
		--workers 2 --swap 64M --state-dir "$tmp/state" --data-dir "$tmp/data" \
		--socket "$sock" ${RCL_RECLAIM_POLICY:+--reclaim-policy "$RCL_RECLAIM_POLICY"} "$@" \
		2>"$tmp/stderr"; }
	exec {nfd}<&"${RN[0]}"
	expect_line "$nfd" '^pid=[0-9]+$' && pid=${LINE#pid=}
	expect_line "$nfd" '^READY=1$'
}

stop_daemon() {
	kill -TERM "$pid"
	EXIT=
	expect_line "$nfd" '^exit=' && EXIT=${LINE#exit=}
	# Reap run-notify (it exits right after saying exit=; its --timeout bounds this): bash
	# keeps one coproc, and one reaped after the next start_daemon closes the new one's pipe.
	exec {nfd}<&-
	[ -n "${RN_PID:-}" ] && wait "$RN_PID" 2>/dev/null
	return 0
}

# A port below the ephemeral range (32768 and up here, ip_local_port_range), which no
# outgoing connection takes, that nothing listens on now. A port picked from the pid once
# fell in that range and was taken by a connection of another program between tests. The
# PORTs given are left out: a test that picks several before it starts what binds them got
# the same one twice (190's Prometheus and its first daemon).
free_port() {
	python3 -c 'import random, socket, sys
low = min(32768, int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0]))
taken = {int(a) for a in sys.argv[1:]}
for _ in range(1000):
	p = random.randrange(10000, low)
	if p in taken:
		continue
	s = socket.socket()
	try:
		s.bind(("127.0.0.1", p))
	except OSError:
		continue
	finally:
		s.close()
	print(p)
	break' "$@"
}

hold_region() {
	mkfifo "$tmp/hold"
	exec {hold}<>"$tmp/hold"
	timeout 120 "$MAP_CLIENT" "$sock" hold <"$tmp/hold" >"$tmp/held" 2>&1 {hold}>&- &
	holder=$!
	wait_line "$tmp/held" '^region [0-9]+$' 60
	rid=$(sed -n 's/^region //p' "$tmp/held")
}

# Its stdin's end ends it, and the region with its connection.
hold_region_end() {
	exec {hold}>&-
	wait "$holder"
}

skip_without_userfaultfd() {
	if [ ! -c /dev/userfaultfd ]; then
		echo "1..0 # SKIP this machine has no /dev/userfaultfd"
		exit 77
	fi
}

wait_line() {
	local file=$1 pattern=$2 deadline=$((SECONDS + ${3:-30}))

	while [ "$SECONDS" -lt "$deadline" ]; do
		grep -qE "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# skip_unless_setpriv: a test that acts as uid 65534 reports itself skipped (and exits) where
# setpriv cannot drop to it.
skip_unless_setpriv() {
	if ! setpriv --reuid 65534 --regid 65534 --clear-groups true 2>/dev/null; then
		echo "1..0 # SKIP setpriv cannot drop to uid 65534 here"
		exit 77
	fi
}

# until_true SECONDS COMMAND...: poll a condition the daemon makes true, every
# $until_interval seconds (50 ms unless the test sets it) for at most SECONDS; the last try
# decides.
until_interval=0.05
until_true() {
	local deadline=$((SECONDS + $1))

	shift
	while [ "$SECONDS" -lt "$deadline" ]; do
		"$@" && return 0
		sleep "$until_interval"
	done
	"$@"
}

# Print the transcript and the daemon's stderr when something failed.
finish() {
	if ! tap_done; then
		echo "# transcript:"; sed 's/^/#   /' "$TAP_TRANSCRIPT" 2>/dev/null
		echo "# stderr:"; sed 's/^/#   /' "$tmp/stderr" 2>/dev/null
	fi
	tap_done
}
