#!/bin/bash
# SIGHUP (systemctl reload) applies only the keys whose value in the file changed since the
# last load: a tunable set at run time stays otherwise, each applied change is logged, and a
# changed key that needs a restart is named, not silently ignored.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 21

ctl() { "$RECLAIMCTL" --socket "$sock" "$@"; }
tunable() { ctl --json tunable get "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
swappiness() { tunable swappiness; }
# Signal a reload and wait for it to end: RELOADING=1, then READY=1 again (bounded).
reload() {
	kill -HUP "$pid" && expect_line "$nfd" '^RELOADING=1' && expect_line "$nfd" '^READY=1$'
}

printf 'swappiness = 60\nmax-pipeline = 64\n' >"$tmp/reclaimd.conf"
start_daemon -c "$tmp/reclaimd.conf" && ok "daemon is READY" || not_ok "daemon is READY"

ctl tunable set swappiness 30 >/dev/null
reload
check "a reload with the file unchanged keeps swappiness set at run time (30)" \
	test "$(swappiness)" = 30
check "... and logs that nothing changed" grep -q 'reloaded .*: 0 settings applied$' "$tmp/stderr"

sed -i 's/^swappiness = 60$/swappiness = 100/' "$tmp/reclaimd.conf"
reload
check "swappiness changed in the file (60 -> 100) is applied" test "$(swappiness)" = 100
check "... and logged as the change it made" grep -q 'swappiness 30 -> 100 (reload)' "$tmp/stderr"

sed -i 's/^max-pipeline = 64$/max-pipeline = 32/' "$tmp/reclaimd.conf"
reload
check "a changed key that needs a restart is named" \
	grep -q 'reload: max-pipeline 64 -> 32 needs a restart, not applied' "$tmp/stderr"
check "... and the tunables stay as they were" test "$(swappiness)" = 100
check "... and the summary counts it apart from what was applied" \
	grep -q 'reloaded .*: 0 settings applied, 1 more needs a restart$' "$tmp/stderr"

# A value the engine refuses (more min-free-kbytes than the 16M arena has) keeps the whole
# running configuration: the swappiness changed beside it is not applied either.
printf 'swappiness = 10\nmin-free-kbytes = 1000000\nmax-pipeline = 32\n' >"$tmp/reclaimd.conf"
reload
check "a reload the engine refuses says so and keeps the configuration" \
	grep -q 'reload: cannot set min-free-kbytes to 1000000: Invalid argument; keeping the current configuration' "$tmp/stderr"
check "... all of it: swappiness stays 100" test "$(swappiness)" = 100
check "... and no 'reloaded' is logged for it" \
	test "$(grep -c 'reloaded .*settings* applied' "$tmp/stderr")" = 3

# min-free-kbytes = 0 is the reserve the engine computes, as the command line's default: a
# reload to 0 puts that back and says so, rather than logging a bare number.
boot_reserve=$(tunable min_free_kbytes)
printf 'swappiness = 100\nmin-free-kbytes = 2000\nmax-pipeline = 32\n' >"$tmp/reclaimd.conf"
reload
printf 'swappiness = 100\nmin-free-kbytes = 0\nmax-pipeline = 32\n' >"$tmp/reclaimd.conf"
reload
check "min-free-kbytes 2000 -> 0 logs the computed reserve it means ($boot_reserve)" \
	grep -q "min-free-kbytes 2000 -> $boot_reserve (0: computed) (reload)" "$tmp/stderr"
check "... and puts it back" test -n "$boot_reserve" -a "$(tunable min_free_kbytes)" = "$boot_reserve"

# A configuration path that is a directory is an error, not an empty file.
mv "$tmp/reclaimd.conf" "$tmp/conf.saved"
mkdir "$tmp/reclaimd.conf"
reload
check "a reload from a directory keeps the configuration" \
	grep -q 'cannot read .*reclaimd.conf: Is a directory' "$tmp/stderr"
check "... swappiness still 100" test "$(swappiness)" = 100

# Nor a device read without end, nor a FIFO that would wait for a writer: the loop would hang
# on either (the daemon answered nothing, and grew by gigabytes on /dev/zero).
rmdir "$tmp/reclaimd.conf"
ln -s /dev/zero "$tmp/reclaimd.conf"
reload
check "a reload from /dev/zero is refused as not a regular file" \
	grep -q 'cannot read .*reclaimd.conf: not a regular file' "$tmp/stderr"
rm "$tmp/reclaimd.conf"
mkfifo "$tmp/reclaimd.conf"
reload
check "... and so is one from a FIFO, at once" \
	test "$(grep -c 'cannot read .*reclaimd.conf: not a regular file' "$tmp/stderr")" = 2
check "... and the daemon still answers, swappiness still 100" test "$(swappiness)" = 100
rm "$tmp/reclaimd.conf"
printf 'swappiness = 40\0junk\n' >"$tmp/reclaimd.conf"
reload
check "a line with a NUL byte in it is an error naming the line, not 'swappiness = 40'" \
	bash -c 'grep -q "reclaimd.conf:1: a NUL byte in the line" "$0" && [ "$1" = 100 ]' \
	"$tmp/stderr" "$(swappiness)"
rm "$tmp/reclaimd.conf"
mkdir "$tmp/reclaimd.conf"

stop_daemon
check "daemon exits 0" test "$EXIT" = 0
# (Bounded: a daemon that started anyway would run until killed.)
timeout 20 "$RECLAIMD" -c "$tmp/reclaimd.conf" --arena 16M --state-dir "$tmp/state2" \
	--data-dir "$tmp/data2" --socket "$tmp/sock2" 2>"$tmp/stderr2"; rc=$?
check "reclaimd -c DIRECTORY does not start (exit $rc), naming why" \
	test "$rc" != 0 -a -n "$(grep 'cannot read .*reclaimd.conf: Is a directory' "$tmp/stderr2")"
finish
