/* webhook: see webhook.h. */
#include "app/webhook.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/utf8.h"
#include "feed/dedup.h"
#include "feed/model.h"
#include "feed/sanitize.h"

#define SUMMARY_CHARS     500  /* of plain text in a story event */
#define DISCORD_MAX_CHARS 2000 /* Discord's limit on content */
#define TICK_MS           1000 /* due deliveries are looked for this often */
#define PRUNE_AFTER       (7 * 86400)
#define MAX_BODY          (1u << 20)

/* ---- ids and signatures ------------------------------------------------------------ */

int webhook_msg_id(char out[WEBHOOK_MSG_ID_LEN])
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    unsigned char r[26];

    if (uv_random(NULL, NULL, r, sizeof(r), 0, NULL) < 0)
        return -EIO;
    memcpy(out, "msg_", 4);
    for (size_t i = 0; i < sizeof(r); i++)
        out[4 + i] = alphabet[r[i] % 36];
    out[4 + sizeof(r)] = '\0';
    return 0;
}

int webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
                 size_t len, char out[WEBHOOK_SIG_LEN])
{
    unsigned char key[1024], mac[HASH_HMAC_LEN];
    char ts[24];
    const void *parts[5];
    size_t lens[5];
    long key_len;
    int r;

    if (strncmp(secret, "whsec_", 6) == 0) {
        size_t n = strlen(secret + 6);
        if (n / 4 * 3 > sizeof(key))
            return -EINVAL;
        key_len = base64_decode(secret + 6, n, key);
        if (key_len <= 0)
            return -EINVAL;
    } else {
        key_len = (long)strlen(secret);
        if ((size_t)key_len > sizeof(key))
            return -EINVAL;
        memcpy(key, secret, (size_t)key_len);
    }
    snprintf(ts, sizeof(ts), "%lld", (long long)timestamp);
    parts[0] = msg_id, lens[0] = strlen(msg_id);
    parts[1] = ".", lens[1] = 1;
    parts[2] = ts, lens[2] = strlen(ts);
    parts[3] = ".", lens[3] = 1;
    parts[4] = body, lens[4] = len;
    r = hash_hmac_sha256(key, (size_t)key_len, parts, lens, 5, mac);
    explicit_bzero(key, sizeof(key));
    if (r < 0)
        return r;
    memcpy(out, "v1,", 3);
    base64_encode(mac, sizeof(mac), out + 3);
    return 0;
}

/* ---- event payloads ------------------------------------------------------------------ */

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : NULL; /* NULL for invalid UTF-8 too */

    return j ? j : json_null();
}

static json_t *jtime(int64_t t)
{
    char out[CLOCK_RFC3339_LEN];

    if (t == TIME_NONE || clock_format_rfc3339(t, out) < 0)
        return json_null();
    return json_string(out);
}

static json_t *feed_obj(const struct store_event *ev, const struct feed_conf *fc)
{
    return json_pack("{s:o, s:o, s:o}", "name", jstr(ev->feed_name), "title",
                     jstr(fc->title ? fc->title : ev->feed_title), "url", jstr(ev->feed_url));
}

static int add_source(const char *feed, const char *feed_title, const char *title, const char *link,
                      void *ud)
{
    json_t *src = json_pack("{s:o, s:o, s:o, s:o}", "feed", jstr(feed), "feed_title",
                            jstr(feed_title), "title", jstr(title), "link", jstr(link));

    return src && json_array_append_new(ud, src) == 0 ? 0 : -ENOMEM;
}

/* A story's sources: the entry alone when it starts the story, else every
 * entry of it (the new one last; at most 20). */
static json_t *sources_of(struct store *s, const struct store_event *ev, const struct feed_conf *fc)
{
    json_t *sources = json_array();
    int r;

    if (!sources)
        return NULL;
    if (ev->story_id && ev->story_id != ev->entry_id)
        r = store_story_sources(s, ev->story_id, 20, add_source, sources);
    else
        r = add_source(ev->feed_name, fc->title ? fc->title : ev->feed_title, ev->entry->title,
                       ev->entry->link, sources);
    if (r < 0) {
        json_decref(sources);
        return NULL;
    }
    return sources;
}

static json_t *story_obj(struct store *s, const struct store_event *ev, const struct feed_conf *fc)
{
    const struct entry *e = ev->entry;
    json_t *authors = json_array(), *sources = sources_of(s, ev, fc);
    char *summary = NULL, fallback[40];
    json_t *story;

    if (!authors || !sources)
        goto fail;
    for (size_t i = 0; i < e->n_authors; i++)
        if (e->authors[i].name && json_array_append_new(authors, jstr(e->authors[i].name)) < 0)
            goto fail;
    if (!e->n_authors && e->author && json_array_append_new(authors, jstr(e->author)) < 0)
        goto fail;
    if (sanitize_plain_text(e->summary ? e->summary : e->content, SUMMARY_CHARS, &summary) < 0)
        goto fail;
    snprintf(fallback, sizeof(fallback), "herald:entry:%lld", (long long)ev->entry_id);
    story = json_pack("{s:s, s:I, s:I, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o}", "id",
                      e->id     ? e->id
                      : e->link ? e->link
                                : fallback,
                      "entry_id", (json_int_t)ev->entry_id, "story_id",
                      (json_int_t)(ev->story_id ? ev->story_id : ev->entry_id), "title",
                      jstr(e->title), "link", jstr(e->link), "canonical_link", jstr(e->canon),
                      "summary", summary, "published", jtime(e->published), "updated",
                      jtime(e->updated), "authors", authors, "sources", sources);
    free(summary);
    return story;
fail:
    free(summary);
    json_decref(authors);
    json_decref(sources);
    return NULL;
}

