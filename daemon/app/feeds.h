/* feeds: `heraldd feeds`, the status of every configured feed, read from
 * the database the configuration names (opened read-only, so it works
 * while the daemon runs).
 *
 * One line per configured feed, in the configuration's order: name, URL in
 * use, state (ok, error, backing off, gone, disabled; "new" before the
 * first poll), last fetch, last status, last error (class and message,
 * truncated), next poll, entries, the share of polls answered 304 or with
 * an unchanged body, bytes saved, 429s seen, and the effective interval
 * (next poll - last poll) beside the longest server or document hint.
 * As aligned text, or as a JSON array with --json. Depends on app/config,
 * store/ and base/.
 */
#ifndef HERALD_APP_FEEDS_H
#define HERALD_APP_FEEDS_H

#include <stdbool.h>
#include <stdio.h>

#include "app/config.h"

/* Prints the table (or JSON) to out at time now. Returns the process exit
 * status: 0, or 1 when the database cannot be read (message on stderr). */
int feeds_print(const struct config *cfg, bool json, int64_t now, FILE *out);

/* The table's columns, and its cells (n_feeds rows of FEEDS_COLUMNS plain
 * text cells, cut to width) read from an open store, for the status page.
 * Returns 0 or a negative errno; free with feeds_cells_free(). */
#define FEEDS_COLUMNS 13
extern const char *const feeds_headings[FEEDS_COLUMNS];
struct store;
int feeds_cells(const struct config *cfg, struct store *s, int64_t now, char ***ret);
void feeds_cells_free(char **cells, size_t n_feeds);

#endif
