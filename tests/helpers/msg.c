/* SPDX-License-Identifier: MIT */
/*
 * msg.c: helper modes for the message-passing tests (pipes, FIFOs, POSIX
 * and System V message queues, signals). Each mode is an unrelated program
 * talking to the test through one mechanism; it exits 0 when everything it
 * checked held, 1 on a usage error, and 10 or more at the first failed step.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ipcx.h>

#include "helper.h"

/*
 * pipe_write_fd FD TEXT [CLOSED]: first checks that none of the descriptor
 * numbers in the comma-separated list CLOSED is open in this program (they
 * were close-on-exec in the parent), then adopts the inherited pipe end FD
 * and writes TEXT.
 */
TSUP_HELPER(pipe_write_fd)
{
    if (argc != 3 && argc != 4)
        return 1;
    for (const char *p = argc == 4 ? argv[3] : ""; *p;) {
        char *end;
        long fd = strtol(p, &end, 10);
        if (end == p)
            return 1;
        if (fcntl((int)fd, F_GETFD) >= 0 || errno != EBADF)
            return 13;
        p = *end == ',' ? end + 1 : end;
    }
    struct ipcx_pipe *p;
    if (ipcx_pipe_adopt(&p, atoi(argv[1])) != 0)
        return 10;
    size_t len = strlen(argv[2]);
    if (ipcx_pipe_write_all(p, argv[2], len, NULL, 5000) != (ssize_t)len)
        return 11;
    ipcx_pipe_close(p);
    return 0;
}

/*
 * stdin_expect TEXT: reads its standard input with plain blocking read()
 * calls, as a program that knows nothing of ipcx would, until end of file,
 * and checks that it got exactly TEXT.
 */
TSUP_HELPER(stdin_expect)
{
    if (argc != 2)
        return 1;
    char buf[4096];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(0, buf + got, sizeof buf - got);
        if (n < 0)
            return 10;
        if (n == 0)
            break;
        got += (size_t)n;
        if (got == sizeof buf)
            return 11;
    }
    return got == strlen(argv[1]) && memcmp(buf, argv[1], got) == 0 ? 0 : 12;
}

/* The byte at offset i of every FIFO test stream. */
static unsigned char fifo_byte(size_t i)
{
    return (unsigned char)(i * 7 + 3);
}

/* fifo_write PATH N: opens the FIFO for writing (waiting for a reader) and writes N bytes. */
TSUP_HELPER(fifo_write)
{
    if (argc != 3)
        return 1;
    size_t n = (size_t)atol(argv[2]);
    unsigned char *buf = malloc(n + 1);
    if (!buf)
        return 10;
    for (size_t i = 0; i < n; i++)
        buf[i] = fifo_byte(i);
    struct ipcx_fifo *f;
    if (ipcx_fifo_open(&f, argv[1], IPCX_FIFO_WRITE, 5000) != 0)
        return 11;
    if (ipcx_fifo_write_all(f, buf, n, NULL, 5000) != (ssize_t)n)
        return 12;
    ipcx_fifo_close(f);
    free(buf);
    return 0;
}

/* fifo_read PATH N: opens the FIFO for reading, reads to end of file, checks the N bytes. */
TSUP_HELPER(fifo_read)
{
    if (argc != 3)
        return 1;
    size_t n = (size_t)atol(argv[2]);
    struct ipcx_fifo *f;
    if (ipcx_fifo_open(&f, argv[1], IPCX_FIFO_READ, 5000) != 0)
        return 10;
    size_t got = 0;
    unsigned char buf[8192];
    for (;;) {
        ssize_t r = ipcx_fifo_read(f, buf, sizeof buf, 5000);
        if (r < 0)
            return 11;
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != fifo_byte(got + (size_t)i))
                return 12;
        got += (size_t)r;
    }
    ipcx_fifo_close(f);
    return got == n ? 0 : 13;
}

/*
 * The messages mq_send_prio sends, in sending order, and the order a
 * receiver must see them in: highest priority first, FIFO within one.
 */
static const struct {
    unsigned prio;
    const char *text;
} mq_sequence[] = {{1, "a1"}, {5, "b5"}, {1, "c1"}, {9, "d9"},     {5, "e5"},
                   {0, "f0"}, {9, "g9"}, {1, "h1"}, {32767, "top"}};

