/* fuzz_sanitize: differential libFuzzer target for feed/sanitize.h.
 *
 * Input byte 0 picks the base URL (% 4: none, an https page with a query,
 * an http directory, a relative one that counts as none); the rest is the
 * HTML. The fast path alone (SANITIZE_FAST) runs first; when it accepts the
 * input, the parser path alone (SANITIZE_SLOW, the reference) must return
 * the same code and the same bytes, else the target aborts with both
 * outputs. Then the same check on the parser path's output: it is tidy
 * HTML, the fast path's home ground, so arbitrary input turns into many
 * distinct inputs the fast path takes. Declined inputs still go through
 * sanitize_html() (the fast path, then the parser path) for ASan/UBSan.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed/sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const bases[] = {
    NULL,
    "https://ex.com/a/b.html?q=1#frag",
    "http://ex.org/dir/",
    "rel/only",
};

static void fail(const char *what, const char *html, size_t len, const char *a, const char *b)
{
    fprintf(stderr,
            "fuzz_sanitize: %s\n  input (%zu bytes): \"%.*s\"\n  fast: \"%s\"\n  slow: \"%s\"\n",
            what, len, (int)len, html, a ? a : "(null)", b ? b : "(null)");
    abort();
}

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* One input: when the fast path takes it, both paths must agree. */
static void check(const char *html, size_t len, const char *base)
{
    char *fast = NULL, *slow = NULL, *out = NULL;
    int rf, rs;

    rf = sanitize_html_path(html, len, base, SANITIZE_FAST, &fast);
    if (rf == -ENOTSUP) {
        if (sanitize_html(html, len, base, &out) == 0)
            free(out);
        return;
    }
    rs = sanitize_html_path(html, len, base, SANITIZE_SLOW, &slow);
    if (rf != rs) {
        char a[32], b[32];

        snprintf(a, sizeof(a), "return %d", rf);
        snprintf(b, sizeof(b), "return %d", rs);
        fail("fast and slow paths return different codes", html, len, a, b);
    }
    if (rf == 0 && !same(fast, slow))
        fail("fast and slow paths differ", html, len, fast, slow);
    free(fast);
    free(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *base;
    char *tidy = NULL;

    if (size < 1)
        return 0;
    base = bases[data[0] % 4];
    check((const char *)data + 1, size - 1, base);
    if (sanitize_html_path((const char *)data + 1, size - 1, base, SANITIZE_SLOW, &tidy) == 0 &&
        tidy) {
        check(tidy, strlen(tidy), base);
        free(tidy);
    }
    return 0;
}
