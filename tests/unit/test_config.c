/* Unit tests for app/config: values, defaults, and errors with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/config.h"
#include "feed/parse.h"

static char dir[] = "/tmp/herald-test-config-XXXXXX";

static char *write_conf(const char *name, const char *text)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads text; returns the config (or NULL) and leaves errors in *errs. */
static struct config *load(const char *text, struct buf *errs)
{
    struct config *c = NULL;
    char *path = write_conf("t.conf", text);

    buf_init(errs, 1 << 16);
    if (config_load(path, &c, errs) < 0)
        return NULL;
    return c;
}

static void expect_error(const char *text, const char *needle)
{
    struct buf errs;
    struct config *c = load(text, &errs);

    assert_null(c);
    if (!strstr(buf_cstr(&errs), needle))
        fail_msg("expected '%s' in errors:\n%s", needle, buf_cstr(&errs));
    buf_release(&errs);
}

static void test_defaults(void **state)
{
    struct buf errs;
    struct config *c = load("[herald]\n", &errs);

    (void)state;
    assert_non_null(c);
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 8080);
    assert_int_equal(c->interval, 1800);
    assert_int_equal(c->max_entries, 100);
    assert_int_equal(c->max_redirects, 5);
    assert_int_equal(c->max_feed_entries, 5000);
    assert_int_equal(c->max_nesting, 128);
    assert_int_equal(c->max_field_size, 4 << 20);
    assert_int_equal(c->timeout, 30000);
    assert_string_equal(c->public_url, "http://127.0.0.1:8080");
    assert_non_null(strstr(c->database, "/herald.db"));
    assert_int_equal(c->n_feeds, 0);
    config_free(c);
    buf_release(&errs);
}

static void test_full(void **state)
{
    struct buf errs;
    struct config *c = load("# comment\n"
                            "[herald]\n"
                            "database = /var/lib/herald/h.db\n"
                            "  listen = [::1]:9090\n"
                            "interval = 1h30m\n"
                            "user_agent = test agent\n"
                            "max_entries = 50\n"
                            "max_feed_size = 2M\n"
                            "max_feed_entries = 300\n"
                            "max_nesting = 32\n"
                            "max_field_size = 64k\n"
                            "timeout = 5s\n"
                            "public_url = https://news.example.org/\n"
                            "\n"
                            "[feed \"lwn\"]\n"
                            "url = https://lwn.net/headlines/rss ; inline comment\n"
                            "interval = 90s\n"
                            "title = LWN\n"
                            "[feed \"local\"]\n"
                            "url = file:samples/a.xml\n",
                            &errs);
    (void)state;
    if (!c)
        fail_msg("%s", buf_cstr(&errs));
    assert_string_equal(c->database, "/var/lib/herald/h.db");
    assert_string_equal(c->listen_host, "::1");
    assert_int_equal(c->listen_port, 9090);
    assert_int_equal(c->interval, 5400);
    assert_string_equal(c->user_agent, "test agent");
    assert_int_equal(c->max_entries, 50);
    assert_int_equal(c->max_feed_size, 2 << 20);
    assert_int_equal(c->max_feed_entries, 300);
    assert_int_equal(c->max_nesting, 32);
    assert_int_equal(c->max_field_size, 64 << 10);
    struct feed_limits lim;
    config_feed_limits(c, &lim);
    assert_int_equal(lim.max_bytes, 2 << 20);
    assert_int_equal(lim.max_entries, 300);
    assert_int_equal(lim.max_depth, 32);
    assert_int_equal(lim.max_field, 64 << 10);
    assert_int_equal(c->timeout, 5000);
    assert_string_equal(c->public_url, "https://news.example.org");
    assert_int_equal(c->n_feeds, 2);
    assert_string_equal(c->feeds[0].name, "lwn");
    assert_string_equal(c->feeds[0].url, "https://lwn.net/headlines/rss");
    assert_int_equal(c->feeds[0].interval, 90);
    assert_string_equal(c->feeds[0].title, "LWN");
    assert_int_equal(c->feeds[0].line, 15);
    assert_non_null(strstr(c->feeds[1].url, dir));
    assert_non_null(strstr(c->feeds[1].url, "/samples/a.xml"));
    assert_int_equal(strncmp(c->feeds[1].url, "file:///", 8), 0);
    assert_non_null(config_find_feed(c, "local"));
    assert_null(config_find_feed(c, "nope"));
    config_free(c);
    buf_release(&errs);
}

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    expect_error("[herald]\nlisten = 127.0.0.1:80\n\n\nbogus = 1\n",
                 "t.conf:5: unknown key 'bogus'");
    expect_error("[herald]\ninterval = 5 parsecs\n", "t.conf:2: interval: bad duration");
    expect_error("[herald]\ninterval = 0s\n", "t.conf:2: interval must be between");
    expect_error("[herald]\nlisten = nowhere\n", "t.conf:2: listen: bad address");
    expect_error("[herald]\nlisten = 1.2.3.4:99999\n", "t.conf:2: listen: bad address");
    expect_error("[herald]\nmax_entries = ten\n", "t.conf:2: max_entries: 'ten' is not a whole");
    expect_error("[nonsense]\nkey = 1\n", "t.conf:1: unknown section [nonsense]");
    expect_error("[feed \"a\"]\ntitle = x\n", "t.conf:1: feed \"a\" has no url");
    expect_error("[feed \"a\"]\nurl = ftp://x/\n", "t.conf:2: url: 'ftp://x/' is not");
    expect_error("[feed \"a\\\\b\"]\nurl = http://x/\n", "t.conf:1: bad feed name");
    expect_error("[feed \"\"]\nurl = http://x/\n", "t.conf:1: bad");
    expect_error("[feed a]\nurl = http://x/\n", "t.conf:1: bad section");
    expect_error("[feed \"a\"]\nurl = http://x/\n[feed \"a\"]\nurl = http://y/\n",
                 "t.conf:3: feed \"a\" is already defined on line 1");
    expect_error("[herald]\ninterval = 1m\ninterval = 2m\n", "t.conf:3: duplicate key 'interval'");
    expect_error("interval = 1m\n", "t.conf:1: 'interval' outside of any section");
    expect_error("[herald]\nthis line has no equals sign\n", "t.conf:2: syntax error");
    expect_error("[herald]\nlog_level = loud\n", "t.conf:2: log_level must be");
}

