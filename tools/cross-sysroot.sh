#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Builds a private sysroot holding Concurrency Kit (headers and a static
# libck.a) for a cross build of libgoconc, as SPEC §10 "Cross-arch
# dependencies" says:
#
#   aarch64  apt-get download libck-dev:arm64 libck0:arm64, dpkg -x into
#            the sysroot.  Never install them: through multiarch,
#            libck-dev:arm64 replaces the native libck-dev (their
#            ck_md.h differ).
#   riscv64  Debian 12 has no riscv64 ck: apt-get source ck, run ck's own
#            configure natively with --use-cc-builtins --platform=riscv64
#            to generate ck_md.h, compile src/*.c with riscv64-linux-gnu-gcc
#            into libck.a.
#
# Neither route changes the machine's apt or dpkg set-up: apt runs with a
# private state directory (its own package lists, arm64 added to
# APT::Architectures, deb-src lines derived from the system's sources), so
# no `dpkg --add-architecture` and no deb-src edit in /etc/apt.  Only the
# Debian package registry is contacted.
#
# Usage: tools/cross-sysroot.sh aarch64|riscv64 [DIR]
#   DIR defaults to _ci/sysroot-ARCH under the source tree.  Prints the
#   configure line to use.  Re-running with an existing sysroot is a no-op
#   (delete DIR to rebuild).  Needs: apt-get, dpkg-deb; for riscv64 also
#   dpkg-source (dpkg-dev), a native cc, riscv64-linux-gnu-gcc.
set -eu

usage() {
	echo "usage: $0 aarch64|riscv64 [DIR]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
arch=$1
case $arch in
aarch64 | arm64)
	arch=aarch64
	debarch=arm64
	;;
riscv64) debarch=riscv64 ;;
*) usage ;;
esac
triplet=$arch-linux-gnu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${2:-$top/_ci/sysroot-$arch}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
inc=$dir/usr/include
lib=$dir/usr/lib/$triplet

say() { echo "cross-sysroot: $*" >&2; }

print_usage_line() {
	echo "CPPFLAGS=-I$inc LDFLAGS=-L$lib"
	say "configure with:"
	say "  \$srcdir/configure --host=$triplet CPPFLAGS=-I$inc LDFLAGS=-L$lib"
	say "  (or CONFIG_SITE=$dir/config.site \$srcdir/configure --host=$triplet)"
}

if [ -f "$dir/.done" ]; then
	say "$arch sysroot already in $dir"
	print_usage_line
	exit 0
fi

work=$dir/.work
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/sources.list.d" "$work/dl"

# Private apt: own lists, no binary caches, the system's sources.  apt
# drops privileges to _apt for downloads; the private directories are
# root's, so download as root (as `apt-get download` into a non-_apt
# directory would anyway).
apt_opts="-q -o Dir::State::Lists=$work/lists -o Dir::Cache::pkgcache=
 -o Dir::Cache::srcpkgcache= -o Debug::NoLocking=1"
if [ "$(id -u)" = 0 ]; then
	apt_opts="$apt_opts -o APT::Sandbox::User=root"
fi

