#!/bin/bash
# The Prometheus endpoint: GET /metrics answers the text format with the daemon's figures,
# which promtool accepts; HEAD answers the same without a body; other paths are 404, other
# methods 405; a port in use is refused with its reason.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 17

port=$(free_port)
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
if command -v promtool >/dev/null; then
	check "promtool check metrics accepts the page (HELP and TYPE everywhere)" \
		bash -c 'sed "1,/^\r\$/d" <<<"$0" | promtool check metrics' "$page"
else
	ok "promtool check metrics # SKIP promtool is not installed"
fi
# The level is a state set over vmpressure's levels: idle, "none" is the one set.
check "the pressure level: one series per level (none, low, medium, critical), none at 1" \
	test "$(grep '^reclaimd_memcg_pressure_level{memcg="/"' <<<"$page" | sed 's/.*level="//' |
		tr -d '"}' | tr '\n' ' ')" = "none 1 low 0 medium 0 critical 0 "
check "the engine lock: taken, contended and waited for, as counters" \
	test "$(grep -E -c -e '^reclaimd_engine_lock_acquired_total [1-9][0-9]*$' \
		-e '^reclaimd_engine_lock_contended_total [0-9]+$' \
		-e '^reclaimd_engine_lock_wait_seconds_total [0-9]+\.[0-9]+$' \
		-e '^# TYPE reclaimd_engine_lock_[a-z_]+_total counter' <<<"$page")" = 6
json=$("$RECLAIMCTL" --socket "$sock" --json status)
check "status --json: the same figures (the lock taken, waited for so many times and usecs)" \
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
assert d["engine_lock_acquired"] > 0 and d["engine_lock_contended"] >= 0
assert d["engine_lock_wait_usecs"] >= 0' "$json"
check "reclaimd_build_info names the version" \
	grep -Eq '^reclaimd_build_info\{version="[^"]+"\} 1' <<<"$page"
head=$(http "HEAD /metrics HTTP/1.0")
check "HEAD /metrics: 200 with the headers and no body" \
	bash -c 'grep -q "^HTTP/1.[01] 200" <<<"$0" && test -z "$(sed "1,/^\r\$/d" <<<"$0")"' "$head"
post=$(http "POST /metrics HTTP/1.0")
check "POST is 405 with Allow: GET, HEAD" \
	bash -c 'grep -q "^HTTP/1.[01] 405" <<<"$0" && grep -q "^Allow: GET, HEAD" <<<"$0"' "$post"
# What connections to the port may hold: anyone who reaches it may connect, with no uid to
# hold to a share. 100 that send nothing: the daemon keeps 32 (each new one past that closes
# the one that has waited longest), a scrape is answered meanwhile, and those that complete
# no request in 10 s are closed. Before, every one was kept for as long as bytes trickled in,
# and a local user filled the daemon's descriptor table, the admins' reserve too.
mkfifo "$tmp/hold"
exec {hold}<>"$tmp/hold"
timeout 120 python3 "$top_srcdir/tests/lib/http-hold.py" "$port" 100 <"$tmp/hold" \
	>"$tmp/held" 2>&1 {hold}>&- &
holder=$!
held() { grep -q "^connected=$2$" "$1" && grep -q "^open=$3$" "$1"; }
check "100 connections that send nothing: the daemon keeps 32" \
	until_true 30 held "$tmp/held" 100 32
check "... and a scrape is answered meanwhile" grep -q '^reclaimd_up 1' <<<"$(http "GET /metrics HTTP/1.0")"
check "... and those 32, with no request in 10 s, are closed" wait_line "$tmp/held" '^open=0$' 40
exec {hold}>&-
wait "$holder"
# A client that sends a byte of its request every 2 s restarts evhttp's own timeout each
# time; its request's 10 s do not start again.
exec {hold}<>"$tmp/hold"
timeout 120 python3 "$top_srcdir/tests/lib/http-hold.py" "$port" 4 2 <"$tmp/hold" \
	>"$tmp/trickle" 2>&1 {hold}>&- &
holder=$!
check "4 connections trickling a request line a byte every 2 s are closed all the same" \
	until_true 40 held "$tmp/trickle" 4 0
exec {hold}>&-
wait "$holder"

# A second daemon on the same port says why it cannot serve there.
out=$(timeout 20 "$RECLAIMD" --arena 4M --swap 0 --state-dir "$tmp/s2" --data-dir "$tmp/d2" \
	--socket "$tmp/sock2" --metrics-listen "127.0.0.1:$port" 2>&1); rc=$?
check "a port in use: exit non-zero, naming the reason" \
	bash -c 'test "$0" != 0 && grep -q "cannot serve metrics on 127.0.0.1:$1: Address already in use" <<<"$2"' "$rc" "$port" "$out"
stop_daemon
check "daemon exits 0" test "$EXIT" = 0
finish
