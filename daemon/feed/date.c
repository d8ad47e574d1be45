/* date: see date.h.
 *
 * Two hand-written scanners, tried in order: ISO 8601 / RFC 3339 (strict
 * about what follows the date, as a four-digit number alone is ambiguous),
 * then a lenient token scanner for RFC 822 / 1123 / 850, asctime and the
 * free forms feeds use ("Di, 2. Januar 2024 10:00 MEZ", "mardi 2 janvier
 * 2024 à 10h30", "Jan 2 2024 10:00 PM EST"): weekdays are ignored wherever
 * they are, one month name and two numbers (day, year) make the date, an
 * optional clock and zone follow. Every field is range-checked: an
 * impossible date (Feb 30, 25:00) is garbage, not rolled over, and nothing
 * missing is filled in from the clock (a date without a time is midnight,
 * without a zone UTC). Names come from our own tables (no locale), and the
 * epoch is computed with days_from_civil (no TZ, no timegm).
 */
#include "feed/date.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

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

/* RFC 822 names, feedparser's AT/ET/CT/MT/PT, then names feeds use that
 * feedparser takes as +0000, with their real offset. Ambiguous names get
 * their most common meaning in feeds: CST is US Central (not China), IST
 * India (not Ireland or Israel), BST British Summer Time, AST Atlantic.
 * MEZ/MESZ are the German names of CET/CEST. Military letters follow RFC
 * 822's signs (A = -1 ... M = -12, N = +1 ... Y = +12), as feedparser does
 * (RFC 1123 notes the signs were published reversed; practice follows 822). */
static const struct zone zones[] = {
    {"UT", 0},     {"UTC", 0},    {"GMT", 0},     {"Z", 0},       {"ZULU", 0},   {"EST", -300},
    {"EDT", -240}, {"CST", -360}, {"CDT", -300},  {"MST", -420},  {"MDT", -360}, {"PST", -480},
    {"PDT", -420}, {"AST", -240}, {"ADT", -180},  {"AT", -240},   {"ET", -300},  {"CT", -360},
    {"MT", -420},  {"PT", -480},  {"AKST", -540}, {"AKDT", -480}, {"HST", -600}, {"HAST", -600},
    {"NST", -210}, {"NDT", -150}, {"WET", 0},     {"WEST", 60},   {"BST", 60},   {"IST", 330},
    {"CET", 60},   {"CEST", 120}, {"MET", 60},    {"MEST", 120},  {"MEZ", 60},   {"MESZ", 120},
    {"EET", 120},  {"EEST", 180}, {"MSK", 180},   {"WAT", 60},    {"CAT", 120},  {"EAT", 180},
    {"SAST", 120}, {"PKT", 300},  {"ICT", 420},   {"WIB", 420},   {"SGT", 480},  {"HKT", 480},
    {"PHT", 480},  {"AWST", 480}, {"JST", 540},   {"KST", 540},   {"ACST", 570}, {"ACDT", 630},
    {"AEST", 600}, {"AEDT", 660}, {"NZST", 720},  {"NZDT", 780},  {"BRT", -180}, {"ART", -180},
    {"A", -60},    {"B", -120},   {"C", -180},    {"D", -240},    {"E", -300},   {"F", -360},
    {"G", -420},   {"H", -480},   {"I", -540},    {"K", -600},    {"L", -660},   {"M", -720},
    {"N", 60},     {"O", 120},    {"P", 180},     {"Q", 240},     {"R", 300},    {"S", 360},
    {"T", 420},    {"U", 480},    {"V", 540},     {"W", 600},     {"X", 660},    {"Y", 720},
};

/* Month names (accents folded to ASCII, lower case): a word names month m
 * when it is one of these or a prefix of at least three letters of one,
 * and all names it is a prefix of agree on m. English, German, French,
 * Spanish, Italian, Dutch, Portuguese, Swedish, Danish, Norwegian,
 * Polish (nominative and genitive), Hungarian and Greek, plus
 * abbreviations that are no prefix. Greek words stay UTF-8 (two bytes a
 * letter), so their three-letter minimum is six bytes. */
struct month_name {
    const char *name;
    int month;
};

