/* schedule: when a feed is polled next, as a pure function of (policy,
 * what the last poll told us, now, a random number).
 *
 *   success / not modified:
 *       base  = the learned (adaptive) interval when known, else the
 *               configured interval
 *       floor = max(RSS ttl, sy:updatePeriod/updateFrequency,
 *                   Cache-Control max-age, Expires - now)
 *       next  = now + clamp(max(base, floor), min_interval, max_interval)
 *               (the bounds widen to include the configured interval)
 *   failure (n consecutive errors):
 *       next  = now + min(interval * 2^(n-1), backoff_cap)
 *   Retry-After (429, 503) is a lower bound for either.
 *
 * Then up to +10% jitter is added (so feeds polled together drift apart),
 * and a time that falls in the feed's skipHours/skipDays moves to the
 * start of the next allowed hour. Times are UTC epoch seconds. No clock,
 * no globals: the caller passes now and the random number. Depends on
 * base/ only.
 */
#ifndef HERALD_APP_SCHEDULE_H
#define HERALD_APP_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

struct schedule_policy {
    int64_t interval;     /* configured, seconds */
    int64_t min_interval; /* lower clamp for hints and learning */
    int64_t max_interval; /* upper clamp for hints and learning */
    int64_t backoff_cap;  /* longest wait after errors */
};

struct schedule_input {
    bool failed;         /* the poll failed (any class) */
    int error_count;     /* consecutive failures, this one included */
    int64_t retry_after; /* absolute time from Retry-After, or 0 */
    int64_t max_age;     /* Cache-Control max-age seconds, or -1 */
    int64_t expires;     /* absolute time from Expires, or 0 */
    int64_t ttl;         /* RSS ttl in seconds, or -1 */
    int64_t sy_period;   /* sy:updatePeriod / sy:updateFrequency in seconds, or -1 */
    int64_t adaptive;    /* learned interval in seconds, or 0 when unknown */
    uint32_t skip_hours; /* bit h set: hour h (UTC) is skipped */
    uint8_t skip_days;   /* bit d set: day d (0 = Sunday) is skipped */
};

/* Returns the absolute time of the next poll. random is any uniformly
 * distributed 64-bit value (the jitter is derived from it). */
int64_t schedule_next(const struct schedule_policy *p, const struct schedule_input *in, int64_t now,
                      uint64_t random);

/* The interval learned from a feed's publishing history: times are the
 * publication times of its newest entries (any order, TIME_NONE ignored).
 * Returns half the median gap between consecutive entries, or 0 when
 * there are fewer than 3 usable times. */
int64_t schedule_learn(const int64_t *times, unsigned n);

/* Spreads a start-up: the k-th of n due feeds is delayed by
 * k * window / n (any unit), so that all due feeds are not fired at once. */
int64_t schedule_spread(unsigned k, unsigned n, int64_t window);

/* The start-up window for n due feeds, in milliseconds: one feed per
 * transfer slot (max_concurrent of them) every SCHEDULE_SPREAD_SLOT_MS, at
 * most SCHEDULE_SPREAD_MAX_MS, and never more than shortest_interval
 * (seconds), the smallest interval among them. */
#define SCHEDULE_SPREAD_SLOT_MS 10
#define SCHEDULE_SPREAD_MAX_MS  5000
int64_t schedule_spread_window_ms(unsigned n, unsigned max_concurrent, int64_t shortest_interval);

#endif
