/* test_log: log lines as a reader of stderr (a terminal, a file, journald)
 * sees them. stderr is pointed at a temporary file for each test and the
 * bytes written are read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

static char path[] = "/tmp/herald-test-log-XXXXXX";
static int saved_stderr = -1;

static int capture_start(void **state)
{
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
    unsetenv("JOURNAL_STREAM");
    unsetenv("HERALD_LOG_LEVEL");
    log_init();
    log_max_level = LOG_LEVEL_DEBUG;
    return 0;
}

static int capture_end(void **state)
{
    (void)state;
    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    unlink(path);
    snprintf(path, sizeof(path), "/tmp/herald-test-log-XXXXXX");
    unsetenv("JOURNAL_STREAM");
    log_init();
    return 0;
}

/* Everything written to stderr since the test began (static buffer). */
static const char *captured(void)
{
    static char buf[65536];
    FILE *f;
    size_t n;

    fflush(stderr);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void assert_matches(const char *text, const char *pattern)
{
    regex_t re;

    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    if (regexec(&re, text, 0, NULL, 0) != 0)
        fail_msg("%s\ndoes not match\n%s", text, pattern);
    regfree(&re);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static const char *escaped(const char *src, size_t len, size_t cap)
{
    static char out[512];

    assert_true(cap <= sizeof(out));
    log_escape(out, cap, src, len);
    return out;
}

static void test_escape(void **state)
{
    (void)state;
    assert_string_equal(escaped("plain text", 10, 512), "plain text");
    assert_string_equal(escaped("a\nb\r\tc", 6, 512), "a\\x0ab\\x0d\\x09c");
    /* A title that tries to forge a second, journald-prioritized line. */
    assert_string_equal(escaped("x\n<3>MAIN: pwned", 16, 512), "x\\x0a<3>MAIN: pwned");
    /* Terminal escapes: ESC, DEL, and C1 CSI (U+009B) in UTF-8. */
    assert_string_equal(escaped("\x1b[2J\x7f\xc2\x9b", 7, 512), "\\x1b[2J\\x7f\\xc2\\x9b");
    /* Unicode line and paragraph separators. */
    assert_string_equal(escaped("a\xe2\x80\xa8z\xe2\x80\xa9", 8, 512),
                        "a\\xe2\\x80\\xa8z\\xe2\\x80\\xa9");
    /* Valid UTF-8 passes; invalid bytes and overlong forms are escaped. */
    assert_string_equal(escaped("caf\xc3\xa9 \xe2\x82\xac", 9, 512), "caf\xc3\xa9 \xe2\x82\xac");
    assert_string_equal(escaped("\xff\xc0\xaf|\xe2\x82", 6, 512), "\\xff\\xc0\\xaf|\\xe2\\x82");
    /* Backslashes double: "\x0a" typed by a feed is not a newline. */
    assert_string_equal(escaped("\\x0a", 4, 512), "\\\\x0a");
    /* A NUL inside the given length is escaped too. */
    assert_string_equal(escaped("a\0b", 3, 512), "a\\x00b");
}

static void test_escape_truncates_whole(void **state)
{
    char out[8];

    (void)state;
    /* Room for 7 bytes: "ab" + "\x0a" fits, the next escape does not. */
    assert_int_equal(log_escape(out, sizeof(out), "ab\n\ncd", 6), 6);
    assert_string_equal(out, "ab\\x0a");
    /* A multi-byte character is never split. */
    assert_int_equal(log_escape(out, 4, "ab\xe2\x82\xac", 5), 2);
    assert_string_equal(out, "ab");
    assert_int_equal(log_escape(out, 1, "abc", 3), 0);
    assert_string_equal(out, "");
}

static void test_line_with_timestamp(void **state)
{
    const char *title = "Evil\nfeed\r\x1b[31m";

    (void)state;
    log_warn("FETCH", "feed \"%s\": HTTP %d", title, 500);
    assert_int_equal(count_lines(captured()), 1);
    assert_matches(captured(), "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                               "warn  FETCH: feed \"Evil\\\\x0afeed\\\\x0d\\\\x1b\\[31m\": "
                               "HTTP 500\n$");
}

static void test_journal_prefix(void **state)
{
    struct stat st;
    char v[64];

    (void)state;
    assert_int_equal(fstat(STDERR_FILENO, &st), 0);
    snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", v, 1);
    log_init();
    log_max_level = LOG_LEVEL_DEBUG;
    log_error("STORE", "disk full");
    log_warn("HTTP", "slow client");
    log_info("MAIN", "ready\n<3>forged");
    log_debug("PARSE", "detail");
    assert_string_equal(captured(), "<3>STORE: disk full\n"
                                    "<4>HTTP: slow client\n"
                                    "<6>MAIN: ready\\x0a<3>forged\n"
                                    "<7>PARSE: detail\n");
}

/* JOURNAL_STREAM inherited by a process whose stderr went elsewhere (a
 * shell redirection in ExecStart=) is not ours: timestamps then. */
static void test_journal_stream_of_another_file(void **state)
{
    struct stat st;
    char v[64];

    (void)state;
    assert_int_equal(fstat(STDERR_FILENO, &st), 0);
    snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino + 1);
    setenv("JOURNAL_STREAM", v, 1);
    log_init();
    log_info("MAIN", "hello");
    assert_matches(captured(), "^[0-9-]{10}T[0-9:.]{12}Z info  MAIN: hello\n$");
    setenv("JOURNAL_STREAM", "garbage", 1);
    log_init();
    log_info("MAIN", "again");
    assert_int_equal(count_lines(captured()), 2);
    assert_matches(captured(), "Z info  MAIN: again\n$");
}

static int evaluated;

static int side_effect(void)
{
    return ++evaluated;
}

static void test_levels(void **state)
{
    (void)state;
    log_max_level = LOG_LEVEL_WARN;
    evaluated = 0;
    log_info("MAIN", "%d", side_effect());
    log_debug("MAIN", "%d", side_effect());
    assert_int_equal(evaluated, 0);
    assert_string_equal(captured(), "");
    log_warn("MAIN", "%d", side_effect());
    assert_int_equal(evaluated, 1);
    assert_int_equal(count_lines(captured()), 1);

    assert_int_equal(log_set_level_name("error"), 0);
    assert_int_equal(log_max_level, LOG_LEVEL_ERROR);
    assert_int_equal(log_set_level_name("verbose"), -EINVAL);
    assert_int_equal(log_max_level, LOG_LEVEL_ERROR);
    setenv("HERALD_LOG_LEVEL", "debug", 1);
    log_init();
    assert_int_equal(log_max_level, LOG_LEVEL_DEBUG);
    unsetenv("HERALD_LOG_LEVEL");
}

static void test_long_message_is_one_cut_line(void **state)
{
    static char big[3 * LOG_MAX_MESSAGE];
    const char *out;

    (void)state;
    memset(big, '\n', sizeof(big) - 1); /* every byte expands to 4 */
    log_error("HTTP", "%s", big);
    out = captured();
    assert_int_equal(count_lines(out), 1);
    assert_matches(out, "HTTP: (\\\\x0a)+\\[\\.\\.\\.\\]\n$");
    assert_true(strlen(out) < 5 * LOG_MAX_MESSAGE);
}

static void test_errno_preserved(void **state)
{
    (void)state;
    errno = EAGAIN;
    log_info("MAIN", "x");
    assert_int_equal(errno, EAGAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_escape_truncates_whole),
        cmocka_unit_test_setup_teardown(test_line_with_timestamp, capture_start, capture_end),
        cmocka_unit_test_setup_teardown(test_journal_prefix, capture_start, capture_end),
        cmocka_unit_test_setup_teardown(test_journal_stream_of_another_file, capture_start,
                                        capture_end),
        cmocka_unit_test_setup_teardown(test_levels, capture_start, capture_end),
        cmocka_unit_test_setup_teardown(test_long_message_is_one_cut_line, capture_start,
                                        capture_end),
        cmocka_unit_test_setup_teardown(test_errno_preserved, capture_start, capture_end),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
