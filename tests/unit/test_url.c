/* Unit tests for base/url: url_canonical(), the link form used for
 * deduplication. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "base/url.h"

static const char *const strip_extra[] = {"ref", "source", NULL};

static const struct url_canon_opts scheme = {.fold_scheme = true};
static const struct url_canon_opts slash = {.fold_slash = true};
static const struct url_canon_opts both = {.fold_scheme = true, .fold_slash = true};
static const struct url_canon_opts strip = {.strip = strip_extra};

struct canon_case {
    const char *in;
    const struct url_canon_opts *opts;
    const char *want; /* NULL: -EINVAL */
};

static const struct canon_case cases[] = {
    /* Tracking parameters, in any position; the others keep their order. */
    {"https://www.nytimes.com/2024/01/05/technology/ai.html"
     "?utm_source=rss&utm_medium=feed&utm_campaign=tech",
     NULL, "https://www.nytimes.com/2024/01/05/technology/ai.html"},
    {"https://example.com/post?utm_source=twitter&id=123&utm_medium=social", NULL,
     "https://example.com/post?id=123"},
    {"https://example.com/post?id=123&utm_source=x", NULL, "https://example.com/post?id=123"},
    {"https://blog.example.org/?utm_campaign=spring&p=42&utm_content=link&utm_term=x", NULL,
     "https://blog.example.org/?p=42"},
    {"https://example.com/a?fbclid=IwAR0xYz_AbC-123", NULL, "https://example.com/a"},
    {"https://shop.example.com/item?sku=9&gclid=Cj0KCQiA&dclid=CJ2", NULL,
     "https://shop.example.com/item?sku=9"},
    {"https://news.example.com/2024/issue?mc_cid=abc123&mc_eid=def456", NULL,
     "https://news.example.com/2024/issue"},
    {"https://www.instagram.com/p/CxYz12/?igshid=MzRlODBiNWFlZA==", NULL,
     "https://www.instagram.com/p/CxYz12/"},
    {"https://twitter.com/someone/status/1745?ref_src=twsrc%5Etfw", NULL,
     "https://twitter.com/someone/status/1745"},
    {"https://x.org/a?_hsenc=p2ANqtz-8&_hsmi=291&lang=en", NULL, "https://x.org/a?lang=en"},
    {"https://x.org/?msclkid=1&yclid=3", NULL, "https://x.org/"},
    {"https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=youtu.be&utm_source=x", NULL,
     "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=youtu.be"},
    {"https://x.org/a?UTM_SOURCE=x&Utm_Medium=y&id=1&FBCLID=z", NULL, "https://x.org/a?id=1"},
    {"https://x.org/a?utm%5Fsource=x&id=1", NULL, "https://x.org/a?id=1"},
    {"https://x.org/a?utm=1&xutm_source=2&q=utm_source", NULL,
     "https://x.org/a?utm=1&xutm_source=2&q=utm_source"},
    {"https://x.org/a?story=abc&page=2", NULL, "https://x.org/a?story=abc&page=2"},
    {"https://x.org/a?page=2&story=abc", NULL, "https://x.org/a?page=2&story=abc"},
    {"https://x.org/a?tag=a&tag=b&utm_source=x&tag=a", NULL, "https://x.org/a?tag=a&tag=b&tag=a"},
    {"https://x.org/a?amp&utm_source=x", NULL, "https://x.org/a?amp"},
    {"https://x.org/a?&&id=1&", NULL, "https://x.org/a?id=1"},
    {"https://x.org/s?q=a+b&r=a%2Bb", NULL, "https://x.org/s?q=a+b&r=a%2Bb"},
    {"https://x.org/a?x=1;utm_source=y", NULL, "https://x.org/a?x=1;utm_source=y"},
    {"https://x.org/a?utm_source=x", NULL, "https://x.org/a"},
    {"https://x.org/a?%75tm_source=x", NULL, "https://x.org/a"},
    {"https://x.org/a?b=c#d?utm_source=x", NULL, "https://x.org/a?b=c"},
    {"https://x.org/list.php?ids[]=1&ids[]=2&utm_source=x", NULL,
     "https://x.org/list.php?ids[]=1&ids[]=2"},
    {"https://x.org/a?", NULL, "https://x.org/a"},
    {"https://x.org/a?id=1#", NULL, "https://x.org/a?id=1"},
    /* Extra names: exact, case-insensitive, never a prefix. */
    {"https://x.org/a?ref=hn&id=1&source=rss", &strip, "https://x.org/a?id=1"},
    {"https://x.org/a?REF=hn&utm_medium=x", &strip, "https://x.org/a"},
    {"https://x.org/a?referrer=x&ref=y", &strip, "https://x.org/a?referrer=x"},
    {"https://x.org/a?ref=hn", NULL, "https://x.org/a?ref=hn"},
    {"https://medium.com/@user/title-abc123?source=rss----abc---4", &strip,
     "https://medium.com/@user/title-abc123"},
    /* A feedburner link: only the tracking goes. */
    {"http://feedproxy.google.com/~r/ExampleBlog/~3/AbCdEf12/post-title.html"
     "?utm_source=feedburner&utm_medium=feed&utm_campaign=Feed%3A+ExampleBlog+%28Example+Blog%29",
     NULL, "http://feedproxy.google.com/~r/ExampleBlog/~3/AbCdEf12/post-title.html"},
    /* Fragment, case, ports, empty path, dot segments. */
    {"https://example.com/post#comments", NULL, "https://example.com/post"},
    {"https://x.org/a#b c", NULL, "https://x.org/a"},
    {"HTTP://Example.COM:80/a", NULL, "http://example.com/a"},
    {"HTTPS://WWW.EXAMPLE.COM", NULL, "https://www.example.com/"},
    {"https://x.org:443/", NULL, "https://x.org/"},
    {"https://x.org:0443/a", NULL, "https://x.org/a"},
    {"http://example.com:8080/x", NULL, "http://example.com:8080/x"},
    {"https://example.com:80/x", NULL, "https://example.com:80/x"},
    {"https://x.org", NULL, "https://x.org/"},
    {"https://x.org?id=1", NULL, "https://x.org/?id=1"},
    {"https://x.org/a/./b/../c", NULL, "https://x.org/a/c"},
    {"https://x.org/a/b/../../..", NULL, "https://x.org/"},
    {"https://EXAMPLE.COM./", NULL, "https://example.com./"},
    {"https://www.example.com/A/B", NULL, "https://www.example.com/A/B"},
    {"  https://x.org/a \n", NULL, "https://x.org/a"},
    /* Scheme and trailing slash folding. */
    {"http://x.org/a", NULL, "http://x.org/a"},
    {"http://x.org/a", &scheme, "https://x.org/a"},
    {"https://x.org/a", &scheme, "https://x.org/a"},
    {"http://x.org:443/a", &scheme, "https://x.org/a"},
    {"http://x.org:8443/a", &scheme, "https://x.org:8443/a"},
    {"https://x.org/a/", NULL, "https://x.org/a/"},
    {"https://x.org/a/", &slash, "https://x.org/a"},
    {"https://x.org/a/?p=1", &slash, "https://x.org/a?p=1"},
    {"https://x.org/", &slash, "https://x.org/"},
    {"https://x.org/a//", &slash, "https://x.org/a"},
    {"https://x.org//", &slash, "https://x.org/"},
    {"https://x.org", &slash, "https://x.org/"},
    {"http://Example.com/a/?utm_source=x#top", &both, "https://example.com/a"},
    /* Percent-encoding. */
    {"https://x.org/caf%c3%a9/%7euser/%41b", NULL, "https://x.org/caf%C3%A9/~user/Ab"},
    {"https://x.org/café?q=é", NULL, "https://x.org/caf%C3%A9?q=%C3%A9"},
    {"https://x.org/a/%2e%2E/b", NULL, "https://x.org/b"},
    {"https://x.org/a%2fb?q=a%26b", NULL, "https://x.org/a%2Fb?q=a%26b"},
    {"https://x.org/a b|c", NULL, "https://x.org/a%20b%7Cc"},
    {"https://x.org/100%", NULL, "https://x.org/100%25"},
    {"https://x.org/%zz%4", NULL, "https://x.org/%25zz%254"},
    {"https://ex%61mple.org/", NULL, "https://example.org/"},
    /* Hosts: IDN and punycode are only lower-cased, curl rewrites IPv4. */
    {"https://xn--bcher-kva.DE/", NULL, "https://xn--bcher-kva.de/"},
    {"https://Bücher.de/a", NULL, "https://bücher.de/a"},
    {"http://0x7f.1/", NULL, "http://127.0.0.1/"},
    /* IPv6 literal, user info. */
    {"http://[2001:DB8::1]:80/feed", NULL, "http://[2001:db8::1]/feed"},
    {"https://[::1]:8443/x", NULL, "https://[::1]:8443/x"},
    {"https://User:Pass@Example.com/x", NULL, "https://User:Pass@example.com/x"},
    {"http://user@EXAMPLE.com:80/", &scheme, "https://user@example.com/"},
    /* Not an absolute http(s) URL. */
    {"ftp://example.com/file", NULL, NULL},
    {"file:///etc/passwd", NULL, NULL},
    {"mailto:a@example.com", NULL, NULL},
    {"javascript:alert(1)", NULL, NULL},
    {"/relative/path", NULL, NULL},
    {"//example.com/a", NULL, NULL},
    {"example.com/a", NULL, NULL},
    {"http:example.com/a", NULL, NULL},
    {"not a url", NULL, NULL},
    {"", NULL, NULL},
    {"   ", NULL, NULL},
    {"http://", NULL, NULL},
    {"https://?q", NULL, NULL},
    {"http:///a", NULL, NULL},
    {"https://ex ample.com/", NULL, NULL},
    {"https://x.org:99999/", NULL, NULL},
    {"https://x.org/a\nb", NULL, NULL},
    {"https://a@b@x.org/", NULL, NULL},
    /* fuzz/regressions/fuzz_url-del-in-host: curl decodes "%7F" in a host
     * and keeps the DEL; a canonical form has no control characters. */
    {"http://a%7Fb/", NULL, NULL},
    {"https://Ex%7fample.org/a?b", &both, NULL},
    /* fuzz/regressions/fuzz_url-encoded-ipv4-host: curl decodes "%34" to
     * "4" but rewrites the IPv4 number only on the next parse; the
     * canonical form is the stable one. */
    {"http://%34/", NULL, "http://0.0.0.4/"},
    {"HTTP://%34//`E/x", &both, "https://0.0.0.4//%60E/x"},
    {"http://%30x7f.1/a", NULL, "http://127.0.0.1/a"},
};

