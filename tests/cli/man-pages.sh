#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The man pages (doc/man): each renders without a single groff warning and
# through man(1), and each says what the built engine has: mgmt-engine(1)
# every long option --help shows and every command, mgmt-engine.yaml(5)
# every kind and parameter `plugins` lists, with its type, whether required
# and its default, and no kind the engine lacks.  Skipped when configure had
# --disable-man.
. "$MGMT_TOP_SRCDIR/tests/cli/lib.sh"

if [ -z "${MGMT_MAN_DIR:-}" ]; then
	echo "1..0 # SKIP the man pages are not built (configure --disable-man)"
	exit 0
fi
if ! command -v groff >/dev/null 2>&1; then
	echo "1..0 # SKIP no groff (the Debian package groff-base)"
	exit 0
fi

PAGES="mgmt-engine.1 mgmt-engine.yaml.5 mgmt-engine-plugin.7"

# text PAGE: the page as plain text, no bold or underline, on lines so long
# and without hyphenation that no option or parameter is broken in two.
text() {
	groff -man -Tascii -P-cbou -rLL=2000n -rHY=0 "$MGMT_MAN_DIR/$1"
}

for page in $PAGES; do
	ok "$page renders with groff -ww and not one warning" sh -c \
		'groff -ww -man -Tutf8 -z "$1" >"$2" 2>&1 && [ ! -s "$2" ]' \
		_ "$MGMT_MAN_DIR/$page" "$TMP/groff.out"
	[ -s "$TMP/groff.out" ] && diag_file "$TMP/groff.out"
	name=${page%.*}
	if command -v man >/dev/null 2>&1; then
		ok "$page renders with man -l" sh -c \
			'MANPAGER=cat MANWIDTH=80 man -l "$1" >"$2" 2>/dev/null &&
			 grep -q "^NAME" "$2" && grep -q "$3 - " "$2"' \
			_ "$MGMT_MAN_DIR/$page" "$TMP/man.out" "$name"
	else
		skip "$page renders with man -l" "no man (the Debian package man-db)"
	fi
	text "$page" >"$TMP/$page.txt"
done

# mgmt-engine(1): every long option of --help, as a whole word, and every
# command of --help's "Commands:" as a term of COMMANDS.
"$MGMT_ENGINE" --help >"$TMP/help"
grep -o -- '--[a-z][a-z-]*' "$TMP/help" | sort -u >"$TMP/options"
missing=
for o in $(cat "$TMP/options"); do
	grep -Eq -- "(^|[^a-z-])$o([^a-z-]|\$)" "$TMP/mgmt-engine.1.txt" ||
		missing="$missing $o"
done
ok "mgmt-engine(1) names each of the $(wc -l <"$TMP/options") long options of --help${missing:+ (missing:$missing)}" \
	test -z "$missing" -a -s "$TMP/options"

sed -n '/^Commands:/,/^$/p' "$TMP/help" |
	sed -n 's/^  \([a-z][a-z]*\)\( .*\)\{0,1\}$/\1/p' >"$TMP/commands"
sed -n '/^COMMANDS$/,/^[A-Z]/p' "$TMP/mgmt-engine.1.txt" >"$TMP/commands.txt"
missing=
for c in $(cat "$TMP/commands"); do
	grep -Eq "^       $c( |\$)" "$TMP/commands.txt" || missing="$missing $c"
done
ok "mgmt-engine(1) describes each of the $(wc -l <"$TMP/commands") commands of --help${missing:+ (missing:$missing)}" \
	test -z "$missing" -a -s "$TMP/commands"

for s in 0 1 2 3; do
	ok "mgmt-engine(1) gives exit status $s" sh -c \
		'sed -n "/^EXIT STATUS$/,/^[A-Z]/p" "$1" | grep -q "^       $2$"' \
		_ "$TMP/mgmt-engine.1.txt" "$s"
done
ok "mgmt-engine(1) describes MGMT_ENGINE_PLUGINS_PATH under ENVIRONMENT" sh -c \
	'sed -n "/^ENVIRONMENT$/,/^[A-Z]/p" "$1" | grep -q "^       MGMT_ENGINE_PLUGINS_PATH$"' \
	_ "$TMP/mgmt-engine.1.txt"

# mgmt-engine.yaml(5) against the listing of the build tree's plugins, and
# those only: one line per kind (kind NAME FILE) and per parameter (param
# KIND NAME TYPE required|- DEFAULT|-), parsed from the text listing.
MGMT_ENGINE_PLUGINS_PATH= "$MGMT_ENGINE" --no-default-plugins \
	--plugins-dir "$MGMT_PLUGINS_DIR" plugins >"$TMP/plugins" 2>"$TMP/plugins.err"
