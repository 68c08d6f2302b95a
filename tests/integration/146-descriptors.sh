#!/bin/bash
# File descriptors: the daemon raises its soft limit to the hard one, keeps the last of them
# for root and the admin group, and holds every other uid below that reserve (the files it
# holds open, its connections); when something else fills the table anyway (connections to
# the metrics port, which carry no uid, hold at most 32 and stop short of the reserve too),
# root still connects, through the spare descriptor the API listener keeps if it must, and a
# listener out of descriptors rests a second at a time rather than spin and flood the log. The
# daemon runs under a hard limit of 256 (a wrapper's ulimit).
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 17

if ! setpriv --reuid 65534 --regid 65534 --clear-groups true 2>/dev/null; then
	echo "1..0 # SKIP cannot switch to uid 65534 here"
	exit 77
fi

ctl() { timeout 20 "$RECLAIMCTL" --socket "$sock" "$@"; }
nobody() { timeout 20 setpriv --reuid 65534 --regid 65534 --clear-groups "$RECLAIMCTL" --socket "$sock" "$@"; }

printf '#!/bin/sh\nulimit -n 256 || exit 127\nexec "%s" "$@"\n' "$RECLAIMD" >"$tmp/limited"
chmod 755 "$tmp/limited"
RECLAIMD=$tmp/limited
port=$(free_port)
start_daemon --socket-mode 0666 --metrics-listen "127.0.0.1:$port" --log-level info \
	--max-connections 300 --max-client-connections 200 && ok "daemon is READY" ||
	not_ok "daemon is READY"
check "it says how many descriptors it has, and how many it keeps for admins" \
	grep -q 'file descriptors: 256, the last 32 kept for root and the admin group' "$tmp/stderr"

# uid 65534 holds files open on four connections, 64 each if it could (256 in all).
mkfifo "$tmp/hold"
exec {hold}<>"$tmp/hold"
holders=()
for i in 1 2 3 4; do
	timeout 120 "$RCLC_PROBE" --uid 65534 "$sock" fwrite-many "h$i-" 64 <"$tmp/hold" \
		>"$tmp/holder$i" 2>&1 {hold}>&- &
	holders+=($!)
done
all_opened() { local i; for i in 1 2 3 4; do wait_line "$tmp/holder$i" '^opened=' || return 1; done; }
check "uid 65534's four connections open files until they stop" all_opened
opened=$(cat "$tmp"/holder[1-4] | sed -n 's/^opened=//p' | paste -sd+ | bc)
check "they stopped short of the reserve: $opened files of the 256 descriptors" \
	test "$opened" -gt 100 -a "$opened" -le $((256 - 32))
check "... refused with NO_SPACE, saying why" \
	grep -q "code=NO_SPACE message=file write: reclaimd's file descriptors are nearly all in use: the last 32 are kept for root and the admin group" "$tmp"/holder[1-4]
# A descriptor the daemon opened for a moment (the file owners' record, say) while a holder
# was refused may have left a hole below the reserve since: one more holder, alone now,
# fills what is left. Then nothing closes a descriptor below the reserve before the check.
timeout 120 "$RCLC_PROBE" --uid 65534 "$sock" fwrite-many h5- 64 <"$tmp/hold" \
	>"$tmp/holder5" 2>&1 {hold}>&- &
holders+=($!)
wait_line "$tmp/holder5" '^opened='
out=$(nobody --json status 2>/dev/null); rc=$?
check "uid 65534 gets no new connection there, told why (exit 69, in --json too)" \
	bash -c '[ "$0" -eq 69 ] && python3 -c "import json,sys; m=json.loads(sys.argv[1])[\"message\"]; assert \"file descriptors are nearly all in use\" in m, m" "$1"' "$rc" "$out"
ctl memcg watch-path / >"$tmp/watch.out"
# Debian's python3 by its path: a PATH of root's (pyenv's shims) may be closed to uid 65534.
out=$(env $(sed -n 2,3p "$tmp/watch.out") timeout 30 setpriv --reuid 65534 --regid 65534 \
	--clear-groups /usr/bin/python3 "$top_srcdir/tests/lib/pressure-client.py" 5 2>&1)
# Closed at once: an end of file, a reset with the trigger unread, or a broken pipe if the
# close came before the trigger was sent.
check "uid 65534's connection to a memory-pressure socket is hung up on at once" \
	grep -qE '^eof$|ConnectionResetError|BrokenPipeError' <<<"$out"
check "... as the daemon says" grep -q "pressure watch /: a connection refused: reclaimd's file descriptors are nearly all in use" "$tmp/stderr"
check "root still connects and writes a file" ctl fwrite rootfile 0 --fill 97 --length 4096

# Now connections to the metrics port, which carry no uid, while uid 65534's files still fill
# the table up to the reserve: the port takes no descriptor of the reserve (before, they
# filled the whole table, and only the API listener's spare let root in).
cat >"$tmp/flood.py" <<'PY'
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
conns = []
for _ in range(400):
    try:
        conns.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5))
    except OSError:
        break
print("connected=%d" % len(conns), flush=True)
sys.stdin.read()
PY
mkfifo "$tmp/hold2"
exec {hold2}<>"$tmp/hold2"
timeout 120 python3 "$tmp/flood.py" "$port" <"$tmp/hold2" >"$tmp/flood" 2>&1 {hold2}>&- &
flood=$!
check "connections are made to the metrics port until they block" \
	wait_line "$tmp/flood" '^connected=[1-9][0-9]*$'
check "the metrics port stops short of the admins' reserve, saying so" \
	wait_line "$tmp/stderr" "metrics: the daemon's file descriptors are nearly all in use \(the last 32 are kept for root and the admin group\): closing the connection"
fds=$(ls "/proc/$pid/fd" | wc -l)
check "... its descriptors stay out of the reserve: the daemon holds $fds of 256" \
	test "$fds" -le $((256 - 16))
check "root still connects" ctl status
exec {hold2}>&-
wait "$flood"
# uid 65534's connections go; their files stay cached, unused, and kept their descriptors
# from everyone else until reclaim took their last page. Now a refusal has the cache let go
# of the files nobody uses.
exec {hold}>&-
wait "${holders[@]}"
lines=$(grep -c 'accept' "$tmp/stderr")
check "the log holds a few lines about it, not a flood ($lines)" test "$lines" -lt 100
scrape() {
	local deadline=$((SECONDS + 30))

	while [ "$SECONDS" -lt "$deadline" ]; do
		timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "GET /metrics?x=1 HTTP/1.0\r\n\r\n" >&3 && cat <&3' \
			"$port" 2>/dev/null | grep -q '^reclaimd_up 1' && return 0
		sleep 0.2
	done
	return 1
}
check "once they are gone, /metrics answers again, a query string and all" scrape
check "... the cache having let go of the files nobody uses, as the log says" \
	grep -q 'file descriptors ran short: the cache let go of [0-9]* files nobody uses' "$tmp/stderr"
timeout 120 "$RCLC_PROBE" --uid 65534 "$sock" fwrite-many again- 64 </dev/null \
	>"$tmp/again" 2>&1
check "uid 65534 opens 64 files again" grep -q '^opened=64$' "$tmp/again"

finish