/* The "data" of an event; NULL when out of memory. */
static json_t *event_data(struct store *s, const struct store_event *ev, const struct feed_conf *fc)
{
    json_t *data = json_object();

    if (!data || json_object_set_new(data, "feed", feed_obj(ev, fc)) < 0)
        goto fail;
    switch (ev->kind) {
    case STORE_EVENT_ENTRY_NEW:
    case STORE_EVENT_ENTRY_REVISED:
        if (json_object_set_new(data, "story", story_obj(s, ev, fc)) < 0)
            goto fail;
        break;
    case STORE_EVENT_FEED_MOVED:
        if (json_object_set_new(data, "moved_to", jstr(ev->moved_to)) < 0)
            goto fail;
        /* fall through */
    default:
        if (json_object_set_new(data, "status", json_integer(ev->status)) < 0 ||
            json_object_set_new(data, "error", jstr(ev->error)) < 0)
            goto fail;
        if (ev->kind == STORE_EVENT_POLL_FAILED &&
            json_object_set_new(data, "failures", json_integer(ev->errors)) < 0)
            goto fail;
    }
    return data;
fail:
    json_decref(data);
    return NULL;
}

static char *event_json(const char *type, int64_t at, json_t *data)
{
    json_t *ev = json_pack("{s:s, s:o, s:O}", "type", type, "timestamp", jtime(at), "data", data);
    char *s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

    json_decref(ev);
    return s;
}

char *webhook_test_payload(const struct webhook_conf *wc, int64_t now)
{
    char msg[160];
    json_t *data;
    char *s;

    snprintf(msg, sizeof(msg), "Test event from Herald for webhook %s", wc->name);
    data = json_pack("{s:s, s:s}", "webhook", wc->name, "message", msg);
    s = data ? event_json("webhook.test", now, data) : NULL;
    json_decref(data);
    return s;
}

/* ---- routing ---------------------------------------------------------------------------- */

struct endpoint {
    struct webhooks *w;
    const struct webhook_conf *wc;
    unsigned inflight;
    int64_t *busy; /* ids of the deliveries in flight */
    size_t n_busy, cap_busy;
    bool disabled;
    int64_t paused_until; /* after a failure: the failed delivery's retry time */
};

struct webhooks {
    uv_loop_t *loop;
    struct store *store;
    struct fetcher *fetcher;
    const struct config *cfg;
    void *md; /* pcre2 match data for output filters */
    struct endpoint *eps;
    size_t n_eps;
    uv_timer_t timer;
    bool started, stopping, retiring, closed;
    void (*retired)(void *ud); /* webhooks_retire()'s callback */
    void *retired_ud;
    unsigned inflight;
    struct webhook_stats *stats, own_stats;
    int64_t last_prune;
    uint64_t rng;
};

static void kick(struct webhooks *w);
static void maybe_close(struct webhooks *w);

