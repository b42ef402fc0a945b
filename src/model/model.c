/* model.c — loading the three checkpoints and the public stylization API. */
#include "model/model.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blas_threads.h"
#include "core/error.h"
#include "io/image_internal.h"
#include "model/arch.h"
#include "model/file_hint.h"
#include "ops/coral.h"
#include "ops/guided_filter.h"

ccpl_params ccpl_default_params(void) {
    ccpl_params p;
    memset(&p, 0, sizeof p);
    p.mode = CCPL_MODE_ART;
    p.n_threads = 0;
    p.engine = CCPL_ENGINE_FAST;
    return p;
}

ccpl_spatial ccpl_default_spatial(void) {
    ccpl_spatial sp;
    memset(&sp, 0, sizeof sp);
    return sp;
}

ccpl_stylize_params ccpl_default_stylize_params(void) {
    ccpl_stylize_params p;
    memset(&p, 0, sizeof p);
    p.alpha = 1.0f;
    p.full_output = 0;
    p.guided_radius = 0;
    p.guided_eps = 1e-2f;
    return p;
}

const char *ccpl_model_error(const ccpl_model *m) { return m ? m->err.message : ""; }
ccpl_status ccpl_model_status(const ccpl_model *m) { return m ? m->err.status : CCPL_E_INVALID_ARGUMENT; }
ccpl_mode ccpl_model_mode(const ccpl_model *m) { return m->params.mode; }

typedef struct want_ctx {
    const ccpl__net *nets[2];
    const char *prefixes[2];
    int n;
    int uncompress; /* SCT's uncompress.weight/bias */
    ccpl__role role; /* its keys may be under the role's name (file_hint.h) */
} want_ctx;

static int want_key(const want_ctx *w, const char *name) {
    for (int i = 0; i < w->n; i++)
        if (ccpl__net_uses(w->nets[i], w->prefixes[i], name)) return 1;
    return w->uncompress && (!strcmp(name, "uncompress.weight") || !strcmp(name, "uncompress.bias"));
}

static int want_tensor(const char *name, void *user) {
    const want_ctx *w = (const want_ctx *)user;
    for (const char *const *p = ccpl__role_prefixes(w->role); *p; p++)
        if (!strncmp(name, *p, strlen(*p)) && want_key(w, name + strlen(*p))) return 1;
    return 0;
}

/* Binds a model file's nets under the role's prefix in it ("" or, for a
 * file holding several models, "decoder." / "sct."); every failure names
 * what the file holds when that explains it (file_hint.h). */
static ccpl_status bind_file(ccpl_model *m, ccpl__role role, const ccpl__checkpoint *ck, const char *path,
                             ccpl_error *err) {
    char hint[320], pre[64];
    ccpl__file_hint(hint, sizeof hint, ck, role, m->params.mode);
    if (role == CCPL__ROLE_VGG) return ccpl__net_bind(&m->enc, ck, path, "", hint, err);
    if (role == CCPL__ROLE_DECODER) {
        return ccpl__net_bind(&m->decoder, ck, path, ccpl__role_prefix(ck, role), hint, err);
    }
    const char *rp = ccpl__role_prefix(ck, role);
    ccpl_status st;
    snprintf(pre, sizeof pre, "%scnet.", rp);
    if ((st = ccpl__net_bind(&m->cnet, ck, path, pre, hint, err)) != CCPL_OK) return st;
    snprintf(pre, sizeof pre, "%ssnet.", rp);
    if ((st = ccpl__net_bind(&m->snet, ck, path, pre, hint, err)) != CCPL_OK) return st;
    snprintf(pre, sizeof pre, "%suncompress", rp);
    return ccpl__conv_bind(&m->uncompress, ck, path, pre, hint, err);
}

/* Smallest side s such that an s x s input passes the nets in order. */
static int min_side(const ccpl__net *a, const ccpl__net *b) {
    for (int s = 1; s < 4096; s++) {
        int c, h, w;
        if (ccpl__net_check(a, 3, s, s, &c, &h, &w, "", NULL) != CCPL_OK) continue;
        if (ccpl__net_check(b, c, h, w, NULL, NULL, NULL, "", NULL) == CCPL_OK) return s;
    }
    return 4096;
}

