#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# sandbox.sh - boot a real systemd as PID 1 of private PID, mount, UTS, IPC
# and cgroup namespaces, for the system tests, without touching the host.
#
#   sandbox.sh start NAME        boot and wait until systemd runs (bounded)
#   sandbox.sh exec NAME CMD...  run CMD inside, in the caller's directory
#   sandbox.sh stop NAME         power off (SIGKILL after a timeout), clean up
#
# Environment:
#   SANDBOX_STATE   host directory for pid and log files (required)
#   SANDBOX_KEEP    host directories that must stay visible inside as they are
#                   on the host (the source and build trees), even when they
#                   live under /tmp, /run, /var/tmp or an overlaid directory
#   SANDBOX_BOOT_TIMEOUT (60) and SANDBOX_STOP_TIMEOUT (20), in seconds
#
# What keeps the host safe (doc/testing.md, "Safety rules"):
# systemd's tmpfiles would wipe /tmp and the host's enabled units would
# start on host ports.  So, inside only: fresh tmpfs on /tmp, /run, /var/tmp
# and the journal; /etc, /var, /usr, /opt, /root, /home and /srv are overlays
# whose writes (package installs, enable symlinks, dpkg state) stay in RAM;
# /sys and /proc/sys are read-only; a cgroup2 of its own, so systemd never
# touches the host's hierarchies; a target that wants only D-Bus and the
# journal; and every unit that touches shared state, or that the host has
# enabled, is masked in the private /run.
set -u

SELF=$(readlink -f "$0")
BOOT_TIMEOUT=${SANDBOX_BOOT_TIMEOUT:-60}
STOP_TIMEOUT=${SANDBOX_STOP_TIMEOUT:-20}

die() {
	echo "sandbox: $*" >&2
	exit 1
}

# Units that change state shared with the host, or that have no business in a
# test machine (consoles, networking, timers, the host's own daemons).
MASK="
systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service
systemd-tmpfiles-clean.service systemd-tmpfiles-clean.timer
systemd-sysusers.service systemd-sysctl.service systemd-modules-load.service
systemd-binfmt.service proc-sys-fs-binfmt_misc.automount
proc-sys-fs-binfmt_misc.mount systemd-random-seed.service
systemd-firstboot.service systemd-machine-id-commit.service
systemd-repart.service systemd-pcrphase.service
systemd-pcrphase-sysinit.service systemd-pcrphase-initrd.service
systemd-pcrmachine.service systemd-update-utmp.service
systemd-update-utmp-runlevel.service systemd-update-done.service
systemd-journal-flush.service systemd-journal-catalog-update.service
systemd-hwdb-update.service ldconfig.service kmod-static-nodes.service
systemd-remount-fs.service systemd-fsck-root.service
systemd-growfs-root.service systemd-pstore.service
systemd-timesyncd.service systemd-timedated.service
systemd-networkd.service systemd-networkd.socket
systemd-network-generator.service systemd-networkd-wait-online.service
systemd-resolved.service networking.service ifupdown-pre.service
systemd-hostnamed.service systemd-localed.service systemd-logind.service
systemd-user-sessions.service systemd-udevd.service
systemd-udev-trigger.service systemd-udev-settle.service
systemd-udevd-control.socket systemd-udevd-kernel.socket
getty@.service serial-getty@.service console-getty.service
container-getty@.service getty.target getty-static.service autovt@.service
swap.target cryptsetup.target veritysetup.target integritysetup.target
remote-fs.target apt-daily.timer apt-daily-upgrade.timer apt-daily.service
apt-daily-upgrade.service man-db.timer man-db.service e2scrub_all.timer
e2scrub_reap.service fstrim.timer dpkg-db-backup.timer logrotate.timer
cron.service anacron.service postgresql.service postgresql@.service
etcd.service etcd2.service rsyslog.service ssh.service
packagekit-offline-update.service
"

