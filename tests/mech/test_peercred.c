/* SPDX-License-Identifier: MIT */
/*
 * test_peercred.c: the peer's credentials as the kernel saw them match the
 * peer's real pid, uid and gid, on both ends, for an exec'ed process and
 * for one running as another user; a pidfd names the peer process and
 * reports its exit; the credentials policy admits and refuses by uid, by
 * primary and supplementary group, never by pid. On a kernel without
 * SO_PEERPIDFD (simulated with a seccomp filter) the pidfd query says
 * IPCX_ENOTSUP and the credentials still work.
 * ipcx-test: label=process timeout=60
 */
#include <endian.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "socktest.h"

Test(peercred, exec_helper_is_who_the_kernel_says)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *l, *c;
    cr_assert_eq(ipcx_unix_listen(&l, addr, IPCX_UNIX_STREAM, NULL), 0);
    pid_t pid = tsup_spawn_helper("unix_whoami", (const char *[]){addr, NULL});
    cr_assert_gt(pid, 0);
    cr_assert_eq(ipcx_unix_accept(l, &c, 5000), 0);
    struct ipcx_cred cred;
    cr_assert_eq(ipcx_unix_peer_cred(c, &cred), 0);
    cr_assert_eq(cred.pid, pid, "the kernel's pid %d, the helper's %d", (int)cred.pid, (int)pid);
    cr_assert_eq(cred.uid, getuid());
    cr_assert_eq(cred.gid, getgid());

    /* What the helper says about itself agrees. */
    char msg[64] = {0};
    ssize_t n = ipcx_unix_recv(c, msg, sizeof msg - 1, 5000);
    cr_assert_gt(n, 0);
    int hp;
    unsigned hu, hg;
    cr_assert_eq(sscanf(msg, "%d %u %u", &hp, &hu, &hg), 3);
    cr_assert_eq(hp, cred.pid);
    cr_assert_eq(hu, cred.uid);
    cr_assert_eq(hg, cred.gid);
    cr_assert_eq(ipcx_unix_peer_check(c, NULL), 0, "same uid: admitted by default");
    ipcx_unix_close(c);
    cr_assert_eq(tsup_wait_exit(pid, 5000), 0);
    ipcx_unix_close(l);
}

struct other_arg {
    const char *addr;
    pid_t parent;
    gid_t extra_group;
    int want_connect;
};

/* As uid/gid 65534 (and maybe one supplementary group): connect, check the listener's creds. */
static int connect_as_other(void *arg)
{
    struct other_arg *o = arg;
    TSUP_CHILD_CHECK(become_nobody(o->extra_group) == 0);
    uid_t root = 0;
    struct ipcx_cred_policy trust_root = {.uids = &root, .nuids = 1};
    struct ipcx_unix_opts opts = {.policy = &trust_root};
    struct ipcx_unix *c;
    int rc = connect_retry(&c, o->addr, IPCX_UNIX_STREAM, &opts);
    TSUP_CHILD_CHECK(rc == o->want_connect);
    if (rc < 0)
        return 0;
    struct ipcx_cred cred;
    TSUP_CHILD_CHECK(ipcx_unix_peer_cred(c, &cred) == 0);
    TSUP_CHILD_CHECK(cred.pid == o->parent);
    TSUP_CHILD_CHECK(cred.uid == 0 && cred.gid == 0);
    TSUP_CHILD_CHECK(ipcx_unix_peer_check(c, NULL) == IPCX_EPOLICY);
    char b;
    ipcx_unix_recv(c, &b, 1, 5000); /* until the listener is done with us */
    ipcx_unix_close(c);
    return 0;
}