int ccpl_model_min_content_side(const ccpl_model *m) { return min_side(&m->enc, &m->decoder); }
int ccpl_model_min_style_side(const ccpl_model *m) { return min_side(&m->enc, &m->snet); }

/* One model file: read (only the tensors its nets use), bound to them, and,
 * for the fast engine, the net's Winograd weights made. */
typedef struct load_job {
    ccpl_model *m;
    ccpl__role role;
    const char *path;
    ccpl__checkpoint *ck;
    ccpl__net *prepare; /* NULL: nothing to prepare */
    want_ctx want;
    ccpl_status st;
    int late; /* it failed making the Winograd weights */
    ccpl_error err;
} load_job;

static void run_job(load_job *j) {
    ccpl__clear(&j->err);
    if ((j->st = ccpl__checkpoint_load(j->path, want_tensor, &j->want, j->ck, &j->err)) == CCPL_OK &&
        (j->st = bind_file(j->m, j->role, j->ck, j->path, &j->err)) == CCPL_OK && j->prepare) {
        j->st = ccpl__net_set_backend(j->prepare, &ccpl__backend_fast, 0, &j->err);
        j->late = 1;
    }
}

static void *job_thread(void *arg) {
    run_job((load_job *)arg);
    return NULL;
}

/* The three files; with two threads or more, the decoder (and its Winograd
 * weights) on a second thread while this one does the VGG (and the
 * encoder's), then the SCT: about half the wall time on an idle machine.
 * The model is the same either way, and so is the error reported when
 * several steps fail: the first in the order VGG, decoder, SCT, the
 * Winograd weights after every file (docs/PERFORMANCE.md, "Start-up and the
 * whole run"). */
static ccpl_status load_files(ccpl_model *m, const char *vgg_path, const char *decoder_path,
                              const char *sct_path, ccpl_error *err) {
    const int fast = m->params.engine == CCPL_ENGINE_FAST;
    load_job jobs[3];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 3; i++) jobs[i].m = m;
    jobs[0].role = CCPL__ROLE_VGG, jobs[0].path = vgg_path, jobs[0].ck = &m->vgg;
    jobs[0].prepare = fast ? &m->enc : NULL;
    jobs[0].want = (want_ctx){{&m->enc}, {""}, 1, 0, CCPL__ROLE_VGG};
    jobs[1].role = CCPL__ROLE_DECODER, jobs[1].path = decoder_path, jobs[1].ck = &m->dec;
    jobs[1].prepare = fast ? &m->decoder : NULL;
    jobs[1].want = (want_ctx){{&m->decoder}, {""}, 1, 0, CCPL__ROLE_DECODER};
    jobs[2].role = CCPL__ROLE_SCT, jobs[2].path = sct_path, jobs[2].ck = &m->sct;
    jobs[2].want = (want_ctx){{&m->cnet, &m->snet}, {"cnet.", "snet."}, 2, 1, CCPL__ROLE_SCT};
    pthread_t helper;
    const int two = m->n_threads > 1 && pthread_create(&helper, NULL, job_thread, &jobs[1]) == 0;
    run_job(&jobs[0]);
    run_job(&jobs[2]);
    if (two) pthread_join(helper, NULL);
    else run_job(&jobs[1]);
    /* reading and binding errors first, then the Winograd ones */
    for (int late = 0; late < 2; late++)
        for (int i = 0; i < 3; i++)
            if (jobs[i].st != CCPL_OK && jobs[i].late == late) {
                if (err) *err = jobs[i].err;
                return jobs[i].st;
            }
    return CCPL_OK;
}

