/* Unit tests for app/webhook: Standard Webhooks signatures, base64, message
 * ids, the request bodies of every format, templates, ntfy targets, and
 * sanitize_plain_text() (the summaries of story events). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "app/config.h"
#include "app/webhook.h"
#include "base/buf.h"
#include "base/hash.h"
#include "base/utf8.h"
#include "feed/sanitize.h"

#define NOW 1767323045 /* 2026-01-02T03:04:05Z */

/* ---- helpers -------------------------------------------------------------------- */

/* Code points of a valid UTF-8 string (fails on invalid UTF-8). */
static size_t count_chars(const char *s)
{
    size_t n = 0, len = strlen(s);

    for (size_t i = 0; i < len; n++) {
        size_t k = utf8_decode((const unsigned char *)s + i, len - i, NULL);
        if (!k)
            fail_msg("invalid UTF-8 at byte %zu of '%s'", i, s);
        i += k;
    }
    return n;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);

    if (!j)
        fail_msg("not JSON (%s): %s", err.text, text);
    return j;
}

static const char *jget(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    if (!json_is_string(v))
        fail_msg("no string '%s'", key);
    return json_string_value(v);
}

/* A story event as the daemon queues it (compact JSON, caller frees). */
static char *story_payload(const char *type, const char *title, const char *link,
                           const char *summary)
{
    json_t *ev =
        json_pack("{s:s, s:s, s:{s:{s:s, s:s, s:s}, s:{s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:n,"
                  " s:[s], s:[{s:s, s:s, s:s, s:s}]}}}",
                  "type", type, "timestamp", "2026-01-02T03:04:05Z", "data", "feed", "name", "lwn",
                  "title", "LWN & Friends", "url", "https://lwn.net/headlines/rss", "story", "id",
                  "tag:lwn.net,2026:1", "entry_id", 12, "story_id", 12, "title", title, "link",
                  link, "canonical_link", "https://lwn.net/Articles/1/", "summary", summary,
                  "published", "2026-01-02T03:00:00Z", "updated", "authors", "Jon", "sources",
                  "feed", "lwn", "feed_title", "LWN & Friends", "title", title, "link", link);
    char *s;

    assert_non_null(ev);
    s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    assert_non_null(s);
    return s;
}

#define STORY_TITLE "Kernel <6.9> & more"
#define STORY_LINK  "https://lwn.net/Articles/1/?a=1&b=2"

static char *default_story(void)
{
    return story_payload("story.new", STORY_TITLE, STORY_LINK, "A summary.");
}

/* A feed event (no story). */
static char *feed_payload(const char *type, const char *error, const char *moved_to)
{
    json_t *data =
        json_pack("{s:{s:s, s:s, s:s}, s:i, s:s?}", "feed", "name", "lwn", "title", "LWN & Friends",
                  "url", "https://lwn.net/headlines/rss", "status", 500, "error", error);
    json_t *ev;
    char *s;

    assert_non_null(data);
    if (moved_to)
        json_object_set_new(data, "moved_to", json_string(moved_to));
    if (strcmp(type, "feed.failing") == 0)
        json_object_set_new(data, "failures", json_integer(3));
    ev = json_pack("{s:s, s:s, s:o}", "type", type, "timestamp", "2026-01-02T03:04:05Z", "data",
                   data);
    assert_non_null(ev);
    s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return s;
}

static struct webhook_conf conf(int format, const char *url)
{
    return (struct webhook_conf){.name = "hook",
                                 .url = (char *)url,
                                 .format = format,
                                 .batch = 1,
                                 .concurrency = 1,
                                 .max_attempts = 8};
}

/* Renders n payloads; returns the body parsed (fails unless r == 0). */
static json_t *render(const struct webhook_conf *wc, const char *const *payloads, size_t n)
{
    struct buf out;
    json_t *j;
    int r;

    buf_init(&out, 1 << 22);
    r = webhook_render(wc, payloads, n, NOW, &out);
    if (r != 0)
        fail_msg("webhook_render: %d", r);
    j = parse(buf_cstr(&out));
    buf_release(&out);
    return j;
}

static int render_err(const struct webhook_conf *wc, const char *const *payloads, size_t n)
{
    struct buf out;
    int r;

    buf_init(&out, 1 << 22);
    r = webhook_render(wc, payloads, n, NOW, &out);
    buf_release(&out);
    return r;
}

