#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# error-count.sh - a graph with 100,000 errors: the first 1,000 are shown,
# and the last line counts all of them.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

awk 'BEGIN { print "resources:"; print "  noop:"
	for (i = 0; i < 100000; i++) printf "  - {name: n%d, bogus: 1}\n", i }' \
	>"$TMP/many.yaml"
engine validate "$TMP/many.yaml" >/dev/null 2>"$TMP/many.err"
ok "100000 errors: exit 2" [ $? -eq 2 ]
ok "all counted, the cap said" grep -qxF \
	"$TMP/many.yaml: 100000 errors (the first 1000 shown); nothing was changed" \
	"$TMP/many.err"
ok "1000 shown" [ "$(grep -c "unknown parameter 'bogus'" "$TMP/many.err")" -eq 1000 ]
printf 'resources:\n  noop:\n  - {name: a, bogus: 1}\n' >"$TMP/one.yaml"
engine validate "$TMP/one.yaml" >/dev/null 2>"$TMP/one.err"
ok "one error: '1 error'" grep -qxF \
	"$TMP/one.yaml: 1 error; nothing was changed" "$TMP/one.err"
done_testing
