/* SPDX-License-Identifier: MIT */
/*
 * helper_main.c: the entry point of ipcx-test-helper: runs the mode named by
 * argv[1] and exits with what it returns (2 for an unknown mode).
 */
#include <stdio.h>
#include <string.h>

#include "helper.h"

static struct tsup_helper *helpers;

void tsup_helper_register(struct tsup_helper *h)
{
    h->next = helpers;
    helpers = h;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ipcx-test-helper MODE [ARGS...]\n");
        return 2;
    }
    for (struct tsup_helper *h = helpers; h; h = h->next)
        if (!strcmp(h->name, argv[1]))
            return h->run(argc - 1, argv + 1);
    fprintf(stderr, "ipcx-test-helper: unknown mode '%s'\n", argv[1]);
    return 2;
}
