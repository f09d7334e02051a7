/* SPDX-License-Identifier: MIT */
/*
 * test_error.c: the error model: every code has a distinct value, name and
 * text; codes that mirror an errno equal -errno; the library's own codes stay
 * clear of every errno; unknown codes still get a readable answer.
 * ipcx-test: label=unit timeout=30
 */
#include <criterion/criterion.h>
#include <string.h>

#include <ipcx.h>

struct row {
    int code;
    const char *name;
};

static const struct row all[] = {
#define ROW(name, value, text) {IPCX_##name, "IPCX_" #name},
    IPCX_ERRORS(ROW)
#undef ROW
};
#define N_ALL (sizeof all / sizeof all[0])

Test(error, every_code_is_negative_and_distinct)
{
    cr_assert_gt(N_ALL, 60);
    for (size_t i = 0; i < N_ALL; i++) {
        cr_assert_lt(all[i].code, 0, "%s", all[i].name);
        for (size_t j = i + 1; j < N_ALL; j++)
            cr_assert_neq(all[i].code, all[j].code, "%s and %s share a value", all[i].name,
                          all[j].name);
    }
}

Test(error, every_name_and_text_is_distinct)
{
    for (size_t i = 0; i < N_ALL; i++) {
        const char *ni = ipcx_errname(all[i].code);
        const char *si = ipcx_strerror(all[i].code);
        cr_assert_str_eq(ni, all[i].name);
        cr_assert_gt(strlen(si), 3);
        cr_assert_str_neq(si, "unknown error", "%s", ni);
        for (size_t j = i + 1; j < N_ALL; j++) {
            cr_assert_str_neq(ni, ipcx_errname(all[j].code));
            cr_assert_str_neq(si, ipcx_strerror(all[j].code), "%s and %s share a text", ni,
                              ipcx_errname(all[j].code));
        }
    }
}

Test(error, errno_codes_equal_minus_errno)
{
    cr_assert_eq(IPCX_ETIMEDOUT, -ETIMEDOUT);
    cr_assert_eq(IPCX_EAGAIN, -EAGAIN);
    cr_assert_eq(IPCX_EINVAL, -EINVAL);
    cr_assert_eq(IPCX_EPIPE, -EPIPE);
    cr_assert_eq(IPCX_EMSGSIZE, -EMSGSIZE);
    cr_assert_eq(IPCX_EOWNERDEAD, -EOWNERDEAD);
    cr_assert_eq(IPCX_ENOTRECOVERABLE, -ENOTRECOVERABLE);
    cr_assert_eq(IPCX_ENOTSUP, -ENOTSUP);
    cr_assert(ipcx_err_is_errno(IPCX_ETIMEDOUT));
}

Test(error, library_codes_have_their_own_range)
{
    const int lib[] = {IPCX_EPROTO, IPCX_EPEERDEAD, IPCX_ECLOSED, IPCX_EVERSION,
                       IPCX_ETRUNC, IPCX_EBADURL,   IPCX_EPOLICY};
    for (size_t i = 0; i < sizeof lib / sizeof lib[0]; i++) {
        cr_assert_lt(lib[i], IPCX_ELIBBASE);
        cr_assert_not(ipcx_err_is_errno(lib[i]), "%s", ipcx_errname(lib[i]));
        cr_assert_neq(lib[i], -EPROTO);
    }
    cr_assert_str_eq(ipcx_errname(IPCX_EPEERDEAD), "IPCX_EPEERDEAD");
    cr_assert_str_eq(ipcx_errname(IPCX_EPROTO), "IPCX_EPROTO");
}

Test(error, success_and_unknown_codes)
{
    cr_assert_str_eq(ipcx_errname(0), "IPCX_OK");
    cr_assert_str_eq(ipcx_strerror(0), "success");
    cr_assert_str_eq(ipcx_errname(-99999), "IPCX_EUNKNOWN");
    cr_assert_str_eq(ipcx_strerror(-99999), "unknown error");
    cr_assert_str_eq(ipcx_strerror(12345), "unknown error");
    /* An errno outside the list still gets the C library's name and words. */
    cr_assert_str_eq(ipcx_errname(-EKEYEXPIRED), "EKEYEXPIRED");
    cr_assert_str_neq(ipcx_strerror(-EKEYEXPIRED), "unknown error");
}

Test(error, version_matches_headers)
{
    cr_assert_eq(ipcx_version(), IPCX_VERSION_NUMBER);
    cr_assert_str_eq(ipcx_version_string(), IPCX_VERSION_STRING);
}
