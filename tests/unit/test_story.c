/* Unit tests for feed/story and feed/story_index: term normalization, the
 * fingerprint, its serialized form, and the index that finds the same
 * story told by another feed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "base/buf.h"
#include "feed/story.h"
#include "feed/story_index.h"

/* Two outlets' takes on one central bank decision, and unrelated stories. */
#define ECB_A_TITLE "ECB raises interest rates to 4% in tenth straight hike"
#define ECB_A_LEAD                                                                                 \
    "<p>The European Central Bank raised its key deposit rate by a quarter point to 4% on "        \
    "Thursday, its tenth consecutive increase, and signalled that borrowing costs may now have "   \
    "peaked as inflation in the euro zone slows.</p>"
#define ECB_B_TITLE "European Central Bank lifts deposit rate to record 4 percent"
#define ECB_B_LEAD                                                                                 \
    "<p>Frankfurt - The ECB on Thursday raised its deposit rate by 25 basis points to 4%, a "      \
    "tenth straight hike, but President Christine Lagarde hinted that rates may have peaked "      \
    "with euro zone inflation cooling.</p>"
/* A third take, closer to B than A is. */
#define ECB_C_TITLE "European Central Bank lifts deposit rate to record 4 percent"
#define ECB_C_LEAD                                                                                 \
    "<p>The ECB on Thursday raised its deposit rate by 25 basis points to 4%, a tenth straight "   \
    "hike, while President Christine Lagarde hinted that rates may have peaked.</p>"
#define STORM_TITLE "Storm Ciarán batters Cornwall with record winds"
#define STORM_LEAD                                                                                 \
    "Gusts of more than 100 mph hit the coast of Cornwall overnight as Storm Ciarán brought "     \
    "flooding and power cuts to thousands of homes, the Met Office said."
#define FOOTBALL_TITLE "Arsenal beat Chelsea 3-1 to go top of the Premier League"
#define FOOTBALL_LEAD                                                                              \
    "<p>Bukayo Saka scored twice as Arsenal came from behind at the Emirates Stadium to beat "     \
    "Chelsea and move two points clear at the top of the table.</p>"

#define T0     1700000000
#define WINDOW (72 * 3600)

/* Asserts that story_terms(title, lead) is exactly want. */
static void expect_terms(const char *title, const char *lead, const char *want)
{
    struct buf b;

    buf_init(&b, 1 << 20);
    assert_int_equal(story_terms(title, lead, &b), 0);
    assert_string_equal(buf_cstr(&b), want);
    buf_release(&b);
}

static void test_terms_case_folding(void **state)
{
    (void)state;
    expect_terms("Bank BANK bank", NULL, "bank bank bank");
    /* Unicode upper case, with accents removed ("élysée" stems to "elyse"). */
    expect_terms("Élysée ÉLYSÉE elysee", NULL, "elyse elyse elyse");
    /* Case folding, not lower-casing: "ß" is "ss" ("strasse" stems to "strass"). */
    expect_terms("STRAßE Straße strasse", NULL, "strass strass strass");
    /* Turkish dotted capital I: its dot is a combining mark, dropped. */
    expect_terms("İSTANBUL İstanbul istanbul", NULL, "istanbul istanbul istanbul");
    /* Greek: accents dropped, final sigma folded like the others. */
    expect_terms("ΑΘΗΝΑ Αθήνα", NULL, "αθηνα αθηνα");
    expect_terms("ΟΔΥΣΣΕΥΣ Οδυσσεύς", NULL, "οδυσσευσ οδυσσευσ");
    /* Cyrillic. */
    expect_terms("МОСКВА Москва", NULL, "москва москва");
}

static void test_terms_accents_removed(void **state)
{
    (void)state;
    expect_terms("Barça", NULL, "barca");
    expect_terms("Zürich Zurich", NULL, "zurich zurich");
    expect_terms("São Paulo", NULL, "sao paulo");
    /* A decomposed accent (e + U+0301) is the precomposed one. */
    expect_terms("Sánchez Sa\xcc\x81nchez", NULL, "sanchez sanchez");
}

