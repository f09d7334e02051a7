/* SPDX-License-Identifier: MIT */
/*
 * sys/error.c: ipcx_strerror() and ipcx_errname(), generated from the one
 * list of codes in ipcx/error.h. The tables are static and never written, so
 * both functions are thread-safe and async-signal-safe.
 */
#include <string.h>

#include <ipcx/error.h>

struct code_text {
    int code;
    const char *name;
    const char *text;
};

static const struct code_text codes[] = {{IPCX_OK, "IPCX_OK", "success"},
#define IPCX__ERROR_ROW(name, value, text) {(value), "IPCX_" #name, text},
                                         IPCX_ERRORS(IPCX__ERROR_ROW)
#undef IPCX__ERROR_ROW
};

static const struct code_text *find(int code)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].code == code)
            return &codes[i];
    return NULL;
}

/* An errno the list does not name still deserves the C library's words. */
static int is_errno_range(int code)
{
    return code < 0 && code > -4096;
}

IPCX_API const char *ipcx_strerror(int code)
{
    const struct code_text *c = find(code);
    if (c)
        return c->text;
    if (is_errno_range(code)) {
        const char *s = strerrordesc_np(-code);
        if (s)
            return s;
    }
    return "unknown error";
}

IPCX_API const char *ipcx_errname(int code)
{
    const struct code_text *c = find(code);
    if (c)
        return c->name;
    if (is_errno_range(code)) {
        const char *s = strerrorname_np(-code);
        if (s)
            return s;
    }
    return "IPCX_EUNKNOWN";
}

IPCX_API int ipcx_err_is_errno(int code)
{
    return is_errno_range(code);
}