/* mq_send_prio NAME: opens the queue for sending and sends the sequence above. */
TSUP_HELPER(mq_send_prio)
{
    if (argc != 2)
        return 1;
    struct ipcx_posixmq *q;
    if (ipcx_posixmq_open(&q, argv[1], IPCX_POSIXMQ_SEND) != 0)
        return 10;
    for (size_t i = 0; i < sizeof mq_sequence / sizeof mq_sequence[0]; i++)
        if (ipcx_posixmq_send(q, mq_sequence[i].text, strlen(mq_sequence[i].text),
                              mq_sequence[i].prio, 5000) != 0)
            return 11;
    ipcx_posixmq_close(q);
    return 0;
}

/*
 * mq_create_leave NAME: creates a queue (4 messages of up to 64 bytes),
 * puts three messages in it, closes it and exits without unlinking it.
 */
TSUP_HELPER(mq_create_leave)
{
    if (argc != 2)
        return 1;
    struct ipcx_posixmq *q;
    struct ipcx_posixmq_opts o = {.max_msgs = 4, .msg_size = 64};
    if (ipcx_posixmq_create(&q, argv[1], &o) != 0)
        return 10;
    static const char *const texts[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++)
        if (ipcx_posixmq_send(q, texts[i], strlen(texts[i]), 0, 1000) != 0)
            return 11;
    ipcx_posixmq_close(q);
    return 0;
}

/* The typed messages sysv_send_set sends, in sending order. */
static const struct {
    long type;
    const char *text;
} sysv_set[] = {{3, "c3a"}, {1, "a1a"}, {2, "b2a"}, {5, "e5a"}, {1, "a1b"}, {4, "d4a"}, {2, "b2b"}};

/* sysv_send_set ID: opens System V queue ID and sends the set above. */
TSUP_HELPER(sysv_send_set)
{
    if (argc != 2)
        return 1;
    struct ipcx_sysvmsg *q;
    if (ipcx_sysvmsg_open_id(&q, atoi(argv[1])) != 0)
        return 10;
    for (size_t i = 0; i < sizeof sysv_set / sizeof sysv_set[0]; i++)
        if (ipcx_sysvmsg_send(q, sysv_set[i].text, strlen(sysv_set[i].text), sysv_set[i].type,
                              5000) != 0)
            return 11;
    ipcx_sysvmsg_close(q);
    return 0;
}

/*
 * sysv_key_echo KEY: opens the queue of KEY, waits for a type-1 message
 * and sends its text back as type 2.
 */
TSUP_HELPER(sysv_key_echo)
{
    if (argc != 2)
        return 1;
    struct ipcx_sysvmsg *q;
    if (ipcx_sysvmsg_open(&q, (key_t)strtol(argv[1], NULL, 0), 0) != 0)
        return 10;
    char buf[256];
    long type = 0;
    ssize_t n = ipcx_sysvmsg_recv(q, buf, sizeof buf, 1, 0, &type, 5000);
    if (n < 0 || type != 1)
        return 11;
    if (ipcx_sysvmsg_send(q, buf, (size_t)n, 2, 5000) != 0)
        return 12;
    ipcx_sysvmsg_close(q);
    return 0;
}

/* The byte at offset i of every message sysv_send_long sends. */
static char sysv_byte(size_t i)
{
    return (char)('a' + i % 26);
}

/* sysv_send_long ID TYPE LEN: sends one message of LEN patterned bytes ('a' to 'z' over and over).
 */
TSUP_HELPER(sysv_send_long)
{
    if (argc != 4)
        return 1;
    size_t len = (size_t)atol(argv[3]);
    char *buf = malloc(len + 1);
    if (!buf)
        return 10;
    for (size_t i = 0; i < len; i++)
        buf[i] = sysv_byte(i);
    struct ipcx_sysvmsg *q;
    if (ipcx_sysvmsg_open_id(&q, atoi(argv[1])) != 0)
        return 11;
    if (ipcx_sysvmsg_send(q, buf, len, atol(argv[2]), 5000) != 0)
        return 12;
    ipcx_sysvmsg_close(q);
    free(buf);
    return 0;
}
