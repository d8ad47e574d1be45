/* date: see date.h.
 *
 * Two hand-written scanners, tried in order: ISO 8601 / RFC 3339 (strict
 * about what follows the date, as a four-digit number alone is ambiguous),
 * then RFC 822 / 1123 / 850 and asctime (lenient, like feedparser). Every
 * field is range-checked: an impossible date (Feb 30, 25:00) is garbage,
 * not rolled over. Names come from our own tables (no locale), and the
 * epoch is computed with days_from_civil (no TZ, no timegm).
 */
#include "feed/date.h"

#include <stdbool.h>
#include <stddef.h>

#include "base/clock.h"

struct tm_fields {
    int year, mon, day; /* mon 1..12 */
    int hour, min, sec;
    int offset; /* minutes east of UTC */
};

struct zone {
    const char *name;
    int minutes;
};

/* RFC 822 names, feedparser's AT/ET/CT/MT/PT, then common names feeds use
 * that feedparser wrongly takes as +0000. Ambiguous ones (IST: India,
 * Ireland or Israel) are left out: unknown names count as UTC. */
static const struct zone zones[] = {
    {"UT", 0},     {"UTC", 0},     {"GMT", 0},     {"Z", 0},      {"EST", -300}, {"EDT", -240},
    {"CST", -360}, {"CDT", -300},  {"MST", -420},  {"MDT", -360}, {"PST", -480}, {"PDT", -420},
    {"AST", -240}, {"ADT", -180},  {"AT", -240},   {"ET", -300},  {"CT", -360},  {"MT", -420},
    {"PT", -480},  {"AKST", -540}, {"AKDT", -480}, {"HST", -600}, {"NST", -210}, {"NDT", -150},
    {"WET", 0},    {"WEST", 60},   {"BST", 60},    {"CET", 60},   {"CEST", 120}, {"MET", 60},
    {"MEST", 120}, {"EET", 120},   {"EEST", 180},  {"MSK", 180},  {"SGT", 480},  {"HKT", 480},
    {"AWST", 480}, {"JST", 540},   {"KST", 540},   {"ACST", 570}, {"ACDT", 630}, {"AEST", 600},
    {"AEDT", 660}, {"NZST", 720},  {"NZDT", 780},
};

static const char *const months[] = {"january",   "february", "march",    "april",
                                     "may",       "june",     "july",     "august",
                                     "september", "october",  "november", "december"};

static const char *const weekdays[] = {"monday", "tuesday",  "wednesday", "thursday",
                                       "friday", "saturday", "sunday"};

