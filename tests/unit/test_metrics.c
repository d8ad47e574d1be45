/* test_metrics: the Prometheus exposition, checked line by line against
 * the text format's rules (prometheus.io/docs/instrumenting/exposition_formats):
 * HELP and TYPE once per family, before its samples; a family's samples
 * together; histogram buckets cumulative up to le="+Inf" equal to _count;
 * the last line ends with a newline. And the process figures against what
 * the kernel says about this very process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app/metrics.h"

static struct metrics_snapshot sample(void)
{
    struct metrics_snapshot s = {
        .polls =
            {
                .feeds = 7,
                .failing = 2,
                .disabled = 1,
                .gone = 1,
                .results = {[POLLER_OK] = 5,
                            [POLLER_NOT_MODIFIED] = 9,
                            [POLLER_HTTP_ERROR] = 3,
                            [POLLER_PARSE_ERROR] = 1},
                /* 0.05: 4, 0.1: 2, 1: 3, +Inf: 9 */
                .duration_buckets = {4, 2, 0, 0, 3, 0, 0, 0, 0, 0, 9},
                .duration_ms_sum = 1234567,
                .bytes = 1000,
                .bytes_saved = 4096,
            },
        .entries = 321,
        .outbox_pending = 4,
        .outbox_dead = 0,
        .database_bytes = -1,
        .loop_stall_max = 0.25,
        .start_time = 1700000000.5,
    };
    return s;
}

static char *render(const struct metrics_snapshot *s)
{
    struct buf b;

    buf_init(&b, 1 << 20);
    assert_int_equal(metrics_render(s, &b), 0);
    return buf_steal(&b);
}

/* The value of the sample line starting with "name " (labels included). */
static const char *value_of(const char *text, const char *name)
{
    static char out[64];
    size_t n = strlen(name);

    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, name, n) == 0 && p[n] == ' ') {
            size_t len = strcspn(p + n + 1, "\n");

            assert_true(len < sizeof(out));
            memcpy(out, p + n + 1, len);
            out[len] = '\0';
            return out;
        }
    }
    fail_msg("no sample %s in:\n%s", name, text);
    return NULL;
}

static void test_values(void **state)
{
    struct metrics_snapshot s = sample();
    char *t = render(&s);

    (void)state;
    assert_string_equal(value_of(t, "herald_fetch_total{result=\"ok\"}"), "5");
    assert_string_equal(value_of(t, "herald_fetch_total{result=\"not_modified\"}"), "9");
    assert_string_equal(value_of(t, "herald_fetch_total{result=\"http_error\"}"), "3");
    assert_string_equal(value_of(t, "herald_fetch_total{result=\"net_error\"}"), "0");
    assert_string_equal(value_of(t, "herald_fetch_total{result=\"parse_error\"}"), "1");
    assert_string_equal(value_of(t, "herald_fetch_total{result=\"storage_error\"}"), "0");
    /* Cumulative buckets; +Inf is everything. */
    assert_string_equal(value_of(t, "herald_fetch_duration_seconds_bucket{le=\"0.05\"}"), "4");
    assert_string_equal(value_of(t, "herald_fetch_duration_seconds_bucket{le=\"0.1\"}"), "6");
    assert_string_equal(value_of(t, "herald_fetch_duration_seconds_bucket{le=\"0.5\"}"), "6");
    assert_string_equal(value_of(t, "herald_fetch_duration_seconds_bucket{le=\"1\"}"), "9");
    assert_string_equal(value_of(t, "herald_fetch_duration_seconds_bucket{le=\"60\"}"), "9");
    assert_string_equal(value_of(t, "herald_fetch_duration_seconds_bucket{le=\"+Inf\"}"), "18");
    assert_string_equal(value_of(t, "herald_fetch_duration_seconds_count"), "18");
    assert_string_equal(value_of(t, "herald_fetch_duration_seconds_sum"), "1234.567");
    assert_string_equal(value_of(t, "herald_fetch_bytes_total"), "1000");
    assert_string_equal(value_of(t, "herald_fetch_bytes_saved_total"), "4096");
    assert_string_equal(value_of(t, "herald_feeds{state=\"ok\"}"), "3");
    assert_string_equal(value_of(t, "herald_feeds{state=\"failing\"}"), "2");
    assert_string_equal(value_of(t, "herald_feeds{state=\"gone\"}"), "1");
    assert_string_equal(value_of(t, "herald_feeds{state=\"disabled\"}"), "1");
    assert_string_equal(value_of(t, "herald_entries"), "321");
    assert_string_equal(value_of(t, "herald_outbox_pending"), "4");
    assert_string_equal(value_of(t, "herald_outbox_dead"), "0");
    assert_string_equal(value_of(t, "herald_loop_stall_max_seconds"), "0.250");
    assert_string_equal(value_of(t, "herald_database_write_failed"), "0");
    assert_string_equal(value_of(t, "process_start_time_seconds"), "1700000000.500");
    /* Unknown figures are left out, with their HELP and TYPE. */
    assert_null(strstr(t, "herald_database_bytes"));
    free(t);
}

