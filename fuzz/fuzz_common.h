/* fuzz_common.h — checks shared by the harnesses: a failure must come with
 * its status and a one-line message; anything else is a finding (abort). */
#ifndef CCPL_FUZZ_COMMON_H
#define CCPL_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "ccpl/ccpl.h"

static inline void fuzz_check_error(ccpl_status st, const ccpl_error *err) {
    if (st == CCPL_OK) return;
    if (err->status != st) abort();                       /* status not recorded */
    size_t n = strnlen(err->message, sizeof err->message);
    if (n == 0 || n == sizeof err->message) abort();      /* no message, or unterminated */
    if (memchr(err->message, '\n', n)) abort();           /* messages are one line */
}

#endif
