/* daemon: heraldd's run mode. Owns the loop and everything on it: config,
 * store, fetcher, poller, publisher, HTTP listener and signal handlers.
 *
 * Start-up errors (bad config, database, listen address) are fatal with a
 * clear message. SIGINT/SIGTERM stop new polls and deliveries, let the ones
 * in flight finish and be stored for up to shutdown_timeout (a second
 * signal, or the deadline, cancels the rest: they are retried after the
 * restart), close the listener and the database, and return 0. SIGHUP
 * reloads the configuration (an invalid file changes nothing).
 */
#ifndef HERALD_APP_DAEMON_H
#define HERALD_APP_DAEMON_H

/* Returns the process exit status. */
int daemon_run(const char *config_path);

#endif