ccpl_model *ccpl_model_load(const char *vgg_path, const char *decoder_path,
                            const char *sct_path, const ccpl_params *params, ccpl_error *err) {
    ccpl__clear(err);
    ccpl_params p = params ? *params : ccpl_default_params();
    if (p.mode != CCPL_MODE_ART && p.mode != CCPL_MODE_PHOTO) {
        ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "unknown mode %d", (int)p.mode);
        return NULL;
    }
    if (p.engine != CCPL_ENGINE_FAST && p.engine != CCPL_ENGINE_REF) {
        ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "unknown engine %d", (int)p.engine);
        return NULL;
    }
    if (p.n_threads < 0 || p.n_threads > 1024) {
        ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "n_threads must be in 0..1024, got %d", p.n_threads);
        return NULL;
    }
    if (!vgg_path || !decoder_path || !sct_path) {
        ccpl__fail(err, CCPL_E_INVALID_ARGUMENT, "a model path is NULL");
        return NULL;
    }
    ccpl_model *m = calloc(1, sizeof *m);
    if (!m) {
        ccpl__fail(err, CCPL_E_NOMEM, "out of memory");
        return NULL;
    }
    m->params = p;
    m->n_threads = p.n_threads;
    if (m->n_threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        m->n_threads = n > 0 ? (int)n : 1;
    }
    m->feat_c = ccpl__feat_channels(p.mode);
    ccpl__arch_encoder(&m->enc, p.mode);
    ccpl__arch_decoder(&m->decoder, p.mode);
    ccpl__arch_cnet(&m->cnet, p.mode);
    ccpl__arch_snet(&m->snet, p.mode);
    ccpl__arch_uncompress(&m->uncompress, p.mode);

    if (load_files(m, vgg_path, decoder_path, sct_path, err) != CCPL_OK) {
        ccpl_model_free(m);
        return NULL;
    }
    return m;
}

void ccpl_model_free(ccpl_model *m) {
    if (!m) return;
    ccpl__net_release(&m->enc);
    ccpl__net_release(&m->decoder);
    ccpl__arena_release(&m->arena);
    ccpl__checkpoint_free(&m->vgg);
    ccpl__checkpoint_free(&m->dec);
    ccpl__checkpoint_free(&m->sct);
    free(m);
}

size_t ccpl_model_release_memory(ccpl_model *m) {
    if (!m) return 0;
    const size_t n = ccpl__arena_bytes(&m->arena);
    ccpl__arena_release(&m->arena);
    return n;
}

ccpl_status ccpl__encode(ccpl_model *m, const ccpl__tensor *x, ccpl__tensor *last, ccpl__tensor *taps) {
    ccpl__blas_use_threads(m->n_threads);
    ccpl_status st = ccpl__net_run(&m->enc, x, last, taps, m->n_threads, &m->progress, &m->err);
    ccpl__blas_done_threads();
    return st;
}

static ccpl_status check_side(ccpl_model *m, const char *what, int w, int h, int min) {
    if (w < min || h < min)
        return ccpl__fail(&m->err, CCPL_E_TOO_SMALL,
                          "%s is %dx%d; %s mode needs at least %dx%d", what, w, h,
                          m->params.mode == CCPL_MODE_ART ? "art" : "photo", min, min);
    return CCPL_OK;
}

static ccpl_style *style_new_chw(ccpl_model *m, const ccpl__tensor *style, const ccpl__tensor *color_ref,
                                 const ccpl_labels *labels) {
    ccpl__tensor recol = {0}, fs = {0};
    const ccpl__tensor *input = style;
    ccpl_style *s = NULL;
    if (check_side(m, "style image", style->w, style->h, ccpl_model_min_style_side(m)) != CCPL_OK)
        return NULL;
    if (color_ref) {
        if (ccpl__tensor_alloc(&recol, 1, style->c, style->h, style->w, &m->err) != CCPL_OK) return NULL;
        memcpy(recol.data, style->data, sizeof(float) * (size_t)style->c * style->h * style->w);
        if (ccpl__coral(recol.data, style->h, style->w, color_ref->data, color_ref->h,
                        color_ref->w, &m->err) != CCPL_OK)
            goto fail;
        input = &recol;
    }
    if (ccpl__net_run_arena(&m->enc, input, &m->arena, CCPL__SLOT_FEAT, &fs, NULL, m->n_threads,
                            NULL, &m->err) != CCPL_OK)
        goto fail;
    s = calloc(1, sizeof *s);
    if (!s || !(s->smean = malloc(sizeof(float) * (size_t)m->feat_c))) {
        ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory");
        goto fail;
    }
    s->model = m;
    s->c = m->feat_c;
    if (ccpl__sct_style(m, &fs, s) != CCPL_OK) goto fail;
    if (labels) {
        /* the style's label map at fs's grid, for per-label statistics */
        unsigned char *lab = malloc((size_t)fs.h * fs.w);
        if (!lab) {
            ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory");
            goto fail;
        }
        ccpl__labels_nearest(lab, fs.h, fs.w, labels->data, labels->height, labels->width);
        ccpl_status lst = ccpl__sct_style_labels(m, &fs, lab, s);
        free(lab);
        if (lst != CCPL_OK) goto fail;
    }
    ccpl__tensor_free(&recol);
    return s; /* fs is a view into the arena */
fail:
    ccpl__tensor_free(&recol);
    ccpl_style_free(s);
    return NULL;
}

