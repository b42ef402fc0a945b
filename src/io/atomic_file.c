/* atomic_file.c — write to "<dir>/.<name>.tmp-XXXXXX", fsync, rename.
 *
 * The temporary file lives in the target's folder so that rename() is atomic
 * (same file system). mkstemp creates it 0600; it is widened to what a plain
 * fopen would have given (the mode of the file being replaced, or 0666 less
 * the umask) so that saving through this path changes no permissions. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* syscall() for renameat2 */
#endif
#include "io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include "core/error.h"

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = (char *)malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* The process umask without changing it (umask() itself is not thread-safe
 * to query): Linux reports it in /proc/self/status; 022 elsewhere. */
static mode_t current_umask(void) {
    mode_t mask = 022;
    FILE *fp = fopen("/proc/self/status", "r");
    if (!fp) return mask;
    char line[256];
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "Umask:", 6) == 0) {
            mask = (mode_t)(strtoul(line + 6, NULL, 8) & 0777);
            break;
        }
    }
    fclose(fp);
    return mask;
}

static void release(ccpl__atomic_file *af) {
    free(af->final_path);
    free(af->temp_path);
    af->fp = NULL;
    af->final_path = NULL;
    af->temp_path = NULL;
}

ccpl_status ccpl__atomic_open(ccpl__atomic_file *af, const char *path, ccpl_error *err) {
    af->fp = NULL;
    af->final_path = NULL;
    af->temp_path = NULL;
    af->no_replace = 0;
    if (!path || !*path) return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "empty output path");

    /* dir = everything up to the last '/', base = the rest. */
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0; /* keeps the '/' */
    const char *base = slash ? slash + 1 : path;
    if (!*base)
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "%s: output path names a folder", path);

    static const char suffix[] = ".tmp-XXXXXX";
    size_t base_len = strlen(base);
    size_t n = dir_len + 1 + base_len + sizeof suffix; /* "." + base + suffix + NUL */
    af->final_path = dup_str(path);
    af->temp_path = (char *)malloc(n);
    if (!af->final_path || !af->temp_path) {
        release(af);
        return ccpl__fail(err, CCPL_E_NOMEM, "%s: out of memory", path);
    }
    memcpy(af->temp_path, path, dir_len);
    af->temp_path[dir_len] = '.';
    memcpy(af->temp_path + dir_len + 1, base, base_len);
    memcpy(af->temp_path + dir_len + 1 + base_len, suffix, sizeof suffix);

    int fd = mkstemp(af->temp_path);
    if (fd < 0) {
        int e = errno;
        release(af);
        return ccpl__fail(err, CCPL_E_IO, "%s: cannot create a file in its folder: %s", path,
                          strerror(e));
    }
    struct stat st;
    mode_t mode = (stat(path, &st) == 0 && S_ISREG(st.st_mode)) ? (st.st_mode & 07777)
                                                                : (0666 & ~current_umask());
    (void)fchmod(fd, mode); /* best effort: the data is what matters */

    af->fp = fdopen(fd, "wb");
    if (!af->fp) {
        int e = errno;
        close(fd);
        unlink(af->temp_path);
        release(af);
        return ccpl__fail(err, CCPL_E_IO, "%s: %s", path, strerror(e));
    }
    return CCPL_OK;
}

ccpl_status ccpl__atomic_commit(ccpl__atomic_file *af, ccpl_error *err) {
    if (!af->fp || !af->temp_path || !af->final_path) {
        ccpl__atomic_abort(af);
        return ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "atomic file is not open");
    }
    const char *path = af->final_path;
    int e = 0;
    if (fflush(af->fp) != 0 || ferror(af->fp)) e = errno ? errno : EIO;
    if (!e && fsync(fileno(af->fp)) != 0) e = errno;
    if (fclose(af->fp) != 0 && !e) e = errno ? errno : EIO;
    af->fp = NULL;
    if (e) {
        ccpl__fail(err, CCPL_E_IO, "%s: write failed: %s", path, strerror(e));
        ccpl__atomic_abort(af);
        return CCPL_E_IO;
    }
    if (af->no_replace ? ccpl__rename_noreplace(af->temp_path, af->final_path) != 0
                       : rename(af->temp_path, af->final_path) != 0) {
        e = errno;
        if (af->no_replace && e == EEXIST)
            ccpl__fail(err, CCPL_E_IO, "%s: exists (not replaced)", path);
        else
            ccpl__fail(err, CCPL_E_IO, "%s: cannot replace the file: %s", path, strerror(e));
        ccpl__atomic_abort(af);
        return CCPL_E_IO;
    }
    /* Make the rename itself durable: fsync the folder (best effort). */
    const char *slash = strrchr(af->final_path, '/');
    int dfd = -1;
    if (!slash) {
        dfd = open(".", O_RDONLY);
    } else {
        /* "dir/name" -> "dir"; "/name" -> "/" */
        size_t len = slash == af->final_path ? 1 : (size_t)(slash - af->final_path);
        char *dir = (char *)malloc(len + 1);
        if (dir) {
            memcpy(dir, af->final_path, len);
            dir[len] = '\0';
            dfd = open(dir, O_RDONLY);
            free(dir);
        }
    }
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    release(af);
    return CCPL_OK;
}

void ccpl__atomic_abort(ccpl__atomic_file *af) {
    if (!af) return;
    if (af->fp) fclose(af->fp);
    if (af->temp_path) unlink(af->temp_path);
    release(af);
}

/* errno values by which a file system says it lacks a way of renaming. */
static int unsupported(int e) {
    if (e == ENOSYS || e == EINVAL || e == EPERM || e == ENOTSUP) return 1;
#if EOPNOTSUPP != ENOTSUP
    if (e == EOPNOTSUPP) return 1;
#endif
    return 0;
}

int ccpl__rename_noreplace(const char *from, const char *to) {
#if defined(__linux__) && defined(SYS_renameat2)
    /* RENAME_NOREPLACE is 1 in <linux/fs.h>; not every libc names it. */
    if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 1u) == 0) return 0;
    if (!unsupported(errno)) return -1; /* EEXIST included */
#endif
    /* link() fails with EEXIST if `to` exists, atomically; the temporary name
     * is then dropped. */
    if (link(from, to) == 0) {
        (void)unlink(from);
        return 0;
    }
    if (!unsupported(errno)) return -1;
    /* No hard links: reserve the name, then replace our own empty file. A
     * file made between the two steps by someone replacing ours is the only
     * gap left. */
    int fd = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return -1;
    close(fd);
    if (rename(from, to) != 0) {
        int e = errno;
        (void)unlink(to);
        errno = e;
        return -1;
    }
    return 0;
}
