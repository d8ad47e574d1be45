/* log: see log.h. */
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/utf8.h"

#define TRUNCATED "[...]"

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

/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * stdout/stderr; it is only ours while stderr is still that stream (not,
 * say, a file a shell in the service redirected it to). */
static bool stderr_is_journal(void)
{
    const char *v = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    int end = 0;

    if (!v || sscanf(v, "%llu:%llu%n", &dev, &ino, &end) != 2 || v[end] != '\0')
        return false;
    if (fstat(STDERR_FILENO, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(void)
{
    const char *level = getenv("HERALD_LOG_LEVEL");

    journal = stderr_is_journal();
    if (level)
        (void)log_set_level_name(level);
}

/* Code points that pass as UTF-8 but must not reach a line unescaped: C1
 * controls (0x9b is a terminal's CSI) and the Unicode line separators. */
static bool unsafe_code_point(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

size_t log_escape(char *dst, size_t cap, const char *src, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)src;
    size_t n = 0, i = 0;

    if (cap == 0)
        return 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t k = utf8_decode(p + i, len - i, &cp);
        bool escape = k == 0 || cp < 0x20 || cp == 0x7f || unsafe_code_point(cp);

        if (k == 0)
            k = 1; /* one invalid byte */
        if (!escape) {
            size_t w = cp == '\\' ? 2 : k;

            if (n + w >= cap)
                break;
            if (cp == '\\')
                dst[n++] = '\\';
            memcpy(dst + n, p + i, k);
            n += k;
        } else {
            if (n + 4 * k >= cap)
                break;
            for (size_t j = 0; j < k; j++) {
                dst[n++] = '\\';
                dst[n++] = 'x';
                dst[n++] = hex[p[i + j] >> 4];
                dst[n++] = hex[p[i + j] & 0xf];
            }
        }
        i += k;
    }
    dst[n] = '\0';
    return n;
}

/* The line's head: "<N>" under journald, else timestamp and level. */
static size_t line_head(char *out, size_t cap, int level)
{
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    int n;

    if (journal) {
        n = snprintf(out, cap, "<%d>", level);
    } else {
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        n = snprintf(out, cap, "%s.%03ldZ %-5s ", stamp, ts.tv_nsec / 1000000, level_name(level));
    }
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

void log_write(int level, const char *subsys, const char *fmt, ...)
{
    /* Head (< 64) + tag + ": " + escaped message + marker + "\n". */
    char msg[LOG_MAX_MESSAGE], line[64 + 32 + 4 * LOG_MAX_MESSAGE + sizeof(TRUNCATED) + 2];
    size_t n, cap = sizeof(line) - sizeof(TRUNCATED) - 1;
    va_list ap;
    int saved = errno, len;

    va_start(ap, fmt);
    len = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (len < 0)
        len = 0;
    n = line_head(line, cap, level);
    n += log_escape(line + n, 32, subsys, strlen(subsys));
    line[n++] = ':';
    line[n++] = ' ';
    n += log_escape(line + n, cap - n, msg, strlen(msg));
    if ((size_t)len >= sizeof(msg)) {
        memcpy(line + n, TRUNCATED, sizeof(TRUNCATED) - 1);
        n += sizeof(TRUNCATED) - 1;
    }
    line[n++] = '\n';
    fwrite(line, 1, n, stderr);
    errno = saved;
}