static void test_all_errors_reported(void **state)
{
    struct buf errs;

    (void)state;
    assert_null(load("[herald]\nfoo = 1\nbar = 2\n", &errs));
    assert_non_null(strstr(buf_cstr(&errs), "t.conf:2:"));
    assert_non_null(strstr(buf_cstr(&errs), "t.conf:3:"));
    buf_release(&errs);
}

static void test_byte_order_mark(void **state)
{
    struct buf errs;
    struct config *c = load("\xEF\xBB\xBF[herald]\nlisten = 127.0.0.1:9\n", &errs);

    (void)state;
    if (!c)
        fail_msg("%s", buf_cstr(&errs));
    assert_int_equal(c->listen_port, 9);
    config_free(c);
    buf_release(&errs);
}

static void test_long_line(void **state)
{
    char text[600];

    (void)state;
    snprintf(text, sizeof(text), "[feed \"a\"]\nurl = http://example.org/%0300d\n", 0);
    expect_error(text, "t.conf:2: line too long");
}

static void test_missing_file(void **state)
{
    struct buf errs;
    struct config *c = NULL;

    (void)state;
    buf_init(&errs, 4096);
    assert_int_equal(config_load("/nonexistent/heraldd.conf", &c, &errs), -2 /* ENOENT */);
    assert_non_null(strstr(buf_cstr(&errs), "/nonexistent/heraldd.conf: cannot open"));
    buf_release(&errs);
}

