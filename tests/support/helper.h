/* SPDX-License-Identifier: MIT */
/*
 * helper.h: modes of the test helper binary (ipcx-test-helper). A test that
 * needs an unrelated process (fork + exec) runs the helper with a mode name;
 * each mode is defined next to the tests that use it, in tests/helpers/, with
 * TSUP_HELPER(name) { ... return exit_code; }. Modes register themselves, so
 * adding one touches no other file.
 */
#ifndef IPCX_TESTS_HELPER_H
#define IPCX_TESTS_HELPER_H

#include "tsup.h"

struct tsup_helper {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the mode's name */
    struct tsup_helper *next;
};

void tsup_helper_register(struct tsup_helper *h);

#define TSUP_HELPER(mode)                                                       \
    static int helper_##mode(int argc, char **argv);                            \
    static struct tsup_helper helper_reg_##mode = {#mode, helper_##mode, NULL}; \
    __attribute__((constructor)) static void helper_ctor_##mode(void)           \
    {                                                                           \
        tsup_helper_register(&helper_reg_##mode);                               \
    }                                                                           \
    static int helper_##mode(int argc, char **argv)

#endif