/* libunistring's fold of s, as story.h describes it: case folding with
 * compatibility decomposition, combining marks dropped. */
static void reference_fold(const char *s, char *out, size_t cap)
{
    size_t len = 0, o = 0;
    uint8_t *f = u8_casefold((const uint8_t *)s, strlen(s), NULL, UNINORM_NFKD, NULL, &len);

    assert_non_null(f);
    for (size_t i = 0; i < len;) {
        ucs4_t uc;
        int k = u8_mbtouc(&uc, f + i, len - i);

        if (!uc_is_general_category(uc, UC_CATEGORY_M)) {
            assert_true(o + (size_t)k < cap);
            memcpy(out + o, f + i, (size_t)k);
            o += (size_t)k;
        }
        i += (size_t)k;
    }
    out[o] = '\0';
    free(f);
}

/* Latin-1's letters are folded from a table (taken from libunistring at
 * first use): every letter and every pair of them, next to ASCII and next
 * to a letter outside Latin-1, fold as libunistring folds them. */
static void test_terms_latin1_as_unistring(void **state)
{
    static const char *const around[][2] = {{"x", "qz"}, {"Kr", "Ω"}, {"ŁA", "9"}};

    (void)state;
    for (unsigned a = 0xc0; a <= 0xff; a++) {
        for (unsigned b = 0xbf; b <= 0xff; b++) { /* 0xbf: a alone */
            char la[3], lb[3] = "", word[32], folded[64];
            struct buf got, want;

            if (a == 0xd7 || a == 0xf7 || b == 0xd7 || b == 0xf7)
                continue; /* × and ÷ are not letters */
            u8_uctomb((uint8_t *)la, a, 2);
            la[2] = '\0';
            if (b > 0xbf) {
                u8_uctomb((uint8_t *)lb, b, 2);
                lb[2] = '\0';
            }
            for (size_t k = 0; k < sizeof(around) / sizeof(around[0]); k++) {
                snprintf(word, sizeof(word), "%s%s%s%s", around[k][0], la, lb, around[k][1]);
                reference_fold(word, folded, sizeof(folded));
                buf_init(&got, 1 << 10);
                buf_init(&want, 1 << 10);
                assert_int_equal(story_terms(word, NULL, &got), 0);
                assert_int_equal(story_terms(folded, NULL, &want), 0);
                if (strcmp(buf_cstr(&got), buf_cstr(&want)) != 0)
                    fail_msg("\"%s\" gave \"%s\", libunistring's fold \"%s\" gives \"%s\"", word,
                             buf_cstr(&got), folded, buf_cstr(&want));
                buf_release(&got);
                buf_release(&want);
            }
        }
    }
    /* A long term is cut at whole characters: 31 "ß" fill 62 of the 63
     * bytes a term may take; folded, they are 62 letters "s". */
    char word[128] = "", want[64] = "";
    for (int i = 0; i < 40; i++)
        strcat(word, "\xc3\x9f");
    for (int i = 0; i < 31; i++)
        strcat(want, "ss");
    expect_terms(word, NULL, want);
}

static void test_terms_html_lead(void **state)
{
    (void)state;
    /* Tags and entities are skipped, not read as words; one-letter terms dropped. */
    expect_terms(NULL, "<p>a &amp; b</p>", "");
    expect_terms(NULL, "<p>Tom &amp; Jerry</p>", "tom jerry");
    expect_terms(NULL, "<a href=\"https://x.example/hidden\" title=\"secret\">seen</a>", "seen");
    expect_terms(NULL, "<p>caf&eacute; &#233;t&#xe9;</p><br/>mocha", "caf mocha");
    /* The title is plain text: "<" is not a tag there. */
    expect_terms("x < y > zebra", NULL, "zebra");
    /* Title first, then the lead. */
    expect_terms("Budget vote", "<b>Parliament</b> approves", "budget vote parliament approv");
}