static const struct month_name month_names[] = {
    {"january", 1},    {"januar", 1},       {"januari", 1},       {"janner", 1},
    {"janvier", 1},    {"enero", 1},        {"gennaio", 1},       {"janeiro", 1},
    {"styczen", 1},    {"stycznia", 1},     {"february", 2},      {"februar", 2},
    {"februari", 2},   {"fevrier", 2},      {"febrero", 2},       {"febbraio", 2},
    {"fevereiro", 2},  {"luty", 2},         {"lutego", 2},        {"march", 3},
    {"marz", 3},       {"mars", 3},         {"marzo", 3},         {"maart", 3},
    {"marco", 3},      {"marts", 3},        {"marzec", 3},        {"marca", 3},
    {"mrt", 3},        {"mrz", 3},          {"april", 4},         {"avril", 4},
    {"abril", 4},      {"aprile", 4},       {"kwiecien", 4},      {"kwietnia", 4},
    {"may", 5},        {"mai", 5},          {"mayo", 5},          {"maggio", 5},
    {"mei", 5},        {"maio", 5},         {"maj", 5},           {"maja", 5},
    {"june", 6},       {"juni", 6},         {"juin", 6},          {"junio", 6},
    {"giugno", 6},     {"junho", 6},        {"czerwiec", 6},      {"czerwca", 6},
    {"july", 7},       {"juli", 7},         {"juillet", 7},       {"julio", 7},
    {"luglio", 7},     {"julho", 7},        {"lipiec", 7},        {"lipca", 7},
    {"august", 8},     {"aout", 8},         {"agosto", 8},        {"augustus", 8},
    {"augusti", 8},    {"sierpien", 8},     {"sierpnia", 8},      {"september", 9},
    {"septembre", 9},  {"septiembre", 9},   {"setiembre", 9},     {"settembre", 9},
    {"setembro", 9},   {"wrzesien", 9},     {"wrzesnia", 9},      {"october", 10},
    {"oktober", 10},   {"octobre", 10},     {"octubre", 10},      {"ottobre", 10},
    {"outubro", 10},   {"pazdziernik", 10}, {"pazdziernika", 10}, {"november", 11},
    {"novembre", 11},  {"noviembre", 11},   {"novembro", 11},     {"listopad", 11},
    {"listopada", 11}, {"december", 12},    {"dezember", 12},     {"decembre", 12},
    {"diciembre", 12}, {"dicembre", 12},    {"dezembro", 12},     {"desember", 12},
    {"grudzien", 12},  {"grudnia", 12},     {"marcius", 3},       {"aprilis", 4},
    {"majus", 5},      {"junius", 6},       {"julius", 7},        {"augusztus", 8},
    {"szeptember", 9},
};

/* Greek, folded to lower case without accents (scan_word), nominative and
 * genitive, and the short forms feedparser knows ("Ιούλ", "Μάώ"). */
static const struct month_name greek_month_names[] = {
    {"ιανουαριος", 1},  {"ιανουαριου", 1},  {"φεβρουαριος", 2}, {"φεβρουαριου", 2},
    {"μαρτιος", 3},     {"μαρτιου", 3},     {"μαω", 3},         {"απριλιος", 4},
    {"απριλιου", 4},    {"μαιος", 5},       {"μαιου", 5},       {"ιουνιος", 6},
    {"ιουνιου", 6},     {"ιον", 6},         {"ιουλιος", 7},     {"ιουλιου", 7},
    {"ιολ", 7},         {"αυγουστος", 8},   {"αυγουστου", 8},   {"σεπτεμβριος", 9},
    {"σεπτεμβριου", 9}, {"οκτωβριος", 10},  {"οκτωβριου", 10},  {"νοεμβριος", 11},
    {"νοεμβριου", 11},  {"δεκεμβριος", 12}, {"δεκεμβριου", 12},
};

/* Weekday names in the same languages: ignored wherever they stand (a
 * prefix of three letters or more, or one of the short forms). */
