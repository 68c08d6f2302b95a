#!/bin/bash
# libreclaim-client as an outside program gets it: `make install DESTDIR=...`, then a small
# program built with nothing but `pkg-config --cflags --libs libreclaim-client`, linked shared
# and (with --static) statically, runs against a real daemon. The installed header needs no
# protobuf: its include path is the only one the program is given.
# In a sanitizer build the installed library is instrumented: the program links with the tree's
# own link flags (the sanitizer runtime), and the static cases are skipped, as no sanitizer
# runtime links statically.
set -u
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
plan 11

cc=${CC:-cc}
san=${RCL_SANITIZER:-none}
# shellcheck disable=SC2206
ldflags=(${RCL_LDFLAGS:-})
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $san build: no static sanitizer runtime"; }
inst=$tmp/inst
# A make of its own, not a job of the `make check` that runs this test.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top_builddir" install DESTDIR="$inst" \
	>"$tmp/install.log" 2>&1
check "make install DESTDIR=... succeeds" test $? = 0
pcdir=$(dirname "$(find "$inst" -name libreclaim-client.pc | head -1)")
check "the .pc file is installed" test -f "$pcdir/libreclaim-client.pc"
check "only the public header is installed, and it names no protobuf type" \
	bash -c '! find "$0" -name "*.pb-c.h" | grep -q . &&
		 h=$(find "$0" -name reclaim-client.h) && [ -n "$h" ] &&
		 ! grep -q "pb-c\.h\|protobuf-c\.h\|Reclaim__\|ProtobufC" "$h"' "$inst"

pc() { PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$inst pkg-config "$@" libreclaim-client; }

cat >"$tmp/prog.c" <<'PROG'
#include <stdio.h>
#include <string.h>
#include <reclaim-client.h>

int main(int argc, char **argv)
{
	struct rclc_hello_info h;
	char out[4096] = "written through libreclaim-client", in[4096];
	struct rclc *c;
	uint64_t id;
	int r = argc == 2 ? rclc_open(argv[1], "pkgconfig-test", &c) : -EINVAL;

	if (r < 0)
		return 2;
	if (rclc_hello_info(c, &h) < 0 || rclc_alloc(c, sizeof(out), NULL, &id, NULL) < 0 ||
	    rclc_write(c, id, 0, out, sizeof(out)) < 0 ||
	    rclc_read(c, id, 0, in, sizeof(in), NULL) < 0 || memcmp(in, out, sizeof(in))) {
		fprintf(stderr, "%s\n", rclc_last_error(c));
		return 3;
	}
	/* An error path too: the region is gone after rclc_free. */
	if (rclc_free(c, id) < 0 || rclc_free(c, id) != -ENOENT)
		return 4;
	printf("ok page_size=%u %s\n", h.page_size, rclc_code_str(rclc_last_code(c)));
	rclc_close(c);
	return 0;
}
PROG
# errno.h is the program's business; the header promises only -errno values.
sed -i 's|#include <stdio.h>|#include <errno.h>\n#include <stdio.h>|' "$tmp/prog.c"

# shellcheck disable=SC2046
$cc -std=c11 -Wall -Wextra -Werror "${ldflags[@]}" -o "$tmp/prog-shared" "$tmp/prog.c" \
	$(pc --cflags --libs) >"$tmp/cc-shared.log" 2>&1
check "a program builds shared with pkg-config --cflags --libs alone" test $? = 0
if [ "$san" = none ]; then
	# shellcheck disable=SC2046
	$cc -std=c11 -Wall -Wextra -Werror -static -o "$tmp/prog-static" "$tmp/prog.c" \
		$(pc --static --cflags --libs) >"$tmp/cc-static.log" 2>&1
	check "... and static with pkg-config --static --cflags --libs alone" test $? = 0
else
	skip "... and static with pkg-config --static --cflags --libs alone"
fi
check "the shared one needs libreclaim-client.so" \
	bash -c 'readelf -d "$0" | grep -q "NEEDED.*libreclaim-client\.so"' "$tmp/prog-shared"
if [ "$san" = none ]; then
	check "the static one needs no shared library" \
		bash -c 'test -x "$0" && ! readelf -d "$0" 2>/dev/null | grep -q NEEDED' \
		"$tmp/prog-static"
else
	skip "the static one needs no shared library"
fi

start_daemon && ok "daemon is READY" || not_ok "daemon is READY"
libdir=$(dirname "$(find "$inst" -name 'libreclaim-client.so' | head -1)")
out=$(LD_LIBRARY_PATH=$libdir "$tmp/prog-shared" "$sock" 2>&1)
check "the shared program talks to the daemon" grep -qx 'ok page_size=4096 NOT_FOUND' <<<"$out"
if [ "$san" = none ]; then
	out=$("$tmp/prog-static" "$sock" 2>&1)
	check "the static program talks to the daemon" \
		grep -qx 'ok page_size=4096 NOT_FOUND' <<<"$out"
else
	skip "the static program talks to the daemon"
fi
stop_daemon
check "the daemon exits 0" test "$EXIT" = 0

if ! tap_done; then
	for f in install.log cc-shared.log cc-static.log; do
		echo "# $f:"; tail -20 "$tmp/$f" 2>/dev/null | sed 's/^/#   /'
	done
fi
finish