/* ---- signatures, base64, ids ------------------------------------------------------- */

static void test_sign_standard_vector(void **state)
{
    char sig[WEBHOOK_SIG_LEN];
    const char *body = "{\"test\": 2432232314}";

    (void)state;
    assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                  "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body),
                                  sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

    /* Anything signed changes the signature. */
    assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                  "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, strlen(body),
                                  sig),
                     0);
    assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                  "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
                                  strlen(body) - 1, sig),
                     0);
    assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

/* "v1," and base64 of HMAC-SHA256(key, "ID.TS.BODY"), computed with OpenSSL. */
static void expected_sig(const void *key, size_t key_len, const char *id, const char *ts,
                         const char *body, size_t len, char out[WEBHOOK_SIG_LEN])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    size_t n = strlen(id) + strlen(ts) + len + 2;
    unsigned char *msg = malloc(n);

    assert_non_null(msg);
    memcpy(msg, id, strlen(id));
    msg[strlen(id)] = '.';
    memcpy(msg + strlen(id) + 1, ts, strlen(ts));
    msg[strlen(id) + 1 + strlen(ts)] = '.';
    memcpy(msg + strlen(id) + strlen(ts) + 2, body, len);
    assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, msg, n, mac, &mac_len));
    assert_int_equal(mac_len, 32);
    free(msg);
    memcpy(out, "v1,", 3);
    EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)mac_len);
}

static void test_sign_raw_secret(void **state)
{
    const char *secret = "plain secret, not whsec";
    const char body[] = "{\"a\":1}\0tail"; /* the length counts, not the NUL */
    char sig[WEBHOOK_SIG_LEN], want[WEBHOOK_SIG_LEN];

    (void)state;
    assert_int_equal(webhook_sign(secret, "msg_abc", 1700000000, body, sizeof(body) - 1, sig), 0);
    expected_sig(secret, strlen(secret), "msg_abc", "1700000000", body, sizeof(body) - 1, want);
    assert_string_equal(sig, want);
    assert_int_equal(strlen(sig), 3 + 44);

    /* A whsec_ secret is keyed with its decoded bytes, not its text. */
    {
        unsigned char key[16];
        char secret2[64] = "whsec_";
        for (size_t i = 0; i < sizeof(key); i++)
            key[i] = (unsigned char)(i * 37 + 1);
        base64_encode(key, sizeof(key), secret2 + 6);
        assert_int_equal(webhook_sign(secret2, "msg_x", 42, "body", 4, sig), 0);
        expected_sig(key, sizeof(key), "msg_x", "42", "body", 4, want);
        assert_string_equal(sig, want);
    }
    /* An empty body signs too. */
    assert_int_equal(webhook_sign(secret, "msg_abc", 0, "", 0, sig), 0);
    expected_sig(secret, strlen(secret), "msg_abc", "0", "", 0, want);
    assert_string_equal(sig, want);
}

static void test_sign_bad_whsec(void **state)
{
    char sig[WEBHOOK_SIG_LEN];

    (void)state;
    assert_int_equal(webhook_sign("whsec_not base64!", "msg_a", 1, "x", 1, sig), -EINVAL);
    assert_int_equal(webhook_sign("whsec_abc", "msg_a", 1, "x", 1, sig), -EINVAL); /* length */
    assert_int_equal(webhook_sign("whsec_", "msg_a", 1, "x", 1, sig), -EINVAL);    /* empty key */
    assert_int_equal(webhook_sign("whsec_ab=c", "msg_a", 1, "x", 1, sig), -EINVAL);
}

