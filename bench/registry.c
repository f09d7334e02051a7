/* SPDX-License-Identifier: MIT */
/*
 * registry.c: the rows, in report order. Each family registers its rows from
 * its BENCH_ROWS() function; the build generates bench__register_all(), which
 * calls every family's function, so that a new bench/row_<family>.c is
 * picked up without touching any other file. Rows are kept sorted by group,
 * then order, then registration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const struct bench_row *rows[BENCH_MAX_ROWS];
static size_t nrows;

void bench_register(const struct bench_row *row)
{
    if (nrows == BENCH_MAX_ROWS) {
        fprintf(stderr, "ipcx bench: more than %d rows; '%s' left out\n", BENCH_MAX_ROWS,
                row->name);
        return;
    }
    for (size_t i = 0; i < nrows; i++) {
        if (!strcmp(rows[i]->name, row->name)) {
            fprintf(stderr, "ipcx bench: two rows named '%s'; the second left out\n", row->name);
            return;
        }
    }
    /* Insertion keeps the order stable for rows that compare equal. */
    size_t at = nrows;
    while (at > 0 && (rows[at - 1]->group > row->group ||
                      (rows[at - 1]->group == row->group && rows[at - 1]->order > row->order))) {
        rows[at] = rows[at - 1];
        at--;
    }
    rows[at] = row;
    nrows++;
}

size_t bench__rows(const struct bench_row ***out)
{
    static int done;
    if (!done) {
        done = 1;
        bench__register_all();
    }
    *out = rows;
    return nrows;
}
