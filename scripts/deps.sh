#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deps.sh GROUP...: makes sure the Debian packages each group needs are
# installed. As root on Debian or Ubuntu it installs what is missing with
# apt-get (updating the package lists once, only when something is missing);
# otherwise it prints the exact command to run and fails.
#   build   compiler, CMake, pkg-config
#   test    Criterion
#   format  clang-format
#   bench   the peer libraries the benchmark compares against: ZeroMQ, NNG,
#           iceoryx (C binding and its RouDi daemon) (optional: a package
#           that cannot be had is reported, not fatal; its rows say skipped)
set -euo pipefail

pkgs_build="gcc make cmake pkg-config"
pkgs_test="libcriterion-dev"
pkgs_format="clang-format"
pkgs_bench="libzmq3-dev libnng-dev libiceoryx-binding-c-dev iceoryx"

missing() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

need=()
optional=()
for group in "$@"; do
    case $group in
    build) need+=($(missing $pkgs_build)) ;;
    test) need+=($(missing $pkgs_test)) ;;
    format) need+=($(missing $pkgs_format)) ;;
    bench) optional+=($(missing $pkgs_bench)) ;;
    *) echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
    esac
done
[ ${#need[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    [ ${#need[@]} -eq 0 ] && exit 0
    echo "deps.sh: missing: ${need[*]} (install them with your package manager)" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    [ ${#need[@]} -eq 0 ] && { echo "deps.sh: optional, not installed: ${optional[*]}" >&2; exit 0; }
    echo "deps.sh: missing packages; run:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${need[*]} ${optional[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps.sh: installing ${need[*]} ${optional[*]}" >&2
apt-get update -qq >&2
if [ ${#need[@]} -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
for p in "${optional[@]}"; do
    apt-get install -y -qq --no-install-recommends "$p" >&2 \
        || echo "deps.sh: optional package $p could not be installed; its rows will be skipped" >&2
done