Test(peercred, another_users_credentials_on_both_ends)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    uid_t nobody = NOBODY;
    struct ipcx_cred_policy admit = {.uids = &nobody, .nuids = 1};
    struct ipcx_unix_opts o = {.policy = &admit};
    struct ipcx_unix *l, *c;
    cr_assert_eq(ipcx_unix_listen(&l, addr, IPCX_UNIX_STREAM, &o), 0);
    struct other_arg oa = {addr, getpid(), 0, 0};
    pid_t pid = tsup_fork(connect_as_other, &oa);
    cr_assert_gt(pid, 0);
    cr_assert_eq(ipcx_unix_accept(l, &c, 5000), 0);
    struct ipcx_cred cred;
    cr_assert_eq(ipcx_unix_peer_cred(c, &cred), 0);
    cr_assert_eq(cred.pid, pid);
    cr_assert_eq(cred.uid, NOBODY);
    cr_assert_eq(cred.gid, NOBODY);
    cr_assert_eq(ipcx_unix_peer_check(c, NULL), IPCX_EPOLICY, "not our uid");
    cr_assert_eq(ipcx_unix_peer_check(c, &admit), 0);
    ipcx_unix_close(c);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    ipcx_unix_close(l);
}

Test(peercred, default_policy_refuses_another_user)
{
    /* An abstract name has no permissions: only the policy keeps others out. */
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *l, *c = (void *)1;
    cr_assert_eq(ipcx_unix_listen(&l, addr, IPCX_UNIX_STREAM, NULL), 0);
    struct other_arg oa = {addr, getpid(), 0, 0};
    pid_t pid = tsup_fork(connect_as_other, &oa);
    cr_assert_gt(pid, 0);
    cr_assert_eq(ipcx_unix_accept(l, &c, 5000), IPCX_EPOLICY);
    cr_assert_null(c);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    /* The listener stays usable after a refusal. */
    struct ipcx_unix *me, *a;
    cr_assert_eq(ipcx_unix_connect(&me, addr, IPCX_UNIX_STREAM, NULL, 1000), 0);
    cr_assert_eq(ipcx_unix_accept(l, &a, 1000), 0);
    ipcx_unix_close(a);
    ipcx_unix_close(me);
    ipcx_unix_close(l);
}

static void group_policy(gid_t child_group, gid_t admitted_group, int want)
{
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_cred_policy p = {.gids = &admitted_group, .ngids = 1};
    struct ipcx_unix_opts o = {.policy = &p};
    struct ipcx_unix *l, *c = NULL;
    cr_assert_eq(ipcx_unix_listen(&l, addr, IPCX_UNIX_STREAM, &o), 0);
    struct other_arg oa = {addr, getpid(), child_group, 0};
    pid_t pid = tsup_fork(connect_as_other, &oa);
    cr_assert_eq(ipcx_unix_accept(l, &c, 5000), want);
    if (c) {
        struct ipcx_cred cred;
        cr_assert_eq(ipcx_unix_peer_cred(c, &cred), 0);
        cr_assert_eq(cred.gid, NOBODY, "primary group");
        ipcx_unix_close(c);
    }
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
    ipcx_unix_close(l);
}

Test(peercred, policy_admits_by_supplementary_group)
{
    group_policy(4242, 4242, 0);
}

Test(peercred, policy_refuses_other_groups)
{
    group_policy(4242, 4343, IPCX_EPOLICY);
}

Test(peercred, policy_admits_by_primary_group)
{
    group_policy(0, NOBODY, 0);
}

struct word_arg {
    const char *addr;
    volatile int *go;
};

/* Child: connects, then exits with 7 once the parent sets the word (or after 10 s). */
static int connect_then_wait(void *arg)
{
    struct word_arg *w = arg;
    struct ipcx_unix *x;
    TSUP_CHILD_CHECK(ipcx_unix_connect(&x, w->addr, IPCX_UNIX_STREAM, NULL, 5000) == 0);
    int64_t end = tsup_now_ms() + 10000;
    while (!__atomic_load_n(w->go, __ATOMIC_ACQUIRE) && tsup_now_ms() < end)
        sleep_ms(1);
    return 7;
}