/* Copies whole UTF-8 characters of src that fit in cap bytes (with a NUL). */
static void copy_utf8(char *dst, size_t cap, const char *src)
{
    size_t len = 0, n;

    while (src[len] && (n = utf8_decode((const unsigned char *)src + len, 4, NULL)) > 0 &&
           len + n < cap)
        len += n;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Which event (one enum webhook_event bit) ev is for the webhook; 0: none. */
static unsigned classify(struct webhooks *w, const struct webhook_conf *wc,
                         const struct feed_conf *fc, const struct store_event *ev)
{
    bool carried = false, accepted = false, starts = false;

    for (size_t i = 0; i < wc->n_outs; i++) {
        const struct output_conf *o = wc->outs[i];
        int level;

        if (!config_output_has_feed(o, fc))
            continue;
        carried = true;
        if (!ev->entry || !config_output_matches(o, ev->entry, w->md))
            continue;
        accepted = true;
        level = config_output_dedup(w->cfg, o);
        if (level == DEDUP_NONE || !ev->joined || (level == DEDUP_LINK && ev->joined[0] == 's'))
            starts = true;
    }
    switch (ev->kind) {
    case STORE_EVENT_ENTRY_NEW:
        return starts ? WEBHOOK_STORY_NEW : accepted ? WEBHOOK_STORY_SOURCE_ADDED : 0;
    case STORE_EVENT_ENTRY_REVISED:
        return accepted ? WEBHOOK_STORY_UPDATED : 0;
    case STORE_EVENT_FEED_MOVED:
        return carried ? WEBHOOK_FEED_MOVED : 0;
    case STORE_EVENT_FEED_GONE:
        return carried ? WEBHOOK_FEED_GONE : 0;
    case STORE_EVENT_POLL_FAILED:
        return carried && ev->errors == (int)w->cfg->failing_after ? WEBHOOK_FEED_FAILING : 0;
    case STORE_EVENT_POLL_OK:
        return carried && ev->errors_before >= (int)w->cfg->failing_after ? WEBHOOK_FEED_RECOVERED
                                                                          : 0;
    }
    return 0;
}

int webhooks_route(struct store *s, const struct store_event *ev, void *ud)
{
    struct webhooks *w = ud;
    const struct feed_conf *fc = config_find_feed(w->cfg, ev->feed_name);
    json_t *data = NULL;
    bool queued = false;
    int r = 0;

    if (!fc)
        return 0; /* no longer configured */
    for (size_t i = 0; i < w->n_eps && r == 0; i++) {
        const struct webhook_conf *wc = w->eps[i].wc;
        unsigned kind = classify(w, wc, fc, ev);
        const char *type = config_webhook_event_name(kind);
        char msg_id[WEBHOOK_MSG_ID_LEN], *payload;
        char title[300];

        if (!kind || !(wc->events & kind))
            continue;
        if (!data && !(data = event_data(s, ev, fc))) {
            r = -ENOMEM;
            break;
        }
        payload = event_json(type, ev->at, data);
        if (!payload) {
            r = -ENOMEM;
            break;
        }
        if (ev->entry)
            copy_utf8(title, sizeof(title), ev->entry->title ? ev->entry->title : "(untitled)");
        else {
            memcpy(title, "feed ", 5);
            copy_utf8(title + 5, sizeof(title) - 5, ev->feed_name);
        }
        r = webhook_msg_id(msg_id);
        if (r == 0) {
            struct store_delivery_new d = {
                .webhook = wc->name,
                .msg_id = msg_id,
                .event = type,
                .entry_id = ev->entry_id,
                .feed_id = ev->feed_id,
                .payload = payload,
                .title = title,
                .at = ev->at,
            };
            r = store_delivery_add(s, &d);
            queued = r == 0;
        }
        free(payload);
    }
    json_decref(data);
    /* Sent once the poll's transaction commits: the next loop turn. */
    if (queued)
        kick(w);
    return r;
}

/* ---- rendering -------------------------------------------------------------------------- */

/* What formats read from an event. */
struct fields {
    const char *type, *title, *link, *canonical_link, *summary, *id, *published, *updated;
    const char *feed, *feed_title, *feed_url, *error, *moved_to;
    char *message; /* one line for people (malloc'ed) */
};

static const char *get(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int read_fields(json_t *ev, struct fields *f)
{
    json_t *data = json_object_get(ev, "data");
    json_t *story = json_object_get(data, "story"), *feed = json_object_get(data, "feed");
    const char *name, *title;
    struct buf m;

    memset(f, 0, sizeof(*f));
    f->type = get(ev, "type");
    if (!f->type || !json_is_object(data))
        return -EINVAL;
    f->title = get(story, "title");
    f->link = get(story, "link");
    f->canonical_link = get(story, "canonical_link");
    f->summary = get(story, "summary");
    f->id = get(story, "id");
    f->published = get(story, "published");
    f->updated = get(story, "updated");
    f->feed = get(feed, "name");
    f->feed_title = get(feed, "title");
    f->feed_url = get(feed, "url");
    f->error = get(data, "error");
    f->moved_to = get(data, "moved_to");
    name = f->feed_title ? f->feed_title : f->feed ? f->feed : "?";
    title = f->title ? f->title : "(untitled)";
    buf_init(&m, MAX_BODY);
    if (strcmp(f->type, "webhook.test") == 0)
        buf_puts(&m, get(data, "message") ? get(data, "message") : "Herald test");
    else if (strcmp(f->type, "story.updated") == 0)
        buf_printf(&m, "Updated: %s", title);
    else if (strcmp(f->type, "story.source_added") == 0)
        buf_printf(&m, "%s (also in %s)", title, name);
    else if (strncmp(f->type, "story.", 6) == 0)
        buf_puts(&m, title);
    else if (strcmp(f->type, "feed.moved") == 0)
        buf_printf(&m, "Feed %s moved to %s", name, f->moved_to ? f->moved_to : "?");
    else if (strcmp(f->type, "feed.gone") == 0)
        buf_printf(&m, "Feed %s is gone: %s", name, f->error ? f->error : "HTTP 410");
    else if (strcmp(f->type, "feed.failing") == 0)
        buf_printf(&m, "Feed %s is failing: %s", name, f->error ? f->error : "?");
    else if (strcmp(f->type, "feed.recovered") == 0)
        buf_printf(&m, "Feed %s recovered", name);
    else
        buf_puts(&m, f->type);
    if (m.err)
        return m.err == -E2BIG ? -EINVAL : m.err;
    f->message = buf_steal(&m);
    return 0;
}

/* Slack's mrkdwn escapes: &, < and >. */
static void put_slack(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '&')
            buf_puts(b, "&amp;");
        else if (*s == '<')
            buf_puts(b, "&lt;");
        else if (*s == '>')
            buf_puts(b, "&gt;");
        else
            buf_putc(b, *s);
    }
}

