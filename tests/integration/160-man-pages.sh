#!/bin/bash
# The manual pages: mandoc finds nothing to warn about, and each page lists exactly the
# options (and commands, and file keys) the programs' --help lists.
set -u
. "$top_srcdir/tests/lib/tap.sh"
plan 5

man=$top_srcdir/man
if command -v mandoc >/dev/null; then
	check "mandoc -Tlint -W warning: the three pages are clean" \
		mandoc -Tlint -W warning "$man/reclaimd.8" "$man/reclaimctl.1" "$man/reclaimd.conf.5"
else
	ok "mandoc -Tlint # SKIP mandoc is not installed"
fi

# The long options a --help text names, and the ones a page names (Fl Fl NAME), sorted.
help_opts() { grep -oE -- '--[a-z0-9-]+' | sed 's/^--//' | sort -u; }
page_opts() { grep -oE 'Fl Fl [a-z0-9-]+' "$1" | sed 's/^Fl Fl //' | sort -u; }
same() {
	if [ "$1" = "$2" ]; then return 0; fi
	diff <(echo "$1") <(echo "$2") | sed 's/^/# /'
	return 1
}

check "reclaimd --help and reclaimd(8) list the same options" \
	same "$("$RECLAIMD" --help | help_opts)" "$(page_opts "$man/reclaimd.8")"
check "reclaimd(8)'s options and reclaimd.conf(5)'s keys are the same (but config*, help, version)" \
	same "$(page_opts "$man/reclaimd.8" | grep -vx -e config -e config-if-exists -e help -e version)" \
	"$(grep -oE '^\.It Cm [a-z0-9-]+' "$man/reclaimd.conf.5" | sed 's/^.It Cm //' | sort -u)"
check "reclaimctl --help and reclaimctl(1) list the same options" \
	same "$("$RECLAIMCTL" --help | help_opts)" "$(page_opts "$man/reclaimctl.1")"
check "reclaimctl --help and reclaimctl(1) list the same commands" \
	same "$("$RECLAIMCTL" --help | sed -n '/^Commands:/,/^$/p' | grep -oE '^  [a-z-]+' | sort -u | tr -d ' ')" \
	"$(grep -oE '^\.It Cm [a-z-]+' "$man/reclaimctl.1" | sed 's/^.It Cm //' | sort -u)"
tap_done
