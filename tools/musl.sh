#!/usr/bin/env bash
# The toolchain of the shipped binary: musl and libc++ instead of glibc and
# libstdc++. glibc's start-up probes the CPU caches with some 75 CPUID
# instructions, and a virtual machine traps each one (6.7 us here): every
# call would pay about 490 us before main(). musl does not probe.
#
# Built from Debian's packages and source packages, under DIR:
#   sysroot/  musl-dev's headers and libc.a, the kernel's headers,
#             libseccomp and zlib built from their Debian sources, and
#             Debian's Catch2 headers (for the unit tests)
#   cxx/      libc++, libc++abi and libunwind, from llvm-toolchain-14's
#             source (the runtimes only, upstream's files without Debian's
#             patches, which are for the compiler)
#   cross.ini the meson cross file: clang and lld for x86_64-linux-musl,
#             a static PIE (meson.build leaves RELR packing out with -Dmusl)
# The sources come through a private apt configuration with a deb-src entry
# for deb.debian.org, checked against Debian's archive key like any package.
# DIR is reused while this script and the Debian packages it copies or
# compiles with are unchanged (their sha256 is in DIR/ok), and a lock keeps
# two builds from writing it at once.
#
# Usage: tools/musl.sh [DIR]   (root; default /var/cache/bulkhead-build/musl)
# Prints the cross file's path. Then:
#   meson setup build-musl --cross-file DIR/cross.ini -Dmusl=true [-Dtests=false]
# About a minute on two cores the first time, most of it libc++.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/var/cache/bulkhead-build/musl}
say() { echo "musl.sh: $*" >&2; }

[ "$(id -u)" = 0 ] || { say "needs root (it runs apt-get)"; exit 1; }
[ "$(uname -m)" = x86_64 ] || { say "builds for x86_64 only, not $(uname -m)"; exit 1; }
for need in clang:clang clang++:clang ld.lld:lld cmake:cmake ninja:ninja-build gperf:gperf \
	dpkg-source:dpkg-dev xz:xz-utils make:make /usr/include/catch2/catch.hpp:catch2; do
	command -v "${need%%:*}" >/dev/null || [ -f "${need%%:*}" ] ||
		{ say "${need%%:*} is missing: apt-get install ${need#*:} (dev.sh installs it)"; exit 1; }
done
for f in /usr/lib/x86_64-linux-musl/libc.a /usr/lib/x86_64-linux-musl/rcrt1.o; do
	[ -f "$f" ] || { say "$f is missing: apt-get install musl-dev (dev.sh installs it)"; exit 1; }
done
ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.builtins-x86_64.a >/dev/null 2>&1 ||
	{ say "compiler-rt's builtins are missing: apt-get install libclang-rt-14-dev"; exit 1; }

mkdir -p "$out"
exec 9>"$out.lock"
flock 9
# the script and the packages the toolchain is copied or built from
key=$({
	cat "$0"
	dpkg-query -W musl-dev clang-14 lld-14 libclang-rt-14-dev catch2 linux-libc-dev 2>/dev/null || true
} | sha256sum | cut -c1-64)
if [ -f "$out/ok" ] && [ "$(cat "$out/ok")" = "$key" ] && [ -f "$out/cross.ini" ]; then
	echo "$out/cross.ini"
	exit 0
fi
find "$out" -mindepth 1 -maxdepth 1 ! -name src -exec rm -rf {} +
mkdir -p "$out/src" "$out/apt/lists/partial"
log=$out/log
: >"$log"
run() { "$@" >>"$log" 2>&1 || { say "failed: $* (the output is in $log)"; exit 1; }; }

say "the sources of llvm-toolchain-14, libseccomp and zlib (deb-src, deb.debian.org)"
cat >"$out/apt/src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$out/apt"
	-o "Dir::State::Lists=$out/apt/lists")
