/* test_service: the one-line STATUS= summary sent to systemd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "app/service.h"

static const char *format(const struct service_status *st, size_t cap)
{
    static char out[512];

    assert_true(cap <= sizeof(out));
    service_format_status(st, out, cap);
    return out;
}

static void test_status_line(void **state)
{
    struct service_status st = {.feeds = 12,
                                .failing = 1,
                                .entries = 3456,
                                .deliveries_pending = -1,
                                .deliveries_dead = -1};

    (void)state;
    assert_string_equal(format(&st, 512), "12 feeds: 11 ok, 1 failing; 3456 entries");
    st.deliveries_pending = 2;
    st.deliveries_dead = 0;
    assert_string_equal(format(&st, 512),
                        "12 feeds: 11 ok, 1 failing; 3456 entries; 2 deliveries pending, 0 dead");
    /* Unknown figures are left out. */
    st.entries = -1;
    st.deliveries_pending = -1;
    assert_string_equal(format(&st, 512), "12 feeds: 11 ok, 1 failing");
    st.feeds = st.failing = -1;
    st.entries = 5;
    assert_string_equal(format(&st, 512), "5 entries");
}

static void test_reload_error_stays_on_one_line(void **state)
{
    struct service_status st = {.feeds = 2,
                                .failing = 0,
                                .entries = 7,
                                .deliveries_pending = -1,
                                .deliveries_dead = -1,
                                .reload_error = "heraldd.conf:4: unknown key 'x\ny'"};

    (void)state;
    assert_string_equal(format(&st, 512), "2 feeds: 2 ok, 0 failing; 7 entries; reload failed: "
                                          "heraldd.conf:4: unknown key 'x\\x0ay'");
    st.reload_error = "";
    assert_string_equal(format(&st, 512), "2 feeds: 2 ok, 0 failing; 7 entries");
    /* Cut, never overrun, always terminated. */
    st.reload_error = "a long error message that does not fit";
    assert_int_equal(strlen(format(&st, 40)), 39);
    assert_null(strchr(format(&st, 40), '\n'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_line),
        cmocka_unit_test(test_reload_error_stays_on_one_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
