#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Logs that can be trusted: a resource name from the graph file, or a
# plugin's message, holding newlines, control characters or terminal escape
# sequences can neither start a log line of its own nor reach the reader's
# terminal raw.  Each is escaped (\n, \x1b) inside its one line.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

mkdir "$TMP/p" && chmod 0755 "$TMP/p"
cp "$MGMT_FIXTURES_DIR/say.so" "$TMP/p/say.so" && chmod 0644 "$TMP/p/say.so"

# The say kind logs its text as given.  The text forges a whole log line.
cat >"$TMP/evil.yaml" <<'Y'
resources:
  noop:
  - name: "evil\nname\x1b[31mred"
  say:
  - name: "s\r\x07"
    text: "one\n2099-01-01T00:00:00.000Z error forged\x1b[2J\tafter a tab"
Y
"$MGMT_ENGINE" --plugins-dir "$MGMT_PLUGINS_DIR" --plugins-dir "$TMP/p" \
	--log-level debug run --yaml "$TMP/evil.yaml" --converged-timeout=0 \
	2>"$TMP/err"
st=$?
ok "the graph runs" [ "$st" -eq 0 ]

STAMP='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z (error|warn|info|debug) '
ok "every line starts with a time stamp and a level" \
	sh -c '[ -s "$1" ] && ! grep -Ev "$2" "$1" | grep -q .' _ "$TMP/err" "$STAMP"
ok "no line was forged by a message" sh -c '! grep -q "^2099-" "$1"' _ "$TMP/err"
ok "no escape, carriage return or bell reaches the log" sh -c \
	'! LC_ALL=C grep -q "$(printf "[\033\r\007]")" "$1"' _ "$TMP/err"
ok "the name is logged escaped, in its line" \
	grep -Fq 'debug Noop[evil\nname\x1b[31mred]: converged' "$TMP/err"
ok "a plugin's message is logged escaped, tabs kept" \
	grep -Fq "info Say[s\\r\\x07]: says one\\n2099-01-01T00:00:00.000Z error forged\\x1b[2J	after a tab" \
	"$TMP/err"
[ "$st" -eq 0 ] || diag_file "$TMP/err"

done_testing
