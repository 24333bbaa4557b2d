# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2154 # quick, dry, excludes, wanted, run_dir, ... come from harness/check
# The direct-mode half of harness/check: test discovery, the per-test lifecycle
# and verdicts. Sourced by harness/check, which sets TOP, TESTS_DIR, quick, dry,
# excludes, wanted, run_dir and out_base.

# What counts as a kernel splat in dmesg (blktests' set plus KASAN/UBSAN/lockdep).
DMESG_SPLAT='kernel BUG at|WARNING:|BUG:|Oops:|possible recursive locking|Internal error|suspicious RCU|circular locking|general protection fault:|KASAN:|UBSAN:|INFO: task .* blocked for more than|possible circular locking|inconsistent lock state|dmemu failure'

_is_excluded() {
	local t=$1 x
	for x in "${excludes[@]}"; do
		[[ $t == "$x" || ${t%%/*} == "$x" ]] && return 0
	done
	return 1
}

# Print "group/NNN explicit" lines, one per test to consider, in lexical order.
_discover() {
	local w f g
	if ((${#wanted[@]} == 0)); then
		for w in "$TESTS_DIR"/*/rc; do
			g=$(basename "$(dirname "$w")")
			[[ $g == meta ]] && continue
			_is_excluded "$g" && continue
			for f in "$TESTS_DIR/$g"/[0-9][0-9][0-9]; do
				[[ -f $f ]] && echo "$g/${f##*/} 0"
			done
		done
		return
	fi
	for w in "${wanted[@]}"; do
		w=${w#"$TESTS_DIR"/}
		w=${w%/}
		if [[ $w == /* || $w == *..* ]]; then
			echo "check: refusing test path '$w'" >&2
			return 1
		fi
		if [[ -f $TESTS_DIR/$w && $w == */[0-9][0-9][0-9] ]]; then
			echo "$w 1"
		elif [[ -f $TESTS_DIR/$w/rc ]]; then
			for f in "$TESTS_DIR/$w"/[0-9][0-9][0-9]; do
				[[ -f $f ]] && echo "$w/${f##*/} 0"
			done
		else
			echo "check: no such group or test '$w'" >&2
			return 1
		fi
	done
}

# Print the label of a result line: "group/NNN (description)".
_label() {
	printf '%-60s' "$1 ($2)"
}

# Run one test in a subshell; writes the result file and prints the result line.
_run_one() (
	local t=$1 group=${1%/*} num=${1#*/}
	local src=$TESTS_DIR/$t res_dir=$run_dir/$group
	local res=$res_dir/$num
	mkdir -p "$res_dir"
	rm -f "$res" "$res".{out,out.bad,full,dmesg}

	DESCRIPTION='' CHECK_DMESG=1 DMESG_FILTER=cat
	SKIP_REASONS=()
	TEST_NAME=$t
	SRCDIR=$TOP
	FULL=$res.full
	# shellcheck source=/dev/null
	. "$src"
	if [[ -z $DESCRIPTION ]] || ! declare -F test >/dev/null; then
		echo "$t: test must set DESCRIPTION and define test()" >&2
		_record "$res" "$DESCRIPTION" fail "malformed test file" "" 0
		echo "$(_label "$t" "$DESCRIPTION") [failed]"
		echo "    malformed test file: needs DESCRIPTION and test()"
		return
	fi
	if declare -F requires >/dev/null; then
		requires
	fi
	if ((${#SKIP_REASONS[@]})); then
		_record "$res" "$DESCRIPTION" "not run" "$(IFS=';'; echo "${SKIP_REASONS[*]}")" "" 0
		echo "$(_label "$t" "$DESCRIPTION") [not run]"
		printf '    %s\n' "${SKIP_REASONS[@]}"
		return
	fi

	local last_runtime=
	[[ -f $out_base/latest/$t ]] && last_runtime=$(sed -n 's/^runtime\t//p' "$out_base/latest/$t")

	TMPDIR=$(mktemp -d /tmp/dmemu-test.XXXXXX)
	export TMPDIR FULL TEST_NAME SRCDIR
	: >"$FULL"
	local marker
	marker="dmemu: run $t at $EPOCHREALTIME"
	local kmsg=0
	if echo "$marker" 2>/dev/null >/dev/kmsg; then
		kmsg=1
	fi
	local t0 rc
	t0=${EPOCHREALTIME/./}
	(
		_CLEANUPS=()
		trap _run_cleanups EXIT
		test
	) >"$res.out" 2>&1
	rc=$?
	local us=$((${EPOCHREALTIME/./} - t0))
	local runtime
	printf -v runtime '%d.%03d' $((us / 1000000)) $((us / 1000 % 1000))

	local status=pass reason='' details=
	if [[ -s $TMPDIR/.skip ]]; then
		status="not run"
		reason=$(paste -sd';' "$TMPDIR/.skip")
	else
		if ! diff -u "$src.out" "$res.out" >"$TMPDIR/diff" 2>&1; then
			status=fail reason="output mismatch"
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
	fi
	rm -f "$res.out"
	[[ -s $FULL ]] || rm -f "$FULL"
	rm -rf "$TMPDIR"
	_record "$res" "$DESCRIPTION" "$status" "$reason" "$rc" "$runtime"
	local word=passed
	[[ $status == fail ]] && word=failed
	[[ $status == "not run" ]] && word="not run"
	echo "$(_label "$t" "$DESCRIPTION") [$word]"
	if [[ $status == "not run" ]]; then
		echo "    $reason"
	else
		printf '    runtime  %s ... %ss\n' "${last_runtime:+${last_runtime}s}" "$runtime"
	fi
	if [[ $status == fail ]]; then
		echo "    $reason"
		[[ -n $details ]] && sed 's/^/    /' <<<"$details"
	fi
)

# Test-side API of the lifecycle: cleanups run when test() ends, however it ends.
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

_record() {
	printf 'description\t%s\ndate\t%(%F %T)T\nstatus\t%s\nreason\t%s\nexit_status\t%s\nruntime\t%s\n' \
		"$2" -1 "$3" "$4" "$5" "$6" >"$1"
}

_run_all() {
	local list line t explicit f
	list=$(_discover) || exit 2
	mkdir -p "$run_dir"
	local selected=()
	while read -r t explicit; do
		[[ -n $t ]] || continue
		f=$TESTS_DIR/$t
		if ((!explicit)) && _is_excluded "$t"; then
			((dry)) && echo "$t: excluded"
			continue
		fi
		if ((quick)) && ! grep -q '^QUICK=1' "$f"; then
			((dry)) && echo "$t: not QUICK"
			continue
		fi
		selected+=("$t")
	done <<<"$list"
	if ((dry)); then
		printf '%s: would run\n' "${selected[@]}"
		return 0
	fi
	for t in "${selected[@]}"; do
		_run_one "$t"
	done | tee "$run_dir/summary"
	ln -sfn "$run_id" "$out_base/latest"
	line=$(summary_line "$run_dir")
	echo "$line" | tee -a "$run_dir/summary"
	[[ $line == *" 0 failed,"* ]]
}
