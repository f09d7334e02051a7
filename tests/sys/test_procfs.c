/* SPDX-License-Identifier: MIT */
/*
 * test_procfs.c: reading kernel tunables from /proc: the value the file
 * holds, and clear codes (never a guess) for a missing file or one that
 * does not hold a positive number. Also the one rule for what an expired
 * wait reports (IPCX_EAGAIN for IPCX_NOWAIT, IPCX_ETIMEDOUT otherwise).
 * ipcx-test: label=unit timeout=30
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ipcx/common.h>
#include <ipcx/error.h>

#include "sys/deadline.h"
#include "sys/procfs.h"
#include "tsup.h"

/* Writes `text` to a fresh temporary file; returns its path in buf. */
static const char *file_with(char *buf, size_t size, const char *text)
{
    snprintf(buf, size, "/tmp/ipcx-procfs-XXXXXX");
    int fd = mkstemp(buf);
    cr_assert_geq(fd, 0);
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return buf;
}

Test(procfs, reads_what_the_kernel_says)
{
    FILE *f = fopen("/proc/sys/kernel/msgmax", "r");
    cr_assert_not_null(f);
    long want = 0;
    cr_assert_eq(fscanf(f, "%ld", &want), 1);
    fclose(f);
    int base = tsup_fd_count();
    long got = -1;
    cr_assert_eq(ipcx__procfs_long("/proc/sys/kernel/msgmax", &got), 0);
    cr_assert_eq(got, want);
    cr_assert_eq(tsup_fd_count(), base, "descriptor leak");
}

Test(procfs, a_missing_or_bad_file_is_a_code_not_a_guess)
{
    long v = 77;
    cr_assert_eq(ipcx__procfs_long("/proc/sys/kernel/no-such-tunable", &v), IPCX_ENOENT);
    char path[64];
    static const char *const bad[] = {
        "", "0\n", "-5\n", "abc\n", " 12\n", "12x\n", "99999999999999999999999999\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(ipcx__procfs_long(file_with(path, sizeof path, bad[i]), &v), IPCX_EINVAL,
                     "content \"%s\"", bad[i]);
        unlink(path);
    }
    cr_assert_eq(v, 77, "nothing stored on failure");
    cr_assert_eq(ipcx__procfs_long(file_with(path, sizeof path, "16384\t32768\n"), &v), 0);
    cr_assert_eq(v, 16384, "the first of several numbers");
    unlink(path);
}

Test(procfs, an_expired_wait_is_eagain_only_for_nowait)
{
    cr_assert_eq(ipcx__deadline_result(IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_eq(ipcx__deadline_result(1), IPCX_ETIMEDOUT);
    cr_assert_eq(ipcx__deadline_result(IPCX_FOREVER), IPCX_ETIMEDOUT);
    cr_assert_eq(ipcx__deadline_map(IPCX_ETIMEDOUT, IPCX_NOWAIT), IPCX_EAGAIN);
    cr_assert_eq(ipcx__deadline_map(IPCX_ETIMEDOUT, 100), IPCX_ETIMEDOUT);
    cr_assert_eq(ipcx__deadline_map(IPCX_EPIPE, IPCX_NOWAIT), IPCX_EPIPE);
    cr_assert_eq(ipcx__deadline_map(12, IPCX_NOWAIT), 12);
}
