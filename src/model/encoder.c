#include "model/encoder.h"

#include <stdlib.h>
#include <unistd.h>

#include "core/error.h"
#include "model/arch.h"
#include "model/file_hint.h"

static int want_enc(const char *name, void *user) {
    return ccpl__net_uses((const ccpl__net *)user, "", name);
}

ccpl_model *ccpl__encoder_load(const char *vgg_path, ccpl_mode mode, int n_threads,
                               ccpl_error *err) {
    ccpl__clear(err);
    if (mode != CCPL_MODE_ART && mode != CCPL_MODE_PHOTO) {
        ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "unknown mode %d", (int)mode);
        return NULL;
    }
    if (n_threads < 0 || n_threads > 1024) {
        ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "n_threads must be in 0..1024, got %d", n_threads);
        return NULL;
    }
    if (!vgg_path) {
        ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "the VGG path is NULL");
        return NULL;
    }
    ccpl_model *m = (ccpl_model *)calloc(1, sizeof *m);
    if (!m) {
        ccpl__fail(err, CCPL_E_NOMEM, "out of memory");
        return NULL;
    }
    m->params = ccpl_default_params();
    m->params.mode = mode;
    m->params.n_threads = n_threads;
    m->n_threads = n_threads;
    if (m->n_threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        m->n_threads = n > 0 ? (int)n : 1;
    }
    m->feat_c = ccpl__feat_channels(mode);
    ccpl__arch_encoder(&m->enc, mode);
    if (ccpl__checkpoint_load(vgg_path, want_enc, &m->enc, &m->vgg, err) != CCPL_OK) {
        ccpl_model_free(m);
        return NULL;
    }
    char hint[320]; /* what the file holds when it is not the VGG (file_hint.h) */
    ccpl__file_hint(hint, sizeof hint, &m->vgg, CCPL__ROLE_VGG, mode);
    if (ccpl__net_bind(&m->enc, &m->vgg, vgg_path, "", hint, err) != CCPL_OK) {
        ccpl_model_free(m);
        return NULL;
    }
    return m;
}