static const char *const weekday_names[] = {
    "monday",    "tuesday",      "wednesday", "thursday", "friday",     "saturday",  "sunday",
    "weds",      "montag",       "dienstag",  "mittwoch", "donnerstag", "freitag",   "samstag",
    "sonnabend", "sonntag",      "lundi",     "mardi",    "mercredi",   "jeudi",     "vendredi",
    "samedi",    "dimanche",     "lunes",     "martes",   "miercoles",  "jueves",    "viernes",
    "sabado",    "domingo",      "lunedi",    "martedi",  "mercoledi",  "giovedi",   "venerdi",
    "sabato",    "domenica",     "maandag",   "dinsdag",  "woensdag",   "donderdag", "vrijdag",
    "zaterdag",  "zondag",       "segunda",   "terca",    "quarta",     "quinta",    "sexta",
    "mandag",    "tisdag",       "tirsdag",   "onsdag",   "torsdag",    "fredag",    "lordag",
    "sondag",    "poniedzialek", "wtorek",    "sroda",    "czwartek",   "piatek",    "sobota",
    "niedziela", "κυριακη",      "δευτερα",   "τριτη",    "τεταρτη",    "πεμπτη",    "παρασκευη",
    "σαββατο",
};

static const char *const weekday_short[] = {"mo", "di", "mi", "do", "fr", "sa", "so", "ma",
                                            "wo", "vr", "za", "zo", "pn", "wt", "sr", "cz",
                                            "pt", "sb", "nd", "lu", "ju", "vi", "me", "ve"};

/* Words that join parts of a date in some language ("2 de enero de 2024",
 * "le 2 janvier à 10:00", "2. Januar um 10:00 Uhr", "segunda-feira"). */
static const char *const fillers[] = {
    "de", "del", "la",   "le",  "el",    "at",  "um", "uhr", "om",   "kl", "klo", "den", "o",
    "a",  "as",  "alle", "ore", "feira", "the", "of", "on",  "godz", "r",  "em",  "dia", "h"};

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

/* The ASCII letter a two-byte UTF-8 letter folds to (Latin-1 and the
 * Polish letters), 0 for anything else. */
static char fold2(unsigned char a, unsigned char b)
{
    static const char c3[64] = "AAAAAAACEEEEIIII"
                               "DNOOOOO*OUUUUY*s"
                               "aaaaaaaceeeeiiii"
                               "dnooooo/ouuuuy*y";

    if (a == 0xC3 && b >= 0x80 && b <= 0xBF) {
        char c = c3[b - 0x80];

        return is_alpha(c) ? lower(c) : 0;
    }
    if (a == 0xC4 && (b == 0x84 || b == 0x85))
        return 'a';
    if (a == 0xC4 && (b == 0x86 || b == 0x87))
        return 'c';
    if (a == 0xC4 && (b == 0x98 || b == 0x99))
        return 'e';
    if (a == 0xC5 && (b == 0x81 || b == 0x82))
        return 'l';
    if (a == 0xC5 && (b == 0x83 || b == 0x84))
        return 'n';
    if (a == 0xC5 && (b == 0x9A || b == 0x9B))
        return 's';
    if (a == 0xC5 && b >= 0xB9 && b <= 0xBC)
        return 'z';
    return 0;
}

/* A Greek letter (U+0386..U+03CE) folded to lower case without accent or
 * final form, as a code point; 0 for anything else. */
static unsigned fold_greek(unsigned char a, unsigned char b)
{
    static const unsigned short accented[][2] = {
        {0x386, 0x3B1}, {0x388, 0x3B5}, {0x389, 0x3B7}, {0x38A, 0x3B9}, {0x38C, 0x3BF},
        {0x38E, 0x3C5}, {0x38F, 0x3C9}, {0x390, 0x3B9}, {0x3AC, 0x3B1}, {0x3AD, 0x3B5},
        {0x3AE, 0x3B7}, {0x3AF, 0x3B9}, {0x3B0, 0x3C5}, {0x3C2, 0x3C3}, {0x3CA, 0x3B9},
        {0x3CB, 0x3C5}, {0x3CC, 0x3BF}, {0x3CD, 0x3C5}, {0x3CE, 0x3C9},
    };
    unsigned cp = ((a & 0x1Fu) << 6) | (b & 0x3Fu);

    if ((a != 0xCE && a != 0xCF) || (b & 0xC0) != 0x80)
        return 0;
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2)
        return cp + 0x20;
    if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2)
        return cp;
    for (size_t i = 0; i < sizeof(accented) / sizeof(accented[0]); i++) {
        if (accented[i][0] == cp)
            return accented[i][1];
    }
    return 0;
}

/* Reads a word of letters (accented ones folded to ASCII, lower-cased;
 * Greek ones to unaccented lower-case Greek, kept as UTF-8).
 * Returns its length, copying at most n-1 bytes; 0 when it holds a byte
 * that is no known letter (the word is then unusable). */
