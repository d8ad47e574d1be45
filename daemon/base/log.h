/* log: leveled, tagged log lines on stderr.
 *
 * Under systemd (JOURNAL_STREAM set) each line starts with a "<N>" priority
 * prefix that journald turns into the record's priority; otherwise lines
 * carry a UTC timestamp and the level name. Control characters in the
 * formatted message are escaped, so untrusted text cannot forge lines.
 * The level test sits in the macros: arguments of a suppressed message are
 * never evaluated. Depends on libc only.
 */
#ifndef HERALD_BASE_LOG_H
#define HERALD_BASE_LOG_H

enum log_level {
    LOG_LEVEL_ERROR = 3,
    LOG_LEVEL_WARN = 4,
    LOG_LEVEL_INFO = 6,
    LOG_LEVEL_DEBUG = 7,
};

extern int log_max_level;

/* Reads JOURNAL_STREAM and HERALD_LOG_LEVEL (error|warn|info|debug). */
void log_init(void);
/* Returns 0, or -EINVAL for an unknown level name. */
int log_set_level_name(const char *name);

void log_write(int level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_at(level, subsys, ...)                                                                 \
    do {                                                                                           \
        if (log_max_level >= (level))                                                              \
            log_write((level), (subsys), __VA_ARGS__);                                             \
    } while (0)

#define log_error(subsys, ...) log_at(LOG_LEVEL_ERROR, subsys, __VA_ARGS__)
#define log_warn(subsys, ...)  log_at(LOG_LEVEL_WARN, subsys, __VA_ARGS__)
#define log_info(subsys, ...)  log_at(LOG_LEVEL_INFO, subsys, __VA_ARGS__)
#define log_debug(subsys, ...) log_at(LOG_LEVEL_DEBUG, subsys, __VA_ARGS__)

#endif
