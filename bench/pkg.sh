#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/pkg.sh - the pkg resource against plain apt-get, in a systemd
# sandbox with PackageKit (tests/system/sandbox.sh): what was installed
# there vanishes when it stops.  Run by tools/bench-pkg, never by make check.
#
# The seed's four scenarios: 1 package check (installed), 1 package
# install, 3 packages check, 3 packages install; each by the engine with
# automatic grouping on and with `autogroup: false`, and by `apt-get
# install -y` with the names in one call and in one call each.  Every time
# is spawn to exit (`run --converged-timeout 0` for the engine: compile,
# autoedges, check and apply), median of RUNS after one warm-up.  Before an
# install run the packages are removed with dpkg (not timed); their
# dependency stays, as it does after apt-get or PackageKit installs.
# Caches are warm: the .debs are in apt's archive cache, and PackageKit is
# told to keep them there (KeepCache=true, in the sandbox only).
#
# Usage: bench/pkg.sh ENGINE PLUGINS_DIR SRCDIR RESULTS.md [RUNS]
set -euo pipefail

ENGINE=$1
PLUGINS=$2
SRCDIR=$3
RESULTS=$4
RUNS=${5:-3}
PKG1=sl
PKG3="sl cowsay hello"
SBX="$SRCDIR/tests/system/sandbox.sh"
WORK=$(mktemp -d "$(dirname "$(readlink -f "$ENGINE")")/bench-pkg.XXXXXX")
chmod 0755 "$WORK"
export SANDBOX_STATE="$WORK/sandbox"
export SANDBOX_KEEP="$(dirname "$(readlink -f "$ENGINE")") $(readlink -f "$SRCDIR")"
NAME=bench-pkg-$$

