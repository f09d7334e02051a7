/* SPDX-License-Identifier: MIT */
/*
 * help.c: `ipcx help [COMMAND]`: lists the subcommands, or runs one with
 * --help.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

int cmd_help(int argc, char **argv)
{
    if (argc >= 2) {
        for (const struct ipcx_tool_command *c = ipcx_tool_commands; c->name; c++) {
            if (!strcmp(c->name, argv[1])) {
                char help[] = "--help";
                char *args[] = {argv[1], help, NULL};
                return c->run(2, args);
            }
        }
        fprintf(stderr, "ipcx: unknown command '%s'\n", argv[1]);
        return 2;
    }
    printf("usage: ipcx COMMAND [ARGS...]\n\n"
           "Every Linux IPC mechanism, safe and measured.\n\ncommands:\n");
    for (const struct ipcx_tool_command *c = ipcx_tool_commands; c->name; c++)
        printf("  %-10s %s\n", c->name, c->summary);
    printf("\n'ipcx help COMMAND' shows the options of one command.\n");
    return 0;
}
