/* webhook: new stories and feed events, delivered to HTTP endpoints.
 *
 * Routing. webhooks_route() is the store's event hook (store.h): while a
 * poll is stored it decides, inside the poll's transaction, which
 * [webhook] sections get which event, and queues one delivery per webhook
 * and event (the transactional outbox). A webhook gets a story event when
 * the entry's feed is in one of its outputs and passes that output's
 * filters; the event is story.new when, at that output's dedup level, the
 * entry starts a story (level none: every new entry; link: it shares no
 * canonical link with another feed's entry; story: it joined no story),
 * else story.source_added; an entry whose text changes is story.updated.
 * Feed events (feed.moved, feed.gone, feed.failing after failing_after
 * consecutive failed polls, feed.recovered at the first success after
 * that) go to the webhooks whose outputs carry the feed. Only the events a
 * webhook lists are queued.
 *
 * Delivery. The dispatcher drains each webhook's due deliveries, oldest
 * first, at most `concurrency` requests at once per webhook and `batch`
 * events per request, through the fetcher (curl on the loop; redirects are
 * not followed; not paced per site, but within the fetcher's global cap).
 * A 2xx delivers; 410 disables the webhook until `heraldd deliveries
 * --enable NAME` (its deliveries wait); anything else is retried after the
 * `retry` delays (+-10 % jitter), never before a Retry-After, until
 * max_attempts, then the delivery is dead (kept; `--retry` requeues it).
 * A failure pauses the whole webhook until that delivery's retry, which
 * then goes first, so a failing endpoint gets one request per retry, not
 * one per queued event. A kill at any moment loses nothing: what was not recorded as delivered
 * is sent again, under the same webhook-id (at least once).
 *
 * Requests (Standard Webhooks): POST, Content-Type application/json,
 * webhook-id (msg_..., the same on every attempt), webhook-timestamp (unix
 * seconds of this attempt), and with a secret webhook-signature: "v1,"
 * base64 HMAC-SHA256 of "ID.TIMESTAMP.BODY", keyed with the base64-decoded
 * part of a "whsec_" secret, else with the secret's bytes.
 *
 * Bodies by format: json, the event {"type","timestamp","data"} (several:
 * {"type":"batch","timestamp","data":{"events":[...]}}); slack {"text"};
 * discord {"content"} within 2,000 characters; ntfy {"topic","title",
 * "message","click"} POSTed to the server's root (the URL's last path
 * segment is the topic); template, the template file with {{field}}
 * placeholders replaced by the event's fields, escaped as JSON string
 * content.
 */
#ifndef HERALD_APP_WEBHOOK_H
#define HERALD_APP_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "app/config.h"
#include "base/buf.h"
#include "net/fetch.h"
#include "store/store.h"

struct webhooks;

/* Delivery attempts since start, by result (for /metrics). */
struct webhook_stats {
    uint64_t delivered; /* a 2xx */
    uint64_t failed;    /* to be retried */
    uint64_t dead;      /* the last attempt failed */
    uint64_t disabled;  /* a 410 disabled the endpoint */
};

/* Routing and dispatching for cfg's webhooks (borrowed: they must outlive
 * w). Returns 0 or -ENOMEM. With no webhook configured nothing runs. */
int webhooks_new(uv_loop_t *loop, struct store *store, struct fetcher *fetcher,
                 const struct config *cfg, struct webhooks **ret);
/* Where attempts are counted (owned by the caller, kept across reloads). */
void webhooks_set_stats(struct webhooks *w, struct webhook_stats *stats);
/* The store's event hook; ud is the struct webhooks. */
int webhooks_route(struct store *s, const struct store_event *ev, void *ud);
/* Starts the dispatcher (after the store's hook is set). */
int webhooks_start(struct webhooks *w);
/* Stops sending: no new request starts; requests in flight finish (or are
 * canceled with the fetcher, and then sent again after a restart). */
void webhooks_stop(struct webhooks *w);
/* Requests in flight. */
unsigned webhooks_inflight(const struct webhooks *w);
/* A reload's replacement takes over: stops sending, and once the requests
 * in flight are recorded, calls done(ud) and frees w. Start the
 * replacement from done, so that no delivery is sent by both. */
void webhooks_retire(struct webhooks *w, void (*done)(void *ud), void *ud);
/* Closes the timer, then frees w (on the loop's next turn). Requests in
 * flight must be over (canceled by closing the fetcher, or webhooks_retire()). */
void webhooks_close(struct webhooks *w);

/* ---- pieces, for the command line and tests ---- */

#define WEBHOOK_MSG_ID_LEN 31 /* "msg_" + 26 characters, and a NUL */

/* A new random webhook-id. Returns 0 or -EIO. */
int webhook_msg_id(char out[WEBHOOK_MSG_ID_LEN]);

/* The signature header's value for one attempt: "v1,<base64>". The secret
 * is a whsec_ secret or raw bytes. Returns 0, or -EINVAL for a whsec_
 * secret that is not base64. */
#define WEBHOOK_SIG_LEN (3 + BASE64_LEN(32) + 1)
int webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
                 size_t len, char out[WEBHOOK_SIG_LEN]);

/* The body of one request carrying n events (JSON payloads as queued) in
 * the webhook's format, at time now. Returns 0, -ENOMEM, or -EINVAL for a
 * payload that is not an event. */
int webhook_render(const struct webhook_conf *wc, const char *const *payloads, size_t n,
                   int64_t now, struct buf *out);

/* The payload of a "webhook.test" event for webhook_render(). Caller frees. */
char *webhook_test_payload(const struct webhook_conf *wc, int64_t now);

/* Checks a template's placeholders: NULL when fine, else a message in a
 * static buffer (the first unknown or unclosed placeholder). */
const char *webhook_template_check(const char *text);

/* The URL a request goes to (ntfy: the server's root) and, for ntfy, the
 * topic (else NULL). Returns 0, -ENOMEM, or -EINVAL for an ntfy URL
 * without a topic. Caller frees both. */
int webhook_target(const struct webhook_conf *wc, char **ret_url, char **ret_topic);

/* Starts one POST of body to the webhook (headers, signature, limits).
 * done runs as for fetch_start(). */
int webhook_post(struct fetcher *f, const struct webhook_conf *wc, const char *msg_id,
                 const char *body, size_t len, fetch_done_cb done, void *ud);

#endif
