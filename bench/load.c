/* load: see load.h. */
#include "load.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static int read_file(const char *path, struct bench_file *ret)
{
    struct stat st;
    FILE *fp;
    char *data;
    int r = 0;

    fp = fopen(path, "rb");
    if (!fp)
        return -errno;
    if (fstat(fileno(fp), &st) < 0) {
        r = -errno;
        goto out;
    }
    data = malloc((size_t)st.st_size + 1);
    if (!data) {
        r = -ENOMEM;
        goto out;
    }
    if (fread(data, 1, (size_t)st.st_size, fp) != (size_t)st.st_size) {
        free(data);
        r = -EIO;
        goto out;
    }
    data[st.st_size] = '\0';
    ret->path = strdup(path);
    if (!ret->path) {
        free(data);
        r = -ENOMEM;
        goto out;
    }
    ret->data = data;
    ret->len = (size_t)st.st_size;
out:
    fclose(fp);
    return r;
}

static int add_file(struct bench_set *set, const char *path)
{
    struct bench_file *files;
    int r;

    files = realloc(set->files, (set->n + 1) * sizeof(*files));
    if (!files)
        return -ENOMEM;
    set->files = files;
    r = read_file(path, &files[set->n]);
    if (r < 0) {
        fprintf(stderr, "bench: %s: %s\n", path, strerror(-r));
        return r;
    }
    set->bytes += files[set->n].len;
    if (files[set->n].len > set->largest)
        set->largest = files[set->n].len;
    set->n++;
    return 0;
}

static int skip_entry(const struct dirent *d)
{
    return d->d_name[0] == '.' || strcmp(d->d_name, "manifest.json") == 0;
}

static int add_dir(struct bench_set *set, const char *dir)
{
    struct dirent **names;
    char path[4096];
    int n, i, r = 0;

    n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return -errno;
    for (i = 0; i < n; i++) {
        if (r == 0 && !skip_entry(names[i])) {
            if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) >= (int)sizeof(path))
                r = -ENAMETOOLONG;
            else
                r = add_file(set, path);
        }
        free(names[i]);
    }
    free(names);
    return r;
}

int bench_load(struct bench_set *set, char **paths, int n_paths)
{
    struct stat st;
    int i, r;

    memset(set, 0, sizeof(*set));
    for (i = 0; i < n_paths; i++) {
        if (stat(paths[i], &st) < 0) {
            r = -errno;
            fprintf(stderr, "bench: %s: %s\n", paths[i], strerror(errno));
            return r;
        }
        r = S_ISDIR(st.st_mode) ? add_dir(set, paths[i]) : add_file(set, paths[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

void bench_release(struct bench_set *set)
{
    size_t i;

    for (i = 0; i < set->n; i++) {
        free(set->files[i].path);
        free(set->files[i].data);
    }
    free(set->files);
    memset(set, 0, sizeof(*set));
}

double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmHWM, not getrusage(): ru_maxrss survives execve(), so a child of a big
 * process (the Python driver) would report its parent's peak. */
long bench_maxrss_kb(void)
{
    struct rusage ru;
    char line[256];
    long kb = -1;
    FILE *fp;

    fp = fopen("/proc/self/status", "r");
    if (fp) {
        while (kb < 0 && fgets(line, sizeof(line), fp)) {
            if (strncmp(line, "VmHWM:", 6) == 0)
                kb = strtol(line + 6, NULL, 10);
        }
        fclose(fp);
    }
    if (kb < 0 && getrusage(RUSAGE_SELF, &ru) == 0)
        kb = ru.ru_maxrss;
    return kb;
}

int bench_number(const char *s, unsigned long long lo, unsigned long long hi,
                 unsigned long long *ret)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *ret = v;
    return 0;
}
