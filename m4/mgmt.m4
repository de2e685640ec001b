# SPDX-License-Identifier: GPL-3.0-or-later
# Local macros of mgmt-engine.

# MGMT_REQUIRE_PKG(VAR, MODULE, DEBIAN-PACKAGE)
# pkg-config check that stops configure with one line naming the package.
AC_DEFUN([MGMT_REQUIRE_PKG], [
	PKG_CHECK_MODULES([$1], [$2], [],
		[AC_MSG_ERROR([$2 not found by pkg-config: install the Debian package $3])])
])

# MGMT_CFLAG_IF_SUPPORTED(FLAG, ACTION-IF-SUPPORTED)
AC_DEFUN([MGMT_CFLAG_IF_SUPPORTED], [
	AC_MSG_CHECKING([whether $CC accepts $1])
	mgmt_save_cflags=$CFLAGS
	CFLAGS="$CFLAGS -Werror $1"
	AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
		[AC_MSG_RESULT([yes]); $2],
		[AC_MSG_RESULT([no])])
	CFLAGS=$mgmt_save_cflags
])

# MGMT_PLUGIN(NAME, DEFAULT, HELP)
# --enable-plugin-NAME / --disable-plugin-NAME and AM_CONDITIONAL PLUGIN_NAME.
AC_DEFUN([MGMT_PLUGIN], [
	AC_ARG_ENABLE([plugin-$1],
		[AS_HELP_STRING([--disable-plugin-$1], [do not build $3])],
		[], [enable_plugin_$1=$2])
	AS_IF([test "x$enable_plugin_$1" = xyes],
		[MGMT_PLUGINS_ENABLED="$MGMT_PLUGINS_ENABLED $1"])
	AM_CONDITIONAL(m4_toupper([PLUGIN_$1]), [test "x$enable_plugin_$1" = xyes])
])