static void test_base64(void **state)
{
    static const struct {
        const char *raw, *enc;
    } vec[] = {{"", ""},
               {"f", "Zg=="},
               {"fo", "Zm8="},
               {"foo", "Zm9v"},
               {"foob", "Zm9vYg=="},
               {"fooba", "Zm9vYmE="},
               {"foobar", "Zm9vYmFy"}};
    static const char *const bad[] = {
        "Zg=", "Zg", "Z", "Zg=a", "Z===", "====", "Zm9v!A==", "Zm 9", "=Zm9", "Zg==Zg==", "Zm9v\n",
    };
    char enc[64];
    unsigned char dec[64], raw[64];

    (void)state;
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        base64_encode(vec[i].raw, strlen(vec[i].raw), enc);
        assert_string_equal(enc, vec[i].enc);
        assert_int_equal(strlen(enc), BASE64_LEN(strlen(vec[i].raw)));
        assert_int_equal(base64_decode(vec[i].enc, strlen(vec[i].enc), dec),
                         (long)strlen(vec[i].raw));
        assert_memory_equal(dec, vec[i].raw, strlen(vec[i].raw));
    }
    /* Every length and byte value goes there and back. */
    for (size_t n = 0; n <= 40; n++) {
        for (size_t i = 0; i < n; i++)
            raw[i] = (unsigned char)(255 - i * 13 - n);
        base64_encode(raw, n, enc);
        assert_int_equal(strlen(enc), BASE64_LEN(n));
        assert_int_equal(base64_decode(enc, strlen(enc), dec), (long)n);
        assert_memory_equal(dec, raw, n);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (base64_decode(bad[i], strlen(bad[i]), dec) != -EINVAL)
            fail_msg("base64_decode accepted '%s'", bad[i]);
    }
}

static void test_msg_id(void **state)
{
    char ids[100][WEBHOOK_MSG_ID_LEN];

    (void)state;
    for (size_t i = 0; i < 100; i++) {
        assert_int_equal(webhook_msg_id(ids[i]), 0);
        assert_int_equal(strlen(ids[i]), WEBHOOK_MSG_ID_LEN - 1);
        assert_int_equal(strncmp(ids[i], "msg_", 4), 0);
        for (size_t k = 4; k < WEBHOOK_MSG_ID_LEN - 1; k++) {
            char c = ids[i][k];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')))
                fail_msg("bad character in %s", ids[i]);
        }
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(ids[i], ids[k]);
    }
}

/* ---- rendering ------------------------------------------------------------------ */

static void test_render_json(void **state)
{
    struct webhook_conf wc = conf(WEBHOOK_JSON, "https://hooks.example/in");
    char *p[3] = {default_story(), feed_payload("feed.failing", "HTTP 500", NULL),
                  story_payload("story.updated", "Second", "https://x.example/2", "")};
    struct buf out;
    json_t *j, *events;

    (void)state;
    /* One event: the payload as queued, byte for byte. */
    for (size_t i = 0; i < 3; i++) {
        buf_init(&out, 1 << 20);
        assert_int_equal(webhook_render(&wc, (const char *const *)&p[i], 1, NOW, &out), 0);
        assert_string_equal(buf_cstr(&out), p[i]);
        buf_release(&out);
    }

    /* Several: a batch event carrying them. */
    j = render(&wc, (const char *const *)p, 3);
    assert_string_equal(jget(j, "type"), "batch");
    assert_string_equal(jget(j, "timestamp"), "2026-01-02T03:04:05Z");
    events = json_object_get(json_object_get(j, "data"), "events");
    assert_true(json_is_array(events));
    assert_int_equal(json_array_size(events), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *want = parse(p[i]);
        assert_true(json_equal(json_array_get(events, i), want));
        json_decref(want);
    }
    json_decref(j);
    for (size_t i = 0; i < 3; i++)
        free(p[i]);
}

static void test_render_slack(void **state)
{
    struct webhook_conf wc = conf(WEBHOOK_SLACK, "https://hooks.slack.example/services/T/B/x");
    char *p[2] = {default_story(), feed_payload("feed.failing", "HTTP 500 <oops>", NULL)};
    json_t *j;

    (void)state;
    j = render(&wc, (const char *const *)p, 1);
    assert_int_equal(json_object_size(j), 1);
    assert_string_equal(jget(j, "text"), "<https://lwn.net/Articles/1/?a=1&amp;b=2"
                                         "|Kernel &lt;6.9&gt; &amp; more>"
                                         " \xE2\x80\x94 LWN &amp; Friends");
    json_decref(j);

    j = render(&wc, (const char *const *)&p[1], 1);
    assert_string_equal(jget(j, "text"),
                        "Feed LWN &amp; Friends is failing: HTTP 500 &lt;oops&gt;");
    json_decref(j);

    /* Two events: one line each. */
    j = render(&wc, (const char *const *)p, 2);
    {
        const char *text = jget(j, "text");
        const char *nl = strchr(text, '\n');
        assert_non_null(nl);
        assert_null(strchr(nl + 1, '\n'));
        assert_non_null(strstr(text, "&lt;6.9&gt;"));
        assert_string_equal(nl + 1, "Feed LWN &amp; Friends is failing: HTTP 500 &lt;oops&gt;");
        /* Nothing unescaped in the text but the link's own brackets. */
        assert_null(strstr(text, "<6.9>"));
        assert_null(strstr(text, "& more"));
    }
    json_decref(j);
    free(p[0]);
    free(p[1]);
}

