/* test_atomic.c — the atomic output file: commit replaces by default, and
 * with no_replace never replaces a file, including one made while the
 * temporary file was being written (the race --no-clobber must not lose);
 * ccpl__rename_noreplace on its own. No fixtures needed beyond a scratch
 * folder. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccpl/ccpl.h"
#include "io/atomic_file.h"
#include "test_util.h"

static char scratch[2048];

static int write_text(const char *path, const char *text) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    int ok = fputs(text, fp) >= 0;
    return fclose(fp) == 0 && ok;
}

/* The file's text (up to 255 bytes) or "" when missing. */
static const char *read_text(const char *path) {
    static char buf[256];
    buf[0] = '\0';
    FILE *fp = fopen(path, "rb");
    if (!fp) return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* Files in the scratch folder (temporary ones included). */
static int count_files(void) {
    DIR *d = opendir(scratch);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void clear_scratch(void) {
    DIR *d = opendir(scratch);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlink(tu_path(scratch, e->d_name));
    closedir(d);
}

/* Opens, writes text, commits; the commit's status. */
static ccpl_status save_text(const char *path, const char *text, int no_replace, ccpl_error *err) {
    ccpl__atomic_file af;
    ccpl_status st = ccpl__atomic_open(&af, path, err);
    if (st != CCPL_OK) return st;
    af.no_replace = no_replace;
    fputs(text, af.fp);
    return ccpl__atomic_commit(&af, err);
}

int main(void) {
    const char *fx = tu_env("CCPL_FIXTURES");
    snprintf(scratch, sizeof scratch, "%s/atomic_out_%ld", fx, (long)getpid());
    if (mkdir(scratch, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "FAIL: cannot create %s\n", scratch);
        return 1;
    }
    ccpl_error err;
    const char *out = tu_path(scratch, "out.txt");

    /* Default: a new file, then a replacement. */
    CHECK(save_text(out, "one", 0, &err) == CCPL_OK && !strcmp(read_text(out), "one"), "new: %s",
          err.message);
    CHECK(save_text(out, "two", 0, &err) == CCPL_OK && !strcmp(read_text(out), "two"),
          "replace: %s", err.message);

    /* no_replace: refuses an existing file, leaves no temporary file. */
    CHECK(save_text(out, "three", 1, &err) == CCPL_E_IO && strstr(err.message, "out.txt: exists"),
          "no_replace over an existing file: %s", err.message);
    CHECK(!strcmp(read_text(out), "two"), "existing file changed: %s", read_text(out));
    CHECK(count_files() == 1, "%d files left (temporary not removed?)", count_files());

    /* no_replace, a new name: written; a file made after open (while the
     * work runs) is not replaced at commit. */
    const char *fresh = tu_path(scratch, "fresh.txt");
    CHECK(save_text(fresh, "mine", 1, &err) == CCPL_OK && !strcmp(read_text(fresh), "mine"),
          "no_replace, new file: %s", err.message);
    const char *raced = tu_path(scratch, "raced.txt");
    ccpl__atomic_file af;
    CHECK(ccpl__atomic_open(&af, raced, &err) == CCPL_OK, "open: %s", err.message);
    af.no_replace = 1;
    fputs("late", af.fp);
    CHECK(write_text(raced, "early"), "the other writer");
    CHECK(ccpl__atomic_commit(&af, &err) == CCPL_E_IO && strstr(err.message, "exists"),
          "commit over a file made meanwhile: %s", err.message);
    CHECK(!strcmp(read_text(raced), "early"), "the other writer's file was replaced: %s",
          read_text(raced));
    CHECK(count_files() == 3, "%d files (expected out, fresh, raced)", count_files());
    ccpl__atomic_abort(&af); /* safe after a failed commit */

    /* ccpl__rename_noreplace itself. */
    const char *a = tu_path(scratch, "a"), *b = tu_path(scratch, "b");
    CHECK(write_text(a, "A") && write_text(b, "B"), "setup");
    errno = 0;
    CHECK(ccpl__rename_noreplace(a, b) == -1 && errno == EEXIST, "onto an existing file: errno %d",
          errno);
    CHECK(!strcmp(read_text(a), "A") && !strcmp(read_text(b), "B"), "both kept");
    unlink(b);
    CHECK(ccpl__rename_noreplace(a, b) == 0 && !strcmp(read_text(b), "A") && access(a, F_OK) != 0,
          "onto a free name: moved");
    errno = 0;
    CHECK(ccpl__rename_noreplace(a, tu_path(scratch, "c")) == -1 && errno == ENOENT,
          "missing source: errno %d", errno);
    /* a dangling symbolic link is a file too: not replaced */
    CHECK(symlink("nowhere", tu_path(scratch, "link")) == 0, "symlink");
    errno = 0;
    CHECK(ccpl__rename_noreplace(b, tu_path(scratch, "link")) == -1 && errno == EEXIST,
          "onto a dangling link: errno %d", errno);

    clear_scratch();
    rmdir(scratch);
    return tu_finish();
}
