#!/bin/bash
# systemd integration: READY/STATUS/STOPPING and RELOADING on a test NOTIFY_SOCKET, socket
# activation through systemd-socket-activate, SIGTERM removing the socket, the Shutdown
# request, and the config file re-read on SIGHUP.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 14

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }

cat >"$tmp/reclaimd.conf" <<CONF
# read at start and on SIGHUP
watermark_scale_factor = 77
CONF
start_daemon -c "$tmp/reclaimd.conf" && ok "READY=1 on the notify socket" ||
	not_ok "READY=1 on the notify socket"
check "socket created with mode 0660" test "$(stat -c %a "$sock")" = 660
check "the config file was applied" grep -q '= 77$' <<<"$(ctl tunable get watermark_scale_factor)"
ctl tunable set watermark_scale_factor 300 >/dev/null
echo 'watermark_scale_factor = 88' >"$tmp/reclaimd.conf"
kill -HUP "$pid"
check "SIGHUP: RELOADING=1" expect_line "$nfd" '^RELOADING=1$'
check "SIGHUP: READY=1 again" expect_line "$nfd" '^READY=1$'
check "SIGHUP re-read the tunables from the file" \
	grep -q '= 88$' <<<"$(ctl tunable get watermark_scale_factor)"
stop_daemon
check "SIGTERM: STOPPING=1 was sent" grep -q '^STOPPING=1$' "$TAP_TRANSCRIPT"
check "SIGTERM: exit 0" test "$EXIT" = 0
check "SIGTERM: the socket file is gone" test ! -e "$sock"

# The Shutdown request from an admin stops it the same way.
start_daemon
check "shutdown request is answered" ctl shutdown
check "shutdown request: the daemon exits 0" expect_line "$nfd" '^exit=0$'

# Socket activation: systemd-socket-activate binds, reclaimd adopts the descriptor.
act=$tmp/activated.sock
coproc ACT { exec "$RUN_NOTIFY" --timeout 60 "$tmp/notify2" systemd-socket-activate \
	-l "$act" "$RECLAIMD" --arena 16M --workers 1 --state-dir "$tmp/state2" \
	--socket "$tmp/unused.sock" 2>&1; }
exec {aout}<&"${ACT[0]}"
expect_line "$aout" '^pid=[0-9]+$' && apid=${LINE#pid=}
expect_line "$aout" '^Listening on '
check "socket activation: the first connection starts reclaimd, which answers" \
	grep -q '^MemTotal: *16384 kB$' <<<"$("$RECLAIMCTL" --socket "$act" stat meminfo)"
check "socket activation: it used the passed socket, not its own" test ! -e "$tmp/unused.sock"
kill -TERM "$apid"
check "socket activation: exit 0 on SIGTERM" expect_line "$aout" '^exit=0$'
finish
