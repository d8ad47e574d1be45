/* clock: see clock.h. */
#include "base/clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t clock_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t clock_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int to_tm(int64_t t, struct tm *tm)
{
    time_t tt = (time_t)t;

    if (!gmtime_r(&tt, tm) || tm->tm_year + 1900 < 0 || tm->tm_year + 1900 > 9999)
        return -ERANGE;
    return 0;
}

int clock_format_rfc3339(int64_t t, char out[CLOCK_RFC3339_LEN])
{
    struct tm tm;

    char tmp[96];

    if (to_tm(t, &tm) < 0)
        return -ERANGE;
    /* The range check above bounds every field; tmp silences gcc's
     * truncation analysis, which cannot see it. */
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, CLOCK_RFC3339_LEN - 1);
    out[CLOCK_RFC3339_LEN - 1] = '\0';
    return 0;
}

int clock_format_rfc1123(int64_t t, char out[CLOCK_RFC1123_LEN])
{
    static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;

    char tmp[96];

    if (to_tm(t, &tm) < 0)
        return -ERANGE;
    snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, CLOCK_RFC1123_LEN - 1);
    out[CLOCK_RFC1123_LEN - 1] = '\0';
    return 0;
}