/* The one-line message of each event type, through slack (escaped) and
 * ntfy (plain). */
static void test_render_messages(void **state)
{
    static const struct {
        const char *type, *error, *moved_to, *want;
    } rows[] = {
        {"feed.moved", NULL, "https://new.example/feed",
         "Feed LWN & Friends moved to https://new.example/feed"},
        {"feed.gone", "HTTP 410", NULL, "Feed LWN & Friends is gone: HTTP 410"},
        {"feed.failing", "timeout", NULL, "Feed LWN & Friends is failing: timeout"},
        {"feed.recovered", NULL, NULL, "Feed LWN & Friends recovered"},
    };
    struct webhook_conf ntfy = conf(WEBHOOK_NTFY, "https://ntfy.example/news");
    char *p;
    json_t *j;

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        p = feed_payload(rows[i].type, rows[i].error, rows[i].moved_to);
        j = render(&ntfy, (const char *const *)&p, 1);
        assert_string_equal(jget(j, "message"), rows[i].want);
        assert_string_equal(jget(j, "title"), "Herald");
        assert_null(json_object_get(j, "click"));
        json_decref(j);
        free(p);
    }
    p = story_payload("story.updated", "Fixed", "https://x.example/1", "");
    j = render(&ntfy, (const char *const *)&p, 1);
    assert_string_equal(jget(j, "title"), "Updated: Fixed");
    assert_string_equal(jget(j, "message"), "https://x.example/1"); /* no summary: the link */
    json_decref(j);
    free(p);
    p = story_payload("story.source_added", "Same news", "https://x.example/2", "S");
    j = render(&ntfy, (const char *const *)&p, 1);
    assert_string_equal(jget(j, "title"), "Same news (also in LWN & Friends)");
    json_decref(j);
    free(p);
}

static void test_render_discord(void **state)
{
    struct webhook_conf wc = conf(WEBHOOK_DISCORD, "https://discord.example/api/webhooks/1/x");
    char *p[2] = {default_story(), feed_payload("feed.gone", "HTTP 410", NULL)};
    json_t *j;

    (void)state;
    j = render(&wc, (const char *const *)p, 1);
    assert_int_equal(json_object_size(j), 1);
    assert_string_equal(jget(j, "content"), "**Kernel <6.9> & more** \xE2\x80\x94 LWN & Friends\n"
                                            "https://lwn.net/Articles/1/?a=1&b=2");
    json_decref(j);
    j = render(&wc, (const char *const *)p, 2);
    assert_string_equal(jget(j, "content"), "**Kernel <6.9> & more** \xE2\x80\x94 LWN & Friends\n"
                                            "https://lwn.net/Articles/1/?a=1&b=2\n\n"
                                            "Feed LWN & Friends is gone: HTTP 410");
    json_decref(j);
    free(p[0]);
    free(p[1]);
}

/* Many events of multibyte titles: cut at 2,000 code points, never inside
 * a character, ending in "…". */
static void test_render_discord_long_batch(void **state)
{
    struct webhook_conf wc = conf(WEBHOOK_DISCORD, "https://discord.example/api/webhooks/1/x");
    char *p[12], title[1024] = "";
    json_t *j;
    const char *content;

    (void)state;
    for (size_t i = 0; i < 200; i++)
        strcat(title, i % 2 ? "\xC3\xA9" : "\xE6\x97\xA5"); /* é, 日 */
    for (size_t i = 0; i < 12; i++)
        p[i] = story_payload("story.new", title, "https://x.example/a", "");
    j = render(&wc, (const char *const *)p, 12);
    content = jget(j, "content");
    assert_int_equal(count_chars(content), 2000);
    assert_true(ends_with(content, "\xE2\x80\xA6"));
    json_decref(j);
    for (size_t i = 0; i < 12; i++)
        free(p[i]);
}

