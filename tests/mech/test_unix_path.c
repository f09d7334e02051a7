/* SPDX-License-Identifier: MIT */
/*
 * test_unix_path.c: filesystem Unix sockets are safe to create: mode 0600
 * (or the mode asked for) whatever the umask, never reachable by another
 * user by default, not even for an instant; a dead listener's path is taken
 * over, a live one is refused with IPCX_EADDRINUSE, and a path that is not a
 * socket (a file, a directory, a planted symbolic link) is never removed or
 * followed; the path goes away with the handle that made it, and only then.
 * ipcx-test: label=process timeout=90
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "socktest.h"

static mode_t mode_of(const char *path)
{
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0, "%s", path);
    cr_assert(S_ISSOCK(st.st_mode));
    return st.st_mode & 07777;
}

/*
 * The guarantee the library builds on: Linux creates a socket's node with
 * the socket's own mode (less the umask), so a mode set on the socket
 * before bind() is the node's mode from its first instant.
 */
Test(unix_path, kernel_creates_the_node_with_the_socket_mode)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    mode_t old = umask(0);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_eq(fchmod(fd, 0600), 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    umask(old);
    cr_assert_eq(mode_of(path), 0600);
    close(fd);
    unlink(path);
    sockdir_done(&d);
}

Test(unix_path, default_mode_is_0600_whatever_the_umask)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    mode_t old = umask(0);
    struct ipcx_unix *l, *b;
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), 0);
    cr_assert_eq(mode_of(path), 0600);
    ipcx_unix_close(l);
    cr_assert_eq(ipcx_unix_bind(&b, path, NULL), 0);
    cr_assert_eq(mode_of(path), 0600, "datagram sockets too");
    ipcx_unix_close(b);
    umask(old);
    sockdir_done(&d);
}

Test(unix_path, requested_mode_is_exact_even_when_the_umask_takes_bits)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    mode_t old = umask(077);
    struct ipcx_unix *l;
    struct ipcx_unix_opts o = {.mode = 0660};
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_SEQPACKET, &o), 0);
    cr_assert_eq(mode_of(path), 0660);
    ipcx_unix_close(l);
    o.mode = 0400;
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_SEQPACKET, &o), 0);
    cr_assert_eq(mode_of(path), 0400);
    ipcx_unix_close(l);
    umask(old);
    sockdir_done(&d);
}

/* Waits until a listener at `path` accepts connections (up to 5 s). */
static void wait_listening(const char *path)
{
    struct ipcx_unix *c;
    cr_assert_eq(connect_retry(&c, path, IPCX_UNIX_STREAM, NULL), 0);
    ipcx_unix_close(c);
}

Test(unix_path, stale_path_of_a_killed_listener_is_taken_over)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    pid_t pid = tsup_spawn_helper("unix_hold", (const char *[]){path, "stream", NULL});
    cr_assert_gt(pid, 0);
    wait_listening(path);
    kill(pid, SIGKILL);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 128 + SIGKILL);
    struct ipcx_unix *l, *c, *a;
    cr_assert_eq(ipcx_unix_connect(&c, path, IPCX_UNIX_STREAM, NULL, 1000), IPCX_ECONNREFUSED,
                 "the dead listener left its path behind");

    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), 0, "stale path taken over");
    cr_assert_eq(mode_of(path), 0600);
    cr_assert_eq(ipcx_unix_connect(&c, path, IPCX_UNIX_STREAM, NULL, 1000), 0);
    cr_assert_eq(ipcx_unix_accept(l, &a, 1000), 0);
    ipcx_unix_close(a);
    ipcx_unix_close(c);
    ipcx_unix_close(l);
    sockdir_done(&d);
}

Test(unix_path, stale_datagram_path_is_taken_over)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    int raw = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, path);
    cr_assert_eq(bind(raw, (struct sockaddr *)&sa, sizeof sa), 0);
    struct ipcx_unix *b = (void *)1;
    cr_assert_eq(ipcx_unix_bind(&b, path, NULL), IPCX_EADDRINUSE, "bound and alive");
    cr_assert_null(b);
    close(raw);
    cr_assert_eq(ipcx_unix_bind(&b, path, NULL), 0, "stale once its socket closed");
    ipcx_unix_close(b);
    sockdir_done(&d);
}

Test(unix_path, live_listener_is_refused_and_left_working)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    pid_t pid = tsup_spawn_helper("unix_hold", (const char *[]){path, "seqpacket", NULL});
    cr_assert_gt(pid, 0);
    struct ipcx_unix *c, *l = (void *)1;
    cr_assert_eq(connect_retry(&c, path, IPCX_UNIX_SEQPACKET, NULL), 0);
    ipcx_unix_close(c);

    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_SEQPACKET, NULL), IPCX_EADDRINUSE);
    cr_assert_null(l);
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), IPCX_EADDRINUSE,
                 "a live socket of another type is live too");
    cr_assert_eq(ipcx_unix_bind(&l, path, NULL), IPCX_EADDRINUSE);
    cr_assert_eq(ipcx_unix_connect(&c, path, IPCX_UNIX_SEQPACKET, NULL, 1000), 0,
                 "the owner still serves its path");
    ipcx_unix_close(c);
    kill(pid, SIGKILL);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 128 + SIGKILL);
    unlink(path);
    sockdir_done(&d);
}

