#include "train/train_model.h"

#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "core/error.h"
#include "model/arch.h"

static const ccpl__tensor_entry *entry(const ccpl__checkpoint *ck, int key, const char *what,
                                       ccpl_error *err) {
    char name[32];
    snprintf(name, sizeof name, "%d.%s", key, what);
    const ccpl__tensor_entry *e = ccpl__checkpoint_find(ck, name);
    if (!e || !e->data) ccpl__fail(err, CCPL_E_MISSING_KEY, "projection heads: missing key '%s'", name);
    return e && e->data ? e : NULL;
}

void ccpl__train_model_arch(ccpl__train_model *m, ccpl_mode mode) {
    memset(m, 0, sizeof *m);
    m->mode = mode;
    m->n_taps = mode == CCPL_MODE_ART ? 4 : 3;
    ccpl__arch_encoder(&m->enc, mode);
    ccpl__arch_decoder(&m->dec, mode);
    ccpl__arch_cnet(&m->sct.cnet, mode);
    ccpl__arch_snet(&m->sct.snet, mode);
    m->sct.uncompress.n_ops = 1;
    m->sct.uncompress.ops[0].kind = CCPL__OP_CONV;
    ccpl__arch_uncompress(&m->sct.uncompress.ops[0].conv, mode);
}

ccpl_status ccpl__train_model_bind(ccpl__train_model *m, ccpl_mode mode,
                                   const ccpl__checkpoint *enc, const ccpl__checkpoint *dec,
                                   const ccpl__checkpoint *sct, const ccpl__checkpoint *mlp,
                                   ccpl_error *err) {
    ccpl_status st;
    ccpl__train_model_arch(m, mode);
    if ((st = ccpl__net_bind(&m->enc, enc, "encoder", "", "", err)) != CCPL_OK ||
        (st = ccpl__net_bind(&m->dec, dec, "decoder", "", "", err)) != CCPL_OK ||
        (st = ccpl__net_bind(&m->sct.cnet, sct, "sct", "cnet.", "", err)) != CCPL_OK ||
        (st = ccpl__net_bind(&m->sct.snet, sct, "sct", "snet.", "", err)) != CCPL_OK ||
        (st = ccpl__conv_bind(&m->sct.uncompress.ops[0].conv, sct, "sct", "uncompress", "", err)) != CCPL_OK)
        return st;
    for (int l = 0; l < m->n_taps; l++) {
        const ccpl__tensor_entry *w1 = entry(mlp, 3 * l, "weight", err), *b1 = entry(mlp, 3 * l, "bias", err);
        const ccpl__tensor_entry *w2 = entry(mlp, 3 * l + 2, "weight", err), *b2 = entry(mlp, 3 * l + 2, "bias", err);
        if (!w1 || !b1 || !w2 || !b2) return CCPL_E_MISSING_KEY;
        m->mlp[l].c = (int)w1->shape[0], m->mlp[l].d = (int)w2->shape[0];
        m->mlp[l].w1 = w1->data, m->mlp[l].b1 = b1->data, m->mlp[l].w2 = w2->data, m->mlp[l].b2 = b2->data;
    }
    return CCPL_OK;
}

ccpl_status ccpl__train_model_use_fast(ccpl__train_model *m, ccpl__train_fast *f, ccpl_error *err) {
    ccpl_status st;
    f->enc = m->enc;
    f->enc.be = NULL; /* nothing of m->enc's to release */
    if ((st = ccpl__net_set_backend(&f->enc, &ccpl__backend_fast, 1, err)) != CCPL_OK ||
        (st = ccpl__net_set_backend(&m->dec, &ccpl__backend_fast, 1, err)) != CCPL_OK) {
        ccpl__train_model_fast_release(m, f);
        return st;
    }
    m->enc_frozen = &f->enc;
    return CCPL_OK;
}

void ccpl__train_model_fast_release(ccpl__train_model *m, ccpl__train_fast *f) {
    ccpl__net_release(&f->enc);
    ccpl__net_release(&m->dec);
    m->enc_frozen = NULL;
}
