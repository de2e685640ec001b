#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# sdk-headers.sh - each public SDK header compiles on its own, as the C the
# SDK promises (C99, -pedantic, warnings as errors) and as C++ (C++11 for
# the declarations; the macros that write initialisers need C++20, which
# sdk-cxx.sh builds), so a plugin may include any one of them first.
# version.h's MGMT_HAS_MEMBER works with nothing else included.  C++ is
# skipped when configure found no C++ compiler (TEST_CXX).
. "${MGMT_TOP_SRCDIR:?run through make check}/tests/cli/lib.sh"

CC=${MGMT_CC:-cc}
CXX=${MGMT_TEST_CXX:-}
inc=$MGMT_TOP_SRCDIR/sdk/include
CWARN="-std=c99 -pedantic -Wall -Wextra -Wstrict-prototypes -Wundef -Werror"
CXXWARN="-std=c++11 -pedantic -Wall -Wextra -Wundef -Werror"

# compiles COMPILER FLAGS TU: compile TU to an object, showing why not.
compiles() {
	# shellcheck disable=SC2086 # FLAGS is a word list
	$1 $2 -I"$inc" -c -o "$TMP/tu.o" "$3" >"$TMP/cc.out" 2>&1 && return 0
	echo "# $1 $2 $(basename "$3"):"
	diag_file "$TMP/cc.out"
	return 1
}

for h in "$inc"/mgmt/*.h; do
	name=$(basename "$h")
	tu=$TMP/alone-${name%.h}
	# The second line only keeps -pedantic from calling a header of
	# macros alone an empty translation unit.
	printf '#include <mgmt/%s>\ntypedef int not_empty;\n' "$name" >"$tu.c"
	cp "$tu.c" "$tu.cc"
	ok "mgmt/$name alone compiles as C99" compiles "$CC" "$CWARN" "$tu.c"
	if [ -n "$CXX" ]; then
		ok "mgmt/$name alone compiles as C++11" \
			compiles "$CXX" "$CXXWARN" "$tu.cc"
	else
		skip "mgmt/$name alone compiles as C++11" \
			"configure found no C++ compiler"
	fi
done

# The one macro of version.h that needs a declaration: offsetof.
cat >"$TMP/has-member.c" <<'EOF_C'
#include <mgmt/version.h>
struct sized { unsigned size; int later; };
int has_later(const struct sized *s);
int has_later(const struct sized *s)
{
	return MGMT_HAS_MEMBER(s, struct sized, later);
}
EOF_C
cp "$TMP/has-member.c" "$TMP/has-member.cc"
ok "MGMT_HAS_MEMBER with only mgmt/version.h (C99)" \
	compiles "$CC" "$CWARN" "$TMP/has-member.c"
if [ -n "$CXX" ]; then
	ok "MGMT_HAS_MEMBER with only mgmt/version.h (C++11)" \
		compiles "$CXX" "$CXXWARN" "$TMP/has-member.cc"
else
	skip "MGMT_HAS_MEMBER with only mgmt/version.h (C++11)" \
		"configure found no C++ compiler"
fi

done_testing
