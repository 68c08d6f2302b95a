#!/bin/bash
# The Prometheus endpoint: GET /metrics answers the text format with the daemon's figures;
# other paths and methods get HTTP errors; the daemon keeps serving its socket meanwhile.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 6

port=$((20000 + $$ % 20000))
start_daemon --metrics-listen "127.0.0.1:$port" && ok "daemon is READY" || not_ok "daemon is READY"

# HTTP/1.0 over bash's /dev/tcp: the server closes after the answer, so cat ends. Bounded.
http() {
	timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "%s\r\n\r\n" "$1" >&3 &&
		cat <&3' "$port" "$1"
}

page=$(http "GET /metrics HTTP/1.0")
check "GET /metrics: 200 in the Prometheus text format" \
	grep -q '^Content-Type: text/plain; version=0.0.4' <<<"$page"
check "... with the arena's size and the daemon up" \
	test "$(grep -c -e '^reclaimd_up 1' -e '^reclaimd_meminfo_bytes{field="MemTotal"} 16777216' <<<"$page")" = 2
check "another path is 404" grep -q '^HTTP/1.[01] 404' <<<"$(http "GET /other HTTP/1.0")"
check "another method is refused: 501 from evhttp" grep -q '^HTTP/1.[01] 501' <<<"$(http "POST /metrics HTTP/1.0")"
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
