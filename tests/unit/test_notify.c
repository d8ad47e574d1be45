/* test_notify: sd_notify, the watchdog and socket-activation variables.
 *
 * The notifications go to a real AF_UNIX datagram socket, bound once to a
 * path in a temporary folder and once to an abstract name, as systemd's
 * own socket is; the test reads the datagrams back and compares bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/notify.h"

struct listener {
    int fd;
    char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1]; /* NOTIFY_SOCKET value */
    char dir[64];
};

/* Binds a datagram socket: a path in a fresh folder, or an abstract name. */
static void listener_open(struct listener *l, int abstract)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    socklen_t len;

    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(l->fd >= 0);
    l->dir[0] = '\0';
    if (abstract) {
        snprintf(l->name, sizeof(l->name), "@herald-test-notify-%ld", (long)getpid());
        memcpy(sa.sun_path, l->name, strlen(l->name));
        sa.sun_path[0] = '\0';
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->name));
    } else {
        snprintf(l->dir, sizeof(l->dir), "/tmp/herald-notify-XXXXXX");
        assert_non_null(mkdtemp(l->dir));
        snprintf(l->name, sizeof(l->name), "%s/notify", l->dir);
        memcpy(sa.sun_path, l->name, strlen(l->name) + 1);
        len = sizeof(sa);
    }
    assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, len), 0);
    assert_int_equal(setenv("NOTIFY_SOCKET", l->name, 1), 0);
}

static void listener_close(struct listener *l)
{
    close(l->fd);
    if (l->dir[0]) {
        unlink(l->name);
        rmdir(l->dir);
    }
    unsetenv("NOTIFY_SOCKET");
}

/* Reads one datagram (waiting up to a second) into out; returns its length. */
static ssize_t listener_recv(struct listener *l, char *out, size_t cap)
{
    struct pollfd p = {.fd = l->fd, .events = POLLIN};
    ssize_t n;

    assert_int_equal(poll(&p, 1, 1000), 1);
    n = recv(l->fd, out, cap - 1, 0);
    assert_true(n >= 0);
    out[n] = '\0';
    return n;
}

static void expect_no_datagram(struct listener *l)
{
    struct pollfd p = {.fd = l->fd, .events = POLLIN};

    assert_int_equal(poll(&p, 1, 50), 0);
}

static void sends_to(int abstract)
{
    struct listener l;
    char got[8192];

    listener_open(&l, abstract);
    assert_int_equal(notify_send("READY=1\nSTATUS=3 feeds ok"), 1);
    assert_int_equal(listener_recv(&l, got, sizeof(got)), 25);
    assert_string_equal(got, "READY=1\nSTATUS=3 feeds ok");

    assert_int_equal(notify_sendf("STATUS=%d feeds, %s", 7, "1 failing"), 1);
    listener_recv(&l, got, sizeof(got));
    assert_string_equal(got, "STATUS=7 feeds, 1 failing");

    assert_int_equal(notify_send("WATCHDOG=1"), 1);
    listener_recv(&l, got, sizeof(got));
    assert_string_equal(got, "WATCHDOG=1");
    expect_no_datagram(&l);
    listener_close(&l);
}

static void test_path_socket(void **state)
{
    (void)state;
    sends_to(0);
}

static void test_abstract_socket(void **state)
{
    (void)state;
    sends_to(1);
}

/* The abstract address is exactly the name: a listener bound to the same
 * name plus a trailing NUL (what a sizeof(sockaddr_un) addrlen would reach)
 * must not receive it. */
static void test_abstract_exact_length(void **state)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char name[64];
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    (void)state;
    assert_true(fd >= 0);
    snprintf(name, sizeof(name), "@herald-test-exact-%ld", (long)getpid());
    memcpy(sa.sun_path, name, strlen(name));
    sa.sun_path[0] = '\0';
    /* Bound with the NUL terminator included in the name. */
    assert_int_equal(bind(fd, (struct sockaddr *)&sa,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name) + 1)),
                     0);
    setenv("NOTIFY_SOCKET", name, 1);
    assert_int_equal(notify_send("READY=1"), -ECONNREFUSED);
    unsetenv("NOTIFY_SOCKET");
    close(fd);
}

static void test_unset_is_noop(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(notify_send("READY=1"), 0);
    setenv("NOTIFY_SOCKET", "", 1);
    assert_int_equal(notify_send("READY=1"), 0);
    unsetenv("NOTIFY_SOCKET");
}

