#!/bin/bash
# The installed units, as systemd on a minimal Debian 12 sees them: `make install` into a temp
# root, `systemd-analyze verify --root` clean with no procps there (no /bin/kill), the exposure
# of `systemd-analyze security --offline` at 2.0 or better, a network sandbox that lets the
# metrics endpoint listen on loopback; then the unit's own ExecStart= and ExecReload= run on
# temp paths: the daemon starts without /etc/reclaimd/reclaimd.conf, reads it when it exists,
# and ExecReload= re-reads it.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

if ! command -v systemd-analyze >/dev/null; then
	echo "1..0 # SKIP systemd-analyze is not installed"
	exit 77
fi
plan 13

root=$tmp/root
if env -u MAKEFLAGS -u MFLAGS make -s -C "$top_builddir" install DESTDIR="$root" \
	>"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=ROOT"
else
	not_ok "make install DESTDIR=ROOT"; sed 's/^/# /' "$tmp/install.log"
fi
service=$(find "$root" -name reclaimd.service -path '*/systemd/system/*' | head -1)
socket=${service%/*}/reclaimd.socket
if [ -z "$service" ]; then
	# configured --with-systemdsystemunitdir=no: there is nothing to check.
	echo "# no unit was installed (configure found no systemd unit directory)"
	exit 77
fi
check "the service and the socket are installed" test -f "$service" -a -f "$socket"

# The root holds what a minimal Debian has besides our files: systemd's targets (the units
# are wanted by them) and /bin/sh (dash is Essential); procps is not there, nor /bin/kill.
mkdir -p "$root/usr/lib/systemd/system" "$root/bin"
cp /lib/systemd/system/*.target "$root/usr/lib/systemd/system/"
cp /bin/sh "$root/bin/sh"
mandir=$(find "$root" -name reclaimd.8 -path '*/man8/*' | head -1)
out=$(MANPATH=${mandir%/man8/*} timeout 60 systemd-analyze verify --root="$root" \
	"${service#"$root"}" "${socket#"$root"}" 2>&1); rc=$?
check "systemd-analyze verify --root: clean, with no /bin/kill in the root" \
	bash -c 'test "$0" = 0 && test -z "$1" && test ! -e "$2/bin/kill"' "$rc" "$out" "$root"
[ -n "$out" ] && sed 's/^/# /' <<<"$out"

out=$(timeout 60 systemd-analyze security --offline=yes --root="$root" "${service#"$root"}" 2>&1)
level=$(sed -n 's/.*Overall exposure level for reclaimd.service: \([0-9.]*\).*/\1/p' <<<"$out")
echo "# exposure level: ${level:-none}"
check "systemd-analyze security: exposure level 2.0 or better" \
	awk -v l="$level" 'BEGIN { exit !(l != "" && l <= 2.0) }'

# Metrics need an Internet socket on loopback: the families are allowed, the network is the
# host's, and the IP firewall lets loopback through (and nothing else).
prop() { sed -n "s/^$1=//p" "$service"; }
check "the sandbox lets metrics-listen bind 127.0.0.1 and [::1], and only loopback" \
	bash -c 'grep -qw AF_INET <<<"$0" && grep -qw AF_INET6 <<<"$0" && test -z "$1" &&
		test "$2" = any && test "$3" = localhost' \
	"$(prop RestrictAddressFamilies)" "$(prop PrivateNetwork)" "$(prop IPAddressDeny)" \
	"$(prop IPAddressAllow)"

# Mapped regions: the daemon opens /dev/userfaultfd for its clients, through the private /dev.
check "the unit binds /dev/userfaultfd into its private /dev and allows it read-write" \
	bash -c 'test "$0" = -/dev/userfaultfd && test "$1" = "/dev/userfaultfd rw"' \
	"$(prop BindPaths)" "$(prop DeviceAllow)"

# The unit's ExecStart= on temp paths: the installed binary, its options as the unit gives
# them, the system paths moved under $tmp.
conf=$tmp/etc/reclaimd/reclaimd.conf
read -r -a cmd <<<"$(prop ExecStart | sed -e "s|/etc/reclaimd/|$tmp/etc/reclaimd/|" \
	-e "s|/var/lib/reclaimd|$tmp/var|g" -e "s|/run/reclaimd/reclaimd.sock|$sock|" \
	-e "s|--admin-group [^ ]*||")"
cmd[0]=$root${cmd[0]}
check "ExecStart= names the config with --config-if-exists" \
	grep -q -- "--config-if-exists $tmp/etc/reclaimd/reclaimd.conf" <<<"${cmd[*]}"
run_unit() {
	coproc RN { exec "$RUN_NOTIFY" --timeout 60 "$tmp/notify" "${cmd[@]}" --arena 16M \
		--swap 0 --workers 1 2>"$tmp/stderr"; }
	exec {nfd}<&"${RN[0]}"
	expect_line "$nfd" '^pid=[0-9]+$' && pid=${LINE#pid=}
	expect_line "$nfd" '^READY=1$'
}
ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
port=$(free_port)
http_up() {
	timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 &&
		cat <&3' "$port" 2>/dev/null | grep -q '^reclaimd_up 1'
}

if run_unit && grep -q '= 60$' <<<"$(ctl tunable get swappiness)" && ! http_up; then
	ok "without /etc/reclaimd/reclaimd.conf the unit's daemon starts on the defaults"
else
	not_ok "without /etc/reclaimd/reclaimd.conf the unit's daemon starts on the defaults"
fi
stop_daemon

mkdir -p "${conf%/*}"
printf 'swappiness = 90\nmetrics-listen = 127.0.0.1:%s\n' "$port" >"$conf"
if run_unit; then ok "with the file there, the unit's daemon starts"; else
	not_ok "with the file there, the unit's daemon starts"; fi
check "... it applied the file's swappiness" grep -q '= 90$' <<<"$(ctl tunable get swappiness)"
check "... and serves /metrics on the file's loopback address" http_up

# ExecReload= as systemd runs it: its words split as the shell splits them (systemd's quoting
# is the shell's for these), MAINPID in the environment.
echo 'swappiness = 30' >"$conf.new" && grep metrics-listen "$conf" >>"$conf.new" &&
	mv "$conf.new" "$conf"
eval "env -i MAINPID=$pid $(prop ExecReload)"
if expect_line "$nfd" '^RELOADING=1$' && expect_line "$nfd" '^READY=1$'; then
	ok "ExecReload=: the daemon reloads (RELOADING=1, READY=1)"
else
	not_ok "ExecReload=: the daemon reloads (RELOADING=1, READY=1)"
fi
check "... and applied the changed file" grep -q '= 30$' <<<"$(ctl tunable get swappiness)"
stop_daemon
finish
