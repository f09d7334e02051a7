/* SPDX-License-Identifier: MIT */
/*
 * test_region.c: shared memory regions. Every backing is shared between two
 * real processes (fork for the anonymous mapping, a name, key, id, path or
 * passed descriptor for the others) and each sees the other's writes. Sizes
 * that disagree with the creator's are refused instead of mapped into a
 * SIGBUS; memfd seals stop a peer from shrinking or growing the memory;
 * named objects are exclusive, refuse symbolic links and get the mode that
 * was asked for; System V segments live until removed and last detached.
 * The memory of a created region is reserved at once: a full filesystem
 * (a small tmpfs mounted in a mount namespace of a child's own) fails the
 * create with IPCX_ENOSPC instead of a later SIGBUS, and a filesystem
 * without fallocate still works. No descriptor and no named object is
 * left behind.
 * ipcx-test: label=process timeout=60
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <ipcx.h>

#include "sync_support.h"
#include "tsup.h"

#define SIZE        (64 * 1024)
#define FIRST_HALF  0xA5
#define SECOND_HALF 0x5A
#define WAIT_MS     10000

/* Ends every test: nothing named by this test's process is left (names
 * carry the pid, and each test runs in a process of its own). */
static void assert_nothing_left(void)
{
    cr_assert_eq(sync_leftovers(), 0, "named objects or files left behind");
}

static void fill_first_half(struct ipcx_region *r)
{
    memset(ipcx_region_addr(r), FIRST_HALF, ipcx_region_size(r) / 2);
}

static void assert_second_half(struct ipcx_region *r)
{
    const unsigned char *p = ipcx_region_addr(r);
    size_t n = ipcx_region_size(r);
    for (size_t i = n / 2; i < n; i++)
        cr_assert_eq(p[i], SECOND_HALF, "byte %zu written by the peer", i);
}

static char *shm_name(char *buf, size_t size)
{
    char n[128];
    snprintf(buf, size, "/%s", tsup_name(n, sizeof n, "ipcx-region"));
    return buf;
}

static bool shm_exists(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "/dev/shm%s", name);
    return access(path, F_OK) == 0;
}

static bool sysv_exists(int id)
{
    struct shmid_ds ds;
    return shmctl(id, IPC_STAT, &ds) == 0;
}

static int run_peer(const char *backing, const char *where, size_t size)
{
    char sz[32];
    snprintf(sz, sizeof sz, "%zu", size);
    const char *args[] = {backing, where, sz, NULL};
    return tsup_wait_exit(tsup_spawn_helper("region_peer", args), WAIT_MS);
}

Test(region, posix_shared_by_name)
{
    int fds = tsup_fd_count();
    char name[160];
    shm_name(name, sizeof name);
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_shm(&r, name, SIZE, NULL), 0);
    cr_assert_eq(ipcx_region_kind(r), IPCX_REGION_POSIX);
    cr_assert_eq(ipcx_region_size(r), SIZE);
    cr_assert_geq(ipcx_region_fd(r), 0);
    cr_assert_eq(ipcx_region_sysv_id(r), IPCX_ENOTSUP);
    fill_first_half(r);
    cr_assert_eq(run_peer("shm", name, SIZE), 0);
    assert_second_half(r);
    cr_assert_eq(ipcx_region_unlink(r), 0);
    cr_assert_not(shm_exists(name));
    /* The mapping outlives the name. */
    assert_second_half(r);
    ipcx_region_close(r);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