Test(peercred, pidfd_names_the_peer_and_reports_its_exit)
{
    volatile int *go = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq((void *)go, MAP_FAILED);
    struct ipcx_unix *a, *b;
    cr_assert_eq(ipcx_unix_pair(&a, &b, IPCX_UNIX_STREAM), 0);
    char addr[IPCX_UNIX_ADDR_MAX];
    abstract_name(addr, sizeof addr);
    struct ipcx_unix *l, *c;
    cr_assert_eq(ipcx_unix_listen(&l, addr, IPCX_UNIX_STREAM, NULL), 0);

    struct word_arg w = {addr, go};
    pid_t pid = tsup_fork(connect_then_wait, &w);
    cr_assert_gt(pid, 0);
    cr_assert_eq(ipcx_unix_accept(l, &c, 5000), 0);
    int pfd = ipcx_unix_peer_pidfd(c);
    cr_assert_geq(pfd, 0, "SO_PEERPIDFD: %s", ipcx_errname(pfd));
    cr_assert(fcntl(pfd, F_GETFD) & FD_CLOEXEC);

    /* The kernel's own account of which process the pidfd names. */
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pfd);
    FILE *f = fopen(path, "re");
    cr_assert_not_null(f);
    int named = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Pid: %d", &named) == 1)
            break;
    fclose(f);
    cr_assert_eq(named, pid);

    struct pollfd p = {.fd = pfd, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 0), 0, "alive: nothing to report");
    __atomic_store_n(go, 1, __ATOMIC_RELEASE);
    cr_assert_eq(poll(&p, 1, 5000), 1, "the pidfd reports the exit");
    cr_assert_eq(tsup_wait_exit(pid, 5000), 7);

    /* A pair's peer is ourselves. */
    struct ipcx_cred cred;
    cr_assert_eq(ipcx_unix_peer_cred(a, &cred), 0);
    cr_assert_eq(cred.pid, getpid());
    cr_assert_eq(cred.uid, getuid());
    int self = ipcx_unix_peer_pidfd(a);
    cr_assert_geq(self, 0);
    cr_assert_eq(ipcx_unix_peer_pidfd(l), IPCX_ENOTCONN, "a listener has no peer");
    cr_assert_eq(ipcx_unix_peer_cred(l, &cred), IPCX_ENOTCONN);
    cr_assert_eq(ipcx_unix_peer_cred(a, NULL), IPCX_EINVAL);
    cr_assert_eq(ipcx_unix_peer_pidfd(NULL), IPCX_EINVAL);
    close(self);
    close(pfd);
    ipcx_unix_close(c);
    ipcx_unix_close(l);
    ipcx_unix_close(a);
    ipcx_unix_close(b);
    munmap((void *)go, 4096);
}