static void test_bad_addresses(void **state)
{
    char longname[200];

    (void)state;
    setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
    assert_int_equal(notify_send("READY=1"), -EAFNOSUPPORT);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[0] = '/';
    longname[sizeof(longname) - 1] = '\0';
    setenv("NOTIFY_SOCKET", longname, 1);
    assert_int_equal(notify_send("READY=1"), -EINVAL);
    setenv("NOTIFY_SOCKET", "@", 1);
    assert_int_equal(notify_send("READY=1"), -EINVAL);
    setenv("NOTIFY_SOCKET", "/nonexistent/herald/notify", 1);
    assert_int_equal(notify_send("READY=1"), -ENOENT);
    unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog(void **state)
{
    char pid[32];
    uint64_t usec = 0;

    (void)state;
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    assert_int_equal(notify_watchdog_usec(&usec), 0);

    setenv("WATCHDOG_USEC", "30000000", 1);
    assert_int_equal(notify_watchdog_usec(&usec), 1);
    assert_int_equal(usec, 30000000);

    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    usec = 0;
    assert_int_equal(notify_watchdog_usec(&usec), 1);
    assert_int_equal(usec, 30000000);

    /* Meant for another process (e.g. the shell that exec'd us). */
    snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1);
    usec = 7;
    assert_int_equal(notify_watchdog_usec(&usec), 0);
    assert_int_equal(usec, 7);

    setenv("WATCHDOG_PID", "12x", 1);
    assert_int_equal(notify_watchdog_usec(&usec), -EINVAL);
    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "0", 1);
    assert_int_equal(notify_watchdog_usec(&usec), -EINVAL);
    setenv("WATCHDOG_USEC", "-5", 1);
    assert_int_equal(notify_watchdog_usec(&usec), -EINVAL);
    setenv("WATCHDOG_USEC", "99999999999999999999999", 1);
    assert_int_equal(notify_watchdog_usec(&usec), -EINVAL);
    unsetenv("WATCHDOG_USEC");
}

static void test_listen_fds(void **state)
{
    char pid[32];
    int fds[2], saved[2];

    (void)state;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    assert_int_equal(notify_listen_fds(), 0);

    /* Two sockets at fd 3 and 4, as systemd passes them (cmocka and the
     * sanitizers may hold low fds: whatever is there is put back after). */
    for (int i = 0; i < 2; i++) {
        saved[i] = -1;
        if (fcntl(NOTIFY_LISTEN_FDS_START + i, F_GETFD) >= 0)
            saved[i] = fcntl(NOTIFY_LISTEN_FDS_START + i, F_DUPFD_CLOEXEC, 100);
    }
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(dup2(fds[i], NOTIFY_LISTEN_FDS_START + i), NOTIFY_LISTEN_FDS_START + i);
        /* Clear close-on-exec, as systemd passes them. */
        assert_int_equal(fcntl(NOTIFY_LISTEN_FDS_START + i, F_SETFD, 0), 0);
    }
    for (int i = 0; i < 2; i++) {
        if (fds[i] != NOTIFY_LISTEN_FDS_START && fds[i] != NOTIFY_LISTEN_FDS_START + 1)
            close(fds[i]);
    }

    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "2", 1);
    setenv("LISTEN_FDNAMES", "http:http", 1);
    assert_int_equal(notify_listen_fds(), 2);
    assert_null(getenv("LISTEN_PID"));
    assert_null(getenv("LISTEN_FDS"));
    assert_null(getenv("LISTEN_FDNAMES"));
    assert_true(fcntl(NOTIFY_LISTEN_FDS_START, F_GETFD) & FD_CLOEXEC);
    assert_true(fcntl(NOTIFY_LISTEN_FDS_START + 1, F_GETFD) & FD_CLOEXEC);
    /* Read once: a second call finds nothing. */
    assert_int_equal(notify_listen_fds(), 0);

    /* For another process: not ours, but still removed. */
    snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "1", 1);
    assert_int_equal(notify_listen_fds(), 0);
    assert_null(getenv("LISTEN_FDS"));

    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "one", 1);
    assert_int_equal(notify_listen_fds(), -EINVAL);
    assert_null(getenv("LISTEN_PID"));
    for (int i = 0; i < 2; i++) {
        close(NOTIFY_LISTEN_FDS_START + i);
        if (saved[i] >= 0) {
            dup2(saved[i], NOTIFY_LISTEN_FDS_START + i);
            close(saved[i]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_socket),
        cmocka_unit_test(test_abstract_socket),
        cmocka_unit_test(test_abstract_exact_length),
        cmocka_unit_test(test_unset_is_noop),
        cmocka_unit_test(test_bad_addresses),
        cmocka_unit_test(test_watchdog),
        cmocka_unit_test(test_listen_fds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