static void check(const struct canon_case *c)
{
    char *out = NULL;
    int r = url_canonical(c->in, c->opts, &out);

    if (!c->want) {
        if (r != -EINVAL)
            print_error("url_canonical(\"%s\"): %d, want -EINVAL\n", c->in, r);
        assert_int_equal(r, -EINVAL);
        assert_null(out); /* written only on success */
        return;
    }
    if (r != 0)
        print_error("url_canonical(\"%s\"): %d\n", c->in, r);
    assert_int_equal(r, 0);
    if (strcmp(out, c->want))
        print_error("url_canonical(\"%s\"): \"%s\", want \"%s\"\n", c->in, out, c->want);
    assert_string_equal(out, c->want);
    free(out);
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check(&cases[i]);
}

/* The canonical form is a fixed point. */
static void test_idempotent(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct canon_case again = {cases[i].want, cases[i].opts, cases[i].want};

        if (cases[i].want)
            check(&again);
    }
}

/* The same cases through curl: an explicit default port keeps a URL off
 * the path that bypasses curl, and must not change the result. */
static void test_same_through_curl(void **state)
{
    size_t n = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *in = cases[i].in;
        size_t skip = !strncasecmp(in, "https://", 8) ? 8 : !strncasecmp(in, "http://", 7) ? 7 : 0;
        size_t auth = strcspn(in + skip, "/?#");
        char buf[512];
        struct canon_case c = {buf, cases[i].opts, cases[i].want};

        if (!cases[i].want || !skip || memchr(in + skip, ':', auth) || memchr(in + skip, '@', auth))
            continue;
        snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(skip + auth), in, skip == 8 ? ":443" : ":80",
                 in + skip + auth);
        check(&c);
        n++;
    }
    assert_true(n > 40);
}