static void slack_line(struct buf *b, const struct fields *f)
{
    if (f->link && strncmp(f->type, "story.", 6) == 0) {
        buf_putc(b, '<');
        put_slack(b, f->link);
        buf_putc(b, '|');
        put_slack(b, f->message);
        buf_puts(b, ">");
        if (f->feed_title || f->feed) {
            buf_puts(b, " \xE2\x80\x94 ");
            put_slack(b, f->feed_title ? f->feed_title : f->feed);
        }
    } else {
        put_slack(b, f->message);
    }
}

static void discord_line(struct buf *b, const struct fields *f)
{
    if (strncmp(f->type, "story.", 6) == 0) {
        buf_printf(b, "**%s**", f->message);
        if (f->feed_title || f->feed)
            buf_printf(b, " \xE2\x80\x94 %s", f->feed_title ? f->feed_title : f->feed);
        if (f->link)
            buf_printf(b, "\n%s", f->link);
    } else {
        buf_puts(b, f->message);
    }
}

/* Cuts s to at most max characters (code points), ending in "…" when cut. */
static void cut_chars(struct buf *b, size_t max)
{
    size_t chars = 0, i = 0, keep = 0;

    while (i < b->len) {
        size_t n = utf8_decode((const unsigned char *)b->data + i, b->len - i, NULL);
        i += n ? n : 1;
        if (++chars == max - 1)
            keep = i;
    }
    if (chars > max) {
        b->len = keep;
        b->data[b->len] = '\0';
        buf_puts(b, "\xE2\x80\xA6");
    }
}

static const char *const template_fields[] = {
    "type",    "title", "link",       "canonical_link", "summary", "id",       "published",
    "updated", "feed",  "feed_title", "feed_url",       "error",   "moved_to", "message",
};

static const char *field_value(const struct fields *f, const char *name, size_t n)
{
    const char *v[] = {f->type,     f->title,     f->link,     f->canonical_link, f->summary,
                       f->id,       f->published, f->updated,  f->feed,           f->feed_title,
                       f->feed_url, f->error,     f->moved_to, f->message};

    for (size_t i = 0; i < sizeof(template_fields) / sizeof(template_fields[0]); i++)
        if (strlen(template_fields[i]) == n && strncmp(template_fields[i], name, n) == 0)
            return v[i] ? v[i] : "";
    return NULL;
}

const char *webhook_template_check(const char *text)
{
    static _Thread_local char msg[160];
    struct fields none = {0};

    for (const char *p = strstr(text, "{{"); p; p = strstr(p, "{{")) {
        const char *end = strstr(p + 2, "}}");
        const char *name = p + 2;
        size_t n;

        if (!end) {
            snprintf(msg, sizeof(msg), "a placeholder is not closed with }}");
            return msg;
        }
        while (*name == ' ')
            name++;
        n = (size_t)(end - name);
        while (n && name[n - 1] == ' ')
            n--;
        if (!field_value(&none, name, n)) {
            snprintf(msg, sizeof(msg),
                     "unknown placeholder {{%.*s}} (type, title, link, canonical_link, summary, "
                     "id, published, updated, feed, feed_title, feed_url, error, moved_to, "
                     "message)",
                     (int)(n > 40 ? 40 : n), name);
            return msg;
        }
        p = end + 2;
    }
    return NULL;
}

/* Writes s escaped as the content of a JSON string. */
static void put_json_text(struct buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            buf_printf(b, "\\%c", c);
        else if (c == '\n')
            buf_puts(b, "\\n");
        else if (c == '\r')
            buf_puts(b, "\\r");
        else if (c == '\t')
            buf_puts(b, "\\t");
        else if (c < 0x20 || c == 0x7f)
            buf_printf(b, "\\u%04x", c);
        else
            buf_putc(b, (char)c);
    }
}

static int render_template(const char *text, const struct fields *f, struct buf *out)
{
    const char *p = text, *q;

    while ((q = strstr(p, "{{"))) {
        const char *end = strstr(q + 2, "}}"), *name = q + 2, *v;
        size_t n;

        if (!end)
            return -EINVAL;
        while (*name == ' ')
            name++;
        n = (size_t)(end - name);
        while (n && name[n - 1] == ' ')
            n--;
        v = field_value(f, name, n);
        if (!v)
            return -EINVAL;
        buf_append(out, p, (size_t)(q - p));
        put_json_text(out, v);
        p = end + 2;
    }
    buf_puts(out, p);
    return 0;
}

