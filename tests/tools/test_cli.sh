#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cli.sh: the ipcx tool's basic contract: version and help succeed and
# say what they should; an unknown command or argument is a usage error (2).
# ipcx-test: label=tools timeout=60
set -u
fail=0
check() { # check DESCRIPTION EXPECTED_RC COMMAND...
    local what=$1 want=$2
    shift 2
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL: $what: exit $rc, wanted $want; output: $out"
        fail=1
    else
        echo "ok: $what"
    fi
}
tool=${IPCX_TOOL:?}
check "version" 0 "$tool" version
"$tool" version | grep -Eq '^ipcx [0-9]+\.[0-9]+\.[0-9]+ \(libipcx [0-9]+\.[0-9]+\.[0-9]+\)$' \
    || { echo "FAIL: version output: $("$tool" version)"; fail=1; }
check "help" 0 "$tool" help
"$tool" help | grep -q 'version' || { echo "FAIL: help does not list version"; fail=1; }
check "help version" 0 "$tool" help version
check "no command" 2 "$tool"
check "unknown command" 2 "$tool" frobnicate
check "version with extra argument" 2 "$tool" version extra
[ $fail = 0 ] && echo "cli: all passed"
exit $fail