/* Folding everything still tells meaningful differences apart. */
static void test_distinct_stay_distinct(void **state)
{
    static const char *const urls[] = {
        "https://example.com/?id=1",     "https://example.com/?id=2",
        "https://example.com/?ID=1",     "https://example.com/a",
        "https://example.com/b",         "https://example.com/A",
        "https://www.example.com/a",     "https://blog.example.com/a",
        "https://example.com:8080/a",    "https://user@example.com/a",
        "https://example.com/a?p=1&q=2", "https://example.com/a?q=2&p=1",
        "https://example.com/a?p=1&p=1", "https://example.com/a%2Fb",
        "https://example.com/a/b",       "https://example.com/s?x=a+b",
        "https://example.com/s?x=a%2Bb", "https://example.com/a?ref=1",
        "https://example.com/a;v=1",     "https://[::1]/a",
    };
    enum { N = sizeof(urls) / sizeof(urls[0]) };
    char *out[N];

    (void)state;
    for (size_t i = 0; i < N; i++)
        assert_int_equal(url_canonical(urls[i], &both, &out[i]), 0);
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++)
            if (!strcmp(out[i], out[j]))
                fail_msg("\"%s\" and \"%s\" both give \"%s\"", urls[i], urls[j], out[i]);
    for (size_t i = 0; i < N; i++)
        free(out[i]);
}

