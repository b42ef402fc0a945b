/* error.h — filling a ccpl_error with one formatted line. */
#ifndef CCPL_CORE_ERROR_H
#define CCPL_CORE_ERROR_H

#include "ccpl/ccpl.h"

#if defined(__GNUC__)
#define CCPL__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CCPL__PRINTF(a, b)
#endif

/* Sets err (may be NULL) to status and the formatted message; returns status
 * so that callers can write `return ccpl__fail(err, CCPL_E_IO, "...")`. */
ccpl_status ccpl__fail(ccpl_error *err, ccpl_status status, const char *fmt, ...)
    CCPL__PRINTF(3, 4);

/* Clears err to CCPL_OK with an empty message. */
void ccpl__clear(ccpl_error *err);

#endif
