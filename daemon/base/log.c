/* log: see log.h. */
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int log_max_level = LOG_LEVEL_INFO;
static bool journal;

static const char *level_name(int level)
{
    switch (level) {
    case LOG_LEVEL_ERROR:
        return "error";
    case LOG_LEVEL_WARN:
        return "warn";
    case LOG_LEVEL_INFO:
        return "info";
    default:
        return "debug";
    }
}

int log_set_level_name(const char *name)
{
    static const int levels[] = {LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG};

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (strcmp(name, level_name(levels[i])) == 0) {
            log_max_level = levels[i];
            return 0;
        }
    }
    return -EINVAL;
}

void log_init(void)
{
    const char *level = getenv("HERALD_LOG_LEVEL");

    journal = getenv("JOURNAL_STREAM") != NULL;
    if (level)
        (void)log_set_level_name(level);
}

/* Escapes control characters so one call is always one line. */
static size_t escape(char *dst, size_t cap, const char *src)
{
    size_t n = 0;

    for (; *src && n + 5 < cap; src++) {
        unsigned char c = (unsigned char)*src;
        if (c < 0x20 || c == 0x7f) {
            n += (size_t)snprintf(dst + n, cap - n, "\\x%02x", c);
        } else {
            dst[n++] = (char)c;
        }
    }
    dst[n] = '\0';
    return n;
}

void log_write(int level, const char *subsys, const char *fmt, ...)
{
    char msg[2048], safe[4096];
    va_list ap;
    int saved = errno;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    escape(safe, sizeof(safe), msg);

    if (journal) {
        fprintf(stderr, "<%d>%s: %s\n", level, subsys, safe);
    } else {
        struct timespec ts;
        struct tm tm;
        char stamp[32];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(stderr, "%s.%03ldZ %-5s %s: %s\n", stamp, ts.tv_nsec / 1000000, level_name(level),
                subsys, safe);
    }
    errno = saved;
}