Test(region, posix_mode_is_explicit)
{
    char name[160];
    struct stat st;
    mode_t old = umask(0277); /* would strip the owner's write bit */
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_shm(&r, shm_name(name, sizeof name), 4096, NULL), 0);
    cr_assert_eq(fstat(ipcx_region_fd(r), &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600);
    cr_assert_eq(ipcx_region_unlink(r), 0);
    ipcx_region_close(r);

    struct ipcx_region_opts o = {.mode = 0640};
    cr_assert_eq(ipcx_region_create_shm(&r, shm_name(name, sizeof name), 4096, &o), 0);
    cr_assert_eq(fstat(ipcx_region_fd(r), &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0640);
    cr_assert_eq(ipcx_region_unlink(r), 0);
    ipcx_region_close(r);
    umask(old);
    assert_nothing_left();
}

Test(region, posix_exclusive_and_no_symlinks)
{
    int fds = tsup_fd_count();
    char name[160], link_name[160], path[512], target[512];
    struct ipcx_region *r = NULL, *r2 = NULL;
    cr_assert_eq(ipcx_region_create_shm(&r, shm_name(name, sizeof name), 4096, NULL), 0);
    cr_assert_eq(ipcx_region_create_shm(&r2, name, 4096, NULL), IPCX_EEXIST);
    cr_assert_null(r2);

    /* A symbolic link planted under a name is neither followed on create
     * nor on open; its target is untouched. */
    shm_name(link_name, sizeof link_name);
    snprintf(path, sizeof path, "/dev/shm%s", link_name);
    snprintf(target, sizeof target, "/dev/shm%s", name);
    cr_assert_eq(symlink(target, path), 0);
    cr_assert_eq(ipcx_region_create_shm(&r2, link_name, 4096, NULL), IPCX_EEXIST);
    cr_assert_eq(ipcx_region_open_shm(&r2, link_name, 0, NULL), IPCX_ELOOP);
    cr_assert_null(r2);
    cr_assert_eq(unlink(path), 0);

    cr_assert_eq(ipcx_region_unlink(r), 0);
    cr_assert_eq(ipcx_region_unlink(r), IPCX_ENOENT);
    ipcx_region_close(r);
    cr_assert_eq(ipcx_region_open_shm(&r2, name, 0, NULL), IPCX_ENOENT);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

Test(region, posix_size_must_agree)
{
    int fds = tsup_fd_count();
    char name[160];
    struct ipcx_region *r = NULL, *o = NULL;
    cr_assert_eq(ipcx_region_create_shm(&r, shm_name(name, sizeof name), 8192, NULL), 0);
    /* Mapping 16 KiB of an 8 KiB object would fault with SIGBUS: refused. */
    cr_assert_eq(ipcx_region_open_shm(&o, name, 16384, NULL), IPCX_ERANGE);
    cr_assert_eq(ipcx_region_open_shm(&o, name, 4096, NULL), IPCX_ERANGE);
    cr_assert_null(o);
    cr_assert_eq(ipcx_region_open_shm(&o, name, 0, NULL), 0);
    cr_assert_eq(ipcx_region_size(o), 8192);
    ipcx_region_close(o);
    cr_assert_eq(ipcx_region_unlink(r), 0);
    ipcx_region_close(r);

    /* An object nobody has sized yet is "not ready", not a 0-byte map. */
    int fd = shm_open(shm_name(name, sizeof name), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(ipcx_region_open_shm(&o, name, 0, NULL), IPCX_EAGAIN);
    cr_assert_eq(ipcx_region_open_shm(&o, name, 4096, NULL), IPCX_EAGAIN);
    cr_assert_eq(ipcx_region_unlink_shm(name), 0);
    close(fd);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

Test(region, read_only_cannot_be_made_writable)
{
    char name[160];
    struct ipcx_region *r = NULL, *ro = NULL;
    struct ipcx_region_opts rdonly = {.flags = IPCX_REGION_RDONLY};
    cr_assert_eq(ipcx_region_create_shm(&r, shm_name(name, sizeof name), 4096, NULL), 0);
    cr_assert_eq(ipcx_region_open_shm(&ro, name, 4096, &rdonly), 0);
    ((unsigned char *)ipcx_region_addr(r))[7] = 42;
    cr_assert_eq(((unsigned char *)ipcx_region_addr(ro))[7], 42);
    /* The descriptor behind it is read-only: no way to write through it. */
    cr_assert_eq(mprotect(ipcx_region_addr(ro), 4096, PROT_READ | PROT_WRITE), -1);
    cr_assert_eq(errno, EACCES);
    ipcx_region_close(ro);
    cr_assert_eq(ipcx_region_unlink(r), 0);
    ipcx_region_close(r);

    /* A created region is always writable: asking otherwise is an error. */
    cr_assert_eq(ipcx_region_create_anon(&r, 4096, &rdonly), IPCX_EINVAL);
    assert_nothing_left();
}

/*
 * Creates a segment under a key from ftok() on a file of our own; a key
 * that someone else holds already (EEXIST: ftok keys can collide) is
 * traded for another. The segment is tracked for assert_nothing_left().
 */
static struct ipcx_region *create_own_key(char *path, size_t size, key_t *key)
{
    cr_assert_eq(sync_key_file(path, size), 0);
    struct ipcx_region *r = NULL;
    int rc = IPCX_EEXIST;
    for (int i = 0; i < SYNC_KEY_TRIES && rc == IPCX_EEXIST; i++) {
        *key = sync_key(path);
        cr_assert_neq(*key, (key_t)-1);
        rc = ipcx_region_create_sysv(&r, *key, SIZE, NULL);
    }
    cr_assert_eq(rc, 0, "%s", ipcx_errname(rc));
    sync_track_sysv('m', ipcx_region_sysv_id(r), *key);
    return r;
}

Test(region, sysv_shared_by_key)
{
    char path[512], key_arg[32];
    key_t key;
    struct ipcx_region *r = create_own_key(path, sizeof path, &key), *r2 = NULL;
    cr_assert_eq(ipcx_region_kind(r), IPCX_REGION_SYSV);
    cr_assert_eq(ipcx_region_fd(r), IPCX_ENOTSUP);
    int id = ipcx_region_sysv_id(r);
    cr_assert_geq(id, 0);
    struct shmid_ds ds;
    cr_assert_eq(shmctl(id, IPC_STAT, &ds), 0);
    cr_assert_eq(ds.shm_perm.mode & 0777, 0600);

    cr_assert_eq(ipcx_region_create_sysv(&r2, key, SIZE, NULL), IPCX_EEXIST);
    cr_assert_eq(ipcx_region_open_sysv(&r2, key, SIZE * 2, NULL), IPCX_ERANGE);
    cr_assert_null(r2);

    fill_first_half(r);
    snprintf(key_arg, sizeof key_arg, "%d", (int)key);
    cr_assert_eq(run_peer("sysv", key_arg, SIZE), 0);
    assert_second_half(r);
    cr_assert_eq(ipcx_region_unlink(r), 0);
    ipcx_region_close(r);
    cr_assert_not(sysv_exists(id));
    unlink(path);
    assert_nothing_left();
}

struct detach_arg {
    int id;
    int ready; /* child -> parent */
    int go;    /* parent -> child */
    key_t key;
};

/* Attaches by id, reports, waits until the parent removed the segment and
 * wrote into it, checks that write, answers in the second half. */
static int sysv_late_detacher(void *p)
{
    struct detach_arg *a = p;
    struct ipcx_region *r = NULL;
    TSUP_CHILD_CHECK(ipcx_region_open_sysv_id(&r, a->id, SIZE, NULL) == 0);
    TSUP_CHILD_CHECK(sync_send_byte(a->ready, 'r') == 0);
    TSUP_CHILD_CHECK(sync_recv_byte(a->go, WAIT_MS) == 'g');
    unsigned char *m = ipcx_region_addr(r);
    TSUP_CHILD_CHECK(m[0] == FIRST_HALF);
    memset(m + SIZE / 2, SECOND_HALF, SIZE / 2);
    ipcx_region_close(r);
    return 0;
}

Test(region, sysv_removed_lives_until_last_detach)
{
    int fds = tsup_fd_count();
    char path[512];
    struct detach_arg a;
    struct ipcx_region *r = create_own_key(path, sizeof path, &a.key), *r2 = NULL;
    int p1[2], p2[2];
    cr_assert_eq(pipe2(p1, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(p2, O_CLOEXEC), 0);
    a.ready = p1[1];
    a.go = p2[0];

    a.id = ipcx_region_sysv_id(r);
    pid_t pid = tsup_fork(sysv_late_detacher, &a);
    cr_assert_gt(pid, 0);
    cr_assert_eq(sync_recv_byte(p1[0], WAIT_MS), 'r');

    /* Removed: the key is free at once, the segment lives on while the
     * child and we are attached, marked for destruction. */
    cr_assert_eq(ipcx_region_unlink(r), 0);
    cr_assert_eq(ipcx_region_open_sysv(&r2, a.key, SIZE, NULL), IPCX_ENOENT);
    struct shmid_ds ds;
    cr_assert_eq(shmctl(a.id, IPC_STAT, &ds), 0);
    cr_assert(ds.shm_perm.mode & SHM_DEST);
    cr_assert_geq(ds.shm_nattch, 2);

    fill_first_half(r);
    cr_assert_eq(sync_send_byte(p2[1], 'g'), 0);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    assert_second_half(r);
    cr_assert_eq(shmctl(a.id, IPC_STAT, &ds), 0);
    cr_assert_eq(ds.shm_nattch, 1);
    ipcx_region_close(r); /* the last detach destroys it */
    cr_assert_not(sysv_exists(a.id));

    for (int i = 0; i < 2; i++) {
        close(p1[i]);
        close(p2[i]);
    }
    unlink(path);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

Test(region, leftover_check_finds_and_removes_a_segment)
{
    /* The check that ends every test must be able to fail: a tracked
     * segment that is not removed is reported, and removed by the check. */
    char path[512];
    key_t key;
    struct ipcx_region *r = create_own_key(path, sizeof path, &key);
    int id = ipcx_region_sysv_id(r);
    ipcx_region_close(r);
    cr_assert(sysv_exists(id));
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(sync_leftovers(), 1);
    cr_assert_not(sysv_exists(id));
    assert_nothing_left();
}

Test(region, sysv_private_shared_by_id)
{
    char id_arg[32];
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_sysv(&r, IPCX_REGION_PRIVATE, SIZE, NULL), 0);
    sync_track_sysv('m', ipcx_region_sysv_id(r), IPCX_REGION_PRIVATE);
    fill_first_half(r);
    snprintf(id_arg, sizeof id_arg, "%d", ipcx_region_sysv_id(r));
    cr_assert_eq(run_peer("sysvid", id_arg, SIZE), 0);
    assert_second_half(r);
    int id = ipcx_region_sysv_id(r);
    cr_assert_eq(ipcx_region_unlink(r), 0);
    ipcx_region_close(r);
    cr_assert_not(sysv_exists(id));
    assert_nothing_left();
}

/* Sends descriptor `fd` over the socket with one byte of data. */
static int send_fd(int sock, int fd)
{
    char byte = 'F';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* Receives one descriptor (close-on-exec), or -1. */
static int recv_fd(int sock)
{
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

/* Forked before the memfd exists: the only way it gets it is the socket. */
static int memfd_receiver(void *p)
{
    int sock = *(int *)p;
    int fd = recv_fd(sock);
    TSUP_CHILD_CHECK(fd >= 0);
    struct ipcx_region *r = NULL;
    unsigned need = IPCX_REGION_SEAL_SHRINK | IPCX_REGION_SEAL_GROW;
    TSUP_CHILD_CHECK(ipcx_region_open_fd(&r, fd, SIZE, need, NULL) == 0);
    TSUP_CHILD_CHECK(ipcx_region_kind(r) == IPCX_REGION_FD);
    TSUP_CHILD_CHECK(close(fd) == 0); /* the region keeps its own */
    unsigned char *m = ipcx_region_addr(r);
    for (size_t i = 0; i < SIZE / 2; i++)
        TSUP_CHILD_CHECK(m[i] == FIRST_HALF);
    /* The peer cannot shrink what it was given, through any descriptor. */
    TSUP_CHILD_CHECK(ftruncate(ipcx_region_fd(r), 4096) < 0 && errno == EPERM);
    memset(m + SIZE / 2, SECOND_HALF, SIZE / 2);
    ipcx_region_close(r);
    TSUP_CHILD_CHECK(sync_send_byte(sock, 'd') == 0);
    return 0;
}

Test(region, memfd_passed_over_a_socket)
{
    int fds = tsup_fd_count();
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = tsup_fork(memfd_receiver, &sv[1]);
    cr_assert_gt(pid, 0);

    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_memfd(&r, "ring", SIZE, NULL), 0);
    cr_assert_eq(ipcx_region_kind(r), IPCX_REGION_MEMFD);
    cr_assert_geq(ipcx_region_fd(r), 0);
    cr_assert(fcntl(ipcx_region_fd(r), F_GETFD) & FD_CLOEXEC);
    fill_first_half(r);
    cr_assert_eq(ipcx_region_seal(r, IPCX_REGION_SEAL_SHRINK | IPCX_REGION_SEAL_GROW), 0);
    cr_assert_eq(send_fd(sv[0], ipcx_region_fd(r)), 0);
    cr_assert_eq(sync_recv_byte(sv[0], WAIT_MS), 'd');
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    assert_second_half(r);
    ipcx_region_close(r);
    close(sv[0]);
    close(sv[1]);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

Test(region, memfd_seals_bind_an_exec_peer)
{
    int fds = tsup_fd_count();
    struct ipcx_region *r = NULL;
    cr_assert_eq(ipcx_region_create_memfd(&r, NULL, SIZE, NULL), 0);
    fill_first_half(r);
    unsigned seals = IPCX_REGION_SEAL_SHRINK | IPCX_REGION_SEAL_GROW | IPCX_REGION_SEAL_SEAL;
    cr_assert_eq(ipcx_region_seal(r, seals), 0);
    cr_assert_eq((unsigned)ipcx_region_seals(r) & seals, seals);
    /* No seal can be added after IPCX_REGION_SEAL_SEAL, and the creator is
     * bound by the seals like everyone else. */
    cr_assert_eq(ipcx_region_seal(r, IPCX_REGION_SEAL_FUTURE_WRITE), IPCX_EPERM);
    cr_assert_eq(ftruncate(ipcx_region_fd(r), SIZE / 2), -1);
    cr_assert_eq(errno, EPERM);

    /* The peer is an unrelated program given the descriptor number. */
    int fd = ipcx_region_fd(r);
    char fd_arg[16], size_arg[32], seal_arg[16];
    snprintf(fd_arg, sizeof fd_arg, "%d", fd);
    snprintf(size_arg, sizeof size_arg, "%d", SIZE);
    snprintf(seal_arg, sizeof seal_arg, "%u", seals);
    const char *args[] = {"fd", fd_arg, size_arg, seal_arg, NULL};
    pid_t pid = sync_spawn_helper_fds("region_peer", args, &fd, 1);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0, "the peer saw the data, could not resize");
    assert_second_half(r);
    cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "still close-on-exec here");
    struct stat st;
    cr_assert_eq(fstat(fd, &st), 0);
    cr_assert_eq(st.st_size, SIZE);
    ipcx_region_close(r);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

Test(region, received_descriptor_is_checked)
{
    int fds = tsup_fd_count();
    struct ipcx_region *r = NULL, *o = NULL;
    unsigned need = IPCX_REGION_SEAL_SHRINK | IPCX_REGION_SEAL_GROW;
    cr_assert_eq(ipcx_region_create_memfd(&r, "check", 8192, NULL), 0);
    int fd = ipcx_region_fd(r);

    /* Without the seals a peer could shrink it under us: refused. */
    cr_assert_eq(ipcx_region_open_fd(&o, fd, 8192, need, NULL), IPCX_EPERM);
    cr_assert_eq(ipcx_region_open_fd(&o, fd, 8192, 0, NULL), 0, "no seals asked, none needed");
    ipcx_region_close(o);
    o = NULL;
    cr_assert_eq(ipcx_region_seal(r, need), 0);
    cr_assert_eq(ipcx_region_open_fd(&o, fd, 16384, need, NULL), IPCX_ERANGE);
    cr_assert_eq(ipcx_region_open_fd(&o, fd, 4096, need, NULL), IPCX_ERANGE);
    cr_assert_null(o);

    /* Writes sealed for the future: our own mapping still writes, a new
     * mapping must be read-only. */
    cr_assert_eq(ipcx_region_seal(r, IPCX_REGION_SEAL_WRITE), IPCX_EBUSY, "we have it mapped");
    cr_assert_eq(ipcx_region_seal(r, IPCX_REGION_SEAL_FUTURE_WRITE), 0);
    ((char *)ipcx_region_addr(r))[0] = 'x';
    cr_assert_eq(ipcx_region_open_fd(&o, fd, 0, need, NULL), IPCX_EPERM);
    struct ipcx_region_opts rdonly = {.flags = IPCX_REGION_RDONLY | IPCX_REGION_POPULATE};
    cr_assert_eq(ipcx_region_open_fd(&o, fd, 0, need | IPCX_REGION_SEAL_FUTURE_WRITE, &rdonly), 0);
    cr_assert_eq(((char *)ipcx_region_addr(o))[0], 'x');
    cr_assert_eq(ipcx_region_size(o), 8192);
    ipcx_region_close(o);
    o = NULL;

    /* Descriptors that are no memory at all. */
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    cr_assert_eq(ipcx_region_open_fd(&o, p[0], 0, 0, NULL), IPCX_ENODEV);
    cr_assert_eq(ipcx_region_open_fd(&o, p[0], 0, need, NULL), IPCX_EPERM);
    close(p[0]);
    close(p[1]);
    cr_assert_eq(ipcx_region_open_fd(&o, p[0], 0, 0, NULL), IPCX_EBADF);
    cr_assert_eq(ipcx_region_open_fd(&o, -1, 0, 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_open_fd(&o, fd, 0, 0x1000, NULL), IPCX_EINVAL);
    cr_assert_null(o);
    ipcx_region_close(r);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

/* The peer's side of a FUTURE_WRITE-sealed memfd: it reads, never writes. */
static int future_write_peer(void *p)
{
    int fd = *(int *)p;
    struct ipcx_region *o = NULL;
    unsigned need = IPCX_REGION_SEAL_FUTURE_WRITE;
    TSUP_CHILD_CHECK(ipcx_region_open_fd(&o, fd, SIZE, need, NULL) == IPCX_EPERM);
    struct ipcx_region_opts rdonly = {.flags = IPCX_REGION_RDONLY};
    TSUP_CHILD_CHECK(ipcx_region_open_fd(&o, fd, SIZE, need, &rdonly) == 0);
    const unsigned char *m = ipcx_region_addr(o);
    TSUP_CHILD_CHECK(m[0] == FIRST_HALF);
    errno = 0;
    TSUP_CHILD_CHECK(pwrite(fd, "x", 1, 0) < 0 && errno == EPERM);
    void *w = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    TSUP_CHILD_CHECK(w == MAP_FAILED && errno == EPERM);
    TSUP_CHILD_CHECK(mprotect((void *)m, SIZE, PROT_READ | PROT_WRITE) < 0);
    ipcx_region_close(o);
    return 0;
}

Test(region, write_seals_that_are_offered)
{
    int fds = tsup_fd_count();
    struct ipcx_region *r = NULL, *o = NULL;
    cr_assert_eq(ipcx_region_create_memfd(&r, "seal", SIZE, NULL), 0);
    fill_first_half(r);
    int fd = ipcx_region_fd(r);

    /* The creator's own writable mapping makes the full write seal
     * impossible; the future-write seal is the one it can add. */
    cr_assert_eq(ipcx_region_seal(r, IPCX_REGION_SEAL_WRITE), IPCX_EBUSY);
    cr_assert_eq(ipcx_region_seal(r, IPCX_REGION_SEAL_FUTURE_WRITE), 0);
    cr_assert_eq((unsigned)ipcx_region_seals(r) & IPCX_REGION_SEAL_FUTURE_WRITE,
                 IPCX_REGION_SEAL_FUTURE_WRITE);
    cr_assert_eq(ipcx_region_seal(r, IPCX_REGION_SEAL_WRITE), IPCX_EBUSY, "still mapped");
    /* The creator keeps writing through its mapping... */
    ((unsigned char *)ipcx_region_addr(r))[SIZE - 1] = SECOND_HALF;
    /* ...while a peer can neither open it writable nor write any other way. */
    cr_assert_eq(tsup_wait_exit(tsup_fork(future_write_peer, &fd), WAIT_MS), 0);

    /* The full write seal, once no writable mapping is left: through a
     * read-only region on a descriptor opened for writing. */
    int keep = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    cr_assert_geq(keep, 0);
    struct ipcx_region_opts rdonly = {.flags = IPCX_REGION_RDONLY};
    cr_assert_eq(ipcx_region_open_fd(&o, keep, SIZE, 0, &rdonly), 0);
    cr_assert_eq(ipcx_region_seal(o, IPCX_REGION_SEAL_WRITE), IPCX_EBUSY, "creator still open");
    ipcx_region_close(r);
    cr_assert_eq(ipcx_region_seal(o, IPCX_REGION_SEAL_WRITE), 0);
    cr_assert_eq((unsigned)ipcx_region_seals(o) & IPCX_REGION_SEAL_WRITE, IPCX_REGION_SEAL_WRITE);
    const unsigned char *m = ipcx_region_addr(o);
    cr_assert_eq(m[0], FIRST_HALF);
    cr_assert_eq(m[SIZE - 1], SECOND_HALF);
    cr_assert_eq(pwrite(keep, "x", 1, 0), -1, "the bytes are frozen");
    cr_assert_eq(errno, EPERM);
    cr_assert_eq(mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, keep, 0), MAP_FAILED);
    cr_assert_eq(errno, EPERM);
    ipcx_region_close(o);
    close(keep);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

static int anon_child(void *p)
{
    struct ipcx_region *r = p;
    unsigned char *m = ipcx_region_addr(r);
    for (size_t i = 0; i < SIZE / 2; i++)
        TSUP_CHILD_CHECK(m[i] == FIRST_HALF);
    memset(m + SIZE / 2, SECOND_HALF, SIZE / 2);
    ipcx_region_close(r); /* the child's copy of the handle */
    return 0;
}

Test(region, anonymous_shared_across_fork)
{
    struct ipcx_region *r = NULL;
    struct ipcx_region_opts o = {.flags = IPCX_REGION_POPULATE};
    cr_assert_eq(ipcx_region_create_anon(&r, SIZE, &o), 0);
    cr_assert_eq(ipcx_region_kind(r), IPCX_REGION_ANON);
    cr_assert_eq(ipcx_region_fd(r), IPCX_ENOTSUP);
    cr_assert_eq(ipcx_region_unlink(r), 0, "nothing to remove");
    cr_assert_eq(ipcx_region_seal(r, IPCX_REGION_SEAL_SHRINK), IPCX_ENOTSUP);
    fill_first_half(r);
    pid_t pid = tsup_fork(anon_child, r);
    cr_assert_eq(tsup_wait_exit(pid, WAIT_MS), 0);
    assert_second_half(r);
    cr_assert_eq(ipcx_region_sync(r, 0, 0, 0), 0);
    ipcx_region_close(r);
    assert_nothing_left();
}

Test(region, file_shared_by_path_and_synced)
{
    int fds = tsup_fd_count();
    char path[512];
    sync_tmp_path(path, sizeof path, "ipcx-region-file");
    struct ipcx_region *r = NULL, *o = NULL;
    cr_assert_eq(ipcx_region_create_file(&r, path, SIZE, NULL), 0);
    cr_assert_eq(ipcx_region_kind(r), IPCX_REGION_FILE);
    cr_assert_eq(ipcx_region_create_file(&o, path, SIZE, NULL), IPCX_EEXIST);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600);
    cr_assert_eq(st.st_size, SIZE);
    cr_assert_eq(ipcx_region_open_file(&o, path, SIZE + 4096, NULL), IPCX_ERANGE);

    fill_first_half(r);
    cr_assert_eq(ipcx_region_sync(r, 0, 0, 0), 0);
    cr_assert_eq(ipcx_region_sync(r, 100, 5000, IPCX_REGION_SYNC_ASYNC), 0);
    cr_assert_eq(run_peer("file", path, SIZE), 0);
    assert_second_half(r);
    cr_assert_eq(ipcx_region_sync(r, SIZE / 2, SIZE / 2, 0), 0);

    /* The bytes are in the file itself, read without any mapping. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    cr_assert_geq(fd, 0);
    unsigned char b[2];
    cr_assert_eq(pread(fd, &b[0], 1, 0), 1);
    cr_assert_eq(pread(fd, &b[1], 1, SIZE - 1), 1);
    cr_assert_eq(b[0], FIRST_HALF);
    cr_assert_eq(b[1], SECOND_HALF);
    close(fd);

    cr_assert_eq(ipcx_region_sync(r, SIZE + 1, 0, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_sync(r, SIZE / 2, SIZE, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_sync(r, 0, 0, 0x80), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_unlink(r), 0);
    cr_assert_neq(access(path, F_OK), 0);
    ipcx_region_close(r);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

Test(region, file_refuses_links_and_non_files)
{
    int fds = tsup_fd_count();
    char path[512], link_path[512];
    sync_tmp_path(path, sizeof path, "ipcx-region-fifo");
    sync_tmp_path(link_path, sizeof link_path, "ipcx-region-link");
    struct ipcx_region *o = NULL;
    cr_assert_eq(mkfifo(path, 0600), 0);
    cr_assert_eq(ipcx_region_open_file(&o, path, 0, NULL), IPCX_ENODEV, "and it did not hang");
    cr_assert_eq(symlink(path, link_path), 0);
    cr_assert_eq(ipcx_region_open_file(&o, link_path, 0, NULL), IPCX_ELOOP);
    cr_assert_eq(ipcx_region_create_file(&o, link_path, 4096, NULL), IPCX_EEXIST);
    cr_assert_null(o);
    unlink(link_path);
    unlink(path);
    cr_assert_eq(ipcx_region_open_file(&o, path, 0, NULL), IPCX_ENOENT);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

/* Allocated bytes behind a descriptor, as the filesystem counts them. */
static long long allocated(int fd)
{
    struct stat st;
    cr_assert_eq(fstat(fd, &st), 0);
    return (long long)st.st_blocks * 512;
}

Test(region, memory_is_reserved_at_create)
{
    int fds = tsup_fd_count();
    char name[160], path[512];
    struct ipcx_region *r = NULL;
    /* Without the reservation each would be sparse: nothing allocated
     * until touched, and a full filesystem found only by a SIGBUS. */
    cr_assert_eq(ipcx_region_create_shm(&r, shm_name(name, sizeof name), SIZE, NULL), 0);
    cr_assert_geq(allocated(ipcx_region_fd(r)), SIZE, "POSIX object reserved");
    cr_assert_eq(ipcx_region_unlink(r), 0);
    ipcx_region_close(r);

    cr_assert_eq(ipcx_region_create_memfd(&r, "reserved", SIZE, NULL), 0);
    cr_assert_geq(allocated(ipcx_region_fd(r)), SIZE, "memfd reserved");
    ipcx_region_close(r);

    cr_assert_eq(ipcx_region_create_file(&r, sync_tmp_path(path, sizeof path, "ipcx-region-rsv"),
                                         SIZE, NULL),
                 0);
    cr_assert_geq(allocated(ipcx_region_fd(r)), SIZE, "file reserved");
    cr_assert_eq(ipcx_region_unlink(r), 0);
    ipcx_region_close(r);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}

struct small_fs {
    char tmpfs_dir[512]; /* a 1 MiB tmpfs goes here */
    char ramfs_dir[512]; /* a ramfs (no fallocate) goes here */
};

/*
 * In a mount namespace of its own (nothing it mounts is seen outside, and
 * it all goes when it exits): /dev/shm and a directory become 1 MiB tmpfs
 * mounts, another directory a ramfs. A region too large for its filesystem
 * must fail at create and leave nothing; one that fits must be usable
 * whole; where fallocate is not supported the create still succeeds.
 */
static int on_small_filesystems(void *p)
{
    struct small_fs *fs = p;
    char name[160], file[600];
    struct ipcx_region *r = NULL;
    TSUP_CHILD_CHECK(unshare(CLONE_NEWNS) == 0);
    TSUP_CHILD_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
    TSUP_CHILD_CHECK(mount("ipcx-test", "/dev/shm", "tmpfs", 0, "size=1m,mode=1777") == 0);
    TSUP_CHILD_CHECK(mount("ipcx-test", fs->tmpfs_dir, "tmpfs", 0, "size=1m") == 0);
    TSUP_CHILD_CHECK(mount("ipcx-test", fs->ramfs_dir, "ramfs", 0, NULL) == 0);

    TSUP_CHILD_CHECK(ipcx_region_create_shm(&r, shm_name(name, sizeof name), 4 << 20, NULL) ==
                     IPCX_ENOSPC);
    TSUP_CHILD_CHECK(!shm_exists(name));
    TSUP_CHILD_CHECK(ipcx_region_create_shm(&r, name, 512 << 10, NULL) == 0);
    memset(ipcx_region_addr(r), 1, 512 << 10);
    TSUP_CHILD_CHECK(ipcx_region_unlink(r) == 0);
    ipcx_region_close(r);

    snprintf(file, sizeof file, "%s/region", fs->tmpfs_dir);
    TSUP_CHILD_CHECK(ipcx_region_create_file(&r, file, 4 << 20, NULL) == IPCX_ENOSPC);
    TSUP_CHILD_CHECK(access(file, F_OK) != 0 && errno == ENOENT);

    snprintf(file, sizeof file, "%s/region", fs->ramfs_dir);
    TSUP_CHILD_CHECK(ipcx_region_create_file(&r, file, SIZE, NULL) == 0);
    memset(ipcx_region_addr(r), 1, SIZE);
    TSUP_CHILD_CHECK(ipcx_region_unlink(r) == 0);
    ipcx_region_close(r);
    return 0;
}

Test(region, full_filesystem_fails_at_create)
{
    struct small_fs fs;
    sync_tmp_path(fs.tmpfs_dir, sizeof fs.tmpfs_dir, "ipcx-region-tmpfs");
    sync_tmp_path(fs.ramfs_dir, sizeof fs.ramfs_dir, "ipcx-region-ramfs");
    cr_assert_eq(mkdir(fs.tmpfs_dir, 0700), 0);
    cr_assert_eq(mkdir(fs.ramfs_dir, 0700), 0);
    int rc = tsup_wait_exit(tsup_fork(on_small_filesystems, &fs), WAIT_MS);
    cr_assert_eq(rmdir(fs.tmpfs_dir), 0, "unmounted with the child's namespace");
    cr_assert_eq(rmdir(fs.ramfs_dir), 0);
    /* 128 + SIGBUS would be a region created on a full filesystem. */
    cr_assert_eq(rc, 0, "child ended with %d", rc);
    assert_nothing_left();
}

/* Starts a long-sleeping helper, reports its pid, and exits without it. */
static int spawn_and_leave(void *p)
{
    int out = *(int *)p;
    const char *args[] = {"60000", NULL};
    pid_t g = sync_spawn_helper_fds("sleep", args, NULL, 0);
    TSUP_CHILD_CHECK(g > 0);
    TSUP_CHILD_CHECK(write(out, &g, sizeof g) == (ssize_t)sizeof g);
    return 0;
}

/* False once `pid` is gone or a zombie waiting for its new parent. */
static bool alive(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *state = strrchr(buf, ')');
    return state && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

Test(region, helpers_die_with_the_test_process)
{
    /* A helper started with descriptors (sync_spawn_helper_fds) by a
     * process that then dies must die too, as tsup's children do. */
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    cr_assert_eq(tsup_wait_exit(tsup_fork(spawn_and_leave, &p[1]), WAIT_MS), 0);
    pid_t g = 0;
    cr_assert_eq(read(p[0], &g, sizeof g), (ssize_t)sizeof g);
    close(p[0]);
    close(p[1]);
    cr_assert_gt(g, 0);
    int64_t end = tsup_now_ms() + WAIT_MS;
    while (alive(g) && tsup_now_ms() < end) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    cr_assert_not(alive(g), "helper %d outlived the process that started it", (int)g);
}

/*
 * As a session leader without a controlling terminal, opens a terminal
 * through the library: it is refused as no regular file, and must not
 * have become this process's controlling terminal (O_NOCTTY).
 */
static int open_a_terminal(void *p)
{
    (void)p;
    TSUP_CHILD_CHECK(setsid() > 0);
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    TSUP_CHILD_CHECK(master >= 0);
    TSUP_CHILD_CHECK(grantpt(master) == 0 && unlockpt(master) == 0);
    const char *slave = ptsname(master);
    TSUP_CHILD_CHECK(slave != NULL);
    struct ipcx_region *r = NULL;
    TSUP_CHILD_CHECK(ipcx_region_open_file(&r, slave, 0, NULL) == IPCX_ENODEV);
    errno = 0;
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    TSUP_CHILD_CHECK(tty < 0 && errno == ENXIO); /* still no controlling terminal */
    close(master);
    return 0;
}

Test(region, opening_a_terminal_does_not_make_it_ours)
{
    cr_assert_eq(tsup_wait_exit(tsup_fork(open_a_terminal, NULL), WAIT_MS), 0);
}

Test(region, bad_arguments)
{
    int fds = tsup_fd_count();
    struct ipcx_region *r = NULL;
    char longname[NAME_MAX + 8];
    longname[0] = '/';
    memset(longname + 1, 'a', NAME_MAX + 1);
    longname[NAME_MAX + 2] = '\0';
    struct ipcx_region_opts badmode = {.mode = 04700};
    struct ipcx_region_opts badflags = {.flags = 0x100};
    char never[160];

    cr_assert_eq(ipcx_region_create_shm(NULL, shm_name(never, sizeof never), 4096, NULL),
                 IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_shm(&r, NULL, 4096, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_shm(&r, "", 4096, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_shm(&r, "/", 4096, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_shm(&r, "noslash", 4096, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_shm(&r, "/a/b", 4096, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_shm(&r, "/..", 4096, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_shm(&r, longname, 4096, NULL), IPCX_ENAMETOOLONG);
    shm_name(never, sizeof never);
    cr_assert_eq(ipcx_region_create_shm(&r, never, 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_shm(&r, never, 4096, &badmode), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_shm(&r, never, 4096, &badflags), IPCX_EINVAL);
    cr_assert_not(shm_exists(never));
    cr_assert_eq(ipcx_region_open_shm(&r, "bad", 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_unlink_shm("bad"), IPCX_EINVAL);

    cr_assert_eq(ipcx_region_create_sysv(&r, IPCX_REGION_PRIVATE, 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_open_sysv(&r, IPCX_REGION_PRIVATE, 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_open_sysv_id(&r, -1, 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_memfd(&r, NULL, 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_memfd(&r, longname, 4096, NULL), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_region_create_anon(&r, 0, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_anon(&r, SIZE_MAX, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_create_file(&r, "", 4096, NULL), IPCX_EINVAL);
    char toolong[PATH_MAX + 1];
    memset(toolong, 'a', PATH_MAX);
    toolong[PATH_MAX] = '\0';
    cr_assert_eq(ipcx_region_create_file(&r, toolong, 4096, NULL), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_region_open_file(&r, toolong, 0, NULL), IPCX_ENAMETOOLONG);
    cr_assert_eq(ipcx_region_open_file(&r, NULL, 0, NULL), IPCX_EINVAL);
    cr_assert_null(r);

    cr_assert_eq(ipcx_region_sync(NULL, 0, 0, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_seal(NULL, 0), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_seals(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_unlink(NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_region_fd(NULL), IPCX_EINVAL);
    cr_assert_null(ipcx_region_addr(NULL));
    cr_assert_eq(ipcx_region_size(NULL), 0);
    ipcx_region_close(NULL);

    cr_assert_eq(ipcx_region_create_memfd(&r, "x", 4096, NULL), 0);
    cr_assert_eq(ipcx_region_seal(r, 0x400), IPCX_EINVAL);
    ipcx_region_close(r);
    cr_assert_eq(tsup_fd_count(), fds);
    assert_nothing_left();
}