static void test_terms_stop_words_and_short(void **state)
{
    (void)state;
    /* English, German, French (and Spanish, Italian) function words. */
    expect_terms("The bank of the year and its workers", NULL, "bank year worker");
    expect_terms("Der Kanzler und die Regierung mit dem Haushalt", NULL,
                 "kanzler regierung haushalt");
    expect_terms("Le président et les ministres pour la réforme", NULL, "president ministr reform");
    expect_terms("Für über", NULL, "uber"); /* "für" folds to the stop word "fur" */
    /* Headline boilerplate. */
    expect_terms("BREAKING: Exclusive video update, photos", NULL, "");
    /* One-character terms, letters or digits. */
    expect_terms("a b c 1 2 x y z ok", NULL, "ok");
    expect_terms("", "", "");
    expect_terms(NULL, NULL, "");
}

static void test_terms_stemmer(void **state)
{
    (void)state;
    expect_terms("raises raised raising raise", NULL, "rais rais rais rais");
    expect_terms("cutting cuts", NULL, "cut cuts"); /* four bytes or less: left alone */
    expect_terms("policies policy", NULL, "policy policy");
    expect_terms("classes class", NULL, "class class");
    expect_terms("studied studies", NULL, "study study");
    expect_terms("running runs", NULL, "run runs");
    expect_terms("stopped stopping", NULL, "stop stop");
    /* Short words are not stemmed. */
    expect_terms("uses used", NULL, "uses used");
}

static void test_terms_lead_limit(void **state)
{
    struct buf lead, want;

    (void)state;
    buf_init(&lead, 1 << 16);
    buf_init(&want, 1 << 16);
    /* Stop words in the lead do not count towards its limit. */
    for (int i = 0; i < STORY_LEAD_TERMS + 10; i++) {
        buf_printf(&lead, "the w%03d ", i);
        if (i < STORY_LEAD_TERMS)
            buf_printf(&want, "%sw%03d", i ? " " : "", i);
    }
    expect_terms(NULL, buf_cstr(&lead), buf_cstr(&want));
    /* The title is not limited and does not use up the lead's terms. */
    buf_reset(&want);
    buf_puts(&want, "t001 t002 t003");
    for (int i = 0; i < STORY_LEAD_TERMS; i++)
        buf_printf(&want, " w%03d", i);
    expect_terms("t001 t002 t003", buf_cstr(&lead), buf_cstr(&want));
    buf_release(&lead);
    buf_release(&want);
}

static void test_fingerprint_min_terms(void **state)
{
    struct story_fp fp;

    (void)state;
    memset(&fp, 0xff, sizeof(fp));
    story_fingerprint("Photos", NULL, &fp);
    assert_int_equal(fp.n_terms, 0);
    /* Three distinct terms, one of them repeated: still too few. */
    story_fingerprint("alpha beta gamma alpha", "the of and", &fp);
    assert_int_equal(fp.n_terms, 0);
    story_fingerprint(NULL, NULL, &fp);
    assert_int_equal(fp.n_terms, 0);
    story_fingerprint("alpha beta gamma delta", NULL, &fp);
    assert_int_equal(fp.n_terms, STORY_MIN_TERMS);
}