/* Appends a JSON value to out as compact text. */
static int put_json(struct buf *out, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    int r = s ? buf_puts(out, s) : -ENOMEM;

    free(s);
    json_decref(j);
    return r;
}

int webhook_render(const struct webhook_conf *wc, const char *const *payloads, size_t n,
                   int64_t now, struct buf *out)
{
    json_t **evs = calloc(n ? n : 1, sizeof(*evs));
    struct fields *fs = calloc(n ? n : 1, sizeof(*fs));
    struct buf text;
    int r = 0;

    buf_init(&text, MAX_BODY);
    if (!evs || !fs) {
        r = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n && r == 0; i++) {
        evs[i] = json_loads(payloads[i], 0, NULL);
        r = evs[i] ? read_fields(evs[i], &fs[i]) : -EINVAL;
    }
    if (r < 0 || n == 0) {
        r = r < 0 ? r : -EINVAL;
        goto out;
    }
    switch (wc->format) {
    case WEBHOOK_JSON:
        if (n == 1) {
            buf_puts(out, payloads[0]);
        } else {
            json_t *list = json_array();
            for (size_t i = 0; list && i < n; i++)
                json_array_append(list, evs[i]);
            r = put_json(out, json_pack("{s:s, s:o, s:{s:o}}", "type", "batch", "timestamp",
                                        jtime(now), "data", "events", list));
        }
        break;
    case WEBHOOK_SLACK:
        for (size_t i = 0; i < n; i++) {
            if (i)
                buf_putc(&text, '\n');
            slack_line(&text, &fs[i]);
        }
        r = text.err ? text.err : put_json(out, json_pack("{s:s}", "text", buf_cstr(&text)));
        break;
    case WEBHOOK_DISCORD:
        for (size_t i = 0; i < n; i++) {
            if (i)
                buf_puts(&text, "\n\n");
            discord_line(&text, &fs[i]);
        }
        if (!text.err)
            cut_chars(&text, DISCORD_MAX_CHARS);
        r = text.err ? text.err : put_json(out, json_pack("{s:s}", "content", buf_cstr(&text)));
        break;
    case WEBHOOK_NTFY: {
        char *url = NULL, *topic = NULL;
        const char *title, *click = n == 1 ? fs[0].link : NULL;
        char many[64];

        r = webhook_target(wc, &url, &topic);
        free(url);
        if (r < 0)
            break;
        if (n == 1 && strncmp(fs[0].type, "story.", 6) == 0) {
            title = fs[0].message;
            buf_puts(&text, fs[0].summary && *fs[0].summary ? fs[0].summary
                            : fs[0].link                    ? fs[0].link
                                                            : fs[0].message);
        } else {
            snprintf(many, sizeof(many), n == 1 ? "Herald" : "Herald: %zu events", n);
            title = many;
            for (size_t i = 0; i < n; i++) {
                if (i)
                    buf_putc(&text, '\n');
                buf_puts(&text, fs[i].message);
            }
        }
        if (text.err) {
            r = text.err;
        } else {
            json_t *j = json_pack("{s:s, s:s, s:s}", "topic", topic, "title", title, "message",
                                  buf_cstr(&text));
            if (j && click)
                json_object_set_new(j, "click", json_string(click));
            r = put_json(out, j);
        }
        free(topic);
        break;
    }
    case WEBHOOK_TEMPLATE:
        r = n == 1 && wc->template_text ? render_template(wc->template_text, &fs[0], out) : -EINVAL;
        break;
    }
    if (r == 0 && out->err)
        r = out->err;
out:
    for (size_t i = 0; evs && i < n; i++)
        json_decref(evs[i]);
    for (size_t i = 0; fs && i < n; i++)
        free(fs[i].message);
    free(evs);
    free(fs);
    buf_release(&text);
    return r;
}

/* ---- requests --------------------------------------------------------------------------- */

int webhook_target(const struct webhook_conf *wc, char **ret_url, char **ret_topic)
{
    const char *u = wc->url, *host, *slash, *end;

    *ret_topic = NULL;
    if (wc->format != WEBHOOK_NTFY) {
        *ret_url = strdup(u);
        return *ret_url ? 0 : -ENOMEM;
    }
    /* http(s)://host[:port]/.../TOPIC: POST to everything up to TOPIC. */
    host = strstr(u, "://");
    host = host ? host + 3 : u;
    end = host + strcspn(host, "?#");
    slash = memchr(host, '/', (size_t)(end - host));
    if (!slash)
        return -EINVAL;
    for (const char *p = slash; p < end; p++)
        if (*p == '/')
            slash = p;
    if (slash + 1 >= end)
        return -EINVAL;
    *ret_url = strndup(u, (size_t)(slash + 1 - u));
    *ret_topic = strndup(slash + 1, (size_t)(end - slash - 1));
    if (!*ret_url || !*ret_topic) {
        free(*ret_url);
        free(*ret_topic);
        return -ENOMEM;
    }
    return 0;
}

