/* Compiled with -std=c11 -pedantic-errors: the public header alone. */
#include "ccpl/ccpl.h"

int ccpl_header_check(void);
int ccpl_header_check(void) {
    ccpl_params p = ccpl_default_params();
    return (int)p.mode;
}
