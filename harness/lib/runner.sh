# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2154 # quick, dry, run_dir, junit, ... come from harness/check
# The direct-mode half of harness/check: the per-test lifecycle and verdicts.
# Sourced by harness/check after results.sh, junit.sh, select.sh and hang.sh.
#
# Per test: requires() (and device_requires() for test_device() tests), then
# test() in its own process group with a TIMEOUT, then the verdict: not run,
# output mismatch, exit status, dmesg splat, kmemleak, timeout. Runtime and
# TEST_RUN[key]=value metrics are printed next to the last run's values
# (<results>/history/<dev|nodev>/GROUP/NNN, as blktests keeps them).

# What counts as a kernel splat in dmesg (blktests' set plus KASAN/UBSAN/lockdep).
DMESG_SPLAT='kernel BUG at|WARNING:|BUG:|Oops:|possible recursive locking|Internal error|suspicious RCU|circular locking|general protection fault:|KASAN:|UBSAN:|INFO: task .* blocked for more than|possible circular locking|inconsistent lock state|dmemu failure'

# Default kill timeouts per class of test (seconds); TIMEOUT=S in a test file
# sets its own, --timeout / TIMEOUT in the config overrides both.
TIMEOUT_QUICK=300
TIMEOUT_LONG=3600

# The most guest reboots one test may ask for (_reboot_guest).
TEST_MAX_BOOTS=8

# Fields of a result file that are not metrics.
RESULT_FIELDS=" description date status reason exit_status runtime test_dev timeout "

KMEMLEAK_FILE=${DMEMU_KMEMLEAK:-/sys/kernel/debug/kmemleak}
KMEMLEAK_MIN_AGE=${DMEMU_KMEMLEAK_MIN_AGE:-5}

# ---- kmemleak (only when the kernel has it) ----
_kmemleak_setup() {
	KMEMLEAK_ON=0
	local why=
	if [[ ${KMEMLEAK:-auto} == 0 || ${KMEMLEAK:-} == no ]]; then
		why="disabled by KMEMLEAK=${KMEMLEAK}"
	elif [[ ! -e $KMEMLEAK_FILE ]]; then
		why="$KMEMLEAK_FILE does not exist (kernel without CONFIG_DEBUG_KMEMLEAK, or no debugfs)"
	elif [[ ! -r $KMEMLEAK_FILE || ! -w $KMEMLEAK_FILE ]]; then
		why="$KMEMLEAK_FILE is not readable and writable"
	elif ! { echo scan >>"$KMEMLEAK_FILE"; } 2>/dev/null; then
		why="kmemleak is disabled in this kernel (scan refused)"
	fi
	if [[ -n $why ]]; then
		echo "kmemleak: not checked: $why"
		_junit_prop "$run_dir" kmemleak "off: $why"
		return
	fi
	KMEMLEAK_ON=1
	# Leaks from before the run are not any test's fault: keep them aside.
	local leaks=
	read -r -d '' leaks <"$KMEMLEAK_FILE"
	[[ $leaks == *"unreferenced object"* ]] && printf '%s' "$leaks" >"$run_dir/start.kmemleak"
	echo clear >>"$KMEMLEAK_FILE"
	echo "kmemleak: checked after every test"
	_junit_prop "$run_dir" kmemleak on
}

# _kmemleak_check T0_US RES: scan once the test's objects are old enough to
# be reported; 1 (and RES.kmemleak) when there are leaks.
_kmemleak_check() {
	local wait_us=$((KMEMLEAK_MIN_AGE * 1000000 - (${EPOCHREALTIME/./} - $1))) leaks=
	if ((wait_us > 0)); then
		_hang_drain
		read -r -t "$((wait_us / 1000000)).$(printf '%06d' $((wait_us % 1000000)))" -u "$HANG_FD"
	fi
	echo scan >>"$KMEMLEAK_FILE"
	read -r -d '' leaks <"$KMEMLEAK_FILE"
	echo clear >>"$KMEMLEAK_FILE"
	[[ $leaks == *"unreferenced object"* ]] || return 0
	printf '%s' "$leaks" >"$2.kmemleak"
	return 1
}

# ---- test-side API (tests call these) ----
# Cleanups run when test() ends, however it ends.
_register_test_cleanup() {
	_CLEANUPS+=("$*")
}