ok "plugins lists the build tree's plugins" [ $? -eq 0 ]
awk '
/^plugin / { file = $NF; sub(/.*\//, "", file); next }
/^  kind / { k = $2; sub(/:$/, "", k); print "kind", k, file; next }
/^    [^ ]/ {
	rest = $0
	sub(/^    [^ ]+ +[^ ]+/, "", rest)
	req = rest ~ /^ +required/ ? "required" : "-"
	def = "-"
	if (match(rest, /^ +(required +)?default "[^"]*"/)) {
		def = substr(rest, 1, RLENGTH)
		sub(/^.*default "/, "", def)
		sub(/"$/, "", def)
		if (def == "")
			def = "(empty)"
	}
	print "param", k, $1, $2, req, def
}' "$TMP/plugins" >"$TMP/expected"

# The page's RESOURCE KINDS, each line prefixed with the kind (a 3-space
# heading) it is under.
awk '
/^RESOURCE KINDS$/ { on = 1; next }
on && /^[A-Z]/ { exit }
on && /^   [^ ]/ { k = $1; print "heading", k; next }
on && k != "" { print k "|" $0 }
' "$TMP/mgmt-engine.yaml.5.txt" >"$TMP/page"

# kind_ok KIND FILE: its heading, the plugin file, every parameter's term
# line with type, "required" and default; diag lines name what is missing.
kind_ok() {
	miss=0
	grep -qx "heading $1" "$TMP/page" || { echo "# no section $1"; miss=1; }
	grep -qF "$1|       Defined by the plugin " "$TMP/page" &&
		grep -F "$1|       Defined by the plugin " "$TMP/page" |
		grep -qF ", file $2 (ABI" ||
		{ echo "# $1: no plugin file $2"; miss=1; }
	while read -r _ kind name type req def; do
		[ "$kind" = "$1" ] || continue
		line=$(grep -F "$1|       $name ($type" "$TMP/page" | head -n 1)
		if [ -z "$line" ]; then
			echo "# $1: no parameter $name ($type"
			miss=1
			continue
		fi
		case $req in required)
			case $line in *"; required"*) ;; *)
				echo "# $1: $name not said to be required"
				miss=1 ;;
			esac ;;
		esac
		case $def in
		-) want= ;;
		"(empty)") want="; default empty)" ;;
		*) want="; default $def)" ;;
		esac
		case $line in *"$want"*) ;; *)
			echo "# $1: $name: no '$want' in: $line"
			miss=1 ;;
		esac
	done <<EOF
$(grep '^param ' "$TMP/expected")
EOF
	return $miss
}

nkinds=0
while read -r _ kind file; do
	nkinds=$((nkinds + 1))
	n=$(grep -c "^param $kind " "$TMP/expected")
	ok "mgmt-engine.yaml(5) describes kind $kind ($file) and its $n parameters" \
		kind_ok "$kind" "$file"
done <<EOF
$(grep '^kind ' "$TMP/expected")
EOF
# With no plugin built the page says so.
if [ "$nkinds" -eq 0 ]; then
	ok "mgmt-engine.yaml(5) says no plugin was found" \
		grep -q "No plugin defining a kind was found" "$TMP/mgmt-engine.yaml.5.txt"
	diag_file "$TMP/plugins.err"
fi

ok "mgmt-engine.yaml(5) has no kind the engine lacks" sh -c \
	'grep "^heading " "$1" | cut -d" " -f2 | sort >"$1.h" &&
	 grep "^kind " "$2" | cut -d" " -f2 | sort | cmp -s - "$1.h"' \
	_ "$TMP/page" "$TMP/expected"

# A plugin whose every string is scdoc markup: the page shows each as the
# plugin wrote it (a control character as a space).
mkdir "$TMP/markup" && chmod 0755 "$TMP/markup" &&
	cp "$MGMT_FIXTURES_DIR/markup.so" "$TMP/markup/" &&
	chmod 0644 "$TMP/markup/markup.so"
MGMT_ENGINE_PLUGINS_PATH= "$MGMT_ENGINE" --no-default-plugins \
	--plugins-dir "$TMP/markup" plugins --format scdoc >"$TMP/markup.scd"
{
	printf 'markup(5)\n\n# NAME\n\nmarkup - test\n\n# RESOURCE KINDS\n\n'
	cat "$TMP/markup.scd"
} | "$MGMT_SCDOC" >"$TMP/markup.5"
ok "scdoc takes plugins --format scdoc of a plugin full of markup" \
	test -s "$TMP/markup.5"
ok "that page renders with groff -ww and not one warning" sh -c \
	'groff -ww -man -Tutf8 -z "$1" >"$2" 2>&1 && [ ! -s "$2" ]' \
	_ "$TMP/markup.5" "$TMP/groff.out"
groff -man -Tascii -P-cbou -rLL=2000n -rHY=0 "$TMP/markup.5" |
	sed 's/(ABI [0-9]*\.[0-9]*)/(ABI M.N)/' >"$TMP/markup.txt"
fails=$T_FAIL
while IFS= read -r want; do
	ok "markup shown as written: $want" grep -qxF "$want" "$TMP/markup.txt"
done <<'EOF'
   mark_up
       *all* of it_.
       Defined by the plugin markup 1.0, file markup.so (ABI M.N): man page test: _markup_ \ *escaped*.
       star_name (string; required; default *x*)
           A *star*, an _underline_ and a back\slash, c++.
       list (int; default 0)
           - not a list item++.
       dot (enum: a_b or c*d; default a_b)
           .not dropped nor a new line.
EOF
[ "$T_FAIL" -eq "$fails" ] || diag_file "$TMP/markup.txt"

done_testing
