/* log: leveled, tagged log lines on stderr.
 *
 * One call writes exactly one line, "SUBSYS: message", with one fwrite():
 * - under journald (JOURNAL_STREAM names the device and inode of stderr, as
 *   systemd sets it for StandardError=journal) the line starts with the
 *   sd-daemon(3) priority prefix, "<3>" error, "<4>" warn, "<6>" info, "<7>"
 *   debug, which journald turns into the record's priority;
 * - otherwise with a UTC timestamp and the level name:
 *   "2026-11-26T20:39:11.123Z warn  FETCH: feed \"x\": HTTP 500".
 *
 * The subsystem tag is a string literal (FETCH, PARSE, STORE, HTTP, HOOK,
 * CONF, MAIN): the macros reject anything else at compile time. The level
 * test sits in the macros: arguments of a suppressed message are never
 * evaluated.
 *
 * Untrusted text (titles, URLs, server messages, file contents) may be
 * passed as is: the formatted message goes through log_escape(), so it
 * cannot start a new line, forge a priority prefix, move the cursor of a
 * terminal, or end up as invalid UTF-8 in the journal. log_escape() is
 * public for other one-line outputs (sd_notify STATUS=, CLI messages).
 * Messages beyond LOG_MAX_MESSAGE bytes are cut and end in "[...]".
 *
 * Thread-safe (stdio locks the stream per call); errno is preserved.
 * Depends on libc and base/utf8.
 */
#ifndef HERALD_BASE_LOG_H
#define HERALD_BASE_LOG_H

#include <stddef.h>

enum log_level {
    LOG_LEVEL_ERROR = 3,
    LOG_LEVEL_WARN = 4,
    LOG_LEVEL_INFO = 6,
    LOG_LEVEL_DEBUG = 7,
};

/* Formatted message length kept before escaping. */
#define LOG_MAX_MESSAGE 2048

extern int log_max_level;

/* Reads JOURNAL_STREAM and HERALD_LOG_LEVEL (error|warn|info|debug). Call
 * again after stderr is redirected. */
void log_init(void);
/* Returns 0, or -EINVAL for an unknown level name. */
int log_set_level_name(const char *name);

/* Copies src[0..len) into dst as printable text: valid UTF-8 passes except
 * C1 controls and U+2028/U+2029; control characters (0x00-0x1f, 0x7f),
 * those code points and bytes that are not valid UTF-8 become "\xNN" per
 * byte; a backslash becomes "\\", so the result reads back unambiguously.
 * dst (cap > 0) is always NUL-terminated; the copy stops before an escape
 * or character that would not fit whole (4 * len + 1 bytes always suffice).
 * Returns the number of bytes written, NUL excluded. */
size_t log_escape(char *dst, size_t cap, const char *src, size_t len);

void log_write(int level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "" subsys "": only a string literal compiles. */
#define log_at(level, subsys, ...)                                                                 \
    do {                                                                                           \
        if (log_max_level >= (level))                                                              \
            log_write((level), "" subsys "", __VA_ARGS__);                                         \
    } while (0)

#define log_error(subsys, ...) log_at(LOG_LEVEL_ERROR, subsys, __VA_ARGS__)
#define log_warn(subsys, ...)  log_at(LOG_LEVEL_WARN, subsys, __VA_ARGS__)
#define log_info(subsys, ...)  log_at(LOG_LEVEL_INFO, subsys, __VA_ARGS__)
#define log_debug(subsys, ...) log_at(LOG_LEVEL_DEBUG, subsys, __VA_ARGS__)

#endif
