#!/bin/bash
# --reclaim-policy: a bad name is refused before anything starts; the default daemon says
# two-list, one started with clock-pro (option or reclaimd.conf key) says clock-pro in status
# (text and JSON, from Hello) and in /metrics, and serves reads that reclaim under it.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 13

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
port=$((20000 + ($$ + 7) % 20000))
http() {
	timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "%s\r\n\r\n" "$1" >&3 &&
		cat <&3' "$port" "$1"
}

out=$("$RECLAIMD" --arena 4M --swap 0 --state-dir "$tmp/s0" --data-dir "$tmp/d0" \
	--socket "$tmp/sock0" --reclaim-policy lru 2>&1); rc=$?
check "--reclaim-policy lru: exit non-zero, naming the choices" \
	bash -c 'test "$0" != 0 && grep -q "want two-list or clock-pro" <<<"$1"' "$rc" "$out"
check "... and nothing was started (no socket)" test ! -e "$tmp/sock0"

start_daemon && ok "default daemon is READY" || not_ok "default daemon is READY"
check "status says reclaim policy two-list" grep -q "reclaim policy two-list" <<<"$(ctl status)"
stop_daemon

start_daemon --reclaim-policy clock-pro --metrics-listen "127.0.0.1:$port" &&
	ok "daemon with --reclaim-policy clock-pro is READY" ||
	not_ok "daemon with --reclaim-policy clock-pro is READY"
check "status says reclaim policy clock-pro" grep -q "reclaim policy clock-pro" <<<"$(ctl status)"
check "status --json carries \"reclaim_policy\":\"clock-pro\"" \
	grep -q '"reclaim_policy":"clock-pro"' <<<"$(ctl --json status)"
check "/metrics: reclaimd_reclaim_policy_info{policy=\"clock-pro\"} 1" \
	grep -q '^reclaimd_reclaim_policy_info{policy="clock-pro"} 1' <<<"$(http "GET /metrics HTTP/1.0")"
# A file twice the memcg's limit, written and read back through it twice: reclaim runs under
# CLOCK-Pro and the data holds.
ctl memcg create /small --max 1M >/dev/null
ctl fwrite f 0 --fill 7 --length 2097152 --memcg /small >/dev/null
want=$(head -c 2097152 /dev/zero | tr '\0' '\7' | md5sum)
reads=$(for i in 1 2; do ctl fread f 0 2097152 --memcg /small | md5sum; done | sort -u)
check "a file twice the memcg's limit reads back as written, twice" test "$reads" = "$want"
check "... and the memcg's limit reclaim freed pages (pgsteal > 0)" \
	grep -qE '"pgsteal":[1-9]' <<<"$(ctl --json memcg stat /small)"
stop_daemon
check "daemon exits 0" test "$EXIT" = 0

printf 'reclaim-policy = clock-pro\n' >"$tmp/reclaimd.conf"
start_daemon -c "$tmp/reclaimd.conf" && ok "daemon with the reclaimd.conf key is READY" ||
	not_ok "daemon with the reclaimd.conf key is READY"
check "status says reclaim policy clock-pro" grep -q "reclaim policy clock-pro" <<<"$(ctl status)"
stop_daemon
finish