static size_t scan_word(struct scan *s, char *w, size_t n)
{
    size_t len = 0;
    bool ok = true;

    for (;;) {
        unsigned char c = (unsigned char)*s->p;
        char f;

        if (is_alpha((char)c)) {
            f = lower((char)c);
            s->p++;
        } else if ((c == 0xCE || c == 0xCF) && fold_greek(c, (unsigned char)s->p[1])) {
            unsigned g = fold_greek(c, (unsigned char)s->p[1]);

            if (len + 2 < n) {
                w[len] = (char)(0xC0 | (g >> 6));
                w[len + 1] = (char)(0x80 | (g & 0x3F));
            }
            len += 2;
            s->p += 2;
            continue;
        } else if (c >= 0xC0 && s->p[1]) {
            f = fold2(c, (unsigned char)s->p[1]);
            ok = ok && f;
            s->p += 2;
            while (((unsigned char)*s->p & 0xC0) == 0x80)
                s->p++;
        } else {
            break;
        }
        if (len + 1 < n)
            w[len] = f;
        len++;
    }
    w[len < n ? len : n - 1] = '\0';
    return ok ? len : 0;
}

static bool in_list(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(w, list[i]))
            return true;
    }
    return false;
}

/* The first byte settles most calls without strncmp(). */
static bool is_prefix(const char *w, size_t len, const char *name)
{
    return len == 0 || (w[0] == name[0] && strncmp(w, name, len) == 0);
}

/* At least three letters: three bytes, six for a (Greek) UTF-8 word. */
static bool long_enough(const char *w, size_t len)
{
    return len >= ((unsigned char)w[0] >= 0x80 ? 6u : 3u);
}

/* Month 1..12, 0 when none, -1 when the word is ambiguous. */
static int lookup_month(const char *w, size_t len)
{
    bool greek = (unsigned char)w[0] >= 0x80;
    const struct month_name *t = greek ? greek_month_names : month_names;
    size_t n = greek ? sizeof(greek_month_names) / sizeof(greek_month_names[0])
                     : sizeof(month_names) / sizeof(month_names[0]);
    int m = 0;

    if (!long_enough(w, len))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_prefix(w, len, t[i].name))
            continue;
        if (m && m != t[i].month)
            return -1;
        m = t[i].month;
    }
    return m;
}

static bool is_weekday(const char *w, size_t len)
{
    if (in_list(w, weekday_short, sizeof(weekday_short) / sizeof(weekday_short[0])))
        return true;
    if (!long_enough(w, len))
        return false;
    for (size_t i = 0; i < sizeof(weekday_names) / sizeof(weekday_names[0]); i++) {
        if (is_prefix(w, len, weekday_names[i]))
            return true;
    }
    return false;
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
    if (f->hour < 0 || f->hour > 24 || f->min < 0 || f->min > 59 || f->sec < 0 || f->sec > 60 ||
        (f->hour == 24 && (f->min != 0 || f->sec != 0)))
        return TIME_NONE;
    return days_from_civil(f->year, f->mon, f->day) * 86400 + f->hour * 3600 + f->min * 60 +
           f->sec - (int64_t)f->offset * 60;
}