int webhook_post(struct fetcher *f, const struct webhook_conf *wc, const char *msg_id,
                 const char *body, size_t len, fetch_done_cb done, void *ud)
{
    char id_h[WEBHOOK_MSG_ID_LEN + 16], ts_h[48], sig[WEBHOOK_SIG_LEN], sig_h[WEBHOOK_SIG_LEN + 24];
    const char **headers = calloc(wc->n_headers + 6, sizeof(*headers));
    int64_t now = clock_now();
    char *url = NULL, *topic = NULL;
    size_t k = 0;
    int r;

    if (!headers)
        return -ENOMEM;
    r = webhook_target(wc, &url, &topic);
    if (r < 0)
        goto out;
    headers[k++] = "Content-Type: application/json";
    snprintf(id_h, sizeof(id_h), "webhook-id: %s", msg_id);
    snprintf(ts_h, sizeof(ts_h), "webhook-timestamp: %lld", (long long)now);
    headers[k++] = id_h;
    headers[k++] = ts_h;
    if (wc->secret) {
        r = webhook_sign(wc->secret, msg_id, now, body, len, sig);
        if (r < 0)
            goto out;
        snprintf(sig_h, sizeof(sig_h), "webhook-signature: %s", sig);
        headers[k++] = sig_h;
    }
    for (size_t i = 0; i < wc->n_headers; i++)
        headers[k++] = wc->headers[i];
    headers[k] = NULL;
    {
        struct fetch_request req = {
            .url = url,
            .headers = headers,
            .body = body,
            .body_len = len,
            .no_redirects = true,
            .own_pace = true,
            .timeout_ms = (long)wc->timeout,
        };
        r = fetch_start(f, &req, done, ud);
    }
out:
    explicit_bzero(sig_h, sizeof(sig_h));
    free(url);
    free(topic);
    free(headers);
    return r;
}

/* ---- the dispatcher --------------------------------------------------------------------- */

struct request {
    struct endpoint *ep;
    int64_t *ids;
    size_t n;
    int attempts; /* before this one */
};

static uint64_t next_random(struct webhooks *w)
{
    /* splitmix64 */
    uint64_t z = (w->rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static bool is_busy(const struct endpoint *ep, int64_t id)
{
    for (size_t i = 0; i < ep->n_busy; i++)
        if (ep->busy[i] == id)
            return true;
    return false;
}

static int mark_busy(struct endpoint *ep, const int64_t *ids, size_t n)
{
    if (ep->n_busy + n > ep->cap_busy) {
        size_t cap = (ep->n_busy + n) * 2;
        int64_t *b = realloc(ep->busy, cap * sizeof(*b));
        if (!b)
            return -ENOMEM;
        ep->busy = b;
        ep->cap_busy = cap;
    }
    memcpy(ep->busy + ep->n_busy, ids, n * sizeof(*ids));
    ep->n_busy += n;
    return 0;
}

static void unmark_busy(struct endpoint *ep, const int64_t *ids, size_t n)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < ep->n_busy; i++)
            if (ep->busy[i] == ids[k]) {
                ep->busy[i] = ep->busy[--ep->n_busy];
                break;
            }
}

static void request_free(struct request *q)
{
    if (q) {
        free(q->ids);
        free(q);
    }
}

/* When the next attempt after a failure may be. */
static int64_t retry_at(struct webhooks *w, const struct webhook_conf *wc, int attempts_done,
                        const struct fetch_result *res, int64_t now)
{
    size_t i =
        (size_t)(attempts_done - 1) < wc->n_retry ? (size_t)(attempts_done - 1) : wc->n_retry - 1;
    int64_t delay = wc->retry[i], spread = delay / 10;
    int64_t at;

    if (spread > 0)
        delay += (int64_t)(next_random(w) % (uint64_t)(2 * spread + 1)) - spread;
    at = now + (delay > 0 ? delay : 1);
    if ((res->status == 429 || res->status == 503) && res->retry_after > at)
        at = res->retry_after < now + 7 * 86400 ? res->retry_after : now + 7 * 86400;
    return at;
}

