#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_install.sh: installs the built library into a temporary prefix, then
# builds a small program against it twice, through pkg-config and through
# CMake's find_package(ipcx), and runs both. Nothing outside the temporary
# directory is touched; it is removed at the end.
# ipcx-test: label=tools timeout=300
set -euo pipefail
src=${IPCX_SOURCE_DIR:?} build=${IPCX_BUILD_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
san_flags=()
if [ -n "${IPCX_SANITIZE:-}" ]; then
    san_flags=(-fsanitize="$IPCX_SANITIZE")
fi

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
test -f "$prefix/include/ipcx.h"
test -f "$prefix/include/ipcx/version.h"
libdir=$(dirname "$(find "$prefix" -name ipcx.pc | head -n1)")/..
libdir=$(cd "$libdir" && pwd)
test -f "$libdir/libipcx.a"
test -e "$libdir/libipcx.so"
# Only IPCX_API symbols leave the shared library.
if nm -D --defined-only "$libdir/libipcx.so" | awk '{print $3}' | grep -v '^ipcx_' | grep -q .; then
    echo "FAIL: libipcx.so exports symbols outside the ipcx_ namespace:"
    nm -D --defined-only "$libdir/libipcx.so" | grep -v ' ipcx_'
    exit 1
fi
if nm -D --defined-only "$libdir/libipcx.so" | grep -q ' ipcx__'; then
    echo "FAIL: libipcx.so exports internal ipcx__ symbols"
    exit 1
fi

# 1. pkg-config
export PKG_CONFIG_PATH=$libdir/pkgconfig
cc=${CC:-cc}
# shellcheck disable=SC2046
"$cc" "${san_flags[@]}" -o "$tmp/pc_consumer" "$src/tests/tools/consumer/consumer.c" \
    $(pkg-config --cflags --libs ipcx) -Wl,-rpath,"$libdir"
"$tmp/pc_consumer"
# shellcheck disable=SC2046
"$cc" "${san_flags[@]}" -o "$tmp/pc_consumer_static" "$src/tests/tools/consumer/consumer.c" \
    $(pkg-config --cflags ipcx) "$libdir/libipcx.a" $(pkg-config --libs-only-other --static ipcx) -lpthread -lrt
"$tmp/pc_consumer_static"

# 2. find_package(ipcx)
cflags=""
[ ${#san_flags[@]} -gt 0 ] && cflags="${san_flags[*]}"
cmake -S "$src/tests/tools/consumer" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$cflags" \
    >"$tmp/configure.log" || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/cmake-build" >"$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
"$tmp/cmake-build/consumer"
"$tmp/cmake-build/consumer_static"
echo "install: pkg-config and find_package consumers built and ran"