/* "+hh:mm", "+hhmm", "+hh", "+h". */
static bool parse_offset(struct scan *s, int *ret)
{
    int sign = *s->p == '-' ? -1 : 1, hh = 0, mm = 0, n;

    s->p++;
    n = scan_num(s, 4, &hh);
    if (n == 4 || n == 3) {
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

/* ISO's zone: numeric offset, or a known name ("Z", "UTC", "EST"...). No
 * zone at all is UTC. */
static bool parse_iso_zone(struct scan *s, int *ret)
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
    z = len && len < sizeof(w) ? lookup_zone(w) : NULL;
    if (z && z->minutes == 0 && (*s->p == '+' || *s->p == '-'))
        return parse_offset(s, ret);
    if (!z)
        return false;
    *ret = z->minutes;
    return true;
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

/* Day of year (1..366) to month and day. */
static bool from_ordinal(struct tm_fields *f, int yday)
{
    int m = 1;

    if (yday < 1 || yday > (is_leap(f->year) ? 366 : 365))
        return false;
    while (yday > days_in_month(f->year, m))
        yday -= days_in_month(f->year, m++);
    f->mon = m;
    f->day = yday;
    return true;
}

/* YYYY[-MM[-DD]], YYYY-DDD, YYYYMMDD or YYMMDD, then
 * [T|t|space]hh:mm[:ss[.f]][zone]. */
static int64_t parse_iso(const char *str)
{
    struct tm_fields f = {.mon = 1, .day = 1};
    struct scan s = {str};
    bool compact = false;
    int n;

    if (scan_num(&s, 4, &f.year) != 4)
        return TIME_NONE;
    if (*s.p == '-') {
        s.p++;
        n = scan_num(&s, 3, &f.mon);
        if (n == 3 && !from_ordinal(&f, f.mon))
            return TIME_NONE;
        if (n == 2 && *s.p == '-' && (s.p++, scan_num(&s, 2, &f.day) != 2))
            return TIME_NONE;
        if (n < 2)
            return TIME_NONE;
    } else if (is_digit(*s.p)) {
        int rest = 0;

        compact = true;
        n = scan_num(&s, 4, &rest);
        if (n == 2 && !is_digit(*s.p)) { /* YYMMDD */
            f.day = rest;
            f.mon = f.year % 100;
            f.year = f.year / 100;
            f.year += f.year < 90 ? 2000 : 1900;
        } else if (n == 4) {
            f.mon = rest / 100;
            f.day = rest % 100;
        } else {
            return TIME_NONE;
        }
    }
    if ((*s.p == 'T' || *s.p == 't' || *s.p == ' ') && is_digit(s.p[1])) {
        s.p++;
        if (!parse_clock(&s, compact, &f))
            return TIME_NONE;
        skip_space(&s);
        if (!parse_iso_zone(&s, &f.offset))
            return TIME_NONE;
    }
    if (!at_end(&s))
        return TIME_NONE;
    return make_time(&f);
}

/* ---- the lenient scanner -------------------------------------------------------- */

struct loose {
    int num[3], digits[3], n_num;
    char num_sep;          /* the separator after the first number: '.', '/', '-' or ' ' */
    int month, weak_month; /* weak: a word that is also a weekday ("mar") */
    bool have_time, have_zone;
    int ampm;    /* 0 none, 1 am, 2 pm */
    bool korean; /* 년 월 일 or 오전/오후 seen: year-month-day, KST by default */
    struct tm_fields f;
};

static bool loose_number(struct scan *s, struct loose *l)
{
    const char *start = s->p;
    int v = 0, n = scan_num(s, 5, &v);

    if (is_digit(*s->p))
        return false;
    if (!l->have_time && n <= 2 && (*s->p == ':' || (*s->p == 'h' && is_digit(s->p[1])))) {
        s->p = start;
        scan_num(s, 2, &l->f.hour);
        s->p++;
        if (scan_num(s, 2, &l->f.min) != 2)
            return false;
        if (*s->p == ':') {
            s->p++;
            if (scan_num(s, 2, &l->f.sec) != 2)
                return false;
            if ((*s->p == '.' || *s->p == ',') && is_digit(s->p[1])) {
                s->p++;
                while (is_digit(*s->p))
                    s->p++;
            }
        }
        l->have_time = true;
        return true;
    }
    if (l->n_num == 3)
        return false;
    if (l->n_num == 0)
        l->num_sep = *s->p == '.' || *s->p == '/' || *s->p == '-' ? *s->p : ' ';
    l->num[l->n_num] = v;
    l->digits[l->n_num++] = n;
    return true;
}

static bool loose_zone(struct scan *s, struct loose *l, const char *w, size_t len)
{
    const struct zone *z = lookup_zone(w);

    if (!z) {
        /* An unknown name where a zone goes counts as UTC (feedparser). */
        if (len > 5)
            return false;
        l->f.offset = 0;
    } else {
        l->f.offset = z->minutes;
    }
    l->have_zone = true;
    if (z && z->minutes == 0 && (*s->p == '+' || *s->p == '-') && is_digit(s->p[1]))
        return parse_offset(s, &l->f.offset); /* "GMT+7", "UTC-05:00" */
    return true;
}

/* Korean date words (feedparser's OnBlog and Nate forms: "2004년 05월 28일
 * 01:31:15", "2004-05-25 오후 11:23:17"): year, month and day markers are
 * separators, 오전/오후 are AM/PM. Returns the bytes used, 0 if none. */
static size_t loose_korean(const char *p, struct loose *l)
{
    static const struct {
        const char *word;
        int ampm;
    } words[] = {{"\xEB\x85\x84", 0},
                 {"\xEC\x9B\x94", 0},
                 {"\xEC\x9D\xBC", 0},
                 {"\xEC\x98\xA4\xEC\xA0\x84", 1},
                 {"\xEC\x98\xA4\xED\x9B\x84", 2}};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t len = strlen(words[i].word);

        if (!strncmp(p, words[i].word, len) && (!words[i].ampm || !l->ampm)) {
            l->korean = true;
            if (words[i].ampm)
                l->ampm = words[i].ampm;
            return len;
        }
    }
    return 0;
}

static bool loose_word(struct scan *s, struct loose *l)
{
    char w[32];
    size_t len = scan_word(s, w, sizeof(w));
    int m;

    if (!len || len >= sizeof(w))
        return false;
    if (len == 1 && w[0] == 't' && !l->have_time && is_digit(*s->p))
        return true; /* "2004-július-13T9:15": ISO's date-time separator */
    if (len == 3 && !strcmp(w, "etc") && *s->p == '/') {
        s->p++;
        return true; /* "Etc/GMT" */
    }
    if ((!strcmp(w, "am") || !strcmp(w, "pm")) && l->have_time && !l->ampm) {
        l->ampm = w[0] == 'a' ? 1 : 2;
        return true;
    }
    /* After the clock a known zone name wins over a filler ("A" is a
     * military zone there, "à" before it). */
    if (l->have_time && !l->have_zone &&
        (lookup_zone(w) || !in_list(w, fillers, sizeof(fillers) / sizeof(fillers[0]))))
        return loose_zone(s, l, w, len);
    m = lookup_month(w, len);
    if (m > 0 && is_weekday(w, len)) {
        l->weak_month = l->weak_month ? -1 : m;
        return true;
    }
    if (m > 0) {
        if (l->month && l->month != m)
            return false;
        l->month = m;
        return true;
    }
    return is_weekday(w, len) || in_list(w, fillers, sizeof(fillers) / sizeof(fillers[0]));
}

static int two_digit_year(int y, int digits)
{
    if (digits == 2)
        return y + (y < 90 ? 2000 : 1900);
    if (digits == 3)
        return y + 1900;
    return y;
}

/* Day, month and year from the numbers and the month name. */
static bool loose_date(struct loose *l)
{
    struct tm_fields *f = &l->f;

    if (!l->month && l->weak_month > 0)
        l->month = l->weak_month;
    if (l->month) {
        int y = 1;

        if (l->n_num != 2)
            return false;
        if (l->digits[0] >= 3)
            y = 0; /* "2024 Jan 02" */
        if (l->digits[1 - y] > 2 || l->digits[y] < 2 || l->digits[y] > 4)
            return false;
        f->day = l->num[1 - y];
        f->year = two_digit_year(l->num[y], l->digits[y]);
        f->mon = l->month;
        return true;
    }
    if (l->n_num != 3 || l->digits[1] != 2)
        return false;
    if ((l->korean || l->num_sep == '-') && l->digits[0] == 4 &&
        l->digits[2] == 2) { /* 2004년 05월 28일, 2004-05-25 */
        f->year = l->num[0];
        f->mon = l->num[1];
        f->day = l->num[2];
        return true;
    }
    if (l->num_sep == '/' && l->digits[0] == 4 && l->digits[1] == 2 &&
        l->digits[2] == 2) { /* 2006/09/15 (perforce) */
        f->year = l->num[0];
        f->mon = l->num[1];
        f->day = l->num[2];
        return true;
    }
    if (l->num_sep == '.' && l->digits[0] <= 2 && l->digits[2] == 4) { /* 15.09.2006 */
        f->day = l->num[0];
        f->mon = l->num[1];
        f->year = l->num[2];
        return true;
    }
    return false;
}

static int64_t parse_loose(const char *str)
{
    struct loose l = {0};
    struct scan s = {str};

    while (*s.p) {
        char c = *s.p;
        bool ok = true;

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '.' || c == '/') {
            s.p++;
        } else if ((c == '+' || c == '-') && is_digit(s.p[1]) && l.have_time && !l.have_zone) {
            ok = parse_offset(&s, &l.f.offset);
            l.have_zone = true;
        } else if (c == '-') {
            s.p++;
        } else if (c == '(' && l.have_time) {
            const char *close = strchr(s.p, ')'); /* "+0100 (CET)": a comment */

            ok = close != NULL;
            s.p = close ? close + 1 : s.p;
        } else if (is_digit(c)) {
            ok = loose_number(&s, &l);
        } else if (is_alpha(c) || (unsigned char)c >= 0xC0) {
            size_t k = (unsigned char)c >= 0xE0 ? loose_korean(s.p, &l) : 0;

            s.p += k;
            ok = k || loose_word(&s, &l);
        } else {
            ok = false;
        }
        if (!ok)
            return TIME_NONE;
    }
    if (!loose_date(&l))
        return TIME_NONE;
    if (l.korean && !l.have_zone)
        l.f.offset = 9 * 60; /* KST, as feedparser assumes */
    if (l.ampm) {
        if (l.f.hour < 1 || l.f.hour > 12)
            return TIME_NONE;
        l.f.hour = l.f.hour % 12 + (l.ampm == 2 ? 12 : 0);
    }
    return make_time(&l.f);
}