/* One story with a 5,000-character multibyte title. */
static void test_render_discord_long_multibyte_title(void **state)
{
    struct webhook_conf wc = conf(WEBHOOK_DISCORD, "https://discord.example/api/webhooks/1/x");
    char *title = malloc(5000 * 2 + 1), *p;
    struct buf out;
    json_t *j;
    const char *content;
    int r;

    (void)state;
    assert_non_null(title);
    title[0] = '\0';
    for (size_t i = 0; i < 5000; i++)
        memcpy(title + 2 * i, "\xC3\xA9", 3); /* é, and the NUL */
    p = story_payload("story.new", title, "https://x.example/a", "");
    buf_init(&out, 1 << 22);
    r = webhook_render(&wc, (const char *const *)&p, 1, NOW, &out);
    if (r != 0)
        fail_msg("webhook_render of a 5,000-character title: %d (%s)", r,
                 r == -ENOMEM ? "the cut title is not valid UTF-8?" : "?");
    j = parse(buf_cstr(&out));
    content = jget(j, "content");
    assert_true(count_chars(content) <= 2000);
    assert_true(ends_with(content, "\xE2\x80\xA6"));
    json_decref(j);
    buf_release(&out);
    free(p);
    free(title);
}

/* A long multibyte title through the formats that show it: every body is
 * rendered and valid UTF-8. */
static void test_render_long_multibyte_title_other_formats(void **state)
{
    const int formats[] = {WEBHOOK_SLACK, WEBHOOK_NTFY, WEBHOOK_TEMPLATE};
    char title[300 * 2 + 1], *p;

    (void)state;
    for (size_t i = 0; i < 300; i++)
        memcpy(title + 2 * i, "\xC3\xA9", 3); /* 300 x é: 600 bytes */
    p = story_payload("story.new", title, "https://x.example/a", "");
    for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
        struct webhook_conf wc = conf(formats[f], "https://ntfy.example/topic");
        struct buf out;
        int r;

        wc.template_text = "{\"m\":\"{{message}}\"}";
        buf_init(&out, 1 << 22);
        r = webhook_render(&wc, (const char *const *)&p, 1, NOW, &out);
        if (r != 0)
            fail_msg("format %d: webhook_render of a 600-byte title: %d", formats[f], r);
        json_decref(parse(buf_cstr(&out)));
        buf_release(&out);
    }
    free(p);
}

static void test_render_ntfy(void **state)
{
    struct webhook_conf wc = conf(WEBHOOK_NTFY, "https://ntfy.example/alerts/herald-news");
    char *p[2] = {default_story(), feed_payload("feed.failing", "HTTP 500", NULL)};
    char *url, *topic;
    json_t *j;

    (void)state;
    assert_int_equal(webhook_target(&wc, &url, &topic), 0);
    assert_string_equal(url, "https://ntfy.example/alerts/");
    assert_string_equal(topic, "herald-news");
    free(url);
    free(topic);

    j = render(&wc, (const char *const *)p, 1);
    assert_string_equal(jget(j, "topic"), "herald-news");
    assert_string_equal(jget(j, "title"), STORY_TITLE);
    assert_string_equal(jget(j, "message"), "A summary.");
    assert_string_equal(jget(j, "click"), STORY_LINK);
    json_decref(j);

    j = render(&wc, (const char *const *)p, 2);
    assert_string_equal(jget(j, "topic"), "herald-news");
    assert_string_equal(jget(j, "title"), "Herald: 2 events");
    assert_string_equal(jget(j, "message"),
                        STORY_TITLE "\nFeed LWN & Friends is failing: HTTP 500");
    assert_null(json_object_get(j, "click"));
    json_decref(j);
    free(p[0]);
    free(p[1]);
}

