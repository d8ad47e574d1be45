/* replay: a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, for
 * `make test` (gcc, no clang needed; under ASan/UBSan in CI's sanitizer
 * build).
 *
 *   replay_TARGET [--mutations N] [--selector B] [--verbose] PATH...
 *
 * Runs every file named, or found in a directory named (sorted, not
 * recursive), through the target as it is, then N mutants of each: bit
 * flips, "interesting" bytes, deleted, repeated and inserted spans and
 * splices with the next input, drawn from a fixed-seed generator, so a
 * run is the same every time. --selector B puts byte B in front of the
 * inputs named after it (fuzz_parse's Content-Type selector, for a corpus
 * of plain feed files). This is a smoke test of the seeds, the regression
 * inputs and their neighbourhood; coverage-guided fuzzing is fuzz/run.sh.
 * A target reports a finding by crashing (abort, a sanitizer): the exit
 * status fails the test; --verbose names each input before it runs.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Inputs are capped at libFuzzer's default max_len for the largest target. */
#define REPLAY_MAX (64 * 1024)

struct input {
    char *name;
    uint8_t *data;
    size_t len;
};

static struct input *inputs;
static size_t n_inputs, cap_inputs;

static void die(const char *what, const char *path)
{
    fprintf(stderr, "replay: %s %s: %s\n", what, path, strerror(errno));
    exit(2);
}

static void add_file(const char *path, int selector)
{
    FILE *f = fopen(path, "rb");
    size_t off = selector >= 0 ? 1 : 0, n;
    struct input *in;

    if (!f)
        die("cannot open", path);
    if (n_inputs == cap_inputs) {
        cap_inputs = cap_inputs ? 2 * cap_inputs : 256;
        inputs = realloc(inputs, cap_inputs * sizeof(*inputs));
        if (!inputs)
            die("out of memory at", path);
    }
    in = &inputs[n_inputs++];
    in->name = strdup(path);
    in->data = malloc(REPLAY_MAX + 1);
    if (!in->name || !in->data)
        die("out of memory at", path);
    if (selector >= 0)
        in->data[0] = (uint8_t)selector;
    n = fread(in->data + off, 1, REPLAY_MAX - off, f);
    if (ferror(f))
        die("cannot read", path);
    fclose(f);
    in->len = off + n;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(const char *path, int selector)
{
    struct stat st;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    DIR *d;

    if (stat(path, &st) < 0)
        die("cannot stat", path);
    if (!S_ISDIR(st.st_mode)) {
        add_file(path, selector);
        return;
    }
    if (!(d = opendir(path)))
        die("cannot open", path);
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, cap * sizeof(*names));
        }
        if (!names || asprintf(&names[n], "%s/%s", path, de->d_name) < 0)
            die("out of memory at", path);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            add_file(names[i], selector);
        free(names[i]);
    }
    free(names);
}

/* xorshift64*: fixed seed, the same mutants on every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}

static size_t below(size_t n)
{
    return n ? (size_t)(next() % n) : 0;
}

/* One to four edits of src into buf (REPLAY_MAX + 1 bytes); returns the length. */
static size_t mutate(const struct input *src, const struct input *other, uint8_t *buf)
{
    static const uint8_t interesting[] = {0,   1,   0x7f, 0x80, 0xff, '<',  '>', '&',
                                          ';', '"', '\'', '/',  '\n', '\r', ' ', '#'};
    size_t len = src->len, edits = 1 + below(4);

    memcpy(buf, src->data, len);
    for (size_t e = 0; e < edits; e++) {
        size_t at = below(len + 1), span = 1 + below(16);

        switch (below(6)) {
        case 0: /* flip a bit */
            if (len)
                buf[below(len)] ^= (uint8_t)(1u << below(8));
            break;
        case 1: /* an interesting byte */
            if (len)
                buf[below(len)] = interesting[below(sizeof(interesting))];
            break;
        case 2: /* delete a span */
            if (at + span > len)
                span = len - at;
            memmove(buf + at, buf + at + span, len - at - span);
            len -= span;
            break;
        case 3: /* repeat a span */
            if (at + span > len)
                span = len - at;
            if (len + span <= REPLAY_MAX) {
                memmove(buf + at + span, buf + at, len - at);
                len += span;
            }
            break;
        case 4: /* insert a random byte */
            if (len < REPLAY_MAX) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = (uint8_t)next();
                len++;
            }
            break;
        default: /* splice: keep a head, append the other input's tail */
            if (other->len > 1) {
                size_t from = below(other->len), n = other->len - from;
                if (at + n > REPLAY_MAX)
                    n = REPLAY_MAX - at;
                memcpy(buf + at, other->data + from, n);
                len = at + n;
            }
            break;
        }
    }
    return len;
}

int main(int argc, char **argv)
{
    unsigned long mutations = 0;
    int selector = -1;
    bool verbose = false;
    size_t runs = 0;
    uint8_t *buf;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mutations") == 0 && i + 1 < argc)
            mutations = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--selector") == 0 && i + 1 < argc)
            selector = (int)strtol(argv[++i], NULL, 0) & 0xff;
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = true;
        else
            add_path(argv[i], selector);
    }
    if (n_inputs == 0) {
        fprintf(stderr, "replay: no inputs\n");
        return 2;
    }
    if (!(buf = malloc(REPLAY_MAX + 1)))
        return 2;
    for (size_t i = 0; i < n_inputs; i++) {
        if (verbose)
            fprintf(stderr, "replay: %s\n", inputs[i].name);
        /* A copy: the target may not keep or write the caller's bytes. */
        memcpy(buf, inputs[i].data, inputs[i].len);
        LLVMFuzzerTestOneInput(buf, inputs[i].len);
        runs++;
    }
    for (size_t i = 0; i < n_inputs; i++) {
        for (unsigned long m = 0; m < mutations; m++) {
            size_t len = mutate(&inputs[i], &inputs[(i + 1) % n_inputs], buf);
            if (verbose)
                fprintf(stderr, "replay: %s, mutant %lu (%zu bytes)\n", inputs[i].name, m, len);
            LLVMFuzzerTestOneInput(buf, len);
            runs++;
        }
    }
    printf("replay: %zu inputs, %zu runs (%lu mutants each), no finding\n", n_inputs, runs,
           mutations);
    for (size_t i = 0; i < n_inputs; i++) {
        free(inputs[i].name);
        free(inputs[i].data);
    }
    free(inputs);
    free(buf);
    return 0;
}