/* ---- the common RFC 822 form ------------------------------------------------------ */

/* Three ASCII letters at p, lower-cased, matched against names (each
 * three letters, lower case); index + 1, or 0. */
static int word3(const char *p, const char *const *names, int n)
{
    char w[3];

    for (int i = 0; i < 3; i++) {
        if (!is_alpha(p[i]))
            return 0;
        w[i] = lower(p[i]);
    }
    for (int i = 0; i < n; i++) {
        if (!memcmp(w, names[i], 3))
            return i + 1;
    }
    return 0;
}

static bool digits(const char *p, int n, int *ret)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *ret = v;
    return true;
}

/* "Thu, 02 Oct 2025 19:00:57 +0100": English weekday (optional), day,
 * month, four-digit year, hh:mm[:ss], a numeric offset or GMT, UT, UTC, Z
 * - the form nearly every RSS date has - read straight into the fields.
 * False for anything else, which parse_loose() reads; for what this
 * accepts it reaches the same fields (weekday ignored, "mar" a month,
 * day before year) and the same make_time(). */
static bool parse_rfc822(const char *p, int64_t *ret)
{
    static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};
    struct tm_fields f = {0};
    int n, hh, mm;

    if (is_alpha(*p)) {
        if (!word3(p, days, 7) || p[3] != ',' || p[4] != ' ')
            return false;
        p += 5;
    }
    if (!is_digit(p[0]))
        return false; /* p[1] may lie past the end */
    n = is_digit(p[1]) ? 2 : 1;
    if (!digits(p, n, &f.day) || p[n] != ' ')
        return false;
    p += n + 1;
    if (!(f.mon = word3(p, months, 12)) || p[3] != ' ')
        return false;
    p += 4;
    if (!digits(p, 4, &f.year) || p[4] != ' ' || !is_digit(p[5]))
        return false;
    p += 5;
    n = is_digit(p[1]) ? 2 : 1;
    if (!digits(p, n, &f.hour) || p[n] != ':' || !digits(p + n + 1, 2, &f.min))
        return false;
    p += n + 3;
    if (*p == ':') {
        if (!digits(p + 1, 2, &f.sec))
            return false;
        p += 3;
    }
    if (*p++ != ' ')
        return false;
    if ((*p == '+' || *p == '-') && digits(p + 1, 4, &n) && p[5] == '\0') {
        hh = n / 100;
        mm = n % 100;
        if (hh > 23 || mm > 59)
            return false;
        f.offset = (*p == '-' ? -1 : 1) * (hh * 60 + mm);
    } else if (strcmp(p, "GMT") && strcmp(p, "UT") && strcmp(p, "UTC") && strcmp(p, "Z")) {
        return false;
    }
    *ret = make_time(&f);
    return true;
}

int64_t date_parse(const char *s)
{
    struct scan sc = {s};
    int64_t t;

    if (!s)
        return TIME_NONE;
    skip_space(&sc);
    if (!*sc.p)
        return TIME_NONE;
    t = parse_iso(sc.p);
    if (t == TIME_NONE && !parse_rfc822(sc.p, &t))
        t = parse_loose(sc.p);
    return t;
}
