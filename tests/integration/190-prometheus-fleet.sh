#!/bin/bash
# The fleet example (contrib/fleet) in a real Prometheus: Debian's prometheus on loopback, the
# example's prometheus.yml and rules with a 1 s interval, file_sd targets naming two reclaimd
# daemons. Pressure driven on one memcg of the first shows in its PSI and level series as
# Prometheus stored them, while the same memcg of the idle second daemon stays at none and 0.
# promtool accepts the example's config and rules and passes their unit tests.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

fleet=$top_srcdir/contrib/fleet
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
	echo "1..0 # SKIP prometheus or promtool is not installed"
	exit 77
fi
# Prometheus runs under timeout, its pid $prom: TERM, which timeout passes on (and KILL 5 s
# later), then wait for it. A KILL of timeout itself left Prometheus running for good, one
# more on the machine, scraping every second, after each run of this test.
pids=()
prom=
trap 'kill -TERM $prom 2>/dev/null; kill -KILL ${pids[*]} 2>/dev/null
	[ -z "$prom" ] || wait "$prom" 2>/dev/null; rm -rf "$tmp"' EXIT

# PromQL QUERY through the HTTP API: the value of the first sample, "none" if no sample.
promq() {
	curl -s --max-time 5 "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json, sys
try:
	r = json.load(sys.stdin)["data"]["result"]
	print(r[0]["value"][1] if r else "none")
except Exception:
	print("error")'
}

# until_true (daemon.sh) every half second: each try asks Prometheus, a curl and a python.
until_interval=0.5

# Prometheus, with the example's files: only the intervals (1 s) and the targets differ.
prom=$tmp/prom
mkdir -p "$prom/targets"
sed 's/_interval: 15s/_interval: 1s/' "$fleet/prometheus.yml" >"$prom/prometheus.yml"
cp "$fleet/reclaimd-rules.yml" "$prom/"
pport=$(free_port)
mport1=$(free_port "$pport")
mport2=$(free_port "$pport" "$mport1")
cat >"$prom/targets/test.json" <<JSON
[ { "targets": ["127.0.0.1:$mport1"], "labels": { "daemon": "d1" } },
  { "targets": ["127.0.0.1:$mport2"], "labels": { "daemon": "d2" } } ]
JSON
timeout -k 5 600 prometheus --config.file="$prom/prometheus.yml" --storage.tsdb.path="$prom/data" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$prom/log" 2>&1 &
prom=$!
ready() { curl -s --max-time 2 "http://127.0.0.1:$pport/-/ready" | grep -q Ready; }
if ! until_true 60 ready; then
	echo "1..0 # SKIP prometheus did not start on 127.0.0.1:$pport within 60 s:" \
		"$(tail -3 "$prom/log" | tr '\n' ' ')"
	exit 77
fi
plan 11

# Two daemons, each with a memcg /hot of 4M.
start_one() {
	local n=$1 port=$2
	coproc { exec "$RUN_NOTIFY" --timeout 300 "$tmp/notify$n" "$RECLAIMD" --arena 16M \
		--workers 2 --swap 64M --state-dir "$tmp/state$n" --data-dir "$tmp/data$n" \
		--socket "$tmp/sock$n" --metrics-listen "127.0.0.1:$port" 2>"$tmp/stderr$n"; }
	exec {fd}<&"${COPROC[0]}"
	expect_line "$fd" '^pid=[0-9]+$' && pids+=("${LINE#pid=}") && expect_line "$fd" '^READY=1$'
}
ctl1() { "$RECLAIMCTL" --socket "$tmp/sock1" "$@"; }
ctl2() { "$RECLAIMCTL" --socket "$tmp/sock2" "$@"; }
if start_one 1 "$mport1" && start_one 2 "$mport2"; then
	ok "two daemons are READY, serving /metrics on loopback"
else
	not_ok "two daemons are READY, serving /metrics on loopback"
fi
ctl1 memcg create /hot --max 4M >/dev/null
ctl2 memcg create /hot --max 4M >/dev/null
id2=$(ctl2 alloc 1M --memcg /hot) && ctl2 touch "$id2" --write >/dev/null

both_up() { [ "$(promq 'count(up{job="reclaimd"} == 1)')" = 2 ]; }
check "Prometheus found both daemons through file_sd and scrapes them" until_true 60 both_up
rules_loaded() {
	[ "$(curl -s --max-time 5 "http://127.0.0.1:$pport/api/v1/rules" |
		grep -o '"type":"alerting"' | wc -l)" = 5 ]
}
check "Prometheus loaded the example's 5 alert rules" until_true 30 rules_loaded
hot_seen() { [ "$(promq 'count(reclaimd_memcg_usage_bytes{memcg="/hot"})')" = 2 ]; }
until_true 30 hot_seen

# Pressure on /hot of daemon 1: 12M written over and over through a 4M memory.max. The driver
# stops on its own after 300 rounds or 120 s.
id1=$(ctl1 alloc 12M --memcg /hot)
(
	end=$((SECONDS + 120))
	for _ in $(seq 300); do
		[ "$SECONDS" -lt "$end" ] || break
		ctl1 touch "$id1" --write >/dev/null || break
	done
) &
pids+=($!)

sel1='daemon="d1",memcg="/hot"'
sel2='daemon="d2",memcg="/hot"'
gt0() { awk -v v="$(promq "$1")" 'BEGIN { exit !(v != "none" && v != "error" && v + 0 > 0) }'; }
check "daemon 1: its PSI stall total of /hot rose in Prometheus" \
	until_true 90 gt0 "reclaimd_memcg_pressure_stall_seconds_total{$sel1,kind=\"some\"}"
check "daemon 1: its PSI 10 s ratio of /hot rose in Prometheus" \
	until_true 60 gt0 "max_over_time(reclaimd_memcg_pressure_stall_ratio{$sel1,kind=\"some\",window=\"10s\"}[10m])"
check "daemon 1: its level of /hot left none (another level's series was 1)" \
	until_true 60 gt0 "max(max_over_time(reclaimd_memcg_pressure_level{$sel1,level!=\"none\"}[10m]))"
kill "${pids[-1]}" 2>/dev/null

# Daemon 2's series exist and stayed quiet over the same time.
check "daemon 2: the PSI stall total of /hot is there and 0" \
	test "$(promq "max_over_time(reclaimd_memcg_pressure_stall_seconds_total{$sel2,kind=\"some\"}[10m])")" = 0
check "daemon 2: the level of /hot stayed none" \
	test "$(promq "min_over_time(reclaimd_memcg_pressure_level{$sel2,level=\"none\"}[10m])") $(promq "max(max_over_time(reclaimd_memcg_pressure_level{$sel2,level!=\"none\"}[10m]))")" = "1 0"

check "promtool check metrics accepts daemon 1's page after pressure" \
	bash -c 'curl -s --max-time 5 "http://127.0.0.1:$0/metrics" | promtool check metrics' "$mport1"
check "promtool check config and check rules accept the example" \
	bash -c 'promtool check config "$0/prometheus.yml" >/dev/null &&
		promtool check rules "$0/reclaimd-rules.yml" >/dev/null' "$fleet"
check "promtool test rules: the example's alerts fire as its tests say" \
	bash -c 'cd "$0" && promtool test rules reclaimd-rules.test.yml >/dev/null' "$fleet"
if ! tap_done; then
	for n in 1 2; do echo "# daemon $n stderr:"; tail -20 "$tmp/stderr$n" | sed 's/^/#   /'; done
	echo "# prometheus:"; tail -20 "$prom/log" | sed 's/^/#   /'
fi
tap_done
