# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Per-test timeout. test() runs as a background job in its own process group;
# its EXIT trap writes a byte to HANG_FD, a pipe opened once per run, so the
# runner sleeps in `read -t` (a builtin: no watchdog process per test). On
# timeout the hung tasks' stacks, sysrq-w and the device state go to $FULL,
# then the whole process group gets SIGTERM, then SIGKILL. Tasks that survive
# SIGKILL (D state) mean the kernel cannot recover: HANG_STUCK > 0.

# shellcheck disable=SC2034 # HANG_* results are read by runner.sh
HANG_GRACE=${DMEMU_HANG_GRACE:-5}
HANG_RP=') ' # ends the comm field of /proc/PID/stat

# Open HANG_FD: both ends of an anonymous pipe (one fork per run).
_hang_init() {
	exec {HANG_FD}<> <(:)
}

_hang_drain() {
	while read -r -t 0 -u "$HANG_FD"; do
		read -r -u "$HANG_FD" || break
	done
}

# _hang_members PGID: set HANG_PIDS to the live (not zombie) tasks of a
# process group, and HANG_DSTATE to every task in D state on the system.
_hang_members() {
	local f line pid st rest pgrp
	HANG_PIDS=() HANG_DSTATE=()
	for f in /proc/[0-9]*/stat; do
		{ read -r line <"$f"; } 2>/dev/null || continue
		pid=${line%% *}
		rest=${line##*"$HANG_RP"}
		st=${rest%% *}
		rest=${rest#* } # ppid pgrp ...
		rest=${rest#* }
		pgrp=${rest%% *}
		[[ $st == Z || $st == X ]] && continue
		[[ $pgrp == "$1" ]] && HANG_PIDS+=("$pid")
		[[ $st == D ]] && HANG_DSTATE+=("$pid")
	done
}

# _hang_task_dump PID...: command line, state, wait channel and kernel stack.
_hang_task_dump() {
	local p line comm st
	for p in "$@"; do
		[[ -r /proc/$p/stat ]] || continue
		{ read -r line <"/proc/$p/stat"; } 2>/dev/null || continue
		comm=${line#* }
		comm=${comm%"${comm##*"$HANG_RP"}"}
		st=${line##*"$HANG_RP"}
		echo "--- task $p $comm state ${st%% *}"
		[[ -r /proc/$p/cmdline ]] && tr '\0' ' ' <"/proc/$p/cmdline" && echo
		if [[ -r /proc/$p/stack ]]; then
			cat "/proc/$p/stack" 2>/dev/null
		else
			echo "(no /proc/$p/stack)"
		fi
	done
}

# _hang_capture PGID TEST SECONDS: everything a developer needs about a hang.
_hang_capture() {
	local pgid=$1 mark
	echo "=== dmemu: $2 timed out after ${3}s: state before the kill ==="
	_hang_members "$pgid"
	echo "== tasks of the test (process group $pgid): ${HANG_PIDS[*]}"
	_hang_task_dump "${HANG_PIDS[@]}"
	echo "== tasks in D state: ${HANG_DSTATE[*]:-none}"
	_hang_task_dump "${HANG_DSTATE[@]}"
	echo "== device state"
	if command -v dmsetup >/dev/null; then
		dmsetup info -c 2>&1
		dmsetup table 2>&1
		dmsetup status 2>&1
	fi
	command -v losetup >/dev/null && losetup -a 2>&1
	echo "== sysrq-w (blocked tasks) from the kernel log"
	if [[ -w /proc/sysrq-trigger && -w /dev/kmsg ]]; then
		mark="dmemu: sysrq-w for $2 at $EPOCHREALTIME"
		echo "$mark" >/dev/kmsg
		echo w >/proc/sysrq-trigger
		dmesg | awk -v m="$mark" 'f; index($0, m) { f = 1 }'
	else
		echo "(sysrq-trigger or /dev/kmsg not writable)"
	fi
}

# _hang_wait_gone PGID PID SECONDS: poll until the group and PID are gone.
_hang_wait_gone() {
	local end=$((${EPOCHREALTIME/./} + $3 * 1000000))
	while ((${EPOCHREALTIME/./} < end)); do
		_hang_members "$1"
		((${#HANG_PIDS[@]} == 0)) && ! kill -0 "$2" 2>/dev/null && return 0
		read -r -t 0.2 -u "$HANG_FD"
	done
	return 1
}

# _hang_wait PID SECONDS TEST: wait for the test job PID (a process group
# leader). Sets HANG_TIMEDOUT (1 when it had to be killed) and HANG_STUCK
# (how many of its tasks survived SIGKILL).
_hang_wait() {
	local pid=$1 end=$((${EPOCHREALTIME/./} + $2 * 1000000))
	HANG_TIMEDOUT=0 HANG_STUCK=0
	while :; do
		read -r -t 1 -u "$HANG_FD" && return 0
		kill -0 "$pid" 2>/dev/null || return 0
		((${EPOCHREALTIME/./} < end)) || break
	done
	HANG_TIMEDOUT=1
	_hang_capture "$pid" "$3" "$2" >>"$FULL" 2>&1
	kill -TERM -- "-$pid" 2>/dev/null
	_hang_wait_gone "$pid" "$pid" "$HANG_GRACE" && return 0
	kill -KILL -- "-$pid" 2>/dev/null
	_hang_wait_gone "$pid" "$pid" "$HANG_GRACE" && return 0
	_hang_members "$pid"
	kill -0 "$pid" 2>/dev/null && [[ " ${HANG_PIDS[*]} " != *" $pid "* ]] && HANG_PIDS+=("$pid")
	HANG_STUCK=${#HANG_PIDS[@]}
	{
		echo "=== dmemu: ${HANG_STUCK} tasks of $3 survived SIGKILL ==="
		_hang_task_dump "${HANG_PIDS[@]}"
	} >>"$FULL" 2>&1
}
