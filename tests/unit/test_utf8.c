/* Unit tests for base/utf8: RFC 3629 validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/utf8.h"

struct row {
    const char *bytes;
    size_t n;
    size_t len; /* 0: invalid */
    uint32_t cp;
};

static const struct row rows[] = {
    {"A", 1, 1, 0x41},
    {"\xC3\xA9", 2, 2, 0xE9},
    {"\xE2\x82\xAC", 3, 3, 0x20AC},
    {"\xF0\x9F\x98\x80", 4, 4, 0x1F600},
    {"\xF4\x8F\xBF\xBF", 4, 4, 0x10FFFF},
    {"\xC0\xAF", 2, 0, 0},         /* overlong '/' */
    {"\xE0\x80\xAF", 3, 0, 0},     /* overlong */
    {"\xED\xA0\x80", 3, 0, 0},     /* surrogate */
    {"\xF4\x90\x80\x80", 4, 0, 0}, /* above U+10FFFF */
    {"\xF5\x80\x80\x80", 4, 0, 0},
    {"\x80", 1, 0, 0}, /* lone continuation */
    {"\xC3", 1, 0, 0}, /* truncated by n */
    {"\xE2\x82", 2, 0, 0},
    {"\xC3\x00", 4, 0, 0}, /* NUL-terminated: the NUL stops it */
    {"\xE2\x28\xA1", 3, 0, 0},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint32_t cp = 0xdead;
        size_t len = utf8_decode((const unsigned char *)rows[i].bytes, rows[i].n, &cp);

        if (len != rows[i].len)
            fail_msg("row %zu: length %zu, want %zu", i, len, rows[i].len);
        if (len && cp != rows[i].cp)
            fail_msg("row %zu: U+%04X, want U+%04X", i, (unsigned)cp, (unsigned)rows[i].cp);
    }
    assert_int_equal(utf8_decode((const unsigned char *)"x", 0, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_table)};

    return cmocka_run_group_tests(tests, NULL, NULL);
}