run apt-get "${apt[@]}" update
cd "$out/src"
# one directory per source: a new Debian revision or upstream version is
# fetched again rather than mixed with the old
only() {
	local found=("$@")
	[ ${#found[@]} = 1 ] && [ -d "${found[0]}" ] || return 1
	echo "${found[0]%/}"
}
if ! llvm=$(only llvm-toolchain-14_*/) || [ ! -d "$llvm/libcxx" ]; then
	rm -rf llvm-toolchain-14_*
	run apt-get "${apt[@]}" source --download-only llvm-toolchain-14
	# the runtimes and the cmake files they read, not the 1.6 GB tree
	run tar -xJf llvm-toolchain-14_*.orig.tar.xz --wildcards '*/libcxx/*' '*/libcxxabi/*' \
		'*/libunwind/*' '*/cmake/*' '*/runtimes/*' '*/llvm/utils/llvm-lit/*'
	llvm=$(only llvm-toolchain-14_*/) || { say "llvm-toolchain-14's source did not unpack"; exit 1; }
fi
if ! seccomp=$(only libseccomp-*/); then
	rm -rf libseccomp*
	run apt-get "${apt[@]}" source libseccomp
	seccomp=$(only libseccomp-*/) || { say "libseccomp's source did not unpack"; exit 1; }
fi
if ! zlib=$(only zlib-*/); then
	rm -rf zlib*
	run apt-get "${apt[@]}" source zlib
	zlib=$(only zlib-*/) || { say "zlib's source did not unpack"; exit 1; }
fi

say "the sysroot (musl-dev, the kernel's headers)"
sys=$out/sysroot
mkdir -p "$sys/usr/include" "$sys/usr/lib"
cp -a /usr/include/x86_64-linux-musl/. "$sys/usr/include/"
ln -s /usr/include/linux "$sys/usr/include/linux"
ln -s /usr/include/x86_64-linux-gnu/asm "$sys/usr/include/asm"
ln -s /usr/include/asm-generic "$sys/usr/include/asm-generic"
cp -a /usr/lib/x86_64-linux-musl/. "$sys/usr/lib/"

say "libc++, libc++abi and libunwind"
run cmake -G Ninja -S "$out/src/$llvm/runtimes" -B "$out/runtimes" \
	-DLLVM_ENABLE_RUNTIMES="libcxx;libcxxabi;libunwind" \
	-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	-DCMAKE_C_COMPILER_TARGET=x86_64-linux-musl -DCMAKE_CXX_COMPILER_TARGET=x86_64-linux-musl \
	-DCMAKE_ASM_COMPILER_TARGET=x86_64-linux-musl -DCMAKE_SYSROOT="$sys" \
	-DCMAKE_BUILD_TYPE=Release -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
	-DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY -DCMAKE_INSTALL_PREFIX="$out/cxx" \
	-DLIBCXX_HAS_MUSL_LIBC=ON -DLIBCXX_ENABLE_SHARED=OFF -DLIBCXXABI_ENABLE_SHARED=OFF \
	-DLIBUNWIND_ENABLE_SHARED=OFF -DLIBCXXABI_USE_LLVM_UNWINDER=ON \
	-DLIBCXXABI_USE_COMPILER_RT=ON -DLIBCXX_USE_COMPILER_RT=ON -DLIBUNWIND_USE_COMPILER_RT=ON \
	-DLIBCXXABI_HAS_CXA_THREAD_ATEXIT_IMPL=OFF -DLIBCXX_ENABLE_STATIC_ABI_LIBRARY=ON \
	-DLIBCXX_INCLUDE_TESTS=OFF -DLIBCXX_INCLUDE_BENCHMARKS=OFF -DLIBCXXABI_INCLUDE_TESTS=OFF \
	-DLIBUNWIND_INCLUDE_TESTS=OFF -DLLVM_INCLUDE_TESTS=OFF
run ninja -C "$out/runtimes" install-cxx install-cxxabi install-unwind

say "zlib and libseccomp"
cc="clang --target=x86_64-linux-musl --sysroot=$sys -fPIE -O2 -fuse-ld=lld --rtlib=compiler-rt"
cc+=" --unwindlib=none -static"
jobs=$(nproc)
(cd "$out/src/$zlib" && make distclean >/dev/null 2>&1 || true)
(cd "$out/src/$zlib" && CC="$cc" ./configure --static --prefix="$sys/usr" &&
	make -j"$jobs" libz.a && make install) >>"$log" 2>&1 ||
	{ say "zlib did not build (the output is in $log)"; exit 1; }
(cd "$out/src/$seccomp" && make distclean >/dev/null 2>&1 || true)
(cd "$out/src/$seccomp" &&
	CC="$cc" ./configure --host=x86_64-linux-musl --enable-static --disable-shared \
		--prefix="$sys/usr" && make -j"$jobs" -C src && make -C src install &&
	make -C include install) >>"$log" 2>&1 ||
	{ say "libseccomp did not build (the output is in $log)"; exit 1; }
mkdir -p "$sys/usr/lib/pkgconfig"
cat >"$sys/usr/lib/pkgconfig/libseccomp.pc" <<EOF
prefix=$sys/usr
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: libseccomp
Description: libseccomp, built for musl by bulkhead's tools/musl.sh
Version: ${seccomp#libseccomp-}
Libs: -L\${libdir} -lseccomp
Cflags: -I\${includedir}
EOF
sed -i "s#^prefix=.*#prefix=$sys/usr#" "$sys/usr/lib/pkgconfig/zlib.pc"
# Catch2 (Debian's catch2, headers only) for the unit tests: its own .pc
# would add -I/usr/include, glibc's headers, so the headers are copied
mkdir -p "$sys/usr/include/catch2"
cp /usr/include/catch2/*.hpp "$sys/usr/include/catch2/"
cat >"$sys/usr/lib/pkgconfig/catch2.pc" <<EOF
Name: Catch2
Description: Debian's Catch2 headers, copied by bulkhead's tools/musl.sh
Version: $(sed -n 's/^Version: //p' /usr/share/pkgconfig/catch2.pc)
Cflags:
EOF

cat >"$out/cross.ini" <<EOF
# written by $root/tools/musl.sh
[binaries]
c = ['clang', '--target=x86_64-linux-musl', '--sysroot=$sys']
cpp = ['clang++', '--target=x86_64-linux-musl', '--sysroot=$sys']
ar = 'ar'
strip = 'strip'
pkgconfig = 'pkg-config'

[constants]
# (a later cross file may add to these: contrib/debian/rules adds Debian's
# build flags, e.g. cpp_args = musl_cpp_args + ['-O2'])
musl_cpp_args = ['-nostdinc++', '-isystem', '$out/cxx/include/c++/v1']
musl_c_link_args = ['-static-pie', '-Wno-unused-command-line-argument', '-fuse-ld=lld',
  '--rtlib=compiler-rt', '--unwindlib=none']
musl_cpp_link_args = ['-static-pie', '-Wno-unused-command-line-argument', '-stdlib=libc++',
  '-fuse-ld=lld', '--rtlib=compiler-rt', '--unwindlib=libunwind', '-L$out/cxx/lib']

[built-in options]
cpp_args = musl_cpp_args
c_link_args = musl_c_link_args
cpp_link_args = musl_cpp_link_args

[properties]
pkg_config_libdir = '$sys/usr/lib/pkgconfig'
sys_root = '$sys'

[host_machine]
system = 'linux'
cpu_family = 'x86_64'
cpu = 'x86_64'
endian = 'little'
EOF
echo "$key" >"$out/ok"
echo "$out/cross.ini"