ccpl_style *ccpl__style_new_labels_chw(ccpl_model *m, const ccpl__tensor *style,
                                       const ccpl__tensor *color_ref, const ccpl_labels *labels) {
    ccpl__clear(&m->err);
    if (labels) {
        if (!labels->data || labels->width <= 0 || labels->height <= 0) {
            ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT, "the style label map is empty");
            return NULL;
        }
        const double r = ((double)labels->width / labels->height) / ((double)style->w / style->h);
        if (fabs(r - 1.0) > CCPL_MASK_MAX_ASPECT_DIFF + 1e-12) {
            ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT,
                       "the style label map is %dx%d, its aspect differs from the %dx%d style's by more than %.0f %%",
                       labels->width, labels->height, style->w, style->h, 100 * CCPL_MASK_MAX_ASPECT_DIFF);
            return NULL;
        }
    }
    ccpl__blas_use_threads(m->n_threads);
    ccpl_style *s = style_new_chw(m, style, color_ref, labels);
    ccpl__blas_done_threads();
    return s;
}

ccpl_style *ccpl__style_new_chw(ccpl_model *m, const ccpl__tensor *style, const ccpl__tensor *color_ref) {
    return ccpl__style_new_labels_chw(m, style, color_ref, NULL);
}

void ccpl_style_free(ccpl_style *s) {
    if (!s) return;
    free(s->smean);
    free(s->lab_cov);
    free(s->lab_mean);
    free(s);
}