Test(unix_path, path_that_is_not_a_socket_is_never_removed)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    struct ipcx_unix *l = (void *)1;

    int f = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    cr_assert_eq(write(f, "keep", 4), 4);
    close(f);
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), IPCX_EEXIST);
    cr_assert_null(l);
    cr_assert_eq(ipcx_unix_bind(&l, path, NULL), IPCX_EEXIST);
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert(S_ISREG(st.st_mode));
    cr_assert_eq(st.st_size, 4, "the file is intact");
    unlink(path);

    cr_assert_eq(mkdir(path, 0700), 0);
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), IPCX_EEXIST);
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    rmdir(path);

    cr_assert_eq(mkfifo(path, 0600), 0);
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), IPCX_EEXIST);
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert(S_ISFIFO(st.st_mode));
    unlink(path);
    sockdir_done(&d);
}

Test(unix_path, planted_symlink_is_neither_followed_nor_removed)
{
    struct sockdir d, elsewhere;
    sockdir_make(&d);
    sockdir_make(&elsewhere);
    char path[IPCX_UNIX_ADDR_MAX], target[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    sockdir_path(&elsewhere, target, sizeof target);
    struct ipcx_unix *l = (void *)1;
    struct stat st;

    /* A dangling link: following it would create a socket where it points. */
    cr_assert_eq(symlink(target, path), 0);
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), IPCX_EEXIST);
    cr_assert_null(l);
    cr_assert_eq(lstat(target, &st), -1, "nothing was created at the link's target");
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "the link is untouched");

    /* A link to a stale socket: the stale socket is not ours to remove. */
    int raw = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, target);
    cr_assert_eq(bind(raw, (struct sockaddr *)&sa, sizeof sa), 0);
    close(raw);
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), IPCX_EEXIST);
    cr_assert_eq(ipcx_unix_bind(&l, path, NULL), IPCX_EEXIST);
    cr_assert_eq(lstat(target, &st), 0);
    cr_assert(S_ISSOCK(st.st_mode), "the stale socket behind the link is still there");
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert(S_ISLNK(st.st_mode));
    unlink(path);
    unlink(target);
    sockdir_done(&d);
    sockdir_done(&elsewhere);
}

static int close_inherited(void *arg)
{
    ipcx_unix_close(arg);
    return 0;
}

Test(unix_path, path_is_removed_by_its_creator_only)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    struct ipcx_unix *l, *c;
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), 0);
    pid_t pid = tsup_fork(close_inherited, l);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    cr_assert_eq(access(path, F_OK), 0, "a forked child's close leaves the path");
    cr_assert_eq(ipcx_unix_connect(&c, path, IPCX_UNIX_STREAM, NULL, 1000), 0);
    ipcx_unix_close(c);
    ipcx_unix_close(l);
    cr_assert_eq(access(path, F_OK), -1, "the creator's close removes it");

    struct ipcx_unix_opts keep = {.flags = IPCX_UNIX_KEEP_PATH};
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, &keep), 0);
    ipcx_unix_close(l);
    cr_assert_eq(access(path, F_OK), 0, "IPCX_UNIX_KEEP_PATH keeps it");
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), 0, "kept path is stale");
    ipcx_unix_close(l);
    sockdir_done(&d);
}

Test(unix_path, replaced_path_is_not_removed_on_close)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    struct ipcx_unix *l;
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), 0);
    cr_assert_eq(unlink(path), 0);
    int f = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    close(f);
    ipcx_unix_close(l);
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0, "someone else's file stays");
    cr_assert(S_ISREG(st.st_mode));
    unlink(path);
    sockdir_done(&d);
}

Test(unix_path, longest_path_works_and_one_more_byte_does_not)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    int n = snprintf(path, sizeof path, "%s/", d.dir);
    memset(path + n, 'z', 107 - (size_t)n);
    path[107] = '\0';
    struct ipcx_unix *l, *c, *a;
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), 0);
    char got[IPCX_UNIX_ADDR_MAX];
    cr_assert_eq(ipcx_unix_addr(l, got, sizeof got), 107);
    cr_assert_str_eq(got, path);
    cr_assert_eq(ipcx_unix_connect(&c, path, IPCX_UNIX_STREAM, NULL, 1000), 0);
    cr_assert_eq(ipcx_unix_accept(l, &a, 1000), 0);
    ipcx_unix_close(a);
    ipcx_unix_close(c);
    ipcx_unix_close(l);
    path[107] = 'z';
    path[108] = '\0';
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), IPCX_ENAMETOOLONG);
    sockdir_done(&d);
}

/* What a child running as nobody tries, and the code it must get. */
struct try_arg {
    const char *path;
    int want;
    const struct ipcx_unix_opts *opts;
};