stop() {
	bash "$SBX" stop "$NAME" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap stop EXIT
trap 'exit 130' INT TERM HUP

sbx() {
	(cd "$WORK" && bash "$SBX" exec "$NAME" "$@")
}

bash "$SBX" start "$NAME" >/dev/null
sbx sh -c 'sed -i "s/^#*KeepCache=.*/KeepCache=true/" /etc/PackageKit/PackageKit.conf &&
	systemctl restart packagekit.service'

# graph FILE META PKG...: one pkg resource (state installed) per PKG, with
# META as its meta parameters ("" for none).
graph() {
	local file=$1 meta=$2
	shift 2
	{
		echo "graph: bench"
		echo "resources:"
		echo "  pkg:"
		for p in "$@"; do
			echo "  - name: $p"
			[ -z "$meta" ] || echo "    meta: {$meta}"
		done
	} >"$WORK/$file"
}
graph g1.yaml "" $PKG1
graph g1-nogroup.yaml "autogroup: false" $PKG1
graph g1-noedge.yaml "autoedge: false" $PKG1
graph g3.yaml "" $PKG3
graph g3-nogroup.yaml "autogroup: false" $PKG3
graph g3-noedge.yaml "autoedge: false" $PKG3

engine() {
	sbx "$ENGINE" --plugins-dir "$PLUGINS" run --yaml "$WORK/$1" \
		--converged-timeout 0 >>"$WORK/engine.log" 2>&1
}

apt_one() {
	sbx apt-get install -y -q "$@" >>"$WORK/apt.log" 2>&1
}

apt_each() {
	for p in "$@"; do
		apt_one "$p"
	done
}

# ms CMD...: run it, print its wall time in milliseconds.
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" || { echo "bench/pkg: failed: $*" >&2; tail -n 20 "$WORK"/*.log >&2; exit 1; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure PREPARE CMD...: PREPARE (installed or removed) before each of one
# warm-up and RUNS timed runs; prints the median in ms.
measure() {
	local prep=$1 pkgs
	shift
	pkgs=$PKG3
	for i in $(seq 0 "$RUNS"); do
		if [ "$prep" = removed ]; then
			sbx dpkg -r $pkgs >/dev/null 2>&1
		else
			apt_one $pkgs
		fi
		t=$(ms "$@")
		[ "$i" = 0 ] || echo "$t"
	done | median
}

# The dependency (libtext-charwidth-perl) in place, the .debs cached.
apt_one $PKG3

declare -A R
row() { # KEY PREPARE CMD...
	local key=$1
	shift
	R[$key]=$(measure "$@")
	echo "$key: ${R[$key]} ms" >&2
}
row check1-grouped installed engine g1.yaml
row check1-nogroup installed engine g1-nogroup.yaml
row check1-apt installed apt_one $PKG1
row install1-grouped removed engine g1.yaml
row install1-nogroup removed engine g1-nogroup.yaml
row install1-apt removed apt_one $PKG1
row check3-grouped installed engine g3.yaml
row check3-nogroup installed engine g3-nogroup.yaml
row check3-apt installed apt_one $PKG3
row check3-apt-each installed apt_each $PKG3
row install3-grouped removed engine g3.yaml
row install3-nogroup removed engine g3-nogroup.yaml
row install3-apt removed apt_one $PKG3
row install3-apt-each removed apt_each $PKG3
# the same without automatic edges at all
row check1-noedge installed engine g1-noedge.yaml
row check3-noedge installed engine g3-noedge.yaml
row install3-noedge removed engine g3-noedge.yaml

# the count of install transactions of one grouped and one ungrouped run
sbx dpkg -r $PKG3 >/dev/null 2>&1
sbx "$ENGINE" --plugins-dir "$PLUGINS" --log-level debug run --yaml "$WORK/g3.yaml" \
	--converged-timeout 0 >"$WORK/g3.debug" 2>&1
sbx dpkg -r $PKG3 >/dev/null 2>&1
sbx "$ENGINE" --plugins-dir "$PLUGINS" --log-level debug run \
	--yaml "$WORK/g3-nogroup.yaml" --converged-timeout 0 >"$WORK/g3n.debug" 2>&1
tx_g=$(grep -c 'debug Pkg.*: InstallPackages /' "$WORK/g3.debug" || true)
tx_n=$(grep -c 'debug Pkg.*: InstallPackages /' "$WORK/g3n.debug" || true)
sbx dpkg -r $PKG3 >/dev/null 2>&1

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
s() {
	awk -v v="$1" 'BEGIN { printf "%.2f", v / 1000 }'
}

{
	echo
	echo "## bench/pkg: $(date -u '+%Y-%m-%d %H:%M') UTC, nproc $(nproc)"
	echo
	echo "Command: \`tools/bench-pkg\` (runs \`bench/pkg.sh ENGINE PLUGINS_DIR . bench/RESULTS.md $RUNS\`), as root."
	echo "Tree: $(git -C "$SRCDIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$SRCDIR" diff --quiet 2>/dev/null || echo ' with uncommitted changes')."
	echo "PackageKit $(sbx dpkg-query -W -f '${Version}' packagekit) (backend apt) in a systemd sandbox (tests/system/sandbox.sh, overlays in RAM), packages: $PKG3 (and their dependency, installed once before)."
	echo
	echo "Spawn to exit, median of $RUNS runs after one warm-up, in seconds.  Engine: \`mgmt-engine run --yaml G --converged-timeout 0\`, every resource \`state: installed\`, grouped (default) or with \`meta: {autogroup: false}\` (one vertex, one Resolve and one transaction each, run in parallel by the workers; PackageKit runs them one after another).  apt: \`apt-get install -y\` with the names in one call, or one call each.  Before an install run the packages are removed with \`dpkg -r\` (not timed); caches warm (PackageKit KeepCache=true in the sandbox)."
	echo
	echo "| scenario | engine, grouped | engine, autogroup: false | apt-get, one call | apt-get, one call each |"
	echo "|---|---:|---:|---:|---:|"
	echo "| 1 package check (installed) | $(s "${R[check1-grouped]}") | $(s "${R[check1-nogroup]}") | $(s "${R[check1-apt]}") | = |"
	echo "| 1 package install | $(s "${R[install1-grouped]}") | $(s "${R[install1-nogroup]}") | $(s "${R[install1-apt]}") | = |"
	echo "| 3 packages check | $(s "${R[check3-grouped]}") | $(s "${R[check3-nogroup]}") | $(s "${R[check3-apt]}") | $(s "${R[check3-apt-each]}") |"
	echo "| 3 packages install | **$(s "${R[install3-grouped]}")** | **$(s "${R[install3-nogroup]}")** | $(s "${R[install3-apt]}") | $(s "${R[install3-apt-each]}") |"
	echo
	echo "Install transactions (InstallPackages) of a 3-package install: $tx_g grouped, $tx_n with \`autogroup: false\`."
	echo "**3 packages install, autogroup: false / grouped: $(ratio "${R[install3-nogroup]}" "${R[install3-grouped]}")** (the seed saw about 3); apt-get one call each / one call: $(ratio "${R[install3-apt-each]}" "${R[install3-apt]}"); engine grouped / apt-get one call: $(ratio "${R[install3-grouped]}" "${R[install3-apt]}")."
	echo "3 packages check, autogroup: false / grouped: $(ratio "${R[check3-nogroup]}" "${R[check3-grouped]}")."
	echo
	echo "Where the engine's time goes: these graphs hold only pkg resources, so the autoedges do not ask PackageKit for file lists (the autoedge callback counts the graph's file and svc resources first, SDK 1.2); a graph with a file or svc resource pays a Resolve and a GetFiles at compile time (about 2 s here, mostly PackageKit's loading-cache).  With \`meta: {autoedge: false}\` (grouped): 1 package check $(s "${R[check1-noedge]}") s, 3 packages check $(s "${R[check3-noedge]}") s, 3 packages install $(s "${R[install3-noedge]}") s."
} >>"$RESULTS"
echo "bench/pkg: results appended to $RESULTS" >&2