static ccpl_status stylize_chw(ccpl_model *m, const ccpl__tensor *content, ccpl_style *const *styles,
                               const float *weights, int n_styles, float alpha,
                               const ccpl_spatial *spatial, ccpl__tensor *out) {
    ccpl__tensor fc = {0}, acc = {0}, g = {0};
    ccpl_status st;
    if (!(alpha >= 0.0f && alpha <= 1.0f))
        return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT, "alpha must be in [0,1], got %g", alpha);
    if (n_styles < 1 || !styles)
        return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT, "at least one style is needed");
    double wsum = 0;
    for (int i = 0; i < n_styles; i++) {
        if (!styles[i] || styles[i]->model != m)
            return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT,
                              "style %d is NULL or was made by another model", i + 1);
        const float w = weights ? weights[i] : 1.0f;
        if (!(w >= 0.0f) || !isfinite(w))
            return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT,
                              "style weight %d must be finite and >= 0, got %g", i + 1, w);
        wsum += w;
    }
    if (!(wsum > 0))
        return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT, "style weights sum to zero");
    st = check_side(m, "content image", content->w, content->h, ccpl_model_min_content_side(m));
    if (st != CCPL_OK) return st;
    if (spatial && !spatial->masks && !spatial->content_labels) spatial = NULL;
    if (spatial && (st = ccpl__spatial_check(m, content->w, content->h, styles, weights, n_styles,
                                             spatial)) != CCPL_OK)
        return st;

    m->progress.done = 0;
    m->progress.total = ccpl__net_n_convs(&m->enc) + ccpl__net_n_convs(&m->decoder);
    /* Every activation below is a view into the model's arena (planned per
     * shape, reused by the next call): fc in FEAT, SCT's output in SCT_OUT,
     * the mix in MIX, the decoder's output in SCT_IN (free by then). */
    if ((st = ccpl__net_run_arena(&m->enc, content, &m->arena, CCPL__SLOT_FEAT, &fc, NULL,
                                  m->n_threads, &m->progress, &m->err)) != CCPL_OK)
        return st;

    /* masks / labels: sct_masked.c (docs/MASKS.md) */
    if (spatial && (st = ccpl__sct_spatial(m, &fc, styles, weights, n_styles, spatial, &acc)) != CCPL_OK)
        return st;
    /* acc = sum_i w_i SCT(fc, fs_i), weights normalised to sum 1 */
    for (int i = 0; !spatial && i < n_styles; i++) {
        if ((st = ccpl__sct_apply(m, &fc, styles[i], &g)) != CCPL_OK) return st;
        const size_t n = (size_t)g.c * g.h * g.w;
        if (n_styles == 1) {
            acc = g;
            break;
        }
        const float w = (float)((weights ? weights[i] : 1.0f) / wsum);
        if (i == 0) {
            acc = g;
            if (!(acc.data = ccpl__arena_get(&m->arena, CCPL__SLOT_MIX, n)))
                return ccpl__fail(&m->err, CCPL_E_NOMEM, "out of memory mixing styles");
            for (size_t k = 0; k < n; k++) acc.data[k] = w * g.data[k];
        } else {
            for (size_t k = 0; k < n; k++) acc.data[k] += w * g.data[k];
        }
    }
    /* alpha blend with the content features (AdaIN's convention) */
    if (alpha != 1.0f) {
        const size_t n = (size_t)acc.c * acc.h * acc.w;
        for (size_t k = 0; k < n; k++) acc.data[k] = acc.data[k] * alpha + fc.data[k] * (1.0f - alpha);
    }
    ccpl__tensor y;
    if ((st = ccpl__net_run_arena(&m->decoder, &acc, &m->arena, CCPL__SLOT_SCT_IN, &y, NULL,
                                  m->n_threads, &m->progress, &m->err)) != CCPL_OK)
        return st;
    /* the caller owns the result: the one copy of the call (3 x H x W) */
    if ((st = ccpl__tensor_alloc(out, 1, y.c, y.h, y.w, &m->err)) != CCPL_OK) return st;
    memcpy(out->data, y.data, sizeof(float) * (size_t)y.c * y.h * y.w);
    return CCPL_OK;
}

ccpl_status ccpl__stylize_spatial_chw(ccpl_model *m, const ccpl__tensor *content,
                                      ccpl_style *const *styles, const float *weights,
                                      int n_styles, float alpha, const ccpl_spatial *spatial,
                                      ccpl__tensor *out) {
    memset(out, 0, sizeof *out);
    ccpl__clear(&m->err);
    ccpl__blas_use_threads(m->n_threads);
    ccpl_status st = stylize_chw(m, content, styles, weights, n_styles, alpha, spatial, out);
    ccpl__blas_done_threads();
    return st;
}

ccpl_status ccpl__stylize_chw(ccpl_model *m, const ccpl__tensor *content, ccpl_style *const *styles,
                              const float *weights, int n_styles, float alpha, ccpl__tensor *out) {
    return ccpl__stylize_spatial_chw(m, content, styles, weights, n_styles, alpha, NULL, out);
}

/* ---- public, 8-bit images ---- */

static ccpl_status image_to_act(ccpl_model *m, const ccpl_image *img, const char *what,
                                ccpl__tensor *a) {
    if (!img || !img->data || img->width <= 0 || img->height <= 0)
        return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT, "%s is empty", what);
    ccpl_status st = ccpl__tensor_alloc(a, 1, 3, img->height, img->width, &m->err);
    if (st == CCPL_OK) ccpl__image_to_chw(img, a->data);
    return st;
}

ccpl_style *ccpl_style_new(ccpl_model *m, const ccpl_image *style, const ccpl_image *color_reference) {
    return ccpl_style_new_labels(m, style, color_reference, NULL);
}

ccpl_style *ccpl_style_new_labels(ccpl_model *m, const ccpl_image *style,
                                  const ccpl_image *color_reference, const ccpl_labels *labels) {
    if (!m) return NULL;
    ccpl__tensor s = {0}, c = {0};
    ccpl_style *out = NULL;
    ccpl__clear(&m->err);
    if (image_to_act(m, style, "style image", &s) != CCPL_OK) return NULL;
    if (color_reference && image_to_act(m, color_reference, "colour reference image", &c) != CCPL_OK)
        goto done;
    out = ccpl__style_new_labels_chw(m, &s, color_reference ? &c : NULL, labels);
done:
    ccpl__tensor_free(&s);
    ccpl__tensor_free(&c);
    return out;
}