/* The structure of the whole text, as a scraper reads it. */
static void test_format(void **state)
{
    struct metrics_snapshot s = sample();
    char *t = render(&s), *line, *next;
    char families[64][64], current[64] = "";
    size_t n_families = 0, len = strlen(t);
    regex_t sample_re, help_re, type_re;

    (void)state;
    assert_true(len > 0 && t[len - 1] == '\n');
    assert_int_equal(regcomp(&sample_re,
                             "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\]*\""
                             "(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\]*\")*\\})? "
                             "(-?[0-9]+(\\.[0-9]+)?|\\+Inf|-Inf|NaN)$",
                             REG_EXTENDED),
                     0);
    assert_int_equal(regcomp(&help_re, "^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\\]+$", REG_EXTENDED),
                     0);
    assert_int_equal(regcomp(&type_re,
                             "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$",
                             REG_EXTENDED),
                     0);
    for (line = t; *line; line = next) {
        regmatch_t m[2];
        char name[64];

        next = strchr(line, '\n') + 1; /* the text ends with a newline */
        next[-1] = '\0';
        if (regexec(&help_re, line, 2, m, 0) == 0) {
            snprintf(name, sizeof(name), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
            for (size_t i = 0; i < n_families; i++)
                assert_string_not_equal(families[i], name); /* one HELP per family */
            assert_true(n_families < 64);
            snprintf(families[n_families++], sizeof(families[0]), "%s", name);
            snprintf(current, sizeof(current), "%s", name);
            continue;
        }
        if (regexec(&type_re, line, 2, m, 0) == 0) {
            assert_int_equal((int)(m[1].rm_eo - m[1].rm_so), (int)strlen(current));
            assert_memory_equal(line + m[1].rm_so, current, strlen(current));
            continue;
        }
        if (regexec(&sample_re, line, 2, m, 0) != 0)
            fail_msg("not a valid sample line: '%s'", line);
        /* The sample belongs to the family announced last. */
        snprintf(name, sizeof(name), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
        if (strcmp(name, current) != 0) {
            size_t n = strlen(current);

            assert_memory_equal(name, current, n);
            assert_true(strcmp(name + n, "_bucket") == 0 || strcmp(name + n, "_sum") == 0 ||
                        strcmp(name + n, "_count") == 0);
        }
    }
    assert_true(n_families >= 15);
    regfree(&sample_re);
    regfree(&help_re);
    regfree(&type_re);
    free(t);
}

static void test_process(void **state)
{
    struct metrics_process p;
    struct rlimit rl;
    int64_t before;
    int fd;

    (void)state;
    metrics_read_process(&p);
    assert_true(p.resident_bytes > 0);
    assert_true(p.virtual_bytes >= p.resident_bytes);
    assert_true(p.open_fds >= 3); /* stdin, stdout, stderr at least */
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    assert_int_equal(p.max_fds, (int64_t)rl.rlim_cur);
    assert_true(p.cpu_seconds >= 0);
    /* One more open file is one more fd. */
    before = p.open_fds;
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    metrics_read_process(&p);
    assert_int_equal(p.open_fds, before + 1);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_process),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
