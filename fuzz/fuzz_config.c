/* fuzz_config: libFuzzer target over config_load() (app/config.h).
 *
 * Each input is written to one file, DIR/t.conf (O_TRUNC each time), in a
 * temporary folder DIR made by LLVMFuzzerInitialize(), loaded with the
 * errors buffer, and freed. DIR also holds the side files the unit tests
 * use (secrets, webhook templates, an OPML file), so relative file: and
 * template paths in the input resolve to them (the configuration's folder
 * is DIR); two environment variables are set for env: secrets.
 *
 * config_load() only reads: secret files (at most 1 KiB), templates and
 * OPML files (libxml2 with XML_PARSE_NONET), and never writes, creates or
 * executes anything. An absolute path in the input ("file:/etc/hostname")
 * is opened read-only; that is harmless, but run the target with stdin
 * from /dev/null (run.sh does) so "file:/dev/stdin" cannot block.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/config.h"
#include "base/buf.h"
#include "base/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/herald-fuzz-config-XXXXXX";
static char conf_path[sizeof(dir) + 16];

static const struct {
    const char *name, *text;
} side_files[] = {
    {"pw.txt", "s3cret:with colon\n"},
    {"hook.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"},
    {"hook.tpl", "{\"text\": \"{{title}} {{ link }}\"}\n"},
    {"good.tpl", "{\"t\": \"{{title}}\"}"},
    {"bad.tpl", "{\"t\": \"{{title}}\", \"x\": \"{{nope}}\"}"},
    {"feeds.opml",
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n"
     "  <head><title>Subscriptions</title></head>\n  <body>\n"
     "    <outline text=\"Tech News\" title=\"unused\">\n"
     "      <outline title=\"Inner, folder\">\n"
     "        <outline type=\"rss\" text=\"A text\" title=\"A &amp; title\"\n"
     "                 xmlUrl=\"http://a.example/feed?x=1&amp;y=2\"\n"
     "                 category=\"/Topics/Open Source,plain,,/x/\"/>\n"
     "      </outline>\n"
     "      <outline type=\"atom\" text=\"B text\" xmlURL=\" https://b.example/atom \"/>\n"
     "    </outline>\n"
     "    <outline text=\"just a folder without a url\"/>\n"
     "    <outline xmlUrl=\"http://c.example/\"/>\n"
     "    <outline text=\"Again\" xmlUrl=\"http://a.example/feed?x=1&amp;y=2\"/>\n"
     "    <outline type=\"link\" text=\"Gopher\" xmlUrl=\"gopher://d.example/\"/>\n"
     "  </body>\n</opml>\n"},
    {"empty.txt", ""},
};

#define N_SIDE_FILES (sizeof(side_files) / sizeof(side_files[0]))

static void write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0 || (n && write(fd, data, n) != (ssize_t)n) || close(fd) < 0) {
        fprintf(stderr, "fuzz_config: cannot write %s: %s\n", path, strerror(errno));
        abort();
    }
}

static void cleanup(void)
{
    char path[sizeof(dir) + 32];

    for (size_t i = 0; i < N_SIDE_FILES; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, side_files[i].name);
        unlink(path);
    }
    unlink(conf_path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char path[sizeof(dir) + 32];

    log_init();
    log_max_level = 0;
    if (!mkdtemp(dir)) {
        perror("fuzz_config: mkdtemp");
        abort();
    }
    for (size_t i = 0; i < N_SIDE_FILES; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, side_files[i].name);
        write_file(path, side_files[i].text, strlen(side_files[i].text));
    }
    snprintf(conf_path, sizeof(conf_path), "%s/t.conf", dir);
    setenv("HERALD_TEST_PW", "from-env", 1);
    setenv("HERALD_TEST_HOOK_SECRET", "raw secret", 1);
    unsetenv("HERALD_TEST_UNSET");
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *c = NULL;
    struct buf errors;
    int r;

    write_file(conf_path, data, size);
    buf_init(&errors, 1 << 16);
    r = config_load(conf_path, &c, &errors);
    if (r == 0) {
        if (!c)
            abort();
        config_free(c);
    } else if (c || errors.len == 0) {
        fprintf(stderr, "fuzz_config: config_load() = %d with %s and %zu bytes of errors\n", r,
                c ? "a config" : "no config", errors.len);
        abort(); /* a failure always explains itself */
    }
    buf_release(&errors);
    return 0;
}