static void on_sent(const struct fetch_result *res, void *ud)
{
    struct request *q = ud;
    struct endpoint *ep = q->ep;
    struct webhooks *w = ep->w;
    const struct webhook_conf *wc = ep->wc;
    int64_t now = clock_now();
    struct store_attempt a = {.at = now, .status = (int)res->status};
    char err[300];
    int r;

    ep->inflight--;
    w->inflight--;
    unmark_busy(ep, q->ids, q->n);
    if (res->error == FETCH_ERR_CANCELED) {
        /* Shutting down: they stay pending and go out after the restart. */
        request_free(q);
        maybe_close(w);
        return;
    }
    if (res->error == FETCH_OK && res->status >= 200 && res->status < 300) {
        a.outcome = STORE_DELIVERY_DELIVERED;
        w->stats->delivered++;
        log_debug("WEBHOOK", "%s: delivered %zu event(s), HTTP %ld", wc->name, q->n, res->status);
    } else {
        if (res->error != FETCH_OK)
            snprintf(err, sizeof(err), "%s", res->errmsg);
        else
            snprintf(err, sizeof(err), "HTTP %ld", res->status);
        a.error = err;
        if (res->error == FETCH_OK && res->status == 410) {
            ep->disabled = true;
            w->stats->disabled++;
            a.outcome = STORE_DELIVERY_RETRY;
            a.next_attempt = now;
            log_warn("WEBHOOK",
                     "%s: HTTP 410 Gone: webhook disabled (heraldd deliveries --enable %s"
                     " sends its deliveries again)",
                     wc->name, wc->name);
            if (store_webhook_disable(w->store, wc->name, now, "HTTP 410 Gone") < 0)
                log_error("WEBHOOK", "%s: cannot record that it is disabled: %s", wc->name,
                          store_errmsg(w->store));
        } else if (q->attempts + 1 >= wc->max_attempts) {
            a.outcome = STORE_DELIVERY_DEAD;
            w->stats->dead++;
            log_error("WEBHOOK", "%s: %s; delivery #%lld is dead after %d attempts", wc->name, err,
                      (long long)q->ids[0], q->attempts + 1);
        } else {
            a.outcome = STORE_DELIVERY_RETRY;
            w->stats->failed++;
            a.next_attempt = retry_at(w, wc, q->attempts + 1, res, now);
            /* The endpoint is failing: nothing more goes to it until the
             * failed delivery's retry, which then goes first (oldest). */
            ep->paused_until = a.next_attempt;
            log_warn("WEBHOOK", "%s: %s; attempt %d of %lld, next in %llds", wc->name, err,
                     q->attempts + 1, (long long)wc->max_attempts,
                     (long long)(a.next_attempt - now));
        }
    }
    r = store_deliveries_attempted(w->store, q->ids, q->n, &a);
    if (r < 0)
        /* Not recorded: the delivery stays pending as it was and is sent
         * again (at least once). */
        log_error("WEBHOOK", "%s: cannot record a delivery attempt: %s", wc->name,
                  store_errmsg(w->store));
    request_free(q);
    kick(w);
    maybe_close(w);
}

/* Picks the next request of ep (its rows in *rows) and sends it. Returns
 * 1 when one started, 0 when nothing is due, or a negative errno. */
static int start_one(struct endpoint *ep, int64_t now)
{
    struct webhooks *w = ep->w;
    const struct webhook_conf *wc = ep->wc;
    struct store_delivery *due = NULL, *rows = NULL;
    size_t n_due = 0, n_rows = 0, first = SIZE_MAX;
    struct request *q = NULL;
    const char **payloads = NULL;
    struct buf body;
    int r;

    buf_init(&body, MAX_BODY);
    r = store_deliveries_due(w->store, wc->name, now, ep->n_busy + (size_t)wc->batch, &due, &n_due);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < n_due && first == SIZE_MAX; i++)
        if (!is_busy(ep, due[i].id))
            first = i;
    if (first == SIZE_MAX)
        goto out; /* r = 0: nothing */
    q = calloc(1, sizeof(*q));
    if (!q || !(q->ids = calloc((size_t)wc->batch, sizeof(*q->ids))) ||
        !(payloads = calloc((size_t)wc->batch, sizeof(*payloads)))) {
        r = -ENOMEM;
        goto out;
    }
    q->ep = ep;
    q->attempts = due[first].attempts;
    if (due[first].batch) {
        /* A batch that went out before: the same deliveries again. */
        r = store_deliveries_batch(w->store, due[first].batch, &rows, &n_rows);
        if (r < 0)
            goto out;
        for (size_t i = 0; i < n_rows && q->n < (size_t)wc->batch; i++) {
            q->ids[q->n] = rows[i].id;
            payloads[q->n++] = rows[i].payload;
        }
    } else {
        for (size_t i = first; i < n_due && q->n < (size_t)wc->batch; i++) {
            if (is_busy(ep, due[i].id) || due[i].batch)
                continue;
            q->ids[q->n] = due[i].id;
            payloads[q->n++] = due[i].payload;
        }
        /* Fixed now, so that a retry resends the same events under the same id. */
        if (wc->batch > 1 && (r = store_deliveries_set_batch(w->store, q->ids, q->n)) < 0)
            goto out;
    }
    if (q->n == 0)
        goto out;
    r = webhook_render(wc, payloads, q->n, now, &body);
    if (r == -EINVAL) {
        struct store_attempt a = {.at = now,
                                  .error = "the queued event cannot be rendered",
                                  .outcome = STORE_DELIVERY_DEAD};
        log_error("WEBHOOK", "%s: delivery #%lld cannot be rendered in its format: dead", wc->name,
                  (long long)q->ids[0]);
        r = store_deliveries_attempted(w->store, q->ids, q->n, &a);
        goto out;
    }
    if (r < 0)
        goto out;
    r = mark_busy(ep, q->ids, q->n);
    if (r == 0)
        r = webhook_post(w->fetcher, wc, due[first].msg_id, body.data, body.len, on_sent, q);
    if (r < 0) {
        unmark_busy(ep, q->ids, q->n);
        goto out;
    }
    ep->inflight++;
    w->inflight++;
    q = NULL;
    r = 1;
