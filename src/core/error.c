#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *ccpl_status_string(ccpl_status status) {
    switch (status) {
    case CCPL_OK: return "ok";
    case CCPL_E_INVALID_ARGUMENT: return "invalid argument";
    case CCPL_E_NOMEM: return "out of memory";
    case CCPL_E_IO: return "input/output error";
    case CCPL_E_FORMAT: return "bad format";
    case CCPL_E_UNSAFE: return "unsafe content refused";
    case CCPL_E_MISSING_KEY: return "missing key";
    case CCPL_E_SHAPE: return "wrong shape";
    case CCPL_E_TOO_SMALL: return "too small";
    case CCPL_E_TOO_LARGE: return "too large";
    case CCPL_E_CANCELLED: return "cancelled";
    }
    return "unknown status";
}

ccpl_status ccpl__fail(ccpl_error *err, ccpl_status status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void ccpl__clear(ccpl_error *err) {
    if (err) {
        err->status = CCPL_OK;
        err->message[0] = '\0';
    }
}