static int connect_as_nobody(void *arg)
{
    struct try_arg *t = arg;
    TSUP_CHILD_CHECK(become_nobody(0) == 0);
    struct ipcx_unix *c = NULL;
    int rc = ipcx_unix_connect(&c, t->path, IPCX_UNIX_STREAM, t->opts, 2000);
    if (rc != t->want)
        fprintf(stderr, "connect as nobody: %s, wanted %s\n", ipcx_errname(rc),
                ipcx_errname(t->want));
    TSUP_CHILD_CHECK(rc == t->want);
    if (c) {
        char b;
        /* Wait for the listener's verdict: it closes us. */
        ipcx_unix_recv(c, &b, 1, 5000);
        ipcx_unix_close(c);
    }
    return 0;
}

Test(unix_path, another_user_cannot_connect_by_default)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    struct ipcx_unix *l, *a = (void *)1;
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), 0);
    struct try_arg t = {path, IPCX_EACCES, NULL};
    pid_t pid = tsup_fork(connect_as_nobody, &t);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    cr_assert_eq(ipcx_unix_accept(l, &a, IPCX_NOWAIT), IPCX_EAGAIN, "nobody got in");
    ipcx_unix_close(l);
    sockdir_done(&d);
}

Test(unix_path, mode_lets_another_user_reach_the_policy_decides)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    struct ipcx_unix *l, *a = (void *)1;
    struct ipcx_unix_opts o = {.mode = 0666};
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, &o), 0);

    /* The other user's own default policy refuses a listener run by root. */
    struct try_arg t = {path, IPCX_EPOLICY, NULL};
    pid_t pid = tsup_fork(connect_as_nobody, &t);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    cr_assert_eq(ipcx_unix_accept(l, &a, 2000), IPCX_EPOLICY, "and ours refuses them");
    cr_assert_null(a);

    /* It trusts root; ours still refuses uid 65534 by default. */
    uid_t root = 0;
    struct ipcx_cred_policy trust_root = {.uids = &root, .nuids = 1};
    struct ipcx_unix_opts co = {.policy = &trust_root};
    struct try_arg t2 = {path, 0, &co};
    pid = tsup_fork(connect_as_nobody, &t2);
    cr_assert_eq(ipcx_unix_accept(l, &a, 5000), IPCX_EPOLICY);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    ipcx_unix_close(l);

    /* A listener whose policy admits uid 65534. */
    uid_t nobody = NOBODY;
    struct ipcx_cred_policy admit = {.uids = &nobody, .nuids = 1};
    o.policy = &admit;
    cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, &o), 0);
    pid = tsup_fork(connect_as_nobody, &t2);
    cr_assert_eq(ipcx_unix_accept(l, &a, 5000), 0);
    struct ipcx_cred cred;
    cr_assert_eq(ipcx_unix_peer_cred(a, &cred), 0);
    cr_assert_eq(cred.uid, NOBODY);
    cr_assert_eq(cred.gid, NOBODY);
    cr_assert_eq(cred.pid, pid);
    ipcx_unix_close(a);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    ipcx_unix_close(l);
    sockdir_done(&d);
}

struct race {
    const char *path;
    volatile int *stop;
};

/* As nobody: try to connect as fast as possible until told to stop; count successes. */
static int race_connect(void *arg)
{
    struct race *r = arg;
    TSUP_CHILD_CHECK(become_nobody(0) == 0);
    int got_in = 0;
    long tries = 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, r->path);
    int64_t end = tsup_now_ms() + 20000; /* in case the parent never says stop */
    while (!__atomic_load_n(r->stop, __ATOMIC_ACQUIRE) && tsup_now_ms() < end) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            got_in++;
        close(fd);
        tries++;
    }
    TSUP_CHILD_CHECK(tries > 0);
    return got_in ? 1 : 0;
}

/*
 * While the parent creates and removes a listener again and again under
 * umask 0, another user tries to connect without pause. Had the node ever
 * existed with the umask's permissions, even for an instant, some attempts
 * could get in; none may.
 */
Test(unix_path, no_instant_where_another_user_can_connect)
{
    struct sockdir d;
    sockdir_make(&d);
    char path[IPCX_UNIX_ADDR_MAX];
    sockdir_path(&d, path, sizeof path);
    volatile int *stop =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq((void *)stop, MAP_FAILED);
    *stop = 0;
    struct race r = {path, stop};
    pid_t pid = tsup_fork(race_connect, &r);
    cr_assert_gt(pid, 0);
    mode_t old = umask(0);
    for (int i = 0; i < 2000; i++) {
        struct ipcx_unix *l;
        cr_assert_eq(ipcx_unix_listen(&l, path, IPCX_UNIX_STREAM, NULL), 0);
        ipcx_unix_close(l);
    }
    umask(old);
    __atomic_store_n(stop, 1, __ATOMIC_RELEASE);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0, "another user connected");
    munmap((void *)stop, 4096);
    sockdir_done(&d);
}