case $arch in
aarch64)
	native=$(dpkg --print-architecture)
	# shellcheck disable=SC2086
	apt-get $apt_opts -o APT::Architectures::="$native" \
		-o APT::Architectures::=$debarch update >"$work/apt.log" 2>&1 || {
		cat "$work/apt.log" >&2
		say "apt-get update failed"
		exit 1
	}
	# shellcheck disable=SC2086
	(cd "$work/dl" && apt-get $apt_opts \
		-o APT::Architectures::="$native" \
		-o APT::Architectures::=$debarch \
		download libck-dev:$debarch libck0:$debarch) >>"$work/apt.log" 2>&1 || {
		cat "$work/apt.log" >&2
		say "apt-get download libck-dev:$debarch libck0:$debarch failed"
		exit 1
	}
	for deb in "$work"/dl/*.deb; do
		dpkg-deb -x "$deb" "$work/root"
	done
	mkdir -p "$inc" "$lib"
	cp -R "$work/root/usr/include/." "$inc/"
	# Only the static library: -lck then links libck.a (ck builds it
	# with -fPIC), so test binaries need no libck.so.0 under qemu.
	cp "$work/root/usr/lib/$triplet/libck.a" "$lib/"
	version=$(sed -n 's/^#define CK_VERSION "\(.*\)"/\1/p' "$inc/ck_md.h")
	src="Debian libck-dev:$debarch"
	;;
riscv64)
	command -v dpkg-source >/dev/null 2>&1 || {
		say "dpkg-source missing (apt-get install dpkg-dev)"
		exit 1
	}
	command -v "$triplet-gcc" >/dev/null 2>&1 || {
		say "$triplet-gcc missing (apt-get install gcc-$triplet)"
		exit 1
	}
	# deb-src twins of the system's deb entries (one-line and deb822).
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f"
	done >"$work/sources.list"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed 's/^Types:.*/Types: deb-src/' "$f" \
			>"$work/sources.list.d/$(basename "$f")"
	done
	srcopts="-o Dir::Etc::SourceList=$work/sources.list
	 -o Dir::Etc::SourceParts=$work/sources.list.d"
	# shellcheck disable=SC2086
	apt-get $apt_opts $srcopts update >"$work/apt.log" 2>&1 || {
		cat "$work/apt.log" >&2
		say "apt-get update (deb-src) failed"
		exit 1
	}
	# shellcheck disable=SC2086
	(cd "$work/dl" && apt-get $apt_opts $srcopts source ck) \
		>>"$work/apt.log" 2>&1 || {
		cat "$work/apt.log" >&2
		say "apt-get source ck failed"
		exit 1
	}
	cksrc=$(find "$work/dl" -mindepth 1 -maxdepth 1 -type d -name 'ck-*' | head -n 1)
	[ -n "$cksrc" ] || {
		say "apt-get source ck left no ck-* directory"
		exit 1
	}
	# ck's configure, run natively, writes include/ck_md.h for the target.
	mkdir -p "$work/ckbuild/obj"
	(cd "$work/ckbuild" && "$cksrc/configure" --use-cc-builtins \
		--platform=riscv64 --prefix="$dir/usr") >"$work/ck-configure.log" 2>&1 || {
		cat "$work/ck-configure.log" >&2
		say "ck configure failed"
		exit 1
	}
	for c in "$cksrc"/src/*.c; do
		"$triplet-gcc" -O2 -g -fPIC -std=gnu99 -D_XOPEN_SOURCE=600 \
			-D_DEFAULT_SOURCE -DCK_USE_CC_BUILTINS=1 \
			-I"$work/ckbuild/include" -I"$cksrc/include" \
			-c "$c" -o "$work/ckbuild/obj/$(basename "$c" .c).o"
	done
	mkdir -p "$inc" "$lib"
	rm -f "$lib/libck.a"
	"$triplet-ar" rcs "$lib/libck.a" "$work"/ckbuild/obj/*.o
	cp -R "$cksrc/include/." "$inc/"
	rm -f "$inc/ck_md.h.in"
	cp "$work/ckbuild/include/ck_md.h" "$inc/"
	version=$(sed -n 's/^#define CK_VERSION "\(.*\)"/\1/p' "$inc/ck_md.h")
	src="Debian source $(basename "$cksrc"), built with $triplet-gcc"
	;;
esac

cat >"$dir/config.site" <<EOF
# Written by tools/cross-sysroot.sh: Concurrency Kit $version for $triplet
# ($src).
CPPFLAGS="-I$inc\${CPPFLAGS:+ \$CPPFLAGS}"
LDFLAGS="-L$lib\${LDFLAGS:+ \$LDFLAGS}"
EOF
rm -rf "$work"
echo "$arch ck $version ($src)" >"$dir/.done"
say "$arch sysroot with ck $version in $dir"
print_usage_line
