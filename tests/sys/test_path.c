/* SPDX-License-Identifier: MIT */
/*
 * test_path.c: the path check that the mapped-file and record-lock
 * constructors share: NULL and "" are invalid, a path must leave room for
 * its NUL within PATH_MAX, and the check never reads past PATH_MAX bytes
 * (an unterminated buffer is no over-read, which the sanitizer build
 * would catch), and POSIX IPC names are checked by the shared rules.
 * ipcx-test: label=unit timeout=30
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx.h>

#include "sys/path.h"
#include "sys/posixname.h"

Test(path, empty_and_null_are_invalid)
{
    cr_assert_eq(ipcx__path_check(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx__path_check(""), IPCX_EINVAL);
    cr_assert_eq(ipcx__path_check("a"), 0);
    cr_assert_eq(ipcx__path_check("/tmp/x"), 0);
}

Test(path, length_limit_is_path_max_with_its_nul)
{
    char *p = malloc(PATH_MAX + 1);
    cr_assert_not_null(p);
    memset(p, 'a', PATH_MAX);
    p[PATH_MAX - 1] = '\0'; /* PATH_MAX - 1 characters: fits */
    cr_assert_eq(ipcx__path_check(p), 0);
    p[PATH_MAX - 1] = 'a';
    p[PATH_MAX] = '\0'; /* PATH_MAX characters: no room for the NUL */
    cr_assert_eq(ipcx__path_check(p), IPCX_ENAMETOOLONG);
    free(p);

    /* Exactly PATH_MAX bytes, no terminator at all: still an answer. */
    char *raw = malloc(PATH_MAX);
    cr_assert_not_null(raw);
    memset(raw, 'b', PATH_MAX);
    cr_assert_eq(ipcx__path_check(raw), IPCX_ENAMETOOLONG);
    free(raw);
}

Test(path, posix_names_follow_the_shared_rules)
{
    cr_assert_eq(ipcx__posix_name_check("/ok"), 0);
    cr_assert_eq(ipcx__posix_name_check(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx__posix_name_check("/"), IPCX_EINVAL);
    cr_assert_eq(ipcx__posix_name_check("no-slash"), IPCX_EINVAL);
    cr_assert_eq(ipcx__posix_name_check("/a/b"), IPCX_EINVAL);
    cr_assert_eq(ipcx__posix_name_check("/."), IPCX_EINVAL);
    cr_assert_eq(ipcx__posix_name_check("/.."), IPCX_EINVAL);
}
