/* deliveries: the webhook outbox from the command line.
 *
 *   heraldd deliveries [-c FILE] [--all] [--json]
 *       pending, failed (pending after a failed attempt) and dead
 *       deliveries, oldest first (--all: delivered ones too), with their
 *       attempts and last error; disabled webhooks first.
 *   heraldd deliveries [-c FILE] --retry ID|all-dead
 *       makes a delivery (or every dead one) pending and due now.
 *   heraldd deliveries [-c FILE] --enable NAME
 *       enables a webhook disabled by a 410.
 *   heraldd webhook-test [-c FILE] NAME
 *       sends one signed "webhook.test" event to the webhook, at once.
 *
 * They open the configuration's database beside a running daemon (which
 * picks requeued deliveries and enabled webhooks up within a second).
 * Depends on app/config, app/webhook, store/, net/fetch.
 */
#ifndef HERALD_APP_DELIVERIES_H
#define HERALD_APP_DELIVERIES_H

#include <stdbool.h>
#include <stdio.h>

#include "app/config.h"

struct deliveries_opts {
    bool all, json;
    const char *retry;  /* "ID" or "all-dead", or NULL */
    const char *enable; /* a webhook name, or NULL */
};

/* Returns the process exit status (messages on stderr). */
int deliveries_cmd(const struct config *cfg, const struct deliveries_opts *o, FILE *out);
int webhook_test_cmd(const struct config *cfg, const char *name, FILE *out);

#endif
