/* Unit tests for app/schedule: the next poll time as a pure function. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "app/schedule.h"
#include "base/clock.h"

/* 2026-11-26T12:00:00Z, a Thursday. */
#define NOW 1795694400

static const struct schedule_policy policy = {
    .interval = 1800, .min_interval = 60, .max_interval = 86400, .backoff_cap = 86400};

static struct schedule_input ok(void)
{
    return (struct schedule_input){.max_age = -1, .ttl = -1, .sy_period = -1};
}

static void test_interval_and_jitter(void **state)
{
    struct schedule_input in = ok();

    (void)state;
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 1800);
    /* Jitter stays within +10%. */
    for (uint64_t r = 0; r < 1000; r += 7) {
        int64_t t = schedule_next(&policy, &in, NOW, r * 2654435761u);
        assert_true(t >= NOW + 1800 && t <= NOW + 1980);
    }
}

static void test_hints_are_floors(void **state)
{
    struct schedule_input in = ok();

    (void)state;
    in.ttl = 3600;
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 3600);
    in.max_age = 7200;
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 7200);
    in.expires = NOW + 10000;
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 10000);
    in.sy_period = 86400 * 7; /* clamped to max_interval */
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 86400);
    /* A short hint never polls more often than configured. */
    in = ok();
    in.max_age = 10;
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 1800);
    /* An Expires in the past is no hint. */
    in.expires = NOW - 5;
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 1800);
}

static void test_adaptive_replaces_interval_within_bounds(void **state)
{
    struct schedule_input in = ok();

    (void)state;
    in.adaptive = 600;
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 600);
    in.adaptive = 5;
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 60);
    in.adaptive = 10 * 86400;
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 86400);
}

static void test_configured_interval_beyond_bounds(void **state)
{
    struct schedule_policy fast = policy;
    struct schedule_input in = ok();

    (void)state;
    fast.interval = 1; /* below min_interval: the configuration wins */
    assert_int_equal(schedule_next(&fast, &in, NOW, 0), NOW + 1);
    in.max_age = 120; /* hints still count */
    assert_int_equal(schedule_next(&fast, &in, NOW, 0), NOW + 120);
    fast.interval = 2 * 86400; /* above max_interval */
    in = ok();
    assert_int_equal(schedule_next(&fast, &in, NOW, 0), NOW + 2 * 86400);
}

static void test_backoff_doubles_to_cap_and_retry_after(void **state)
{
    struct schedule_input in = ok();
    int64_t want[] = {1800, 3600, 7200, 14400, 28800, 57600, 86400, 86400};

    (void)state;
    in.failed = true;
    for (int i = 0; i < 8; i++) {
        in.error_count = i + 1;
        assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + want[i]);
    }
    in.error_count = 1000; /* no overflow */
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 86400);
    in.error_count = 1;
    in.retry_after = NOW + 5000;
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 5000);
    in.retry_after = NOW + 10; /* never earlier than the backoff */
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 1800);
}

static void test_skip_hours_and_days(void **state)
{
    struct schedule_input in = ok();

    (void)state;
    /* NOW + 30 min is 12:30 Thursday; skipping hours 12-14 moves to 15:00. */
    in.skip_hours = (1u << 12) | (1u << 13) | (1u << 14);
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 3 * 3600);
    /* Skipping Thursday (4) and Friday (5) moves to Saturday 00:00. */
    in = ok();
    in.skip_days = (1u << 4) | (1u << 5);
    assert_int_equal(schedule_next(&policy, &in, NOW, 0), NOW + 12 * 3600 + 86400);
    /* Everything skipped: polled anyway, within a week. */
    in.skip_hours = 0xffffff;
    in.skip_days = 0x7f;
    assert_true(schedule_next(&policy, &in, NOW, 0) <= NOW + 8 * 86400);
}

static void test_learn(void **state)
{
    int64_t hourly[] = {NOW, NOW - 3600, NOW - 7200, TIME_NONE, NOW - 10800};
    int64_t few[] = {NOW, NOW - 60};
    int64_t same[] = {NOW, NOW, NOW, NOW};

    (void)state;
    assert_int_equal(schedule_learn(hourly, 5), 1800);
    assert_int_equal(schedule_learn(few, 2), 0);
    assert_int_equal(schedule_learn(same, 4), 0);
}

static void test_spread(void **state)
{
    (void)state;
    assert_int_equal(schedule_spread(0, 100, 60), 0);
    assert_int_equal(schedule_spread(50, 100, 60), 30);
    assert_int_equal(schedule_spread(99, 100, 60), 59);
    assert_int_equal(schedule_spread(0, 1, 60), 0);
}

/* One due feed per transfer slot every 10 ms, at most 5 s and never more
 * than the shortest interval. */
static void test_spread_window(void **state)
{
    (void)state;
    assert_int_equal(schedule_spread_window_ms(10000, 64, 3600), 1562);
    assert_int_equal(schedule_spread_window_ms(10000, 16, 3600), 5000);
    assert_int_equal(schedule_spread_window_ms(200, 16, 3600), 125);
    assert_int_equal(schedule_spread_window_ms(1, 16, 3600), 0);
    assert_int_equal(schedule_spread_window_ms(10000, 16, 2), 2000);
    assert_int_equal(schedule_spread_window_ms(10000, 0, 3600), 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interval_and_jitter),
        cmocka_unit_test(test_spread_window),
        cmocka_unit_test(test_hints_are_floors),
        cmocka_unit_test(test_adaptive_replaces_interval_within_bounds),
        cmocka_unit_test(test_configured_interval_beyond_bounds),
        cmocka_unit_test(test_backoff_doubles_to_cap_and_retry_after),
        cmocka_unit_test(test_skip_hours_and_days),
        cmocka_unit_test(test_learn),
        cmocka_unit_test(test_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