ccpl_status ccpl_stylize(ccpl_model *m, const ccpl_image *content, ccpl_style *const *styles,
                         const float *weights, int n_styles, const ccpl_stylize_params *params,
                         ccpl_image *out) {
    return ccpl_stylize_spatial(m, content, styles, weights, n_styles, params, NULL, out);
}

/* y (1,3,Hy,Wy), the decoder's padded-up output, becomes its content-sized
 * top-left part (1,3,H,W) filtered with the content c (1,3,H,W) as guide. */
static ccpl_status smooth_guided(ccpl_model *m, const ccpl__tensor *c, ccpl__tensor *y,
                                 const ccpl_stylize_params *sp) {
    const int H = c->h, W = c->w;
    const size_t need = ccpl__guided_filter_scratch(H, W);
    void *scratch = need ? malloc(need) : NULL;
    if (!scratch) return ccpl__fail(&m->err, CCPL_E_NOMEM, "guided filter: no memory for %dx%d", W, H);
    /* crop in place: row y of channel ch moves to (ch*H + y)*W, never ahead
       of where it is read from (Wy >= W, Hy >= H) */
    for (int ch = 0; ch < 3; ch++)
        for (int r = 0; r < H; r++)
            memmove(y->data + ((size_t)ch * H + r) * W,
                    y->data + ((size_t)ch * y->h + r) * y->w, sizeof(float) * W);
    y->h = H;
    y->w = W;
    ccpl__guided_filter(y->data, y->data, c->data, 3, H, W, sp->guided_radius, sp->guided_eps,
                        scratch);
    free(scratch);
    return CCPL_OK;
}

ccpl_status ccpl_stylize_spatial(ccpl_model *m, const ccpl_image *content,
                                 ccpl_style *const *styles, const float *weights, int n_styles,
                                 const ccpl_stylize_params *params, const ccpl_spatial *spatial,
                                 ccpl_image *out) {
    if (!m) return CCPL_E_INVALID_ARGUMENT;
    ccpl__clear(&m->err);
    if (!out) return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT, "out is NULL");
    memset(out, 0, sizeof *out);
    ccpl_stylize_params sp = params ? *params : ccpl_default_stylize_params();
    m->progress.fn = m->params.progress;
    m->progress.user = m->params.progress_user_data;
    if (sp.guided_radius < 0 || sp.guided_radius > CCPL_GUIDED_MAX_RADIUS)
        return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT, "guided_radius must be in 0..%d, got %d",
                          CCPL_GUIDED_MAX_RADIUS, sp.guided_radius);
    if (sp.guided_radius > 0 && !(sp.guided_eps > 0.0f && sp.guided_eps <= 1.0f))
        return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT, "guided_eps must be in (0,1], got %g",
                          (double)sp.guided_eps);
    if (sp.guided_radius > 0 && sp.full_output)
        return ccpl__fail(&m->err, CCPL_E_INVALID_ARGUMENT,
                          "the guided filter needs full_output 0 (the content is its guide)");
    ccpl__tensor c = {0}, y = {0};
    ccpl_status st = image_to_act(m, content, "content image", &c);
    if (st != CCPL_OK) return st;
    st = ccpl__stylize_spatial_chw(m, &c, styles, weights, n_styles, sp.alpha, spatial, &y);
    if (st == CCPL_OK && sp.guided_radius > 0) st = smooth_guided(m, &c, &y, &sp);
    if (st == CCPL_OK) {
        const int w = sp.full_output ? y.w : content->width;
        const int h = sp.full_output ? y.h : content->height;
        st = ccpl_image_alloc(out, w, h, &m->err);
        if (st == CCPL_OK) ccpl__chw_to_image(y.data, y.h, y.w, out);
    }
    ccpl__tensor_free(&c);
    ccpl__tensor_free(&y);
    return st;
}