static void test_parsers(void **state)
{
    int64_t v;
    char *host;
    int port;

    (void)state;
    assert_int_equal(config_parse_duration("90s", &v), 0);
    assert_int_equal(v, 90);
    assert_int_equal(config_parse_duration("15m", &v), 0);
    assert_int_equal(v, 900);
    assert_int_equal(config_parse_duration("2h", &v), 0);
    assert_int_equal(v, 7200);
    assert_int_equal(config_parse_duration("1d", &v), 0);
    assert_int_equal(v, 86400);
    assert_int_equal(config_parse_duration("120", &v), 0);
    assert_int_equal(v, 120);
    assert_true(config_parse_duration("", &v) < 0);
    assert_true(config_parse_duration("5x", &v) < 0);
    assert_true(config_parse_duration("-5s", &v) < 0);
    assert_true(config_parse_duration("1h30", &v) < 0);
    assert_true(config_parse_duration("99999999999s", &v) < 0);
    assert_true(config_parse_duration("500ms", &v) < 0); /* whole seconds */
    assert_int_equal(config_parse_duration_ms("250ms", &v), 0);
    assert_int_equal(v, 250);
    assert_int_equal(config_parse_duration_ms("1s500ms", &v), 0);
    assert_int_equal(v, 1500);
    assert_int_equal(config_parse_duration_ms("2m", &v), 0);
    assert_int_equal(v, 120000);
    assert_int_equal(config_parse_duration_ms("3", &v), 0);
    assert_int_equal(v, 3000);
    assert_true(config_parse_duration_ms("5mss", &v) < 0);
    assert_int_equal(config_parse_size("64k", &v), 0);
    assert_int_equal(v, 65536);
    assert_int_equal(config_parse_size("8M", &v), 0);
    assert_int_equal(v, 8 << 20);
    assert_int_equal(config_parse_size("8MiB", &v), 0);
    assert_true(config_parse_size("8Q", &v) < 0);
    assert_int_equal(config_parse_listen("localhost:80", &host, &port), 0);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, 80);
    free(host);
    assert_true(config_parse_listen(":80", &host, &port) < 0);
    assert_true(config_parse_listen("::1:80", &host, &port) < 0);
    assert_true(config_parse_listen("host:0", &host, &port) < 0);
}

static void test_feed_http_settings(void **state)
{
    struct buf errs;
    struct config *c;

    (void)state;
    write_conf("pw.txt", "s3cret:with colon\n");
    setenv("HERALD_TEST_PW", "from-env", 1);
    c = load("[herald]\nper_site = 4\nsite_gap = 250ms\n"
             "[feed \"a\"]\nurl = https://a.example/feed\n"
             "user_agent = special agent/1.0\n"
             "header = X-Token: abc\n"
             "header = Accept-Language: de, en;q=0.5\n"
             "username = alice\npassword = file:pw.txt\n"
             "proxy = socks5h://127.0.0.1:1080\n"
             "[feed \"b\"]\nurl = https://b.example/feed\nusername = bob\n"
             "password = env:HERALD_TEST_PW\nenabled = no\n",
             &errs);
    if (!c)
        fail_msg("%s", buf_cstr(&errs));
    assert_int_equal(c->per_site, 4);
    assert_int_equal(c->site_gap, 250);
    assert_string_equal(c->feeds[0].user_agent, "special agent/1.0");
    assert_int_equal(c->feeds[0].n_headers, 2);
    assert_string_equal(c->feeds[0].headers[0], "X-Token: abc");
    assert_string_equal(c->feeds[0].headers[1], "Accept-Language: de, en;q=0.5");
    assert_null(c->feeds[0].headers[2]);
    assert_string_equal(c->feeds[0].userpwd, "alice:s3cret:with colon");
    assert_string_equal(c->feeds[0].proxy, "socks5h://127.0.0.1:1080");
    assert_true(c->feeds[0].enabled);
    assert_string_equal(c->feeds[1].userpwd, "bob:from-env");
    assert_false(c->feeds[1].enabled);
    assert_null(c->feeds[1].headers);
    assert_null(c->feeds[1].user_agent);
    config_free(c);
    buf_release(&errs);

    /* per_host is per_site by another name. */
    c = load("[herald]\nper_host = 3\n[feed \"a\"]\nurl = https://a.example/feed\n", &errs);
    if (!c)
        fail_msg("%s", buf_cstr(&errs));
    assert_int_equal(c->per_site, 3);
    config_free(c);
    buf_release(&errs);

    /* Defaults. */
    c = load("[feed \"a\"]\nurl = https://a.example/feed\n", &errs);
    assert_non_null(c);
    assert_int_equal(c->per_site, 2);
    assert_int_equal(c->site_gap, 1000);
    assert_true(c->feeds[0].enabled);
    assert_null(c->feeds[0].userpwd);
    config_free(c);
    buf_release(&errs);
}