struct scan {
    const char *p;
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static void skip_space(struct scan *s)
{
    while (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n')
        s->p++;
}

/* Reads up to max digits; returns how many were read. */
static int scan_num(struct scan *s, int max, int *ret)
{
    int n = 0, v = 0;

    while (n < max && is_digit(*s->p)) {
        v = v * 10 + (*s->p - '0');
        s->p++;
        n++;
    }
    if (n)
        *ret = v;
    return n;
}

/* Reads a run of letters; returns its full length, copying at most n-1. */
static size_t scan_word(struct scan *s, char *w, size_t n)
{
    size_t len = 0;

    for (; is_alpha(*s->p); s->p++, len++) {
        if (len + 1 < n)
            w[len] = lower(*s->p);
    }
    w[len < n ? len : n - 1] = '\0';
    return len;
}

/* A word names entry i of names when it is that name or a prefix of it of
 * at least three letters ("Mon", "Tues", "Sept", "January"). */
static int lookup_name(const char *w, size_t len, const char *const *names, int n)
{
    if (len < 3)
        return -1;
    for (int i = 0; i < n; i++) {
        size_t k = 0;

        while (k < len && names[i][k] && names[i][k] == w[k])
            k++;
        if (k == len)
            return i;
    }
    return -1;
}

static const struct zone *lookup_zone(const char *w)
{
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        const char *a = zones[i].name, *b = w;

        while (*a && lower(*a) == *b) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return &zones[i];
    }
    return NULL;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Howard Hinnant's days_from_civil: days since 1970-01-01, proleptic
 * Gregorian calendar, valid for any year. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Range checks; 24:00:00 (end of day) and a leap second are allowed. */
static int64_t make_time(const struct tm_fields *f)
{
    if (f->year < 0 || f->year > 9999 || f->mon < 1 || f->mon > 12 || f->day < 1 ||
        f->day > days_in_month(f->year, f->mon))
        return TIME_NONE;
    if (f->hour > 24 || f->min > 59 || f->sec > 60 ||
        (f->hour == 24 && (f->min != 0 || f->sec != 0)))
        return TIME_NONE;
    return days_from_civil(f->year, f->mon, f->day) * 86400 + f->hour * 3600 + f->min * 60 +
           f->sec - (int64_t)f->offset * 60;
}

/* "+hh:mm", "+hhmm", "+hh". */
static bool parse_offset(struct scan *s, int *ret)
{
    int sign = *s->p == '-' ? -1 : 1, hh = 0, mm = 0, n;

    s->p++;
    n = scan_num(s, 4, &hh);
    if (n == 4) {
        mm = hh % 100;
        hh /= 100;
    } else if (n == 1 || n == 2) {
        if (*s->p == ':') {
            s->p++;
            if (scan_num(s, 2, &mm) != 2)
                return false;
        }
    } else {
        return false;
    }
    if (hh > 23 || mm > 59)
        return false;
    *ret = sign * (hh * 60 + mm);
    return true;
}

/* A zone: numeric offset, or a name (optionally "Etc/"-prefixed, or
 * "GMT+hh:mm"). An unknown name of at most five letters counts as UTC
 * when lenient; otherwise it is an error. No zone at all is UTC. */
static bool parse_zone(struct scan *s, bool lenient, int *ret)
{
    const struct zone *z;
    char w[8];
    size_t len;

    *ret = 0;
    if (*s->p == '+' || *s->p == '-')
        return parse_offset(s, ret);
    if (!is_alpha(*s->p))
        return true;
    len = scan_word(s, w, sizeof(w));
    if (len == 3 && w[0] == 'e' && w[1] == 't' && w[2] == 'c' && *s->p == '/') {
        s->p++;
        len = scan_word(s, w, sizeof(w));
    }
    z = len < sizeof(w) ? lookup_zone(w) : NULL;
    if (z && z->minutes == 0 && (*s->p == '+' || *s->p == '-'))
        return parse_offset(s, ret);
    if (z) {
        *ret = z->minutes;
        return true;
    }
    return lenient && len >= 1 && len <= 5;
}

/* "hh:mm[:ss[.fff]]"; with compact, also "hhmm[ss]". */
static bool parse_clock(struct scan *s, bool compact, struct tm_fields *f)
{
    int n = scan_num(s, 2, &f->hour);

    if (n == 0 || (compact && n != 2))
        return false;
    if (*s->p == ':')
        s->p++;
    else if (!compact)
        return false;
    if (scan_num(s, 2, &f->min) != 2)
        return false;
    if (*s->p == ':' || (compact && is_digit(*s->p))) {
        if (*s->p == ':')
            s->p++;
        if (scan_num(s, 2, &f->sec) != 2)
            return false;
        if ((*s->p == '.' || *s->p == ',') && is_digit(s->p[1])) {
            s->p++;
            while (is_digit(*s->p))
                s->p++; /* fractions are truncated */
        }
    }
    return true;
}

static bool at_end(struct scan *s)
{
    skip_space(s);
    return *s->p == '\0';
}

/* YYYY[-MM[-DD]] or YYYYMMDD, then [T|t|space]hh:mm[:ss[.f]][zone]. */
static int64_t parse_iso(const char *str)
{
    struct tm_fields f = {.mon = 1, .day = 1};
    struct scan s = {str};
    bool compact = false;

    if (scan_num(&s, 4, &f.year) != 4)
        return TIME_NONE;
    if (*s.p == '-') {
        s.p++;
        if (scan_num(&s, 2, &f.mon) != 2)
            return TIME_NONE;
        if (*s.p == '-' && (s.p++, scan_num(&s, 2, &f.day) != 2))
            return TIME_NONE;
    } else if (is_digit(*s.p)) {
        compact = true;
        if (scan_num(&s, 2, &f.mon) != 2 || scan_num(&s, 2, &f.day) != 2)
            return TIME_NONE;
    }
    if ((*s.p == 'T' || *s.p == 't' || *s.p == ' ') && is_digit(s.p[1])) {
        s.p++;
        if (!parse_clock(&s, compact, &f))
            return TIME_NONE;
        skip_space(&s);
        if (!parse_zone(&s, false, &f.offset))
            return TIME_NONE;
    }
    if (!at_end(&s))
        return TIME_NONE;
    return make_time(&f);
}

static bool parse_year(struct scan *s, int *ret)
{
    int n = scan_num(s, 4, ret);

    if (n == 2)
        *ret += *ret < 90 ? 2000 : 1900;
    else if (n == 3)
        *ret += 1900;
    return n >= 2;
}

static bool parse_month(struct scan *s, int *ret)
{
    char w[16];
    size_t len = scan_word(s, w, sizeof(w));
    int m = len < sizeof(w) ? lookup_name(w, len, months, 12) : -1;

    if (m < 0)
        return false;
    *ret = m + 1;
    if (*s->p == '.')
        s->p++; /* "Sept." */
    return true;
}

static bool skip_sep(struct scan *s)
{
    const char *start = s->p;

    skip_space(s);
    if (*s->p == '-' || *s->p == '/' || *s->p == ',')
        s->p++;
    skip_space(s);
    return s->p != start;
}

/* Optional "hh:mm[:ss]" then an optional zone. */
static bool parse_time_zone(struct scan *s, struct tm_fields *f)
{
    skip_space(s);
    if (!is_digit(*s->p))
        return true;
    if (!parse_clock(s, false, f))
        return false;
    skip_space(s);
    return parse_zone(s, true, &f->offset);
}

/* "[Wkd,] DD Mon YYYY [hh:mm[:ss] [zone]]" and RFC 850's "DD-Mon-YY". */
static bool parse_day_first(struct scan *s, struct tm_fields *f)
{
    if (scan_num(s, 2, &f->day) == 0 || !skip_sep(s) || !parse_month(s, &f->mon) || !skip_sep(s) ||
        !parse_year(s, &f->year))
        return false;
    return parse_time_zone(s, f);
}

/* asctime "Mon DD hh:mm:ss [zone] YYYY" and "Month DD, YYYY [time]". */
static bool parse_month_first(struct scan *s, struct tm_fields *f)
{
    if (!parse_month(s, &f->mon) || !skip_sep(s) || scan_num(s, 2, &f->day) == 0)
        return false;
    skip_sep(s);
    if (is_digit(s->p[0]) && (s->p[1] == ':' || (is_digit(s->p[1]) && s->p[2] == ':'))) {
        if (!parse_clock(s, false, f))
            return false;
        skip_space(s);
        if (!is_digit(*s->p) && !parse_zone(s, true, &f->offset))
            return false;
        skip_space(s);
        return parse_year(s, &f->year);
    }
    if (!parse_year(s, &f->year))
        return false;
    return parse_time_zone(s, f);
}

static int64_t parse_rfc822(const char *str)
{
    struct tm_fields f = {0};
    struct scan s = {str};
    char w[16];
    bool ok;

    if (is_alpha(*s.p)) {
        size_t len = scan_word(&s, w, sizeof(w));

        if (len < sizeof(w) && lookup_name(w, len, weekdays, 7) >= 0) {
            skip_space(&s);
            if (*s.p == ',')
                s.p++;
            skip_space(&s);
        } else {
            s.p = str;
        }
    }
    ok = is_alpha(*s.p) ? parse_month_first(&s, &f) : parse_day_first(&s, &f);
    if (!ok || !at_end(&s))
        return TIME_NONE;
    return make_time(&f);
}

int64_t date_parse(const char *s)
{
    struct scan sc = {s};
    int64_t t;

    if (!s)
        return TIME_NONE;
    skip_space(&sc);
    t = parse_iso(sc.p);
    if (t == TIME_NONE)
        t = parse_rfc822(sc.p);
    return t;
}
