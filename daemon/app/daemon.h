/* daemon: heraldd's run mode. Owns the loop and everything on it: config,
 * store, fetcher, poller, publisher, HTTP listener and signal handlers.
 *
 * Start-up errors (bad config, database, listen address) are fatal with a
 * clear message. SIGINT/SIGTERM stop polling, cancel transfers in flight
 * (a store transaction always runs to its end: it is synchronous on the
 * loop), close the listener and the database, and return 0.
 */
#ifndef HERALD_APP_DAEMON_H
#define HERALD_APP_DAEMON_H

/* Returns the process exit status. */
int daemon_run(const char *config_path);

#endif
