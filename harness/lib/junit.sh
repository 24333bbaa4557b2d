# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# JUnit XML (the Ant/Jenkins format, see harness/junit.xsd) built from one
# fragment per plan entry in <run>/.junit/NNNNN, so the file can be rewritten
# after every test, by a later guest of the same run, or by the host after a
# guest died. Builtins only: no fork per test.

# _junit_esc VAR TEXT: TEXT escaped for XML attributes and text, without the
# control characters XML 1.0 forbids.
_junit_esc() {
	local s=$2
	s=${s//&/&amp;}
	s=${s//</&lt;}
	s=${s//>/&gt;}
	s=${s//\"/&quot;}
	s=${s//[$'\x01'-$'\x08'$'\x0b'$'\x0c'$'\x0e'-$'\x1f'$'\x7f']/}
	printf -v "$1" '%s' "$s"
}

# _junit_prop RUN_DIR NAME VALUE: a suite property (a later value of the same
# name wins, so every guest of a run can restate them).
_junit_prop() {
	printf '%s\t%s\n' "$2" "$3" >>"$1/.junit/props"
}

# _junit_dev_props RUN_DIR PREFIX DEV: zoned model, zone count, write cache,
# ... of a block device, from sysfs.
_junit_dev_props() {
	local q=/sys/block/${3##*/}/queue a v
	[[ -d $q ]] || q=/sys/class/block/${3##*/}/../queue
	for a in zoned nr_zones write_cache rotational logical_block_size \
		physical_block_size chunk_sectors max_open_zones max_active_zones; do
		[[ -r $q/$a ]] || continue
		read -r v <"$q/$a" || continue
		_junit_prop "$1" "$2.$a" "$v"
	done
	if [[ -r /sys/class/block/${3##*/}/size ]]; then
		read -r v <"/sys/class/block/${3##*/}/size"
		_junit_prop "$1" "$2.sectors" "$v"
	fi
}

# _junit_case RUN_DIR INDEX TEST DEV ITER DESCRIPTION STATUS REASON MS DETAILS
_junit_case() {
	local run_dir=$1 idx=$2 t=$3 dev=$4 it=$5 status=$7 reason=$8 ms=$9 details=${10}
	local name=${t#*/} cls=${t%%/*} type x r d
	[[ $dev == /* ]] && name+=" => ${dev##*/}"
	[[ $it != - && -n $it ]] && name+=" [$it]"
	_junit_esc name "$name"
	_junit_esc r "$reason"
	printf -v x '    <testcase classname="%s" name="%s" time="%d.%03d"' \
		"$cls" "$name" $((ms / 1000)) $((ms % 1000))
	case $status in
	pass) x+="/>" ;;
	"not run" | skip)
		status=skip
		x+=$'>\n'"      <skipped message=\"$r\"/>"$'\n    </testcase>'
		;;
	*)
		status=fail
		case $reason in
		output*) type=output ;;
		exit*) type=status ;;
		dmesg*) type=dmesg ;;
		kmemleak*) type=kmemleak ;;
		timeout*) type=timeout ;;
		guest*) type=crash ;;
		*) type=error ;;
		esac
		_junit_esc d "${details:-$reason}"
		x+=$'>\n'"      <failure message=\"$r\" type=\"$type\">$d</failure>"$'\n    </testcase>'
		;;
	esac
	printf -v idx '%05d' "$idx"
	printf '%s %s\n%s\n' "$status" "$ms" "$x" >"$run_dir/.junit/$idx"
}

# _junit_write RUN_DIR FILE: assemble the fragments written so far into FILE.
_junit_write() {
	local run_dir=$1 out=$2 f st ms body=
	local n=0 nf=0 ns=0 total=0 line k v props='' started=''
	[[ -n $out ]] || return 0
	local -
	shopt -s nullglob
	for f in "$run_dir"/.junit/[0-9][0-9][0-9][0-9][0-9]; do
		{
			read -r st ms
			IFS= read -r -d '' line
		} <"$f"
		((n++, total += ms))
		case $st in
		fail) ((nf++)) ;;
		skip) ((ns++)) ;;
		esac
		body+=$line
	done
	local -A seen=()
	local order=()
	if [[ -f $run_dir/.junit/props ]]; then
		while IFS=$'\t' read -r k v; do
			[[ -v seen[$k] ]] || order+=("$k")
			seen[$k]=$v
		done <"$run_dir/.junit/props"
	fi
	for k in "${order[@]}"; do
		_junit_esc line "$k"
		_junit_esc v "${seen[$k]}"
		props+="      <property name=\"$line\" value=\"$v\"/>"$'\n'
	done
	started=${seen[started]:-1970-01-01T00:00:00}
	local tm hn
	printf -v tm '%d.%03d' $((total / 1000)) $((total % 1000))
	_junit_esc hn "${HOSTNAME:-localhost}"
	{
		printf '<?xml version="1.0" encoding="UTF-8"?>\n'
		printf '<testsuites name="dmemu" tests="%d" failures="%d" errors="0" skipped="%d" time="%s">\n' \
			"$n" "$nf" "$ns" "$tm"
		printf '  <testsuite name="dmemu" tests="%d" failures="%d" errors="0" skipped="%d" time="%s" timestamp="%s" hostname="%s">\n' \
			"$n" "$nf" "$ns" "$tm" "$started" "$hn"
		printf '    <properties>\n%s    </properties>\n' "$props"
		printf '%s' "$body"
		printf '  </testsuite>\n</testsuites>\n'
	} >"$out"
}