_run_cleanups() {
	local i
	for ((i = ${#_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${_CLEANUPS[i]}" >>"$FULL" 2>&1
	done
	_CLEANUPS=()
}

# A test that finds at run time that it cannot run says why; it is "not run".
_skip() {
	echo "$*" >>"$TMPDIR/.skip"
}

# _reboot_guest: end this boot's part of the test. Once test() returns 0, the
# guest is replaced by a freshly booted one, in which test() runs again with
# TEST_BOOT one higher; its output is appended to this boot's, and $TEST_STATE
# (a directory in the results tree) is kept. Needs _have_guest_reboot.
_reboot_guest() {
	: >"$TMPDIR/.reboot"
}

# _record_device_props DEV: the zoned model, zone count, write cache, ... of a
# device the test built go into the JUnit properties as TEST.DEVNAME.ATTR.
_record_device_props() {
	_junit_dev_props "$run_dir" "$TEST_NAME.${1##*/}" "$1"
}

# ---- lifecycle ----
# Did the kernel splat since this test's marker? (uses _run_one's locals)
_reboot_dmesg_splat() {
	((kmsg && CHECK_DMESG)) || return 1
	dmesg | awk -v m="$marker" 'f; index($0, m) { f = 1 }' | $DMESG_FILTER |
		grep -Eq "$DMESG_SPLAT"
}

_test_exit_trap() {
	_run_cleanups
	local k
	for k in "${!TEST_RUN[@]}"; do
		printf '%s\t%s\n' "${k//[$'\t\n']/ }" "${TEST_RUN[$k]//[$'\t\n']/ }"
	done >"$TMPDIR/.test_run"
	echo >&"$HANG_FD"
}

# _show_metric KEY LAST NOW
_show_metric() {
	printf '    %-8s %s ... %s\n' "$1" "$2" "$3"
}

# _run_one INDEX ITER TEST DEV: run one plan entry in a subshell; writes the
# result file and the JUnit fragment and prints the result lines. Exits with
# RESULTS_RC_REBOOT when the test left tasks that cannot be killed.
_run_one() (
	local idx=$1 it=$2 t=$3 dev=$4
	local src=$TESTS_DIR/$t res f label devname=
	_res_path "$it" "$t" "$dev"
	res=$RES
	[[ -d ${res%/*} ]] || mkdir -p "${res%/*}"
	# TEST_BOOT: how many guest reboots this test asked for so far.
	TEST_BOOT=0
	[[ -f $res.boot ]] && read -r TEST_BOOT <"$res.boot"
	TEST_STATE=$res.state
	if ((TEST_BOOT == 0)); then
		for f in "$res" "$res".{out,out.bad,full,dmesg,kmemleak}; do
			[[ -e $f ]] && rm -f "$f"
		done
		[[ -e $TEST_STATE ]] && rm -rf "$TEST_STATE"
	fi

	DESCRIPTION='' CHECK_DMESG=1 DMESG_FILTER=cat QUICK='' CAN_BE_ZONED=0
	SKIP_REASONS=()
	declare -A TEST_RUN=()
	TEST_NAME=$t
	SRCDIR=$TOP
	FULL=$res.full
	TEST_DEV='' TEST_DEV_SYSFS=''
	unset TIMEOUT
	# shellcheck source=/dev/null
	. "$src"
	# The test file's globals may reuse these names.
	idx=$1 it=$2 t=$3 dev=$4 src=$TESTS_DIR/$3 devname=
	_res_path "$it" "$t" "$dev"
	res=$RES
	local test_timeout=${TIMEOUT:-}
	[[ $dev == /* ]] && devname=${dev##*/}
	printf -v label '%-60s' "$t${devname:+ => $devname} ($DESCRIPTION)"

	local test_fn=test malformed=
	if [[ $dev != - ]]; then
		test_fn=test_device
		declare -F test_device >/dev/null || malformed="test_device() is missing"
	fi
	[[ -n $DESCRIPTION ]] || malformed="needs DESCRIPTION"
	[[ $DESCRIPTION == TODO* ]] && malformed="DESCRIPTION is still the harness/new template's"
	declare -F "$test_fn" >/dev/null || malformed=${malformed:-"needs $test_fn()"}
	if declare -F test >/dev/null && declare -F test_device >/dev/null; then
		malformed="defines both test() and test_device()"
	fi
	if [[ -n $malformed ]]; then
		echo "$t: malformed test file: $malformed" >&2
		_record "$res" "$DESCRIPTION" fail "malformed test file: $malformed" "" 0
		_junit_case "$run_dir" "$idx" "$t" "$dev" "$it" "$DESCRIPTION" fail \
			"malformed test file" 0 "$malformed"
		echo "$label [failed]"
		echo "    malformed test file: $malformed"
		return 0
	fi

	case $dev in
	@none)
		SKIP_REASONS+=("no TEST_DEVS configured (a test_device() test; set TEST_DEVS in the config)")
		;;
	/*)
		TEST_DEV=$dev
		TEST_DEV_SYSFS=/sys/block/$devname
		local zoned=none
		[[ -r $TEST_DEV_SYSFS/queue/zoned ]] && read -r zoned <"$TEST_DEV_SYSFS/queue/zoned"
		if [[ $zoned != none && $CAN_BE_ZONED != 1 ]]; then
			SKIP_REASONS+=("$devname is a zoned block device ($zoned) and the test does not set CAN_BE_ZONED=1")
		fi
		declare -F device_requires >/dev/null && device_requires
		;;
	esac
	if ((${#SKIP_REASONS[@]} == 0)) && declare -F requires >/dev/null; then
		requires
	fi
	if ((${#SKIP_REASONS[@]})); then
		rm -f "$res.boot" "$res.out"
		local why
		why=$(IFS=';'; echo "${SKIP_REASONS[*]}")
		_record "$res" "$DESCRIPTION" "not run" "$why" "" 0 test_dev "$dev"
		_junit_case "$run_dir" "$idx" "$t" "$dev" "$it" "$DESCRIPTION" "not run" "$why" 0 ""
		echo "$label [not run]"
		printf '    %s\n' "${SKIP_REASONS[@]}"
		return 0
	fi

	local timeout=$test_timeout
	if [[ -z $timeout ]]; then
		timeout=$TIMEOUT_LONG
		[[ $QUICK == 1 ]] && timeout=$TIMEOUT_QUICK
	fi
	timeout=${user_timeout:-$((timeout * ${timeout_scale:-1}))}
	TIMEOUT=$timeout

	local hist=$out_base/history/${devname:-nodev}/$t
	local -A last=()
	_results_read "$hist" last

	TMPDIR=$(mktemp -d /tmp/dmemu-test.XXXXXX)
	export TMPDIR FULL TEST_NAME SRCDIR TIMEOUT TEST_DEV TEST_DEV_SYSFS TEST_BOOT TEST_STATE
	((TEST_BOOT)) || : >"$FULL"
	mkdir -p "$TEST_STATE"
	local marker kmsg=0
	marker="dmemu: run $t${devname:+ on $devname} at $EPOCHREALTIME"
	((TEST_BOOT)) && marker+=" (boot $TEST_BOOT of the test)"
	if echo "$marker" 2>/dev/null >/dev/kmsg; then
		kmsg=1
	fi
	local t0 rc pid
	[[ $coverage == per-test ]] && "$TOP/harness/coverage/reset"
	t0=${EPOCHREALTIME/./}
	_hang_drain
	set -m
	(
		_CLEANUPS=()
		trap _test_exit_trap EXIT
		if [[ $dev == @fallback ]]; then
			TEST_DEV=$(fallback_device 2>>"$FULL")
			_register_test_cleanup cleanup_fallback_device
			if [[ ! -b $TEST_DEV ]]; then
				echo "fallback_device() gave no block device: '$TEST_DEV'"
				exit 1
			fi
			TEST_DEV_SYSFS=/sys/block/${TEST_DEV##*/}
			echo "fallback device: $TEST_DEV" >>"$FULL"
		fi
		"$test_fn"
	) </dev/null >>"$res.out" 2>&1 &
	pid=$!
	set +m
	_hang_wait "$pid" "$timeout" "$t"
	rc=0
	((HANG_TIMEDOUT)) || { wait "$pid"; rc=$?; }
	local us=$((${EPOCHREALTIME/./} - t0))
	if [[ $coverage == per-test ]]; then
		local cname=$t${devname:+@$devname}
		[[ $it != - ]] && cname+="#${it#iter}"
		((TEST_BOOT)) && cname+="~boot$TEST_BOOT"
		"$TOP/harness/coverage/capture" "$run_dir/coverage/raw/tests/$cname"
	fi
	local runtime
	printf -v runtime '%d.%03d' $((us / 1000000)) $((us / 1000 % 1000))

	local status=pass reason='' details='' k v
	local -A now=()
	_results_read "$TMPDIR/.test_run" now
	if [[ -f $TMPDIR/.reboot ]] && ((!HANG_TIMEDOUT && rc == 0)) && [[ ! -s $TMPDIR/.skip ]]; then
		if ((can_reboot && TEST_BOOT < TEST_MAX_BOOTS)) && ! _reboot_dmesg_splat; then
			echo $((TEST_BOOT + 1)) >"$res.boot"
			rm -rf "$TMPDIR"
			echo "$label [reboot]"
			echo "    boot $TEST_BOOT done: the test goes on in a fresh guest"
			return "$RESULTS_RC_BOOT_AGAIN"
		fi
		((can_reboot)) || rc=1 reason="asked for a guest reboot, which only VM runs started on the host can do"
		((TEST_BOOT < TEST_MAX_BOOTS)) || rc=1 reason="asked for more than $TEST_MAX_BOOTS guest reboots"
	fi
	if ((HANG_TIMEDOUT)); then
		status=fail reason="timeout (${timeout}s)"
		((HANG_STUCK)) && reason+="; $HANG_STUCK tasks cannot be killed"
		[[ -s $res.out ]] && mv "$res.out" "$res.out.bad"
		details="killed after ${timeout}s; hung tasks' stacks, sysrq-w and device state are in $FULL"
	elif [[ -s $TMPDIR/.skip ]]; then
		status="not run"
		local line
		while IFS= read -r line; do
			reason+=${reason:+;}$line
		done <"$TMPDIR/.skip"
	else
		if ! diff -u "$src.out" "$res.out" >"$TMPDIR/diff" 2>&1; then
			status=fail reason="${reason:+$reason, }output mismatch"
			mv "$res.out" "$res.out.bad"
			details=$(head -n 10 "$TMPDIR/diff"; echo "(diff -u $src.out $res.out.bad)")
		fi
		if ((rc != 0)); then
			status=fail reason="${reason:+$reason, }exit status $rc"
		fi
		if ((kmsg && CHECK_DMESG)); then
			dmesg | awk -v m="$marker" 'f; index($0, m) { f = 1 }' |
				$DMESG_FILTER >"$TMPDIR/dmesg"
			if grep -Eq "$DMESG_SPLAT" "$TMPDIR/dmesg"; then
				status=fail reason="${reason:+$reason, }dmesg splat"
				cp "$TMPDIR/dmesg" "$res.dmesg"
				details+=${details:+$'\n'}$(grep -E -m 5 "$DMESG_SPLAT" "$TMPDIR/dmesg")
			fi
		fi
		if ((KMEMLEAK_ON)) && ! _kmemleak_check "$t0" "$res"; then
			status=fail reason="${reason:+$reason, }kmemleak"
			details+=${details:+$'\n'}$(head -n 10 "$res.kmemleak")
		fi
	fi
	[[ -f $res.out ]] && rm -f "$res.out"
	[[ -s $FULL ]] || rm -f "$FULL"
	rm -f "$res.boot"
	if [[ $status == fail ]]; then
		rmdir "$TEST_STATE" 2>/dev/null # kept when not empty, for the post-mortem
	else
		rm -rf "$TEST_STATE"
	fi
	if ((HANG_STUCK == 0)); then
		rm -rf "$TMPDIR"
	fi

	local extra=(test_dev "$dev" timeout "$timeout")
	for k in "${!now[@]}"; do
		[[ $RESULT_FIELDS == *" $k "* ]] && continue
		extra+=("$k" "${now[$k]}")
	done
	_record "$res" "$DESCRIPTION" "$status" "$reason" "$rc" "$runtime" "${extra[@]}"
	if [[ $status != "not run" ]]; then
		[[ -d ${hist%/*} ]] || mkdir -p "${hist%/*}"
		_record "$hist" "$DESCRIPTION" "$status" "$reason" "$rc" "$runtime" "${extra[@]}"
	fi
	_junit_case "$run_dir" "$idx" "$t" "$dev" "$it" "$DESCRIPTION" "$status" "$reason" \
		$((us / 1000)) "$details"

	local word=passed
	[[ $status == fail ]] && word=failed
	[[ $status == "not run" ]] && word="not run"
	echo "$label [$word]"
	if [[ $status == "not run" ]]; then
		echo "    $reason"
	else
		printf '    runtime  %s ... %ss\n' "${last[runtime]:+${last[runtime]}s}" "$runtime"
		for k in "${!now[@]}"; do
			[[ $RESULT_FIELDS == *" $k "* ]] && continue
			_show_metric "$k" "${last[$k]}" "${now[$k]}"
		done
	fi
	if [[ $status == fail ]]; then
		echo "    $reason"
		[[ -n $details ]] && while IFS= read -r k; do echo "    $k"; done <<<"$details"
	fi
	if ((HANG_STUCK)); then
		return "$RESULTS_RC_REBOOT"
	fi
	return 0
)

# Run properties for the JUnit file, restated by every guest of a run.
_run_props() {
	local k v
	_junit_prop "$run_dir" started "$run_started"
	_junit_prop "$run_dir" kernel "$(uname -r)"
	_junit_prop "$run_dir" arch "$(uname -m)"
	_junit_prop "$run_dir" cpus "$(nproc)"
	while read -r k v _; do
		[[ $k == MemTotal: ]] && _junit_prop "$run_dir" mem_kib "$v"
	done </proc/meminfo
	_junit_prop "$run_dir" guest "${DMEMU_GUEST:-0}"
	_junit_prop "$run_dir" run_id "$run_id"
	((random)) && _junit_prop "$run_dir" seed "$seed"
	[[ -n $shard ]] && _junit_prop "$run_dir" shard "$shard"
	_junit_prop "$run_dir" iterations "$iterations"
	[[ -n $user_timeout ]] && _junit_prop "$run_dir" timeout "$user_timeout"
	for v in "${TEST_DEVS[@]}"; do
		_junit_dev_props "$run_dir" "TEST_DEVS.${v##*/}" "$v"
	done
}

_run_all() {
	local line start=0 i it t dev rc n
	if ((${#TEST_DEVS[@]})) && ! _check_test_devs; then
		exit 2
	fi
	if ((resume)); then
		if ! _results_plan "$run_dir"; then
			echo "check: --resume: no plan in $run_dir" >&2
			exit 2
		fi
		# A test that was running when the last kernel went down failed.
		_results_mark_crashed "$run_dir" "guest stopped during the test" "$junit" |
			tee -a "$run_dir/summary"
		_results_pos "$run_dir"
		start=$((POS_N + 1))
		[[ $POS_STATE == reboot ]] && start=$POS_N
	else
		_plan || exit 2
		if ((dry)); then
			_dry_run
			return 0
		fi
		mkdir -p "$run_dir/.junit"
		# a reused --run-id: no test goes on from an older run's reboot
		find "$run_dir" -name '*.boot' -type f -delete
		printf '%s\n' "${PLAN[@]}" >"$run_dir/.plan"
		echo "-1 done" >"$run_dir/.pos"
		printf -v run_started '%(%Y-%m-%dT%H:%M:%S)T' -1
	fi
	run_started=${run_started:-}
	[[ -n $run_started ]] || printf -v run_started '%(%Y-%m-%dT%H:%M:%S)T' -1
	_hang_init
	{
		((resume && start < ${#PLAN[@]})) &&
			echo "resuming run $run_id at test $((start + 1)) of ${#PLAN[@]}"
		if ((!resume)); then
			((random)) && echo "random order, seed $seed (repeat with --seed $seed)"
			[[ -n $shard ]] && echo "shard $shard: ${#PLAN[@]} tests"
			_run_props
		fi
		_kmemleak_setup
		if [[ -n $coverage ]]; then
			"$TOP/harness/coverage/reset" || exit 2
			echo "coverage: $coverage (gcov counters reset)"
		fi
		local cur_it=-
		((start > 0)) && IFS=$'\t' read -r cur_it _ <<<"${PLAN[start - 1]}"
		rc=0
		for ((i = start; i < ${#PLAN[@]}; i++)); do
			IFS=$'\t' read -r it t dev <<<"${PLAN[i]}"
			[[ $it != "$cur_it" ]] && echo "=== iteration ${it#iter} of $iterations"
			cur_it=$it
			echo "$i running" >"$run_dir/.pos"
			_run_one "$i" "$it" "$t" "$dev"
			rc=$?
			if ((rc == RESULTS_RC_BOOT_AGAIN)); then
				# test i goes on in the next guest
				echo "$i reboot" >"$run_dir/.pos"
				rc=$RESULTS_RC_REBOOT
				break
			fi
			echo "$i done" >"$run_dir/.pos"
			_junit_write "$run_dir" "$junit"
			if ((rc == RESULTS_RC_REBOOT)); then
				n=$((${#PLAN[@]} - i - 1))
				echo "check: $t left tasks that cannot be killed; this kernel cannot go on."
				echo "check: $n tests remain: continue with a fresh kernel:" \
					"harness/check --resume --run-id $run_id -o $out_base"
				break
			fi
		done
		if [[ $coverage == run ]]; then
			"$TOP/harness/coverage/capture" "$run_dir/coverage/raw/run/$EPOCHSECONDS" || rc=1
		fi
		exit "$rc"
	} | tee -a "$run_dir/summary"
	rc=${PIPESTATUS[0]}
	ln -sfn "$run_id" "$out_base/latest"
	if ((rc == RESULTS_RC_REBOOT)); then
		summary_line "$run_dir" | tee -a "$run_dir/summary"
		exit "$RESULTS_RC_REBOOT"
	fi
	line=$(summary_line "$run_dir")
	echo "$line" | tee -a "$run_dir/summary"
	[[ $line == *" 0 failed,"* ]]
}
