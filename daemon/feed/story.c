/* story: see story.h. */
#include "feed/story.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#define TERM_MAX 64 /* bytes of one term; longer words are cut */

/* Stop words after folding (lower case, accents removed), sorted for
 * bsearch (strcmp order): function words of the five languages whose
 * outlets are most common in feeds, and the boilerplate of news headlines
 * ("live", "update", "video") that says nothing about the story. */
static const char *const stop_words[] = {
    "about",    "above",   "after", "again",   "against", "al",      "all",       "alla",
    "alle",     "als",     "also",  "am",      "an",      "and",     "ans",       "any",
    "are",      "as",      "at",    "auch",    "auf",     "aus",     "aux",       "avec",
    "be",       "because", "been",  "before",  "bei",     "being",   "between",   "both",
    "breaking", "but",     "by",    "can",     "ce",      "ces",     "che",       "con",
    "could",    "da",      "dal",   "dans",    "das",     "dass",    "de",        "degli",
    "dei",      "del",     "della", "delle",   "dem",     "den",     "der",       "des",
    "di",       "did",     "die",   "do",      "does",    "doing",   "du",        "durante",
    "during",   "each",    "ein",   "eine",    "einem",   "einen",   "einer",     "el",
    "elle",     "en",      "entre", "es",      "est",     "et",      "exclusive", "few",
    "for",      "from",    "fur",   "further", "gegen",   "gli",     "ha",        "had",
    "has",      "hat",     "have",  "having",  "he",      "her",     "here",      "hers",
    "him",      "his",     "how",   "i",       "if",      "il",      "ils",       "im",
    "in",       "into",    "is",    "ist",     "it",      "its",     "just",      "la",
    "las",      "le",      "les",   "leur",    "live",    "lo",      "los",       "ma",
    "mais",     "mit",     "more",  "most",    "nach",    "ne",      "nel",       "nella",
    "new",      "news",    "nicht", "no",      "nor",     "not",     "now",       "o",
    "of",       "off",     "on",    "once",    "only",    "or",      "other",     "ou",
    "our",      "out",     "over",  "own",     "par",     "para",    "per",       "photos",
    "por",      "pour",    "qu",    "que",     "qui",     "report",  "s",         "same",
    "se",       "sera",    "she",   "should",  "si",      "sich",    "sie",       "so",
    "some",     "son",     "such",  "sul",     "sulla",   "sur",     "than",      "that",
    "the",      "their",   "them",  "then",    "there",   "these",   "they",      "this",
    "those",    "through", "to",    "too",     "um",      "un",      "una",       "und",
    "une",      "uno",     "until", "up",      "update",  "updates", "very",      "video",
    "vom",      "von",     "vor",   "was",     "watch",   "we",      "were",      "what",
    "when",     "where",   "which", "while",   "who",     "whom",    "why",       "wie",
    "will",     "wird",    "with",  "would",   "y",       "you",     "your",      "zu",
    "zum",      "zur",
};

/* The stop words in an open-addressing set of FNV-1a hashes, built once
 * (pthread_once: fingerprints are made on the thread pool). */
#define STOP_SLOTS 1024 /* a power of two, over twice the words */

static const char *stop_set[STOP_SLOTS];
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;

static uint32_t fnv(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void build_stop_set(void)
{
    for (size_t i = 0; i < sizeof(stop_words) / sizeof(stop_words[0]); i++) {
        uint32_t h = fnv(stop_words[i]) & (STOP_SLOTS - 1);
        while (stop_set[h])
            h = (h + 1) & (STOP_SLOTS - 1);
        stop_set[h] = stop_words[i];
    }
}

static bool is_stop_word(const char *t)
{
    uint32_t h;

    pthread_once(&stop_once, build_stop_set);
    for (h = fnv(t) & (STOP_SLOTS - 1); stop_set[h]; h = (h + 1) & (STOP_SLOTS - 1))
        if (strcmp(stop_set[h], t) == 0)
            return true;
    return false;
}

static bool ends(const char *t, size_t n, const char *suffix, size_t k)
{
    return n > k && memcmp(t + n - k, suffix, k) == 0;
}

static bool vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

/* A light suffix stemmer for English inflections, harmless for the other
 * languages' short words: plurals, -ed, -ing, a final -e, and the doubled
 * consonant those leave ("cutting" -> "cut"). Terms of four bytes or less
 * are left alone. Returns the new length. */
static size_t stem(char *t, size_t n)
{
    if (n <= 4)
        return n;
    if (ends(t, n, "ies", 3)) {
        n -= 2;
        t[n - 1] = 'y';
    } else if (ends(t, n, "sses", 4)) {
        n -= 2;
    } else if (t[n - 1] == 's' && t[n - 2] != 's' && t[n - 2] != 'u' && t[n - 2] != 'i') {
        n--;
    }
    if (n > 5 && ends(t, n, "ing", 3)) {
        n -= 3;
    } else if (n > 4 && ends(t, n, "ied", 3)) {
        n -= 2;
        t[n - 1] = 'y';
    } else if (n > 4 && ends(t, n, "ed", 2)) {
        n -= 2;
    } else if (n > 4 && t[n - 1] == 'e') {
        n--;
    }
    if (n > 3 && t[n - 1] == t[n - 2] && !vowel(t[n - 1]) && t[n - 1] != 'l' && t[n - 1] != 's' &&
        t[n - 1] != 'z')
        n--;
    t[n] = '\0';
    return n;
}

/* ---- term extraction ---------------------------------------------------- */

struct terms {
    uint64_t hash[STORY_MAX_TERMS * 2];
    size_t n;
    size_t lead_left; /* terms the lead may still add */
    struct buf *text; /* story_terms(): the terms as text, else NULL */
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_term(const char *t, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then a finalizer */

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)t[i]) * 0x100000001b3ULL;
    return mix64(h);
}

