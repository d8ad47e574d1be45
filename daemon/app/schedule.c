/* schedule: see schedule.h. */
#include "app/schedule.h"

#include <stdlib.h>

#include "base/clock.h"

#define DAY (24 * 3600)

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    if (hi > 0 && v > hi)
        v = hi;
    return v < lo ? lo : v;
}

static int64_t backoff(const struct schedule_policy *p, int errors)
{
    int64_t wait = p->interval > 0 ? p->interval : 60;

    for (int i = 1; i < errors && wait < p->backoff_cap; i++)
        wait *= 2;
    return wait > p->backoff_cap ? p->backoff_cap : wait;
}

static int64_t healthy(const struct schedule_policy *p, const struct schedule_input *in,
                       int64_t now)
{
    int64_t base = in->adaptive > 0 ? in->adaptive : p->interval;
    int64_t floor = -1;

    /* The configured interval is always allowed, whatever the bounds. */
    int64_t lo = p->min_interval < p->interval ? p->min_interval : p->interval;
    int64_t hi = p->max_interval > p->interval ? p->max_interval : p->interval;

    floor = max64(floor, in->ttl);
    floor = max64(floor, in->sy_period);
    floor = max64(floor, in->max_age);
    if (in->expires > now)
        floor = max64(floor, in->expires - now);
    return clamp(max64(base, floor), lo, hi);
}

/* Moves t forward to the start of the next hour that is neither a
 * skipped hour nor in a skipped day; gives up after a week (a feed that
 * skips everything is polled anyway). */
static int64_t skip(int64_t t, uint32_t hours, uint8_t days)
{
    if (!(hours & 0xffffffu) && !(days & 0x7f))
        return t;
    for (int i = 0; i < 7 * 24; i++) {
        int64_t day = t >= 0 ? t / DAY : (t - DAY + 1) / DAY;
        int hour = (int)((t - day * DAY) / 3600);
        int wday = (int)((day + 4) % 7); /* 1970-01-01 was a Thursday */

        if (wday < 0)
            wday += 7;
        if (!(hours & (1u << hour)) && !(days & (1u << wday)))
            return t;
        t = (t / 3600 + 1) * 3600;
    }
    return t;
}

int64_t schedule_next(const struct schedule_policy *p, const struct schedule_input *in, int64_t now,
                      uint64_t random)
{
    int64_t wait = in->failed ? backoff(p, in->error_count) : healthy(p, in, now);
    int64_t next;

    /* Up to +10%: feeds that were polled together drift apart. */
    wait += (int64_t)(random % (uint64_t)(wait / 10 + 1));
    next = now + wait;
    if (in->retry_after > next)
        next = in->retry_after;
    return skip(next, in->skip_hours, in->skip_days);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

int64_t schedule_learn(const int64_t *times, unsigned n)
{
    int64_t sorted[64], gaps[63];
    unsigned m = 0, g = 0;

    for (unsigned i = 0; i < n && m < 64; i++) {
        if (times[i] != TIME_NONE)
            sorted[m++] = times[i];
    }
    if (m < 3)
        return 0;
    qsort(sorted, m, sizeof(sorted[0]), cmp64);
    for (unsigned i = 1; i < m; i++) {
        if (sorted[i] > sorted[i - 1])
            gaps[g++] = sorted[i] - sorted[i - 1];
    }
    if (g < 2)
        return 0;
    qsort(gaps, g, sizeof(gaps[0]), cmp64);
    return gaps[g / 2] / 2;
}

int64_t schedule_spread(unsigned k, unsigned n, int64_t window)
{
    if (n <= 1 || window <= 0)
        return 0;
    return (int64_t)k * window / (int64_t)n;
}

int64_t schedule_spread_window_ms(unsigned n, unsigned max_concurrent, int64_t shortest_interval)
{
    int64_t w = (int64_t)n * SCHEDULE_SPREAD_SLOT_MS / (max_concurrent ? max_concurrent : 1);

    if (w > SCHEDULE_SPREAD_MAX_MS)
        w = SCHEDULE_SPREAD_MAX_MS;
    if (shortest_interval >= 0 && w > shortest_interval * 1000)
        w = shortest_interval * 1000;
    return w;
}
