# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are read by the sourcing scripts
# SPDX-License-Identifier: GPL-2.0
# The results directory of a run, shared by both halves of harness/check (the
# host that boots guests and the direct-mode runner):
#   <run>/.plan      one line per test to run: ITER<TAB>GROUP/NNN<TAB>DEV
#                    (ITER "-" or iterK; DEV "-" for test(), a device path,
#                    @none or @fallback for test_device() tests)
#   <run>/.pos       "N running", "N done" or "N reboot" (test N asked for a
#                    fresh guest to go on in): where in .plan the run is
#   <run>[/iterK][/DEVNAME]/GROUP/NNN   key<TAB>value result file
#   <run>/summary    the console lines; the last one is the summary line
# Everything here uses builtins only, so it costs no fork per test.

# Exit status of a direct run that stopped because the kernel cannot recover
# (unkillable tasks): the host boots a fresh guest to run the rest of .plan.
RESULTS_RC_REBOOT=75
# _run_one's status when its test asked for a guest reboot (_reboot_guest).
RESULTS_RC_BOOT_AGAIN=76

# Count the verdicts of every result file under a run directory.
_results_count() {
	local f st k v
	R_PASSED=0 R_FAILED=0 R_SKIPPED=0
	local -
	shopt -s globstar nullglob
	for f in "$1"/**/[0-9][0-9][0-9]; do
		[[ -f $f ]] || continue
		st=
		while IFS=$'\t' read -r k v; do
			[[ $k == status ]] && { st=$v; break; }
		done <"$f"
		case $st in
		pass) ((R_PASSED++)) ;;
		fail) ((R_FAILED++)) ;;
		"not run") ((R_SKIPPED++)) ;;
		esac
	done
}

# summary_line RUN_DIR [EXTRA_FAILED]: "N passed, N failed, N skipped".
summary_line() {
	_results_count "$1"
	echo "$R_PASSED passed, $((R_FAILED + ${2:-0})) failed, $R_SKIPPED skipped"
}

summary_failed() {
	_results_count "$1"
	echo "$R_FAILED"
}

# _res_path ITER TEST DEV: set RES to the result file of one plan entry.
_res_path() {
	local d=$run_dir
	[[ $1 != - ]] && d+=/$1
	[[ $3 == /* ]] && d+=/${3##*/}
	RES=$d/$2
}

# _record FILE DESCRIPTION STATUS REASON EXIT RUNTIME [KEY VALUE]...
_record() {
	local f=$1
	{
		printf 'description\t%s\ndate\t%(%F %T)T\nstatus\t%s\nreason\t%s\nexit_status\t%s\nruntime\t%s\n' \
			"$2" -1 "$3" "$4" "$5" "$6"
		shift 6
		while (($# >= 2)); do
			printf '%s\t%s\n' "$1" "$2"
			shift 2
		done
	} >"$f"
}

# _results_read FILE ARRAY: load a key<TAB>value file into an associative array.
_results_read() {
	local -n _rr=$2
	local k v
	_rr=()
	[[ -f $1 ]] || return 1
	while IFS=$'\t' read -r k v; do
		[[ -n $k ]] && _rr[$k]=$v
	done <"$1"
}

_results_pos() {
	POS_N=-1 POS_STATE='done'
	[[ -f $1/.pos ]] && read -r POS_N POS_STATE <"$1/.pos"
	return 0
}

_results_plan() {
	PLAN=()
	[[ -f $1/.plan ]] || return 1
	mapfile -t PLAN <"$1/.plan"
}

# Number of plan entries after the last one done.
_results_remaining() {
	_results_plan "$1" || { echo 0; return; }
	_results_pos "$1"
	local left=$((${#PLAN[@]} - POS_N - 1))
	[[ $POS_STATE == reboot ]] && ((left++))
	echo "$left"
}

# _results_mark_crashed RUN_DIR REASON [JUNIT_FILE]: the guest died during the
# plan entry in .pos; give it a failed verdict so the summary and JUnit count
# it, and mark it done. Returns 1 when there is no plan to continue from.
_results_mark_crashed() {
	local run_dir=$1 it t dev
	_results_plan "$run_dir" || return 1
	_results_pos "$run_dir"
	if [[ $POS_STATE == running ]]; then
		IFS=$'\t' read -r it t dev <<<"${PLAN[POS_N]}"
		_res_path "$it" "$t" "$dev"
		mkdir -p "${RES%/*}"
		# the output of the boots of a test that asked for reboots
		rm -f "$RES.boot"
		[[ -f $RES.out ]] && mv "$RES.out" "$RES.out.bad"
		if [[ ! -f $RES ]]; then
			_record "$RES" "" fail "$2" "" 0
			_junit_case "$run_dir" "$POS_N" "$t" "$dev" "$it" "" fail "$2" 0 \
				"$2; the console log is in $run_dir"
			echo "$t${dev:+ => ${dev##*/}} [failed]"
			echo "    $2"
		fi
		echo "$POS_N done" >"$run_dir/.pos"
		_junit_write "$run_dir" "${3:-}"
	fi
	return 0
}