/* Folds a term with non-ASCII letters: case folding with compatibility
 * decomposition, then combining marks dropped. Writes at most TERM_MAX-1
 * bytes to out. Returns the length, 0 when nothing is left. */
static size_t fold_unicode(const char *t, size_t n, char out[TERM_MAX])
{
    uint8_t buf[TERM_MAX * 4];
    size_t len = sizeof(buf), o = 0;
    uint8_t *folded = u8_casefold((const uint8_t *)t, n, NULL, UNINORM_NFKD, buf, &len);

    if (!folded)
        return 0;
    for (size_t i = 0; i < len;) {
        ucs4_t uc;
        int k = u8_mbtouc(&uc, folded + i, len - i);

        if (!uc_is_general_category(uc, UC_CATEGORY_M)) {
            if (o + (size_t)k >= TERM_MAX)
                break;
            memcpy(out + o, folded + i, (size_t)k);
            o += (size_t)k;
        }
        i += (size_t)k;
    }
    if (folded != buf)
        free(folded);
    out[o] = '\0';
    return o;
}

/* Latin-1's letters (U+00C0-U+00FF but the two signs, UTF-8 C3 80-BF) are
 * most of the non-ASCII letters in European feeds: their folds are taken
 * from fold_unicode() once, so a term made of them and ASCII skips
 * libunistring. Folding works character by character here (case folding
 * has no context, NFKD only decomposes, and the marks it separates are
 * dropped), so joining the characters' folds gives the term's fold. */
static struct {
    char s[4]; /* the fold: at most two bytes, NUL-terminated */
    uint8_t n;
} latin1_fold[64];
static pthread_once_t latin1_once = PTHREAD_ONCE_INIT;

static bool latin1_letter(unsigned char lead, unsigned char next)
{
    return lead == 0xc3 && next >= 0x80 && next <= 0xbf && next != 0x97 && next != 0xb7;
}

static void latin1_init(void)
{
    for (unsigned i = 0; i < 64; i++) {
        char in[2] = {(char)0xc3, (char)(0x80 + i)}, out[TERM_MAX];
        size_t n;

        if (!latin1_letter(0xc3, (unsigned char)in[1]))
            continue;
        n = fold_unicode(in, 2, out);
        if (n < sizeof(latin1_fold[i].s)) {
            memcpy(latin1_fold[i].s, out, n);
            latin1_fold[i].n = (uint8_t)n;
        }
    }
}

/* fold_unicode() for a term of ASCII and Latin-1 letters; false (out
 * untouched) for any other character. */
static bool fold_latin1(const char *t, size_t n, char out[TERM_MAX], size_t *ret)
{
    const unsigned char *p = (const unsigned char *)t;
    size_t o = 0;

    pthread_once(&latin1_once, latin1_init);
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x80)
            continue;
        if (i + 1 == n || !latin1_letter(p[i], p[i + 1]) || !latin1_fold[p[i + 1] - 0x80].n)
            return false;
        i++;
    }
    for (size_t i = 0; i < n; i++) {
        const char *f;
        size_t k;

        if (p[i] < 0x80) {
            f = t + i;
            k = 1;
        } else {
            f = latin1_fold[p[++i] - 0x80].s;
            k = latin1_fold[p[i] - 0x80].n;
        }
        /* fold_unicode()'s cut: whole characters while they fit */
        for (size_t j = 0; j < k;) {
            size_t cl = (unsigned char)f[j] < 0x80 ? 1 : 2;

            if (o + cl >= TERM_MAX)
                goto done;
            memcpy(out + o, f + j, cl);
            o += cl;
            j += cl;
        }
    }
done:
    out[o] = '\0';
    *ret = o;
    return true;
}