static void test_feed_http_settings_errors(void **state)
{
    struct buf errs;

    (void)state;
    unsetenv("HERALD_TEST_UNSET");
    /* A literal password is refused, and never echoed. */
    assert_null(load("[feed \"a\"]\nurl = https://a.example/\nusername = u\n"
                     "password = hunter2\n",
                     &errs));
    assert_non_null(strstr(buf_cstr(&errs), "t.conf:4: password must be file:PATH or env:NAME"));
    assert_null(strstr(buf_cstr(&errs), "hunter2"));
    buf_release(&errs);
    expect_error("[feed \"a\"]\nurl = https://a.example/\nusername = u\n"
                 "password = env:HERALD_TEST_UNSET\n",
                 "t.conf:4: password: environment variable HERALD_TEST_UNSET is not set");
    expect_error("[feed \"a\"]\nurl = https://a.example/\nusername = u\n"
                 "password = file:no-such-file\n",
                 "t.conf:4: password: cannot read");
    expect_error("[feed \"a\"]\nurl = https://a.example/\nusername = u\n",
                 "t.conf:1: feed \"a\": username and password go together");
    expect_error("[feed \"a\"]\nurl = https://a.example/\nusername = u:v\n",
                 "t.conf:3: username must be");
    expect_error("[feed \"a\"]\nurl = https://a.example/\nheader = NoColon\n",
                 "t.conf:3: header must be 'Name: value'");
    expect_error("[feed \"a\"]\nurl = https://a.example/\nheader = Bad Name: x\n",
                 "t.conf:3: header: bad character");
    expect_error("[feed \"a\"]\nurl = https://a.example/\nheader = If-None-Match: x\n",
                 "t.conf:3: header: Herald sets this header itself");
    expect_error("[feed \"a\"]\nurl = https://a.example/\nenabled = maybe\n",
                 "t.conf:3: enabled must be yes or no");
    expect_error("[feed \"a\"]\nurl = https://a.example/\nproxy = ftp://p/\n",
                 "t.conf:3: proxy: 'ftp://p/' is not a proxy URL");
    expect_error("[feed \"a\"]\nurl = https://a.example/\nuser_agent = x\nuser_agent = y\n",
                 "t.conf:4: duplicate key 'user_agent'");
    expect_error("[feed \"a\"]\nurl = file:/tmp/x.xml\nheader = X-A: 1\n",
                 "t.conf:1: feed \"a\": header, username and proxy need an http(s) url");
    expect_error("[herald]\nper_site = 0\n", "t.conf:2: per_site must be between");
    expect_error("[herald]\nper_host = 101\n", "t.conf:2: per_host must be between");
    expect_error("[herald]\nca_file = /nonexistent/ca.pem\n",
                 "t.conf:2: ca_file: cannot read /nonexistent/ca.pem: No such file or directory");
    expect_error("[herald]\nmax_feed_entries = 0\n", "t.conf:2: max_feed_entries must be between");
    expect_error("[herald]\nmax_nesting = 8\n", "t.conf:2: max_nesting must be between");
    expect_error("[herald]\nmax_field_size = 32M\n", "t.conf:2: max_field_size must be between");
}

/* ---- webhooks ------------------------------------------------------------------ */

