/* atomic_file.h — write to a temporary name, rename when complete. */
#ifndef CCPL_IO_ATOMIC_FILE_H
#define CCPL_IO_ATOMIC_FILE_H

#include <stdio.h>

#include "ccpl/ccpl.h"

typedef struct ccpl__atomic_file {
    FILE *fp;         /* write through this */
    char *final_path; /* where it goes on commit */
    char *temp_path;  /* "<dir>/.<name>.tmp-XXXXXX" in the same folder */
    int no_replace;   /* 0 after open; set to 1 so that commit never replaces
                         an existing final file */
} ccpl__atomic_file;

/* Opens a fresh temporary file beside `path`. */
ccpl_status ccpl__atomic_open(ccpl__atomic_file *af, const char *path, ccpl_error *err);
/* Flushes, fsyncs, closes and renames onto the final path. On failure the
 * temporary file is removed and the existing final file is untouched. With
 * no_replace the rename itself refuses an existing final file (created at
 * any time before, even during the write): CCPL_E_IO, "PATH: exists (not
 * replaced)". */
ccpl_status ccpl__atomic_commit(ccpl__atomic_file *af, ccpl_error *err);
/* Closes and removes the temporary file (safe after a failed commit, and
 * safe to call twice). */
void ccpl__atomic_abort(ccpl__atomic_file *af);

/* Renames from onto to unless `to` exists (then -1 with errno EEXIST),
 * atomically where the system allows: renameat2(RENAME_NOREPLACE), else
 * link() + unlink(), else (file systems without either, e.g. some network
 * and FAT ones) an O_EXCL placeholder that the rename then replaces. 0 on
 * success, -1 with errno otherwise. */
int ccpl__rename_noreplace(const char *from, const char *to);

#endif