/* Variants of one link collapse to one form. */
static void test_variants_collapse(void **state)
{
    static const char *const urls[] = {
        "https://example.com/post/1/",
        "http://example.com/post/1",
        "HTTP://EXAMPLE.COM:80/post/1/#comments",
        "https://example.com:443/post/./1?utm_source=rss&utm_medium=feed",
        "https://example.com/post/x/../1?fbclid=abc",
        "https://example.com/%70ost/1?",
    };
    char *first, *out;

    (void)state;
    assert_int_equal(url_canonical(urls[0], &both, &first), 0);
    assert_string_equal(first, "https://example.com/post/1");
    for (size_t i = 1; i < sizeof(urls) / sizeof(urls[0]); i++) {
        assert_int_equal(url_canonical(urls[i], &both, &out), 0);
        assert_string_equal(out, first);
        free(out);
    }
    free(first);
}

static void test_tracking_list(void **state)
{
    size_t n = 0;

    (void)state;
    assert_string_equal(url_tracking_params[0], "utm_");
    while (url_tracking_params[n])
        n++;
    assert_int_equal(n, 12);
}

/* Longer than the stack buffer: the heap path. */
static void test_long_url(void **state)
{
    size_t len = 5000;
    char *in = malloc(len + 64), *want = malloc(len + 64), *out;

    (void)state;
    assert_non_null(in);
    assert_non_null(want);
    memcpy(in, "https://X.org/", 14);
    memset(in + 14, 'a', len);
    memcpy(in + 14 + len, "?utm_source=x&id=%7e", 21);
    memcpy(want, "https://x.org/", 14);
    memset(want + 14, 'a', len);
    memcpy(want + 14 + len, "?id=~", 6);
    assert_int_equal(url_canonical(in, NULL, &out), 0);
    assert_string_equal(out, want);
    free(out);
    free(in);
    free(want);
}

static void test_null_url(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(url_canonical(NULL, NULL, &out), -EINVAL);
    assert_null(out);
}

/* fuzz/regressions/fuzz_url-empty-user: the canonical form of
 * "http://:pw@0x7f.1/a//" is "https://:pw@127.0.0.1/a", which has a host:
 * url_is_http() took the ":" of the user info for an empty host. */
static void test_is_http(void **state)
{
    char *out = NULL;

    (void)state;
    assert_true(url_is_http("http://example.org/feed"));
    assert_true(url_is_http("HTTPS://example.org"));
    assert_true(url_is_http("https://:pw@127.0.0.1/a"));
    assert_true(url_is_http("http://user:pw@example.org:8080/"));
    assert_false(url_is_http("http://"));
    assert_false(url_is_http("http:///a"));
    assert_false(url_is_http("http://:80/a"));
    assert_false(url_is_http("http://user@/a"));
    assert_false(url_is_http("http://user:pw@:80/a"));
    assert_false(url_is_http("https://?q"));
    assert_false(url_is_http("https://#f"));
    assert_false(url_is_http("ftp://example.org/"));
    assert_false(url_is_http("http://exa mple.org/"));
    assert_false(url_is_http("http://a\x7f.org/"));
    assert_int_equal(url_canonical("http://:pw@0x7f.1/a//", &both, &out), 0);
    assert_string_equal(out, "https://:pw@127.0.0.1/a");
    assert_true(url_is_http(out));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_same_through_curl),
        cmocka_unit_test(test_distinct_stay_distinct),
        cmocka_unit_test(test_variants_collapse),
        cmocka_unit_test(test_tracking_list),
        cmocka_unit_test(test_long_url),
        cmocka_unit_test(test_null_url),
        cmocka_unit_test(test_is_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
