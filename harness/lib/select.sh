# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2154,SC2034 # quick, wanted, excludes, ... come from harness/check
# Which tests a run executes, in which order: discovery, filters (exclude,
# quick, device-only), shards, seeded random order, iterations, and the
# expansion of test_device() tests over TEST_DEVS. The result is PLAN, one
# "ITER<TAB>GROUP/NNN<TAB>DEV" line per test run (see results.sh); DRY holds
# the reason for everything left out. The selection before --shard and -r
# depends only on the tree and the arguments, so CI jobs that pass the same
# ones split the same list.

_is_excluded() {
	local t=$1 x
	for x in "${excludes[@]}"; do
		[[ $t == "$x" || ${t%%/*} == "$x" ]] && return 0
	done
	return 1
}

# _test_meta FILE: what a test declares, read without sourcing it (no fork):
# M_DESC, M_QUICK, M_DEVICE (defines test_device()), M_FALLBACK.
_test_meta() {
	local line
	M_DESC='' M_QUICK=0 M_DEVICE=0 M_FALLBACK=0
	while IFS= read -r line; do
		case $line in
		DESCRIPTION=*)
			line=${line#DESCRIPTION=}
			line=${line#[\"\']}
			M_DESC=${line%[\"\']}
			;;
		QUICK=1*) M_QUICK=1 ;;
		"test_device()"*) M_DEVICE=1 ;;
		"fallback_device()"*) M_FALLBACK=1 ;;
		esac
	done <"$1"
}

# Print "group/NNN explicit" lines, one per test to consider.
_discover() {
	local w f g
	if ((${#wanted[@]} == 0)); then
		for w in "$TESTS_DIR"/*/rc; do
			g=${w%/rc}
			g=${g##*/}
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

# _shuffle ARRAY: Fisher-Yates with bash's seeded RANDOM (seed set by caller).
_shuffle() {
	local -n _a=$1
	local i j tmp
	for ((i = ${#_a[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		tmp=${_a[i]} _a[i]=${_a[j]} _a[j]=$tmp
	done
}

# Build PLAN (and DRY, the reasons for what is left out).
_plan() {
	local list t explicit f k it dev
	local selected=() sharded=() seen=()
	PLAN=() DRY=()
	list=$(_discover) || return 2
	declare -gA M_IS_DEVICE=() M_HAS_FALLBACK=()
	while read -r t explicit; do
		[[ -n $t ]] || continue
		# A test named twice runs once.
		[[ " ${seen[*]} " == *" $t "* ]] && continue
		seen+=("$t")
		f=$TESTS_DIR/$t
		_test_meta "$f"
		if ((!explicit)) && _is_excluded "$t"; then
			DRY+=("$t: excluded")
			continue
		fi
		if ((quick && !M_QUICK)); then
			DRY+=("$t: not QUICK (-q)")
			continue
		fi
		if ((device_only && !M_DEVICE)); then
			DRY+=("$t: not a test_device() test (-d)")
			continue
		fi
		M_IS_DEVICE[$t]=$M_DEVICE M_HAS_FALLBACK[$t]=$M_FALLBACK
		selected+=("$t")
	done <<<"$list"
	# Shard k of n takes every n-th test of the selection, starting at k.
	for ((k = 0; k < ${#selected[@]}; k++)); do
		if ((k % shard_n == shard_i - 1)); then
			sharded+=("${selected[k]}")
		else
			DRY+=("${selected[k]}: in shard $((k % shard_n + 1))/$shard_n, not $shard_i/$shard_n")
		fi
	done
	((random)) && RANDOM=$seed
	for ((k = 1; k <= iterations; k++)); do
		selected=("${sharded[@]}")
		((random)) && _shuffle selected
		it=-
		((iterations > 1)) && it=iter$k
		for t in "${selected[@]}"; do
			if [[ ${M_IS_DEVICE[$t]} == 1 ]]; then
				if ((${#TEST_DEVS[@]})); then
					for dev in "${TEST_DEVS[@]}"; do
						PLAN+=("$it"$'\t'"$t"$'\t'"$dev")
					done
				elif [[ ${M_HAS_FALLBACK[$t]} == 1 ]]; then
					PLAN+=("$it"$'\t'"$t"$'\t'@fallback)
				else
					PLAN+=("$it"$'\t'"$t"$'\t'@none)
				fi
			else
				PLAN+=("$it"$'\t'"$t"$'\t'-)
			fi
		done
	done
}

# TEST_DEVS must name block devices; a typo must not become a silent skip.
_check_test_devs() {
	local d
	for d in "${TEST_DEVS[@]}"; do
		if [[ $d != /* || ! -b $d ]]; then
			echo "check: TEST_DEVS entry '$d' is not a block device (give /dev/... paths)" >&2
			return 1
		fi
	done
}

# Print the dry-run listing: the plan in order, then why the rest is left out.
# With probe=1, requires() of each test is evaluated too (in a subshell).
_dry_run() {
	local e it t dev why
	((random)) && echo "random order, seed $seed"
	for e in "${PLAN[@]}"; do
		IFS=$'\t' read -r it t dev <<<"$e"
		why="would run"
		case $dev in
		@none) why="not run: no TEST_DEVS configured for this test_device() test" ;;
		@fallback) why="would run on its fallback_device()" ;;
		esac
		if [[ $why == would* ]] && ((probe)); then
			why=$(_dry_requires "$t") || why="not run: $why"
		fi
		[[ $it != - ]] && t+=" [$it]"
		[[ $dev == /* ]] && t+=" => ${dev##*/}"
		echo "$t: $why"
	done
	((${#DRY[@]})) && printf '%s\n' "${DRY[@]}"
	return 0
}

# Print requires()' skip reasons and fail, or print "would run".
_dry_requires() (
	SKIP_REASONS=()
	# shellcheck source=/dev/null
	. "$TESTS_DIR/$1" >/dev/null 2>&1
	declare -F requires >/dev/null && requires >/dev/null 2>&1
	if ((${#SKIP_REASONS[@]})); then
		(IFS=';'; echo "${SKIP_REASONS[*]}")
		exit 1
	fi
	echo "would run"
)
