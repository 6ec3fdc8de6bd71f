#!/bin/sh
# Set-up for a fresh Debian 12 machine (run as root, or with everything
# already installed): installs the Debian build and test dependencies that
# are missing, bootstraps autotools, configures and builds in ./_build.
# Usage: scripts/setup.sh [configure options...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

PKGS="build-essential autoconf automake libtool pkg-config libxen-dev
      liburing-dev libaio-dev fio xorriso genisoimage strace python3
      clang libclang-rt-14-dev valgrind qemu-utils libnbd-bin"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing Debian packages:$missing" >&2
		echo "setup: run as root, or: sudo apt-get install$missing" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi >autoreconf.log 2>&1 || { cat autoreconf.log >&2; exit 1; }
	rm -f autoreconf.log
fi
mkdir -p _build
cd _build
if [ ! -f Makefile ] || [ ../configure -nt Makefile ] || [ $# -gt 0 ]; then
	../configure --enable-werror "$@" >/dev/null
fi
make -s -j"$(nproc)" >make.log 2>&1 || { cat make.log >&2; exit 1; }
echo "setup: built in $top/_build"
