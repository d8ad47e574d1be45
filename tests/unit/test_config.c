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
    assert_int_equal(c->timeout, 5000);
    assert_string_equal(c->public_url, "https://news.example.org");
    assert_int_equal(c->n_feeds, 2);
    assert_string_equal(c->feeds[0].name, "lwn");
    assert_string_equal(c->feeds[0].url, "https://lwn.net/headlines/rss");
    assert_int_equal(c->feeds[0].interval, 90);
    assert_string_equal(c->feeds[0].title, "LWN");
    assert_int_equal(c->feeds[0].line, 12);
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