static void test_target(void **state)
{
    static const struct {
        const char *url, *root, *topic;
    } ok[] = {
        {"https://ntfy.sh/mytopic", "https://ntfy.sh/", "mytopic"},
        {"http://127.0.0.1:8080/t", "http://127.0.0.1:8080/", "t"},
        {"https://ntfy.example/a/b/c?x=1#f", "https://ntfy.example/a/b/", "c"},
    };
    static const char *const bad[] = {"https://ntfy.sh/", "https://ntfy.sh", "https://ntfy.sh?t=1",
                                      "https://ntfy.sh/topic/"};
    struct webhook_conf wc = conf(WEBHOOK_NTFY, NULL);
    char *url, *topic;
    char *p = default_story();

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        wc.url = (char *)ok[i].url;
        assert_int_equal(webhook_target(&wc, &url, &topic), 0);
        assert_string_equal(url, ok[i].root);
        assert_string_equal(topic, ok[i].topic);
        free(url);
        free(topic);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wc.url = (char *)bad[i];
        if (webhook_target(&wc, &url, &topic) != -EINVAL)
            fail_msg("webhook_target accepted %s", bad[i]);
        assert_null(topic);
        assert_int_equal(render_err(&wc, (const char *const *)&p, 1), -EINVAL);
    }
    /* Other formats post to the URL as it is. */
    wc = conf(WEBHOOK_JSON, "https://hooks.example/x/y?token=1");
    assert_int_equal(webhook_target(&wc, &url, &topic), 0);
    assert_string_equal(url, "https://hooks.example/x/y?token=1");
    assert_null(topic);
    free(url);
    free(p);
}

static void test_render_template(void **state)
{
    const char *title = "He said \"hi\" \\ C:\\path\nline two\r\tTab \x01\x1f\x7f end \xC3\xA9";
    struct webhook_conf wc = conf(WEBHOOK_TEMPLATE, "https://hooks.example/t");
    char *p = story_payload("story.new", title, STORY_LINK, "Sum \"mary\"");
    char *f = feed_payload("feed.moved", NULL, "https://new.example/feed");
    json_t *j;

    (void)state;
    wc.template_text =
        "{\"title\": \"{{title}}\", \"link\": \"{{ link }}\", \"type\": \"{{type}}\","
        " \"feed\": \"{{feed_title}}\", \"summary\": \"{{summary}}\","
        " \"error\": \"{{error}}\", \"msg\": \"{{message}}\", \"n\": 1}";
    j = render(&wc, (const char *const *)&p, 1);
    assert_string_equal(jget(j, "title"), title);
    assert_string_equal(jget(j, "link"), STORY_LINK);
    assert_string_equal(jget(j, "type"), "story.new");
    assert_string_equal(jget(j, "feed"), "LWN & Friends");
    assert_string_equal(jget(j, "summary"), "Sum \"mary\"");
    assert_string_equal(jget(j, "error"), ""); /* absent: empty */
    assert_string_equal(jget(j, "msg"), title);
    assert_int_equal(json_integer_value(json_object_get(j, "n")), 1);
    json_decref(j);

    /* Every placeholder, with a feed event. */
    wc.template_text = "{\"a\":\"{{type}}|{{title}}|{{link}}|{{canonical_link}}|{{summary}}|"
                       "{{id}}|{{published}}|{{updated}}|{{feed}}|{{feed_title}}|{{feed_url}}|"
                       "{{error}}|{{moved_to}}|{{message}}\"}";
    assert_null(webhook_template_check(wc.template_text));
    j = render(&wc, (const char *const *)&f, 1);
    assert_string_equal(jget(j, "a"),
                        "feed.moved||||||||lwn|LWN & Friends|https://lwn.net/headlines/rss||"
                        "https://new.example/feed|Feed LWN & Friends moved to "
                        "https://new.example/feed");
    json_decref(j);

    /* One event per request; placeholders must be known. */
    {
        const char *two[2] = {p, f};
        assert_int_equal(render_err(&wc, two, 2), -EINVAL);
    }
    wc.template_text = "{\"a\":\"{{nope}}\"}";
    assert_int_equal(render_err(&wc, (const char *const *)&p, 1), -EINVAL);
    wc.template_text = "{\"a\":\"{{title\"}";
    assert_int_equal(render_err(&wc, (const char *const *)&p, 1), -EINVAL);
    wc.template_text = NULL;
    assert_int_equal(render_err(&wc, (const char *const *)&p, 1), -EINVAL);
    free(p);
    free(f);
}