static bool ascii_only(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] >= 0x80)
            return false;
    return true;
}

static void add_term(struct terms *ts, char *t, size_t n, bool lead)
{
    if (n < 2 || is_stop_word(t))
        return;
    if (lead) {
        if (!ts->lead_left)
            return;
        ts->lead_left--;
    }
    if (ascii_only(t, n)) /* the stemmer works on bytes */
        n = stem(t, n);
    if (ts->text) {
        if (ts->text->len)
            buf_putc(ts->text, ' ');
        buf_append(ts->text, t, n);
    }
    if (ts->n < sizeof(ts->hash) / sizeof(ts->hash[0]))
        ts->hash[ts->n++] = hash_term(t, n);
}

static void end_term(struct terms *ts, char *t, size_t n, bool ascii, bool lead)
{
    char folded[TERM_MAX];

    if (!n)
        return;
    if (ascii) {
        t[n] = '\0';
        add_term(ts, t, n, lead);
    } else {
        if (!fold_latin1(t, n, folded, &n))
            n = fold_unicode(t, n, folded);
        /* Folding can leave several words ("ß" -> "ss" is one, but a
         * ligature or a fraction may not be): kept as one term. */
        add_term(ts, folded, n, lead);
    }
}

/* Splits text into terms; html: skip tags, treat entities as breaks. */
static void scan(struct terms *ts, const char *s, bool html, bool lead)
{
    char t[TERM_MAX];
    size_t n = 0;
    bool ascii = true;

    if (!s)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if (lead && !ts->lead_left)
            return;
        if (*p < 0x80) {
            unsigned char c = *p;

            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                if (n < TERM_MAX - 1)
                    t[n++] = (char)c;
                p++;
                continue;
            }
            if (c >= 'A' && c <= 'Z') {
                if (n < TERM_MAX - 1)
                    t[n++] = (char)(c | 0x20);
                p++;
                continue;
            }
            end_term(ts, t, n, ascii, lead);
            n = 0;
            ascii = true;
            if (html && c == '<') {
                const char *gt = strchr((const char *)p, '>');
                p = gt ? (const unsigned char *)gt + 1 : p + strlen((const char *)p);
                continue;
            }
            if (html && c == '&') {
                size_t k = 1;
                while (k < 12 && p[k] && p[k] != ';' && p[k] != '<' && p[k] != ' ')
                    k++;
                p += p[k] == ';' ? k + 1 : 1;
                continue;
            }
            p++;
            continue;
        }
        if (latin1_letter(p[0], p[1])) {
            if (n + 2 < TERM_MAX) {
                memcpy(t + n, p, 2);
                n += 2;
            }
            ascii = false;
            p += 2;
            continue;
        }
        ucs4_t uc;
        int k = u8_mbtouc(&uc, p, strnlen((const char *)p, 4));
        if (uc_is_alnum(uc) || uc_is_general_category(uc, UC_CATEGORY_M)) {
            if (n + (size_t)k < TERM_MAX) {
                memcpy(t + n, p, (size_t)k);
                n += (size_t)k;
            }
            ascii = false;
        } else {
            end_term(ts, t, n, ascii, lead);
            n = 0;
            ascii = true;
        }
        p += k;
    }
    end_term(ts, t, n, ascii, lead);
}

static void collect(struct terms *ts, const char *title, const char *lead_html)
{
    ts->n = 0;
    ts->lead_left = STORY_LEAD_TERMS;
    scan(ts, title, false, false);
    scan(ts, lead_html, true, true);
}

/* ---- fingerprint -------------------------------------------------------------- */

/* At most STORY_MAX_TERMS * 2 values: an insertion sort, without qsort()'s
 * call per comparison. */
static void sort_u32(uint32_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        size_t j = i;

        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

void story_fingerprint(const char *title, const char *lead_html, struct story_fp *ret)
{
    struct terms ts = {0};
    uint32_t h[sizeof(ts.hash) / sizeof(ts.hash[0])];
    size_t n = 0;

    collect(&ts, title, lead_html);
    for (size_t i = 0; i < ts.n; i++)
        h[i] = (uint32_t)(ts.hash[i] >> 32);
    sort_u32(h, ts.n);
    for (size_t i = 0; i < ts.n && n < STORY_MAX_TERMS;) {
        size_t j = i;

        while (j < ts.n && h[j] == h[i])
            j++;
        ret->term[n] = h[i];
        ret->tf[n] = (uint8_t)(j - i > 255 ? 255 : j - i);
        n++;
        i = j;
    }
    ret->n_terms = n >= STORY_MIN_TERMS ? (uint16_t)n : 0;
}

int story_terms(const char *title, const char *lead_html, struct buf *out)
{
    struct terms ts = {.text = out};

    collect(&ts, title, lead_html);
    return out->err;
}