[ $# -ge 2 ] || die "usage: sandbox.sh start|exec|stop NAME [CMD...]"
cmd=$1
NAME=$2
shift 2
[[ $NAME =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad sandbox name '$NAME'"
: "${SANDBOX_STATE:?SANDBOX_STATE must name a host directory for the sandbox files}"
SD=$SANDBOX_STATE/$NAME

# The host PID of the sandbox's init, if it still runs.
ns_pid() {
	local p
	p=$(cat "$SD/pid" 2>/dev/null) || return 1
	[ -n "$p" ] && [ -d "/proc/$p" ] && echo "$p"
}

# Where the host mounts cgroup2: /sys/fs/cgroup (pure v2) or
# /sys/fs/cgroup/unified (hybrid).
cg2_root() {
	local d
	for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		if [ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# PID 1 of the new namespaces: prepare the mounts, then become systemd.
init() {
	set -e
	hostname "sbx-$NAME"
	mount --bind "$SD/console.log" /dev/console
	# Stash the kept directories before their parents get covered.
	local keep=(${SANDBOX_KEEP:-}) i
	mount -t tmpfs -o mode=700 sbx-keep /mnt
	for i in "${!keep[@]}"; do
		mkdir "/mnt/$i"
		mount --bind "${keep[$i]}" "/mnt/$i"
	done
	mount -t tmpfs -o mode=1777,nosuid,nodev,size=2g sbx-tmp /tmp
	mount -t tmpfs -o mode=755,nosuid,nodev sbx-run /run
	mkdir -p /run/.ovl
	mount -t tmpfs -o mode=700 sbx-ovl /run/.ovl
	local d
	for d in etc var usr opt root home srv; do
		[ -d "/$d" ] && [ ! -L "/$d" ] || continue
		mkdir -p "/run/.ovl/$d/u" "/run/.ovl/$d/w"
		mount -t overlay "sbx-ovl-$d" -o "lowerdir=/$d,upperdir=/run/.ovl/$d/u,workdir=/run/.ovl/$d/w" "/$d"
	done
	mount -t tmpfs -o mode=1777,nosuid,nodev sbx-vartmp /var/tmp
	[ ! -d /var/log/journal ] || mount -t tmpfs -o mode=2755 sbx-journal /var/log/journal
	for i in "${!keep[@]}"; do
		mkdir -p "${keep[$i]}"
		mount --bind "/mnt/$i" "${keep[$i]}"
	done
	umount -R /sys/fs/cgroup 2>/dev/null || umount -R -l /sys/fs/cgroup
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
	mount --bind /proc/sys /proc/sys
	mount -o remount,bind,ro /proc/sys
	mount -o remount,bind,ro /sys
	mkdir -p /run/systemd/system /run/systemd/journald.conf.d
	cat >/run/systemd/system/sandbox.target <<-EOF
		[Unit]
		Description=mgmt-engine test sandbox (D-Bus and the journal only)
		Requires=dbus.socket
		Wants=dbus.service systemd-journald.service
		After=dbus.socket dbus.service systemd-journald.service
		AllowIsolate=yes
	EOF
	printf '[Journal]\nStorage=volatile\nReadKMsg=no\n' \
		>/run/systemd/journald.conf.d/sandbox.conf
	local f u
	for f in /etc/systemd/system/*.wants/* /etc/systemd/system/*.requires/*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		u=${f##*/}
		case $u in dbus.* | systemd-journald* | *.target) continue ;; esac
		ln -sf /dev/null "/run/systemd/system/$u"
	done
	for u in $MASK; do
		ln -sf /dev/null "/run/systemd/system/$u"
	done
	# Container mode: no kernel modules, no clock, and poweroff exits.
	export container=mgmt-engine-sandbox
	exec /lib/systemd/systemd --system --unit=sandbox.target \
		--show-status=no --log-target=console --log-level=info
}

start() {
	[ -x /lib/systemd/systemd ] || die "systemd is not installed (tools/deps test installs it)"
	command -v unshare >/dev/null && command -v nsenter >/dev/null ||
		die "unshare/nsenter missing (util-linux)"
	[ "$(id -u)" = 0 ] || die "needs root (namespaces, mounts, cgroups)"
	! ns_pid >/dev/null || die "sandbox '$NAME' already runs"
	mkdir -p "$SD"
	rm -f "$SD/pid"
	: >"$SD/console.log"
	local root own cg
	root=$(cg2_root) || die "no cgroup2 hierarchy on this host"
	own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	cg=$root${own%/}/mgmt-sandbox-$NAME
	[ ! -d "$cg" ] || find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	mkdir -p "$cg" || die "cannot create cgroup $cg"
	echo "$cg" >"$SD/cgroup"
	# setsid: the sandbox outlives nothing of the caller's session; the
	# launcher moves itself into the new cgroup before unsharing.
	setsid bash -c 'echo $$ >"$1/cgroup.procs" || exit 1
		exec unshare --pid --fork --mount --propagation private \
			--mount-proc --uts --ipc --cgroup --kill-child -- "$2" __init "$3"' \
		_ "$cg" "$SELF" "$NAME" </dev/null >"$SD/launcher.log" 2>&1 &
	local launcher=$! p= i state=
	echo "$launcher" >"$SD/launcher"
	for i in $(seq 100); do
		p=$(awk '{ print $1 }' "/proc/$launcher/task/$launcher/children" 2>/dev/null)
		[ -z "$p" ] && kill -0 "$launcher" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$p" ]; then
		cat "$SD/launcher.log" >&2
		stop
		die "the namespace's init did not start"
	fi
	echo "$p" >"$SD/pid"
	local deadline=$((SECONDS + BOOT_TIMEOUT))
	while [ $SECONDS -lt $deadline ]; do
		if ! kill -0 "$p" 2>/dev/null; then
			tail -n 20 "$SD/launcher.log" "$SD/console.log" >&2
			stop
			die "systemd exited during boot"
		fi
		case $(readlink "/proc/$p/exe") in
		*/systemd/systemd)
			state=$(nsenter -t "$p" -m -p -u -i -- systemctl is-system-running 2>/dev/null)
			case $state in running | degraded) return 0 ;; esac
			;;
		esac
		sleep 0.1
	done
	tail -n 20 "$SD/console.log" >&2
	stop
	die "systemd did not reach running within ${BOOT_TIMEOUT}s (state ${state:-unknown})"
}

stop() {
	local p launcher cg deadline
	if p=$(ns_pid); then
		nsenter -t "$p" -m -p -u -i -- systemctl poweroff --no-block >/dev/null 2>&1 ||
			kill -s SIGRTMIN+4 "$p" 2>/dev/null
		deadline=$((SECONDS + STOP_TIMEOUT))
		while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
			sleep 0.05
		done
		# Killing a PID namespace's init kills everything in it.
		if kill -0 "$p" 2>/dev/null; then
			echo "sandbox: '$NAME' did not power off in ${STOP_TIMEOUT}s: killed" >&2
			kill -KILL "$p" 2>/dev/null
		fi
	fi
	launcher=$(cat "$SD/launcher" 2>/dev/null)
	if [ -n "$launcher" ] && [ "$(cat "/proc/$launcher/comm" 2>/dev/null)" = unshare ]; then
		kill "$launcher" 2>/dev/null
	fi
	cg=$(cat "$SD/cgroup" 2>/dev/null)
	if [ -n "$cg" ]; then
		# The namespace's processes may take a moment to go.
		for _ in $(seq 100); do
			[ -d "$cg" ] || break
			find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
			sleep 0.05
		done
		[ ! -d "$cg" ] || echo "sandbox: cgroup $cg not removed" >&2
	fi
	rm -f "$SD/pid" "$SD/launcher" "$SD/cgroup"
}

case $cmd in
__init) init ;;
start) start ;;
stop) stop ;;
exec)
	p=$(ns_pid) || die "sandbox '$NAME' is not running"
	[ $# -gt 0 ] || die "usage: sandbox.sh exec NAME CMD..."
	exec nsenter -t "$p" -m -p -u -i --wd="$PWD" -- "$@"
	;;
*) die "unknown command '$cmd' (start, exec or stop)" ;;
esac
