/* fuzz_date: libFuzzer target over date_parse() (feed/date.h).
 *
 * The input, as a NUL-terminated copy, goes through date_parse(). The
 * checks: the result is TIME_NONE or within years 0..9999 (give or take
 * a week of zone offset); the parse is deterministic; leading blanks do
 * not matter; and a parsed time written back as RFC 3339 and as an HTTP
 * date (base/clock.h) parses to the same time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "feed/date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIN_TIME (INT64_C(-62167219200) - 7 * 86400) /* 0000-01-01T00:00:00Z */
#define MAX_TIME (INT64_C(253402300800) + 7 * 86400) /* 10000-01-01T00:00:00Z */

static void fail(const char *what, const char *in, int64_t t, int64_t t2)
{
    fprintf(stderr, "fuzz_date: %s: \"%s\" -> %lld (then %lld)\n", what, in, (long long)t,
            (long long)t2);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 2), out[CLOCK_RFC1123_LEN];
    int64_t t, t2;

    if (!s)
        return 0;
    s[0] = ' ';
    memcpy(s + 1, data, size);
    s[size + 1] = '\0';

    t = date_parse(s + 1);
    if (t != TIME_NONE && (t < MIN_TIME || t > MAX_TIME))
        fail("out of range", s + 1, t, 0);
    if ((t2 = date_parse(s + 1)) != t)
        fail("not deterministic", s + 1, t, t2);
    if ((t2 = date_parse(s)) != t)
        fail("a leading blank changed the result", s + 1, t, t2);
    if (t != TIME_NONE) {
        if (clock_format_rfc3339(t, out) == 0 && (t2 = date_parse(out)) != t)
            fail("RFC 3339 round trip", out, t, t2);
        if (clock_format_rfc1123(t, out) == 0 && (t2 = date_parse(out)) != t)
            fail("RFC 1123 round trip", out, t, t2);
    }
    free(s);
    return 0;
}