static void test_fingerprint_sorted_and_counted(void **state)
{
    struct story_fp a, b, c;
    unsigned total = 0, max_tf = 0;

    (void)state;
    story_fingerprint("apple apple banana cherry", "<p>apple damson</p>", &a);
    assert_int_equal(a.n_terms, 4);
    for (unsigned i = 0; i < a.n_terms; i++) {
        if (i > 0)
            assert_true(a.term[i - 1] < a.term[i]);
        total += a.tf[i];
        if (a.tf[i] > max_tf)
            max_tf = a.tf[i];
    }
    assert_int_equal(total, 6);
    assert_int_equal(max_tf, 3);

    /* The order of words and their split between title and lead do not matter. */
    story_fingerprint("damson apple", "cherry Apples APPLE banana", &b);
    assert_int_equal(b.n_terms, 4);
    assert_memory_equal(a.term, b.term, 4 * sizeof(a.term[0]));
    assert_memory_equal(a.tf, b.tf, 4);

    /* Another word, another fingerprint. */
    story_fingerprint("apple apple banana cherry", "<p>apple elderberry</p>", &c);
    assert_int_equal(c.n_terms, 4);
    assert_memory_not_equal(a.term, c.term, 4 * sizeof(a.term[0]));

    /* Many distinct terms: capped at STORY_MAX_TERMS, still ascending. */
    char title[2048] = "";
    for (int i = 0; i < STORY_MAX_TERMS + 20; i++)
        snprintf(title + strlen(title), sizeof(title) - strlen(title), "word%03d ", i);
    story_fingerprint(title, NULL, &a);
    assert_int_equal(a.n_terms, STORY_MAX_TERMS);
    for (unsigned i = 1; i < a.n_terms; i++)
        assert_true(a.term[i - 1] < a.term[i]);
}

static struct story_rec rec(int64_t entry, int64_t feed, int64_t t, const char *title,
                            const char *lead)
{
    struct story_rec r = {.entry = entry, .story = entry, .feed = feed, .t = t};

    story_fingerprint(title, lead, &r.fp);
    assert_true(r.fp.n_terms >= STORY_MIN_TERMS);
    return r;
}

