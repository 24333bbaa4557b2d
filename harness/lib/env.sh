# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shared settings for the host-side scripts: where the cache lives and which
# guest kernel is the default. Sourced, never executed.

DMEMU_TOP=${DMEMU_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DMEMU_CACHE=${DMEMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dmemu}

# The default guest kernel: the version Debian's linux-image-amd64 depends on.
# DMEMU_KVER overrides it (any version apt can download).
_dmemu_default_kver() {
	if [[ -n ${DMEMU_KVER:-} ]]; then
		echo "$DMEMU_KVER"
		return
	fi
	local dep
	dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n1)
	if [[ -z $dep ]]; then
		echo "dmemu: cannot tell the default kernel (apt-cache depends linux-image-amd64)" >&2
		return 1
	fi
	echo "$dep"
}

# Directory holding an unpacked kernel flavour: vmlinuz + lib/modules/KVER.
_dmemu_kernel_dir() {
	echo "$DMEMU_CACHE/kernels/$1"
}

_dmemu_die() {
	echo "dmemu: $*" >&2
	exit 1
}
