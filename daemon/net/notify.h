/* notify: the systemd service protocols, without libsystemd.
 *
 * - sd_notify(3): one AF_UNIX SOCK_DGRAM datagram of newline-separated
 *   KEY=VALUE assignments ("READY=1", "STATUS=...", "WATCHDOG=1",
 *   "STOPPING=1") to $NOTIFY_SOCKET, a filesystem path ("/run/...") or an
 *   abstract name ("@name": the '@' becomes a NUL byte and the address
 *   length covers exactly the name, no trailing NUL). This is systemd's
 *   man/notify-selfcontained-example.c, and the protocol is one systemd
 *   guarantees to keep (systemd.io/PORTABILITY_AND_STABILITY).
 * - sd_watchdog_enabled(3): $WATCHDOG_USEC, honoured only when
 *   $WATCHDOG_PID is unset or names this process.
 * - sd_listen_fds(3): $LISTEN_PID / $LISTEN_FDS, the sockets passed from
 *   fd 3 on by socket activation.
 *
 * Nothing here keeps state or holds a socket between calls: a notification
 * opens, sends and closes its own socket, so it is safe from any thread and
 * costs one sendto(). Without $NOTIFY_SOCKET every call is a no-op, which
 * is the case outside systemd. Depends on libc only.
 */
#ifndef HERALD_NET_NOTIFY_H
#define HERALD_NET_NOTIFY_H

#include <stdint.h>

/* The first file descriptor passed by socket activation (SD_LISTEN_FDS_START). */
#define NOTIFY_LISTEN_FDS_START 3

/* Sends state (e.g. "READY=1\nSTATUS=42 feeds") as one datagram to
 * $NOTIFY_SOCKET. Returns 1 when sent, 0 when $NOTIFY_SOCKET is unset or
 * empty (not under systemd), or a negative errno: -EINVAL for a name too
 * long for sockaddr_un, -EAFNOSUPPORT for an address that is neither a
 * path nor '@' (e.g. systemd 253's "vsock:"), or what socket()/sendto()
 * reported (-ECONNREFUSED when nobody listens, -ENOENT for a missing path).
 * Never blocks: the datagram is sent with MSG_DONTWAIT. */
int notify_send(const char *state);

/* printf-style notify_send(); a message longer than 4095 bytes is cut. */
int notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads $WATCHDOG_USEC. Returns 1 and writes *ret_usec when the service
 * manager expects keep-alive pings from this process, 0 when it does not
 * ($WATCHDOG_USEC unset, or $WATCHDOG_PID names another process), or
 * -EINVAL when a variable is not a positive decimal number. */
int notify_watchdog_usec(uint64_t *ret_usec);

/* Socket activation: when $LISTEN_PID is this process, returns $LISTEN_FDS
 * (the sockets are fds NOTIFY_LISTEN_FDS_START.. onwards, each then marked
 * close-on-exec), otherwise 0; a malformed value gives -EINVAL. Either way
 * LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from the
 * environment, so they are read once and never passed to a child. */
int notify_listen_fds(void);

#endif