out:
    if (r < 0)
        log_error("WEBHOOK", "%s: cannot send: %s", wc->name,
                  r == -ENOMEM ? "out of memory" : store_errmsg(w->store));
    request_free(q);
    free(payloads);
    store_deliveries_free(due, n_due);
    store_deliveries_free(rows, n_rows);
    buf_release(&body);
    return r;
}

static void dispatch(uv_timer_t *t)
{
    struct webhooks *w = t->data;
    int64_t now = clock_now();

    if (w->stopping)
        return;
    for (size_t i = 0; i < w->n_eps; i++) {
        struct endpoint *ep = &w->eps[i];

        if (ep->disabled) {
            /* Enabled again from the command line? */
            int64_t at;
            if (store_webhook_disabled(w->store, ep->wc->name, &at, NULL) != 0)
                continue;
            ep->disabled = false;
            log_info("WEBHOOK", "%s: enabled again", ep->wc->name);
        }
        while (ep->inflight < (unsigned)ep->wc->concurrency && !ep->disabled &&
               now >= ep->paused_until && start_one(ep, now) > 0)
            ;
    }
    if (now - w->last_prune > 3600) {
        w->last_prune = now;
        if (store_deliveries_prune(w->store, now - PRUNE_AFTER) < 0)
            log_warn("WEBHOOK", "cannot prune delivered webhooks: %s", store_errmsg(w->store));
    }
}

static void kick(struct webhooks *w)
{
    if (w->started && !w->stopping)
        uv_timer_start(&w->timer, dispatch, 0, TICK_MS);
}

int webhooks_new(uv_loop_t *loop, struct store *store, struct fetcher *fetcher,
                 const struct config *cfg, struct webhooks **ret)
{
    struct webhooks *w = calloc(1, sizeof(*w));

    if (!w)
        return -ENOMEM;
    w->loop = loop;
    w->stats = &w->own_stats;
    w->store = store;
    w->fetcher = fetcher;
    w->cfg = cfg;
    w->md = config_match_data();
    w->eps = calloc(cfg->n_webhooks ? cfg->n_webhooks : 1, sizeof(*w->eps));
    uv_random(NULL, NULL, &w->rng, sizeof(w->rng), 0, NULL);
    if (!w->md || !w->eps) {
        config_match_data_free(w->md);
        free(w->eps);
        free(w);
        return -ENOMEM;
    }
    for (size_t i = 0; i < cfg->n_webhooks; i++)
        w->eps[w->n_eps++] = (struct endpoint){.w = w, .wc = &cfg->webhooks[i]};
    uv_timer_init(loop, &w->timer);
    w->timer.data = w;
    *ret = w;
    return 0;
}

void webhooks_set_stats(struct webhooks *w, struct webhook_stats *stats)
{
    w->stats = stats;
}

int webhooks_start(struct webhooks *w)
{
    for (size_t i = 0; i < w->n_eps; i++) {
        struct endpoint *ep = &w->eps[i];
        char *reason = NULL;
        int64_t at;
        int r = store_webhook_disabled(w->store, ep->wc->name, &at, &reason);

        if (r < 0)
            return r;
        if (r == 1) {
            ep->disabled = true;
            log_warn("WEBHOOK", "%s: disabled since %lld (%s); heraldd deliveries --enable %s",
                     ep->wc->name, (long long)at, reason ? reason : "?", ep->wc->name);
        }
        free(reason);
    }
    w->started = w->n_eps > 0;
    kick(w);
    return 0;
}

void webhooks_stop(struct webhooks *w)
{
    w->stopping = true;
    uv_timer_stop(&w->timer);
}

unsigned webhooks_inflight(const struct webhooks *w)
{
    return w->inflight;
}

static void on_closed(uv_handle_t *h)
{
    struct webhooks *w = h->data;

    if (w->retired)
        w->retired(w->retired_ud);
    for (size_t i = 0; i < w->n_eps; i++)
        free(w->eps[i].busy);
    free(w->eps);
    config_match_data_free(w->md);
    free(w);
}

void webhooks_close(struct webhooks *w)
{
    if (!w || w->closed)
        return;
    webhooks_stop(w);
    w->closed = true;
    uv_close((uv_handle_t *)&w->timer, on_closed);
}

static void maybe_close(struct webhooks *w)
{
    if (w->retiring && w->inflight == 0)
        webhooks_close(w);
}

void webhooks_retire(struct webhooks *w, void (*done)(void *ud), void *ud)
{
    webhooks_stop(w);
    w->retiring = true;
    w->retired = done;
    w->retired_ud = ud;
    maybe_close(w);
}
