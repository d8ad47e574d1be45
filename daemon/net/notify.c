/* notify: see notify.h. */
#include "net/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Parses a decimal number of digits only (no sign, no spaces, no
 * suffix). Returns 0 or -EINVAL (also on overflow). */
static int parse_u64(const char *s, uint64_t *ret)
{
    uint64_t v = 0;

    if (!s || !*s)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *ret = v;
    return 0;
}

/* Fills *sa from $NOTIFY_SOCKET's value; returns the exact address length
 * or a negative errno. */
static int notify_address(const char *name, struct sockaddr_un *sa)
{
    size_t len = strlen(name);

    if (name[0] != '/' && name[0] != '@')
        return -EAFNOSUPPORT;
    if (len < 2 || len > sizeof(sa->sun_path) - (name[0] == '/'))
        return -EINVAL;
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, name, len);
    if (name[0] == '@') {
        /* Abstract: the length counts the name's bytes, no terminator. */
        sa->sun_path[0] = '\0';
        return (int)(offsetof(struct sockaddr_un, sun_path) + len);
    }
    return (int)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

int notify_send(const char *state)
{
    const char *name = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    int fd, len, r = 1;

    if (!name || !*name)
        return 0;
    len = notify_address(name, &sa);
    if (len < 0)
        return len;
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&sa,
               (socklen_t)len) < 0)
        r = -errno;
    close(fd);
    return r;
}

int notify_sendf(const char *fmt, ...)
{
    char msg[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return notify_send(msg);
}

/* 1 when $var is unset or names this process, 0 when it names another,
 * -EINVAL when it is not a number. */
static int pid_is_ours(const char *var)
{
    const char *s = getenv(var);
    uint64_t pid;

    if (!s)
        return 1;
    if (parse_u64(s, &pid) < 0 || pid == 0)
        return -EINVAL;
    return pid == (uint64_t)getpid();
}

int notify_watchdog_usec(uint64_t *ret_usec)
{
    const char *s = getenv("WATCHDOG_USEC");
    uint64_t usec;
    int r;

    if (!s)
        return 0;
    if (parse_u64(s, &usec) < 0 || usec == 0)
        return -EINVAL;
    r = pid_is_ours("WATCHDOG_PID");
    if (r <= 0)
        return r;
    *ret_usec = usec;
    return 1;
}

static void unset_listen_env(void)
{
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
}

int notify_listen_fds(void)
{
    const char *fds = getenv("LISTEN_FDS");
    uint64_t n;
    int r;

    if (!getenv("LISTEN_PID")) {
        unset_listen_env();
        return 0;
    }
    r = pid_is_ours("LISTEN_PID");
    if (r > 0 && (parse_u64(fds, &n) < 0 || n > (uint64_t)(INT32_MAX - NOTIFY_LISTEN_FDS_START)))
        r = -EINVAL;
    if (r > 0) {
        for (int fd = NOTIFY_LISTEN_FDS_START; fd < NOTIFY_LISTEN_FDS_START + (int)n; fd++) {
            int flags = fcntl(fd, F_GETFD);

            if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
                r = -errno;
                break;
            }
        }
        if (r > 0)
            r = (int)n;
    }
    unset_listen_env();
    return r;
}