static void test_template_check(void **state)
{
    const char *m;

    (void)state;
    assert_null(webhook_template_check(""));
    assert_null(webhook_template_check("no placeholders { } }}"));
    assert_null(webhook_template_check("{\"t\":\"{{title}}\",\"l\":\"{{  link  }}\"}"));
    m = webhook_template_check("{\"t\":\"{{title}}\",\"x\":\"{{nope}}\"}");
    assert_non_null(m);
    assert_non_null(strstr(m, "unknown placeholder {{nope}}"));
    m = webhook_template_check("{{ }}");
    assert_non_null(m);
    assert_non_null(strstr(m, "unknown placeholder"));
    m = webhook_template_check("{{Title}}");
    assert_non_null(m);
    m = webhook_template_check("{\"t\":\"{{title}}\",\"x\":\"{{link\"}");
    assert_non_null(m);
    assert_non_null(strstr(m, "not closed"));
    m = webhook_template_check("{{");
    assert_non_null(m);
    assert_non_null(strstr(m, "not closed"));
}

static void test_render_rejects(void **state)
{
    static const char *const bad[] = {
        "not json",
        "",
        "{\"type\":\"story.new\"",              /* cut */
        "{\"timestamp\":\"x\",\"data\":{}}",    /* no type */
        "{\"type\":\"story.new\"}",             /* no data */
        "{\"type\":1,\"data\":{}}",             /* type not a string */
        "{\"type\":\"story.new\",\"data\":[]}", /* data not an object */
        "[1,2]",
    };
    const int formats[] = {WEBHOOK_JSON, WEBHOOK_SLACK, WEBHOOK_DISCORD, WEBHOOK_NTFY,
                           WEBHOOK_TEMPLATE};
    char *good = default_story();

    (void)state;
    for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
        struct webhook_conf wc = conf(formats[f], "https://ntfy.example/topic");
        wc.template_text = "{\"t\":\"{{title}}\"}";
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            const char *two[2] = {good, bad[i]};
            if (render_err(&wc, &bad[i], 1) != -EINVAL)
                fail_msg("format %d rendered '%s'", formats[f], bad[i]);
            if (render_err(&wc, two, 2) != -EINVAL)
                fail_msg("format %d rendered a batch with '%s'", formats[f], bad[i]);
        }
        assert_int_equal(render_err(&wc, NULL, 0), -EINVAL);
    }
    free(good);
}

static void test_test_payload(void **state)
{
    struct webhook_conf wc = conf(WEBHOOK_SLACK, "https://hooks.example/x");
    char *p;
    json_t *j, *data;

    (void)state;
    wc.name = "team-chat";
    p = webhook_test_payload(&wc, NOW);
    assert_non_null(p);
    j = parse(p);
    assert_string_equal(jget(j, "type"), "webhook.test");
    assert_string_equal(jget(j, "timestamp"), "2026-01-02T03:04:05Z");
    data = json_object_get(j, "data");
    assert_string_equal(jget(data, "webhook"), "team-chat");
    json_decref(j);
    j = render(&wc, (const char *const *)&p, 1);
    assert_string_equal(jget(j, "text"), "Test event from Herald for webhook team-chat");
    json_decref(j);
    free(p);
}

/* ---- sanitize_plain_text ---------------------------------------------------------- */

static void expect_plain(const char *html, size_t max, const char *want)
{
    char *got = NULL;

    assert_int_equal(sanitize_plain_text(html, max, &got), 0);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("sanitize_plain_text('%s', %zu) = '%s', want '%s'", html ? html : "(null)", max,
                 got, want);
    free(got);
}

static void test_plain_text(void **state)
{
    (void)state;
    expect_plain(NULL, 100, "");
    expect_plain("", 100, "");
    expect_plain("<p> </p>", 100, "");
    expect_plain("<p>Hello <b>world</b></p>", 100, "Hello world");
    expect_plain("<a href=\"https://x.example/\" rel=\"noopener noreferrer\">link</a> text", 100,
                 "link text");
    expect_plain("a<br>b", 100, "a b");
    expect_plain("<p>one</p><p>two</p>", 100, "one two");
    expect_plain("<ul><li>x</li><li>y</li></ul>", 100, "x y");
    expect_plain("Fish &amp; Chips &lt;3 &gt; &quot;q&quot; &#39;s&#39; &apos;a&apos;", 100,
                 "Fish & Chips <3 > \"q\" 's' 'a'");
    expect_plain("&#233;t&#xE9; &#x1F600; &#8230;", 100,
                 "\xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80 "
                 "\xE2\x80\xA6");
    expect_plain("a&nbsp;b&#160;c", 100, "a b c");
    expect_plain("&amp;lt; &bogus; &#0; &#xD800; &#99999999; & alone", 100,
                 "&lt; &bogus; &#0; &#xD800; &#99999999; & alone");
    expect_plain("  a \n\t b   c  \r\n", 100, "a b c");
    expect_plain("<p>\n  a\n</p>\n<p>\n  b\n</p>", 100, "a b");
    expect_plain("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC", 100,
                 "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC");
}