static void test_webhook_full(void **state)
{
    struct buf errs;
    struct config *c;
    const struct webhook_conf *w;
    char want[600];

    (void)state;
    write_conf("hook.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
    write_conf("hook.tpl", "{\"text\": \"{{title}} {{ link }}\"}\n");
    c = load("[herald]\nfailing_after = 5\n"
             "[feed \"a\"]\nurl = https://a.example/feed\ntags = news\n"
             "[output \"news\"]\ntags = news\n"
             "[output \"other\"]\nfeeds = a\n"
             "[webhook \"team.chat-1\"]\n" /* line 10 */
             "url = https://hooks.example/services/T/B/x\n"
             "outputs = news, other\n"
             "events = story.new story.updated, feed.failing,feed.recovered\n"
             "format = template\n"
             "template = hook.tpl\n"
             "secret = file:hook.secret\n"
             "header = X-Api-Key: abc\n"
             "header = X-Team: news desk\n"
             "timeout = 5s\n"
             "max_attempts = 4\n"
             "retry = 10s 1m, 2h\n"
             "batch = 1\n"
             "concurrency = 3\n"
             "[webhook \"plain\"]\nurl = http://127.0.0.1:9000/in\n"
             "[webhook \"push\"]\nurl = https://ntfy.example/herald\nformat = ntfy\n"
             "events = story.source_added feed.moved feed.gone\nbatch = 10\n"
             "retry = 1d\n",
             &errs);
    if (!c)
        fail_msg("%s", buf_cstr(&errs));
    assert_int_equal(c->failing_after, 5);
    assert_int_equal(c->n_webhooks, 3);

    w = config_find_webhook(c, "team.chat-1");
    assert_ptr_equal(w, &c->webhooks[0]);
    assert_string_equal(w->name, "team.chat-1");
    assert_string_equal(w->url, "https://hooks.example/services/T/B/x");
    assert_int_equal(w->line, 10);
    assert_int_equal(w->outputs.n, 2);
    assert_int_equal(w->n_outs, 2);
    assert_ptr_equal(w->outs[0], config_find_output(c, "news"));
    assert_ptr_equal(w->outs[1], config_find_output(c, "other"));
    assert_int_equal(w->events, WEBHOOK_STORY_NEW | WEBHOOK_STORY_UPDATED | WEBHOOK_FEED_FAILING |
                                    WEBHOOK_FEED_RECOVERED);
    assert_int_equal(w->format, WEBHOOK_TEMPLATE);
    snprintf(want, sizeof(want), "%s/hook.tpl", dir);
    assert_string_equal(w->template_path, want);
    assert_string_equal(w->template_text, "{\"text\": \"{{title}} {{ link }}\"}\n");
    assert_string_equal(w->secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert_int_equal(w->n_headers, 2);
    assert_string_equal(w->headers[0], "X-Api-Key: abc");
    assert_string_equal(w->headers[1], "X-Team: news desk");
    assert_null(w->headers[2]);
    assert_int_equal(w->timeout, 5000);
    assert_int_equal(w->max_attempts, 4);
    assert_int_equal(w->n_retry, 3);
    assert_int_equal(w->retry[0], 10);
    assert_int_equal(w->retry[1], 60);
    assert_int_equal(w->retry[2], 7200);
    assert_int_equal(w->batch, 1);
    assert_int_equal(w->concurrency, 3);

    /* Defaults. */
    w = config_find_webhook(c, "plain");
    assert_non_null(w);
    assert_int_equal(w->events, WEBHOOK_STORY_NEW);
    assert_int_equal(w->format, WEBHOOK_JSON);
    assert_int_equal(w->outputs.n, 0);
    assert_int_equal(w->n_outs, 1);
    assert_ptr_equal(w->outs[0], config_find_output(c, "all"));
    assert_null(w->secret);
    assert_null(w->headers);
    assert_int_equal(w->n_headers, 0);
    assert_null(w->template_path);
    assert_null(w->template_text);
    assert_int_equal(w->timeout, 15000);
    assert_int_equal(w->max_attempts, 8);
    assert_int_equal(w->n_retry, 7);
    assert_int_equal(w->retry[0], 5);
    assert_int_equal(w->retry[6], 86400);
    assert_int_equal(w->batch, 1);
    assert_int_equal(w->concurrency, 1);

    w = config_find_webhook(c, "push");
    assert_non_null(w);
    assert_int_equal(w->format, WEBHOOK_NTFY);
    assert_int_equal(w->events,
                     WEBHOOK_STORY_SOURCE_ADDED | WEBHOOK_FEED_MOVED | WEBHOOK_FEED_GONE);
    assert_int_equal(w->batch, 10);
    assert_int_equal(w->n_retry, 1);
    assert_int_equal(w->retry[0], 86400);
    assert_null(config_find_webhook(c, "nope"));
    config_free(c);
    buf_release(&errs);
}

static void test_webhook_defaults(void **state)
{
    struct buf errs;
    struct config *c;

    (void)state;
    /* Every event name; the default output is the configured default. */
    c = load("[herald]\ndefault_output = news\n"
             "[feed \"a\"]\nurl = https://a.example/feed\n"
             "[output \"news\"]\nfeeds = a\n"
             "[webhook \"h\"]\nurl = https://h.example/\n"
             "events = story.new, story.updated, story.source_added, feed.moved, feed.gone,"
             " feed.failing, feed.recovered\n"
             "secret = env:HERALD_TEST_HOOK_SECRET\n",
             &errs);
    assert_null(c); /* the variable is not set yet */
    assert_non_null(strstr(buf_cstr(&errs), "t.conf:10: secret: environment variable"));
    buf_release(&errs);
    setenv("HERALD_TEST_HOOK_SECRET", "raw secret", 1);
    c = load("[herald]\ndefault_output = news\n"
             "[feed \"a\"]\nurl = https://a.example/feed\n"
             "[output \"news\"]\nfeeds = a\n"
             "[webhook \"h\"]\nurl = https://h.example/\n"
             "events = story.new, story.updated, story.source_added, feed.moved, feed.gone,"
             " feed.failing, feed.recovered\n"
             "secret = env:HERALD_TEST_HOOK_SECRET\n",
             &errs);
    if (!c)
        fail_msg("%s", buf_cstr(&errs));
    assert_int_equal(c->failing_after, 3);
    assert_int_equal(c->webhooks[0].events, (1u << WEBHOOK_N_EVENTS) - 1);
    assert_int_equal(c->webhooks[0].n_outs, 1);
    assert_ptr_equal(c->webhooks[0].outs[0], config_find_output(c, "news"));
    assert_string_equal(c->webhooks[0].secret, "raw secret");
    config_free(c);
    buf_release(&errs);
    unsetenv("HERALD_TEST_HOOK_SECRET");

    /* No webhook at all. */
    c = load("[herald]\n", &errs);
    assert_non_null(c);
    assert_int_equal(c->n_webhooks, 0);
    assert_int_equal(c->failing_after, 3);
    config_free(c);
    buf_release(&errs);

    for (unsigned i = 0; i < WEBHOOK_N_EVENTS; i++)
        assert_non_null(config_webhook_event_name(1u << i));
    assert_string_equal(config_webhook_event_name(WEBHOOK_STORY_NEW), "story.new");
    assert_string_equal(config_webhook_event_name(WEBHOOK_FEED_RECOVERED), "feed.recovered");
    assert_null(config_webhook_event_name(1u << WEBHOOK_N_EVENTS));
    assert_null(config_webhook_event_name(0));
    assert_null(config_webhook_event_name(WEBHOOK_STORY_NEW | WEBHOOK_FEED_GONE));
}

#define HOOK "[webhook \"h\"]\nurl = https://h.example/in\n"

static void test_webhook_errors(void **state)
{
    struct buf errs;

    (void)state;
    write_conf("bad.tpl", "{\"t\": \"{{title}}\", \"x\": \"{{nope}}\"}");
    write_conf("open.tpl", "{\"t\": \"{{title\"}");
    write_conf("good.tpl", "{\"t\": \"{{title}}\"}");

    /* A literal secret is refused, and never echoed. */
    assert_null(load(HOOK "secret = hunter2-secret\n", &errs));
    assert_non_null(strstr(buf_cstr(&errs), "t.conf:3: secret must be file:PATH or env:NAME"));
    assert_null(strstr(buf_cstr(&errs), "hunter2-secret"));
    buf_release(&errs);
    expect_error(HOOK "secret = file:no-such-secret\n", "t.conf:3: secret: cannot read");

    expect_error(HOOK "format = xml\n",
                 "t.conf:3: format must be json, slack, discord, ntfy or template, not 'xml'");
    expect_error(HOOK "format = JSON\n", "t.conf:3: format must be");
    expect_error(HOOK "events = story.new, story.deleted\n",
                 "t.conf:3: webhook \"h\": unknown event \"story.deleted\"");
    expect_error(HOOK "events = story.new\nevents = feed.gone\n",
                 "t.conf:4: duplicate key 'events'");
    expect_error(HOOK "events = story.new story.new story.new story.new story.new story.new "
                      "story.new story.new\n",
                 "t.conf:3: events: at most 7 words");
    expect_error("[feed \"a\"]\nurl = https://a.example/\n" HOOK "outputs = all, nope\n",
                 "t.conf:5: webhook \"h\": no output is named \"nope\"");
    expect_error(HOOK "retry = 5s soon\n", "t.conf:3: webhook \"h\": retry: bad delay 'soon'");
    expect_error(HOOK "retry = 0s\n", "t.conf:3: webhook \"h\": retry: bad delay '0s'");
    expect_error(HOOK "retry = 8d\n", "t.conf:3: webhook \"h\": retry: bad delay '8d'");
    expect_error(HOOK "format = template\n",
                 "t.conf:1: webhook \"h\": format template needs a template file");
    expect_error(HOOK "template = good.tpl\n",
                 "t.conf:1: webhook \"h\": template is only used with format = template");
    expect_error(HOOK "format = template\ntemplate = good.tpl\nbatch = 5\n",
                 "t.conf:1: webhook \"h\": format template sends one story per request (batch = "
                 "1)");
    expect_error(HOOK "format = template\ntemplate = bad.tpl\n", "unknown placeholder {{nope}}");
    expect_error(HOOK "format = template\ntemplate = bad.tpl\n",
                 "t.conf:1: webhook \"h\": template ");
    expect_error(HOOK "format = template\ntemplate = open.tpl\n",
                 "t.conf:1: webhook \"h\": template ");
    expect_error(HOOK "format = template\ntemplate = open.tpl\n", "not closed");
    expect_error(HOOK "format = template\ntemplate = missing.tpl\n",
                 "t.conf:1: webhook \"h\": template: ");
    expect_error("[webhook \"n\"]\nurl = https://ntfy.example/\nformat = ntfy\n",
                 "t.conf:1: webhook \"n\": format ntfy needs the topic in the url");
    expect_error("[webhook \"n\"]\nurl = https://ntfy.example\nformat = ntfy\n",
                 "t.conf:1: webhook \"n\": format ntfy needs the topic in the url");
    expect_error("[herald]\n[webhook \"h\"]\nformat = slack\n",
                 "t.conf:2: webhook \"h\" has no url");
    expect_error(HOOK "[webhook \"h\"]\nurl = https://other.example/\n",
                 "t.conf:3: webhook \"h\" is already defined on line 1");
    expect_error("[webhook \"a b\"]\nurl = https://h.example/\n", "t.conf:1: bad webhook name");
    expect_error("[webhook \"x/y\"]\nurl = https://h.example/\n", "t.conf:1: bad webhook name");
    expect_error("[webhook \"\"]\nurl = https://h.example/\n", "t.conf:1: bad");
    expect_error("[webhook h]\nurl = https://h.example/\n", "t.conf:1: bad section [webhook h]");
    expect_error(HOOK "url = https://other.example/\n", "t.conf:3: duplicate key 'url'");
    expect_error("[webhook \"h\"]\nurl = ftp://h.example/\n", "t.conf:2: url:");
    expect_error(HOOK "header = Content-Length: 5\n", "t.conf:3: header: Herald sets this header");
    expect_error(HOOK "header = NoColon\n", "t.conf:3: header must be 'Name: value'");
    expect_error(HOOK "timeout = 0s\n", "t.conf:3: timeout must be between");
    expect_error(HOOK "max_attempts = 0\n", "t.conf:3: max_attempts must be between");
    expect_error(HOOK "batch = 101\n", "t.conf:3: batch must be between");
    expect_error(HOOK "concurrency = 17\n", "t.conf:3: concurrency must be between");
    expect_error(HOOK "bogus = 1\n", "t.conf:3: unknown key 'bogus'");
    expect_error("[herald]\nfailing_after = 0\n", "t.conf:2: failing_after must be between");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_byte_order_mark),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_feed_http_settings),
        cmocka_unit_test(test_feed_http_settings_errors),
        cmocka_unit_test(test_webhook_full),
        cmocka_unit_test(test_webhook_defaults),
        cmocka_unit_test(test_webhook_errors),
    };
    int r;

    if (!mkdtemp(dir))
        return 1;
    r = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return r;
}
