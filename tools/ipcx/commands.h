/* SPDX-License-Identifier: MIT */
/*
 * commands.h: the subcommands of the ipcx tool. Each lives in its own file
 * and has the signature of main(): argv[0] is the subcommand's name. The
 * table in main.c lists them, in the order `ipcx help` shows them.
 */
#ifndef IPCX_TOOL_COMMANDS_H
#define IPCX_TOOL_COMMANDS_H

struct ipcx_tool_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* The table, terminated by an entry whose name is NULL. */
extern const struct ipcx_tool_command ipcx_tool_commands[];

int cmd_bench(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