/* Inline elements do not break words (sanitize.h: "block elements and <br>
 * break words"). */
static void test_plain_text_inline_tags(void **state)
{
    (void)state;
    expect_plain("un<b>bold</b>ed", 100, "unbolded");
    expect_plain("Read <a href=\"https://x.example/\">this</a>, now.", 100, "Read this, now.");
    expect_plain("<em>Note</em>: H<sub>2</sub>O", 100, "Note: H2O");
}

static void test_plain_text_cut(void **state)
{
    (void)state;
    /* Exactly max: not cut. */
    expect_plain("abcde", 5, "abcde");
    expect_plain("abcde ", 5, "abcde");
    expect_plain("<p>abcde</p>", 5, "abcde");
    /* Over: cut, "…" added. */
    expect_plain("abcdef", 5, "abcde\xE2\x80\xA6");
    expect_plain("abcdefghijklmnopqrstuvwxyz", 10, "abcdefghij\xE2\x80\xA6");
    expect_plain("abcd efgh", 5, "abcd\xE2\x80\xA6");
    /* At the word break when it is near. */
    expect_plain("The quick brown fox jumps over", 20, "The quick brown fox\xE2\x80\xA6");
    expect_plain("The quick brown fox jumps over", 18, "The quick brown\xE2\x80\xA6");
    /* Multibyte characters are never split. */
    expect_plain("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 4,
                 "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xE2\x80\xA6");
    expect_plain("\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 2,
                 "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xE2\x80\xA6");
    expect_plain("\xC3\xA9\xC3\xA9\xC3\xA9 \xC3\xA9\xC3\xA9\xC3\xA9 \xC3\xA9\xC3\xA9\xC3\xA9 x", 9,
                 "\xC3\xA9\xC3\xA9\xC3\xA9 \xC3\xA9\xC3\xA9\xC3\xA9\xE2\x80\xA6");

    /* Any limit: valid UTF-8, at most max characters and the "…". */
    {
        const char *text = "<p>Storm Ciar\xC3\xA1n &amp; the \xE6\x97\xA5\xE6\x9C\xAC "
                           "weather \xF0\x9F\x8C\x80 batters Cornwall&#8217;s coast</p>"
                           "<p>Gusts of more than 100&nbsp;mph hit overnight.</p>";
        for (size_t max = 1; max < 100; max++) {
            char *got;
            size_t n;
            assert_int_equal(sanitize_plain_text(text, max, &got), 0);
            n = count_chars(got);
            if (ends_with(got, "\xE2\x80\xA6"))
                assert_true(n <= max + 1);
            else
                assert_true(n <= max);
            assert_null(strchr(got, '<'));
            assert_null(strstr(got, "  "));
            assert_true(got[0] != ' ');
            free(got);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_standard_vector),
        cmocka_unit_test(test_sign_raw_secret),
        cmocka_unit_test(test_sign_bad_whsec),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_msg_id),
        cmocka_unit_test(test_render_json),
        cmocka_unit_test(test_render_slack),
        cmocka_unit_test(test_render_messages),
        cmocka_unit_test(test_render_discord),
        cmocka_unit_test(test_render_discord_long_batch),
        cmocka_unit_test(test_render_discord_long_multibyte_title),
        cmocka_unit_test(test_render_long_multibyte_title_other_formats),
        cmocka_unit_test(test_render_ntfy),
        cmocka_unit_test(test_target),
        cmocka_unit_test(test_render_template),
        cmocka_unit_test(test_template_check),
        cmocka_unit_test(test_render_rejects),
        cmocka_unit_test(test_test_payload),
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_plain_text_inline_tags),
        cmocka_unit_test(test_plain_text_cut),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
