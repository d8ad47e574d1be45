/* load: the benchmark helpers' shared plumbing (not part of Herald).
 *
 * Reads every input file into memory before anything is timed, so the
 * measured loops see no I/O; a clock and peak RSS reader. Arguments are
 * files or directories (a directory contributes its regular files, sorted
 * by name, skipping manifest.json). Depends on libc only.
 */
#ifndef HERALD_BENCH_LOAD_H
#define HERALD_BENCH_LOAD_H

#include <stddef.h>

struct bench_file {
    char *path;
    char *data; /* len bytes, NUL-terminated */
    size_t len;
};

struct bench_set {
    struct bench_file *files;
    size_t n;
    size_t bytes;   /* sum of len */
    size_t largest; /* largest len */
};

/* Loads the files named by paths[0..n_paths). Returns 0, or a negative
 * errno after printing which path failed. */
int bench_load(struct bench_set *set, char **paths, int n_paths);
void bench_release(struct bench_set *set);

/* A whole decimal number in [lo, hi] into *ret: 0, or -1 when s is not
 * one (the caller prints its usage). */
int bench_number(const char *s, unsigned long long lo, unsigned long long hi,
                 unsigned long long *ret);

/* Monotonic seconds. */
double bench_now(void);
/* Peak resident set size of this process image so far (VmHWM), in KiB. */
long bench_maxrss_kb(void);

#endif
