/* workspace.c — see workspace.h. */
#include "train/workspace.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

ccpl_status ccpl__train_ws_reserve_sct(ccpl__train_ws *ws, int n, ccpl_error *err) {
    if (n <= ws->n_sct) return CCPL_OK;
    ccpl__sct_trace *p = realloc(ws->sct, sizeof *p * (size_t)n);
    if (!p) return ccpl__fail(err, CCPL_E_NOMEM, "out of memory");
    memset(p + ws->n_sct, 0, sizeof *p * (size_t)(n - ws->n_sct));
    ws->sct = p;
    ws->n_sct = n;
    ws->sct_allocs++;
    return CCPL_OK;
}

/* Applies fn to every ccpl__buf field of ws. */
#define FOR_EACH_BUF(ws, fn)                                \
    do {                                                    \
        fn(&(ws)->xc);                                      \
        fn(&(ws)->xs);                                      \
        for (int l_ = 0; l_ < CCPL__NET_MAX_TAPS; l_++) {   \
            fn(&(ws)->fc[l_]);                              \
            fn(&(ws)->fs[l_]);                              \
            fn(&(ws)->dG[l_]);                              \
        }                                                   \
        fn(&(ws)->t);                                       \
        fn(&(ws)->dt);                                      \
        fn(&(ws)->dimg);                                    \
        fn(&(ws)->loss);                                    \
        fn(&(ws)->fid);                                     \
        fn(&(ws)->dfid);                                    \
        fn(&(ws)->pr);                                      \
    } while (0)

size_t ccpl__train_ws_allocs(const ccpl__train_ws *ws) {
    size_t n = ws->tmp.allocs + ws->sct_allocs + ccpl__net_trace_allocs(&ws->dec) +
               ccpl__net_trace_allocs(&ws->enc) + ccpl__sct_trace_allocs(&ws->sct_id);
    for (int i = 0; i < ws->n_sct; i++) n += ccpl__sct_trace_allocs(&ws->sct[i]);
#define ADD(b) (n += (b)->allocs)
    FOR_EACH_BUF(ws, ADD);
#undef ADD
    return n;
}

void ccpl__train_ws_release(ccpl__train_ws *ws) {
    ccpl__arena_release(&ws->tmp);
    FOR_EACH_BUF(ws, ccpl__buf_release);
    for (int i = 0; i < ws->n_sct; i++) ccpl__sct_trace_free(&ws->sct[i]);
    free(ws->sct);
    ccpl__sct_trace_free(&ws->sct_id);
    ccpl__net_trace_free(&ws->dec);
    ccpl__net_trace_free(&ws->enc);
    memset(ws, 0, sizeof *ws);
}
