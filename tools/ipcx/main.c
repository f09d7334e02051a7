/* SPDX-License-Identifier: MIT */
/*
 * main.c: the ipcx tool's entry point: finds the subcommand and runs it.
 * Exit codes: 0 success, 1 the operation failed, 2 bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

const struct ipcx_tool_command ipcx_tool_commands[] = {
    {"help", cmd_help, "show the subcommands, or the help of one"},
    {"bench", cmd_bench, "measure every mechanism side by side (latency, throughput, CPU)"},
    {"version", cmd_version, "print the versions of the tool and the library"},
    {NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help(1, argv);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h"))
        name = "help";
    if (!strcmp(name, "--version"))
        name = "version";
    for (const struct ipcx_tool_command *c = ipcx_tool_commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "ipcx: unknown command '%s' (see 'ipcx help')\n", argv[1]);
    return 2;
}