Test(peercred, policy_decisions)
{
    uid_t me = geteuid();
    struct ipcx_cred self = {.pid = 1, .uid = me, .gid = getegid()};
    struct ipcx_cred other = {.pid = getpid(), .uid = 4000, .gid = 4001};
    struct ipcx_cred root = {.pid = 12345, .uid = 0, .gid = 0};

    cr_assert_eq(ipcx_cred_check(NULL, &self), 0, "default: same uid");
    cr_assert_eq(ipcx_cred_check(NULL, &other), IPCX_EPOLICY,
                 "default refuses other uids, whatever the pid");
    struct ipcx_cred_policy zero = {0};
    cr_assert_eq(ipcx_cred_check(&zero, &self), 0);
    cr_assert_eq(ipcx_cred_check(&zero, &other), IPCX_EPOLICY);
    struct ipcx_cred_policy any = {.flags = IPCX_CRED_ANY};
    cr_assert_eq(ipcx_cred_check(&any, &other), 0);

    uid_t u = 4000;
    gid_t g = 4001, g2 = 77;
    struct ipcx_cred_policy by_uid = {.uids = &u, .nuids = 1};
    cr_assert_eq(ipcx_cred_check(&by_uid, &other), 0);
    if (me != 4000)
        cr_assert_eq(ipcx_cred_check(&by_uid, &self), IPCX_EPOLICY, "a list replaces the default");
    by_uid.flags = IPCX_CRED_SAME_UID;
    cr_assert_eq(ipcx_cred_check(&by_uid, &self), 0, "unless SAME_UID adds it back");
    struct ipcx_cred_policy by_gid = {.gids = &g, .ngids = 1};
    cr_assert_eq(ipcx_cred_check(&by_gid, &other), 0);
    struct ipcx_cred_policy by_gid2 = {.gids = &g2, .ngids = 1};
    cr_assert_eq(ipcx_cred_check(&by_gid2, &other), IPCX_EPOLICY);
    if (me != 0) {
        cr_assert_eq(ipcx_cred_check(NULL, &root), IPCX_EPOLICY, "root is not special");
    }
    struct ipcx_cred_policy with_root = {.uids = &u, .nuids = 1, .flags = IPCX_CRED_ROOT};
    cr_assert_eq(ipcx_cred_check(&with_root, &root), 0);
    cr_assert_eq(ipcx_cred_check(&by_gid2, &root), IPCX_EPOLICY);

    struct ipcx_cred_policy bad1 = {.nuids = 1};
    struct ipcx_cred_policy bad2 = {.ngids = 3};
    struct ipcx_cred_policy bad3 = {.flags = 0x100};
    cr_assert_eq(ipcx_cred_check(&bad1, &self), IPCX_EINVAL);
    cr_assert_eq(ipcx_cred_check(&bad2, &self), IPCX_EINVAL);
    cr_assert_eq(ipcx_cred_check(&bad3, &self), IPCX_EINVAL);
    cr_assert_eq(ipcx_cred_check(NULL, NULL), IPCX_EINVAL);
}

/*
 * Makes getsockopt(..., SO_PEERPIDFD = 77, ...) fail with ENOPROTOOPT, as on
 * kernels before 6.5, for this process only.
 */
static int pretend_old_kernel(void)
{
    unsigned lo = offsetof(struct seccomp_data, args[2]) + (BYTE_ORDER == BIG_ENDIAN ? 4 : 0);
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getsockopt, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, lo),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 77, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOPROTOOPT),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static int pidfd_on_old_kernel(void *arg)
{
    (void)arg;
    struct ipcx_unix *a, *b;
    TSUP_CHILD_CHECK(ipcx_unix_pair(&a, &b, IPCX_UNIX_STREAM) == 0);
    int before = ipcx_unix_peer_pidfd(a);
    TSUP_CHILD_CHECK(before >= 0);
    close(before);
    TSUP_CHILD_CHECK(pretend_old_kernel() == 0);
    int base = tsup_fd_count();
    int rc = ipcx_unix_peer_pidfd(a);
    if (rc != IPCX_ENOTSUP)
        fprintf(stderr, "pidfd on an old kernel: %s\n", ipcx_errname(rc));
    TSUP_CHILD_CHECK(rc == IPCX_ENOTSUP);
    TSUP_CHILD_CHECK(tsup_fd_count() == base);
    struct ipcx_cred cred;
    TSUP_CHILD_CHECK(ipcx_unix_peer_cred(a, &cred) == 0 && cred.pid == getpid());
    TSUP_CHILD_CHECK(ipcx_unix_peer_check(a, NULL) == 0);
    ipcx_unix_close(a);
    ipcx_unix_close(b);
    return 0;
}

Test(peercred, without_so_peerpidfd_the_pidfd_is_not_supported_and_creds_still_work)
{
    pid_t pid = tsup_fork(pidfd_on_old_kernel, NULL);
    cr_assert_gt(pid, 0);
    cr_assert_eq(tsup_wait_exit(pid, 10000), 0);
}