static void test_similarity(void **state)
{
    struct story_index *x = story_index_new();
    struct story_fp a, b, s;
    struct story_rec r;

    (void)state;
    assert_non_null(x);
    story_fingerprint(ECB_A_TITLE, ECB_A_LEAD, &a);
    story_fingerprint(ECB_B_TITLE, ECB_B_LEAD, &b);
    story_fingerprint(STORM_TITLE, STORM_LEAD, &s);
    /* Empty index: every term has the same (nonzero) weight. */
    assert_float_equal(story_index_similarity(x, &a, &a), 1.0, 1e-9);
    r = rec(1, 1, T0, ECB_A_TITLE, ECB_A_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    r = rec(2, 2, T0, STORM_TITLE, STORM_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    assert_float_equal(story_index_similarity(x, &a, &a), 1.0, 1e-9);
    assert_float_equal(story_index_similarity(x, &b, &b), 1.0, 1e-9);
    double ab = story_index_similarity(x, &a, &b);
    double ba = story_index_similarity(x, &b, &a);
    assert_float_equal(ab, ba, 1e-12);
    assert_true(ab > 0.2 && ab < 0.9);
    /* No term in common. */
    assert_float_equal(story_index_similarity(x, &a, &s), 0.0, 1e-12);
    story_index_free(x);
}

static void test_index_match(void **state)
{
    struct story_index *x = story_index_new();
    struct story_fp b, storm, football;
    struct story_rec r, m;
    double sim = -1;

    (void)state;
    assert_non_null(x);
    assert_int_equal(story_index_size(x), 0);
    /* Empty: nothing matches. */
    story_fingerprint(ECB_B_TITLE, ECB_B_LEAD, &b);
    assert_int_equal(story_index_match(x, &b, 2, T0, WINDOW, 0.2, &m, &sim), 0);

    r = rec(1, 1, T0, ECB_A_TITLE, ECB_A_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    r = rec(2, 3, T0, STORM_TITLE, STORM_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    /* A record without a fingerprint is ignored. */
    struct story_rec empty = {.entry = 9, .story = 9, .feed = 5, .t = T0};
    assert_int_equal(story_index_add(x, &empty), 0);
    assert_int_equal(story_index_size(x), 2);

    /* The paraphrase from another feed an hour later. */
    assert_int_equal(story_index_match(x, &b, 2, T0 + 3600, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(m.entry, 1);
    assert_int_equal(m.story, 1);
    assert_int_equal(m.feed, 1);
    assert_true(sim >= 0.2);
    {
        struct story_fp a;
        story_fingerprint(ECB_A_TITLE, ECB_A_LEAD, &a);
        assert_float_equal(sim, story_index_similarity(x, &b, &a), 1e-9);
    }
    /* A threshold above its similarity: none. */
    assert_int_equal(story_index_match(x, &b, 2, T0 + 3600, WINDOW, sim + 0.01, &m, &sim), 0);
    /* Entries of the same feed never match. */
    assert_int_equal(story_index_match(x, &b, 1, T0 + 3600, WINDOW, 0.2, &m, &sim), 0);
    /* The window holds both ways, its bound included. */
    assert_int_equal(story_index_match(x, &b, 2, T0 + WINDOW, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(story_index_match(x, &b, 2, T0 - WINDOW, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(story_index_match(x, &b, 2, T0 + WINDOW + 1, WINDOW, 0.2, &m, &sim), 0);
    assert_int_equal(story_index_match(x, &b, 2, T0 - WINDOW - 1, WINDOW, 0.2, &m, &sim), 0);
    assert_int_equal(story_index_match(x, &b, 2, T0 + 10 * 86400, WINDOW, 0.2, &m, &sim), 0);
    /* Unrelated text matches nothing, even at a low threshold. */
    story_fingerprint(FOOTBALL_TITLE, FOOTBALL_LEAD, &football);
    assert_int_equal(story_index_match(x, &football, 2, T0, WINDOW, 0.05, &m, &sim), 0);
    /* The storm, told by another feed in the same words, matches its record. */
    story_fingerprint(STORM_TITLE, STORM_LEAD, &storm);
    assert_int_equal(story_index_match(x, &storm, 2, T0, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(m.entry, 2);
    assert_float_equal(sim, 1.0, 1e-9);
    story_index_free(x);
}

/* The probing entry already in the index (its own feed) holds its rarest
 * terms alone: the lookup must still reach the other feed's match. */
static void test_index_match_past_own_rare_terms(void **state)
{
    struct story_index *x = story_index_new();
    struct story_fp b;
    struct story_rec r, m;
    double sim = -1;

    (void)state;
    r = rec(1, 1, T0, ECB_A_TITLE, ECB_A_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    r = rec(2, 3, T0, STORM_TITLE, STORM_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    r = rec(3, 2, T0 + 1800, ECB_B_TITLE, ECB_B_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    story_fingerprint(ECB_B_TITLE, ECB_B_LEAD, &b);
    assert_int_equal(story_index_match(x, &b, 2, T0 + 1800, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(m.entry, 1);
    story_index_free(x);
}

/* The stemmer never cuts a multi-byte character (丸 is E4 B8 B8). */
static void test_terms_stay_utf8(void **state)
{
    (void)state;
    expect_terms("中丸", NULL, "中丸");
}

static void test_index_picks_the_most_similar(void **state)
{
    struct story_index *x = story_index_new();
    struct story_fp b;
    struct story_rec r, m;
    double sim = -1, sim_a, sim_c;

    (void)state;
    assert_non_null(x);
    story_fingerprint(ECB_B_TITLE, ECB_B_LEAD, &b);
    r = rec(1, 1, T0, ECB_A_TITLE, ECB_A_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    r = rec(2, 3, T0, STORM_TITLE, STORM_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    /* The closer take is added last, with a larger id and a later time. */
    r = rec(3, 4, T0 + 7200, ECB_C_TITLE, ECB_C_LEAD);
    r.story = 1;
    assert_int_equal(story_index_add(x, &r), 0);
    assert_int_equal(story_index_size(x), 3);
    {
        struct story_fp a;
        story_fingerprint(ECB_A_TITLE, ECB_A_LEAD, &a);
        sim_a = story_index_similarity(x, &b, &a);
        sim_c = story_index_similarity(x, &b, &r.fp);
    }
    assert_true(sim_a >= 0.2);
    assert_true(sim_c > sim_a);
    assert_int_equal(story_index_match(x, &b, 2, T0 + 3600, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(m.entry, 3);
    assert_int_equal(m.story, 1);
    assert_float_equal(sim, sim_c, 1e-9);
    /* Without that feed's record in reach (same feed), the other one. */
    assert_int_equal(story_index_match(x, &b, 4, T0 + 3600, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(m.entry, 1);

    /* Ties go to the earliest entry: an identical copy from feed 5, later. */
    r = rec(5, 5, T0 + 60, ECB_A_TITLE, ECB_A_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    assert_int_equal(story_index_match(x, &r.fp, 6, T0, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(m.entry, 1);
    assert_float_equal(sim, 1.0, 1e-9);
    story_index_free(x);
}

/* A synthetic fingerprint: a term every record has, one of its group of
 * four, common words and a term of its own; some records count a term
 * more than once. */
static struct story_rec synthetic(int64_t i, int64_t t)
{
    struct story_rec r = {.entry = i, .story = i, .feed = 100 + i % 7, .t = t};
    uint32_t terms[16] = {1, 2 + (uint32_t)(i / 4)};
    unsigned n = 3 + 8 + (unsigned)(i % 4);

    for (unsigned k = 2; k < n - 1; k++) /* 200 common words */
        terms[k] = 10000u + (uint32_t)((i * 7 + k * 13) % 200) * 16 + k;
    terms[n - 1] = 1000000u + (uint32_t)i;
    /* Ascending and distinct, as story_fingerprint() makes them. */
    for (unsigned k = 1; k < n; k++)
        for (unsigned j = k; j > 0 && terms[j - 1] > terms[j]; j--) {
            uint32_t v = terms[j];
            terms[j] = terms[j - 1];
            terms[j - 1] = v;
        }
    for (unsigned k = 1; k < n; k++)
        assert_true(terms[k - 1] < terms[k]);
    for (unsigned k = 0; k < n; k++) {
        r.fp.term[k] = terms[k];
        r.fp.tf[k] = (i % 3 == 0 && k == 2) ? 3 : 1;
    }
    r.fp.n_terms = (uint16_t)n;
    return r;
}

/* Fingerprints are stored packed (counts only where one is above 1): a
 * record found comes back with exactly the terms and counts it was added
 * with, before and after a prune compacts the storage, and rings grow past
 * their in-slot entries. */
static void test_index_packed_round_trip(void **state)
{
    enum { N = 3000 };
    struct story_index *x = story_index_new();
    struct story_rec r, m;
    double sim;

    (void)state;
    assert_non_null(x);
    for (int64_t i = 0; i < N; i++) {
        r = synthetic(i, T0 + i);
        assert_int_equal(story_index_add(x, &r), 0);
    }
    assert_int_equal(story_index_size(x), N);
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t i = pass ? N / 2 : 0; i < N; i += 37) {
            r = synthetic(i, T0 + i);
            assert_int_equal(story_index_match(x, &r.fp, 1, T0 + i, WINDOW, 0.9, &m, &sim), 1);
            assert_int_equal(m.entry, i);
            assert_int_equal(m.feed, 100 + i % 7);
            assert_int_equal(m.t, T0 + i);
            assert_float_equal(sim, 1.0, 1e-6);
            assert_int_equal(m.fp.n_terms, r.fp.n_terms);
            assert_memory_equal(m.fp.term, r.fp.term, r.fp.n_terms * sizeof(r.fp.term[0]));
            assert_memory_equal(m.fp.tf, r.fp.tf, r.fp.n_terms);
        }
        if (!pass) {
            size_t before = story_index_bytes(x);
            assert_int_equal(story_index_prune(x, T0 + N / 2), 0);
            assert_int_equal(story_index_size(x), N - N / 2);
            assert_true(story_index_bytes(x) <= before);
        }
    }
    /* A record past the prune horizon is gone. */
    r = synthetic(10, T0 + 10);
    assert_int_equal(story_index_match(x, &r.fp, 1, T0 + 10, WINDOW, 0.9, &m, &sim), 0);
    /* More terms than a fingerprint holds are refused. */
    r.fp.n_terms = STORY_MAX_TERMS + 1;
    assert_int_equal(story_index_add(x, &r), -EINVAL);
    story_index_free(x);
}

static void test_index_prune(void **state)
{
    struct story_index *x = story_index_new();
    struct story_fp b;
    struct story_rec r, m;
    double sim;

    (void)state;
    assert_non_null(x);
    story_fingerprint(ECB_B_TITLE, ECB_B_LEAD, &b);
    r = rec(1, 1, T0, ECB_A_TITLE, ECB_A_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    r = rec(2, 3, T0, STORM_TITLE, STORM_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    r = rec(3, 4, T0 + 7200, ECB_C_TITLE, ECB_C_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    r = rec(4, 3, T0 + 100, FOOTBALL_TITLE, FOOTBALL_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    assert_int_equal(story_index_size(x), 4);
    /* From feed 4's point of view, only entry 1 is a candidate. */
    assert_int_equal(story_index_match(x, &b, 4, T0 + 3600, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(m.entry, 1);

    /* Nothing older than the horizon: unchanged. */
    assert_int_equal(story_index_prune(x, T0), 0);
    assert_int_equal(story_index_size(x), 4);

    assert_int_equal(story_index_prune(x, T0 + 1), 0);
    assert_int_equal(story_index_size(x), 2);
    assert_int_equal(story_index_match(x, &b, 4, T0 + 3600, WINDOW, 0.2, &m, &sim), 0);
    /* The newer ones are still found, through rebuilt postings. */
    assert_int_equal(story_index_match(x, &b, 2, T0 + 3600, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(m.entry, 3);
    struct story_fp football;
    story_fingerprint(FOOTBALL_TITLE, FOOTBALL_LEAD, &football);
    assert_int_equal(story_index_match(x, &football, 9, T0, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(m.entry, 4);
    /* The storm left with entry 2. */
    struct story_fp storm;
    story_fingerprint(STORM_TITLE, STORM_LEAD, &storm);
    assert_int_equal(story_index_match(x, &storm, 9, T0, WINDOW, 0.05, &m, &sim), 0);

    /* Records can be added after a prune. */
    r = rec(5, 1, T0 + 8000, STORM_TITLE, STORM_LEAD);
    assert_int_equal(story_index_add(x, &r), 0);
    assert_int_equal(story_index_size(x), 3);
    assert_int_equal(story_index_match(x, &storm, 9, T0 + 8000, WINDOW, 0.2, &m, &sim), 1);
    assert_int_equal(m.entry, 5);

    /* Everything pruned. */
    assert_int_equal(story_index_prune(x, T0 + 100000), 0);
    assert_int_equal(story_index_size(x), 0);
    assert_int_equal(story_index_match(x, &storm, 9, T0 + 8000, WINDOW, 0.0, &m, &sim), 0);
    story_index_free(x);
}

/* Term ids are varints of their gaps: records whose terms are all new
 * (23,501 ids: first codes of three bytes), huge hashes, the largest count and
 * the most terms come back exactly, through table growth and a prune. */
static void test_index_codes_round_trip(void **state)
{
    enum { N = 500 };
    struct story_index *x = story_index_new();
    struct story_rec r, m;
    double sim;

    (void)state;
    assert_non_null(x);
    for (int pass = 0; pass < 3; pass++) {
        for (int64_t i = 0; i < N; i++) {
            r = (struct story_rec){.entry = i, .story = 7 * i, .feed = 1 + i % 3, .t = T0 + i};
            r.fp.n_terms = STORY_MAX_TERMS;
            for (unsigned k = 0; k < STORY_MAX_TERMS; k++) {
                r.fp.term[k] =
                    k == 0 ? 5u
                           : UINT32_MAX - (STORY_MAX_TERMS - k) * 7919u * N + (uint32_t)i * 7919u;
                r.fp.tf[k] = (uint8_t)(k == 1 && i % 2 ? 255 : 1);
            }
            if (pass == 0) {
                assert_int_equal(story_index_add(x, &r), 0);
                continue;
            }
            if (pass == 2 && i < N / 2)
                continue;
            assert_int_equal(story_index_match(x, &r.fp, 99, T0 + i, WINDOW, 0.99, &m, &sim), 1);
            assert_int_equal(m.entry, i);
            assert_int_equal(m.story, 7 * i);
            assert_int_equal(m.feed, 1 + i % 3);
            assert_int_equal(m.fp.n_terms, STORY_MAX_TERMS);
            assert_memory_equal(m.fp.term, r.fp.term, sizeof(r.fp.term));
            assert_memory_equal(m.fp.tf, r.fp.tf, STORY_MAX_TERMS);
        }
        if (pass == 1)
            assert_int_equal(story_index_prune(x, T0 + N / 2), 0);
    }
    story_index_free(x);
}

/* Times are kept relative to the first record's, feeds in 32 bits: what
 * does not fit is refused (and left out), and prunes far from every
 * record's time keep all or nothing. */
static void test_index_limits(void **state)
{
    struct story_index *x = story_index_new();
    struct story_rec r = synthetic(1, T0), m;
    double sim;

    (void)state;
    assert_non_null(x);
    assert_int_equal(story_index_add(x, &r), 0);
    r = synthetic(2, T0 + 3000000000LL); /* 95 years on */
    assert_int_equal(story_index_add(x, &r), -EINVAL);
    r = synthetic(3, T0 - 3000000000LL);
    assert_int_equal(story_index_add(x, &r), -EINVAL);
    r = synthetic(4, T0 + 60);
    r.feed = (int64_t)UINT32_MAX + 1;
    assert_int_equal(story_index_add(x, &r), -EINVAL);
    r.feed = -1;
    assert_int_equal(story_index_add(x, &r), -EINVAL);
    r.feed = UINT32_MAX;
    assert_int_equal(story_index_add(x, &r), 0);
    assert_int_equal(story_index_size(x), 2);
    assert_int_equal(story_index_match(x, &r.fp, 1, T0 + 60, WINDOW, 0.99, &m, &sim), 1);
    assert_int_equal(m.entry, 4);
    assert_int_equal(m.feed, UINT32_MAX);
    assert_int_equal(m.t, T0 + 60);
    assert_int_equal(story_index_prune(x, T0 - 4000000000LL), 0);
    assert_int_equal(story_index_size(x), 2);
    assert_int_equal(story_index_prune(x, T0 + 4000000000LL), 0);
    assert_int_equal(story_index_size(x), 0);
    story_index_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms_case_folding),
        cmocka_unit_test(test_terms_accents_removed),
        cmocka_unit_test(test_terms_latin1_as_unistring),
        cmocka_unit_test(test_terms_html_lead),
        cmocka_unit_test(test_terms_stop_words_and_short),
        cmocka_unit_test(test_terms_stemmer),
        cmocka_unit_test(test_terms_lead_limit),
        cmocka_unit_test(test_fingerprint_min_terms),
        cmocka_unit_test(test_fingerprint_sorted_and_counted),
        cmocka_unit_test(test_similarity),
        cmocka_unit_test(test_index_match),
        cmocka_unit_test(test_index_match_past_own_rare_terms),
        cmocka_unit_test(test_terms_stay_utf8),
        cmocka_unit_test(test_index_picks_the_most_similar),
        cmocka_unit_test(test_index_prune),
        cmocka_unit_test(test_index_packed_round_trip),
        cmocka_unit_test(test_index_codes_round_trip),
        cmocka_unit_test(test_index_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
