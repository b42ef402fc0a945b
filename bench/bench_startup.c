/* bench_startup — where one `ccpl stylize` run's time goes, phase by phase.
 *
 * Usage: bench_startup VGG DECODER SCT CONTENT STYLE OUT SIZE THREADS [crop]
 *        bench_startup --compare A.png B.png     (same pixels? exit 0 / 1)
 *
 * Does, once, what `ccpl stylize --content CONTENT --style STYLE --output
 * OUT --content-size SIZE --style-size SIZE [--crop] --threads THREADS` does
 * in art mode (the CLI's malloc policy included), in the same order, and
 * prints for each phase the process CPU time (user + system, all threads)
 * and the wall time it took:
 *
 *   premain      exec to main(): the dynamic loader (CPU exact; wall from
 *                /proc/self/stat, 10 ms resolution). This program's own
 *                libraries, not the CLI's: `perf stat ccpl version` for those
 *   ckpt_*       reading one checkpoint: file, zip, pickle, fp16 -> fp32
 *   bind         binding the nets to the tensors (shape and NaN/Inf checks)
 *   winograd     the fast engine's weight transforms (ccpl__net_prepare_fast)
 *   style_decode, style_resize, content_decode, content_resize
 *   to_chw       8-bit images to float planes
 *   *_encoder    the VGG encoder (convolutions, pooling)
 *   sct_style, sct_apply   SCT (its small nets, covariance, whitening)
 *   decoder      the decoder (convolutions, upsampling)
 *   to_8bit      the copy out of the arena, clamp and quantise
 *   png_write    encoding and writing OUT (atomic, as the CLI does)
 *   teardown     freeing the model, images and style
 *
 * and "first_conv": the CPU and wall time from exec to the first
 * convolution (the start of the style's encoder). Run it several times and
 * take medians (bench/startup.sh does). Loading is done step by step with
 * the library's internal functions, as ccpl_model_load does it for an art
 * model whose files hold only the tensors it uses (the shipped ones), but
 * on one thread (ccpl_model_load reads the decoder on a second one), so
 * that each step has its own line. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ccpl/ccpl.h"
#include "core/blas_threads.h"
#include "io/checkpoint.h"
#include "io/image_internal.h"
#include "model/arch.h"
#include "model/file_hint.h"
#include "model/model.h"

static double cpu_now(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts); /* the clock /proc/self/stat's starttime counts in */
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Wall seconds since the process started (exec), 1/CLK_TCK resolution. */
static double since_exec(void) {
    FILE *f = fopen("/proc/self/stat", "r");
    char buf[1024];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long start = 0;
    for (int field = 2; p && *p; p++)
        if (*p == ' ' && ++field == 22) {
            start = strtoull(p + 1, NULL, 10);
            break;
        }
    return wall_now() - (double)start / (double)sysconf(_SC_CLK_TCK);
}

static double c0, w0, cfirst, wfirst;

static void phase(const char *name) {
    const double c = cpu_now(), w = wall_now();
    printf("%-15s %8.1f ms cpu %8.1f ms wall\n", name, (c - c0) * 1e3, (w - w0) * 1e3);
    c0 = c, w0 = w;
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "bench_startup: %s: %s\n", what, msg);
    exit(1);
}

static void load_ck(const char *path, ccpl__checkpoint *ck) {
    ccpl_error err;
    if (ccpl__checkpoint_load(path, NULL, NULL, ck, &err) != CCPL_OK) die(path, err.message);
}

static int compare(const char *a, const char *b) {
    ccpl_image x = {0}, y = {0};
    ccpl_error err;
    if (ccpl_image_load(a, &x, &err) != CCPL_OK) die(a, err.message);
    if (ccpl_image_load(b, &y, &err) != CCPL_OK) die(b, err.message);
    const int same = x.width == y.width && x.height == y.height &&
                     !memcmp(x.data, y.data, (size_t)x.width * x.height * 3);
    printf("%s\n", same ? "same pixels" : "DIFFERENT pixels");
    ccpl_image_free(&x);
    ccpl_image_free(&y);
    return !same;
}

int main(int argc, char **argv) {
    c0 = cpu_now();
    const double pre = since_exec();
    w0 = wall_now();
    if (argc == 4 && !strcmp(argv[1], "--compare")) return compare(argv[2], argv[3]);
    if (argc != 9 && argc != 10) {
        fprintf(stderr, "usage: bench_startup VGG DECODER SCT CONTENT STYLE OUT SIZE THREADS [crop]\n"
                        "       bench_startup --compare A.png B.png\n");
        return 2;
    }
    printf("%-15s %8.1f ms cpu %8.1f ms wall\n", "premain", c0 * 1e3, pre * 1e3);
    const double cstart = 0, wstart = w0 - pre;
    /* the CLI's malloc policy (src/cli/malloc_policy.c) */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    const int size = atoi(argv[7]), threads = atoi(argv[8]), crop = argc == 10;
    ccpl_error err;

    /* ccpl_model_load, art mode, fast engine, step by step */
    ccpl_model *m = calloc(1, sizeof *m);
    m->params = ccpl_default_params();
    m->n_threads = threads > 0 ? threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    m->params.n_threads = threads;
    m->feat_c = ccpl__feat_channels(CCPL_MODE_ART);
    ccpl__arch_encoder(&m->enc, CCPL_MODE_ART);
    ccpl__arch_decoder(&m->decoder, CCPL_MODE_ART);
    ccpl__arch_cnet(&m->cnet, CCPL_MODE_ART);
    ccpl__arch_snet(&m->snet, CCPL_MODE_ART);
    ccpl__arch_uncompress(&m->uncompress, CCPL_MODE_ART);
    load_ck(argv[1], &m->vgg);
    phase("ckpt_vgg");
    load_ck(argv[2], &m->dec);
    phase("ckpt_decoder");
    load_ck(argv[3], &m->sct);
    phase("ckpt_sct");
    char pre_c[64], pre_s[64], pre_u[64];
    const char *rp = ccpl__role_prefix(&m->sct, CCPL__ROLE_SCT);
    snprintf(pre_c, sizeof pre_c, "%scnet.", rp);
    snprintf(pre_s, sizeof pre_s, "%ssnet.", rp);
    snprintf(pre_u, sizeof pre_u, "%suncompress", rp);
    if (ccpl__net_bind(&m->enc, &m->vgg, argv[1], "", "", &err) ||
        ccpl__net_bind(&m->decoder, &m->dec, argv[2], ccpl__role_prefix(&m->dec, CCPL__ROLE_DECODER), "", &err) ||
        ccpl__net_bind(&m->cnet, &m->sct, argv[3], pre_c, "", &err) ||
        ccpl__net_bind(&m->snet, &m->sct, argv[3], pre_s, "", &err) ||
        ccpl__conv_bind(&m->uncompress, &m->sct, argv[3], pre_u, "", &err))
        die("bind", err.message);
    phase("bind");
    if (ccpl__net_prepare_fast(&m->enc, &err) || ccpl__net_prepare_fast(&m->decoder, &err))
        die("prepare", err.message);
    phase("winograd");

    /* the style: loaded, resized, encoded (cmd_stylize.c's order) */
    ccpl_image_load_params lp = ccpl_default_image_load_params();
    lp.max_pixels = 100000000LL;
    ccpl_image raw = {0}, style = {0}, content = {0}, out = {0};
    if (ccpl_image_load_ex(argv[5], &lp, &raw, &err)) die(argv[5], err.message);
    phase("style_decode");
    if (ccpl_image_resize_shorter_ex(&raw, size, crop, lp.max_pixels, &style, &err)) die(argv[5], err.message);
    ccpl_image_free(&raw);
    phase("style_resize");
    ccpl__act s = {0}, fs = {0}, c = {0}, fc = {0}, g = {0}, y = {0}, yo = {0};
    if (ccpl__act_alloc(&s, 3, style.height, style.width, &err)) die("alloc", err.message);
    ccpl__image_to_chw(&style, s.data);
    phase("to_chw");
    cfirst = cpu_now() - cstart, wfirst = wall_now() - wstart;
    ccpl__blas_use_threads(m->n_threads);
    if (ccpl__net_run_arena(&m->enc, &s, &m->arena, CCPL__SLOT_FEAT, &fs, NULL, m->n_threads, NULL, &m->err))
        die("encoder", m->err.message);
    phase("style_encoder");
    ccpl_style *st = calloc(1, sizeof *st);
    st->smean = malloc(sizeof(float) * (size_t)m->feat_c);
    st->model = m;
    st->c = m->feat_c;
    if (ccpl__sct_style(m, &fs, st)) die("sct", m->err.message);
    ccpl__blas_done_threads();
    ccpl__act_free(&s);
    phase("sct_style");

    /* the content: loaded, resized, stylized (ccpl_stylize_spatial) */
    if (ccpl_image_load_ex(argv[4], &lp, &raw, &err)) die(argv[4], err.message);
    phase("content_decode");
    if (ccpl_image_resize_shorter_ex(&raw, size, crop, lp.max_pixels, &content, &err)) die(argv[4], err.message);
    ccpl_image_free(&raw);
    phase("content_resize");
    if (ccpl__act_alloc(&c, 3, content.height, content.width, &err)) die("alloc", err.message);
    ccpl__image_to_chw(&content, c.data);
    phase("to_chw");
    ccpl__blas_use_threads(m->n_threads);
    if (ccpl__net_run_arena(&m->enc, &c, &m->arena, CCPL__SLOT_FEAT, &fc, NULL, m->n_threads, NULL, &m->err))
        die("encoder", m->err.message);
    phase("content_encoder");
    if (ccpl__sct_apply(m, &fc, st, &g)) die("sct", m->err.message);
    phase("sct_apply");
    if (ccpl__net_run_arena(&m->decoder, &g, &m->arena, CCPL__SLOT_SCT_IN, &y, NULL, m->n_threads, NULL,
                            &m->err))
        die("decoder", m->err.message);
    ccpl__blas_done_threads();
    phase("decoder");
    if (ccpl__act_alloc(&yo, y.c, y.h, y.w, &err)) die("alloc", err.message);
    memcpy(yo.data, y.data, sizeof(float) * (size_t)y.c * y.h * y.w);
    if (ccpl_image_alloc(&out, content.width, content.height, &err)) die("alloc", err.message);
    ccpl__chw_to_image(yo.data, yo.h, yo.w, &out);
    ccpl__act_free(&c);
    ccpl__act_free(&yo);
    phase("to_8bit");
    if (ccpl_image_save(argv[6], &out, 95, &err)) die(argv[6], err.message);
    phase("png_write");
    free(st->smean);
    free(st);
    ccpl_image_free(&out);
    ccpl_image_free(&style);
    ccpl_image_free(&content);
    ccpl_model_free(m);
    phase("teardown");
    printf("%-15s %8.1f ms cpu %8.1f ms wall\n", "first_conv", cfirst * 1e3, wfirst * 1e3);
    printf("%-15s %8.1f ms cpu %8.1f ms wall\n", "total", (cpu_now() - cstart) * 1e3, (wall_now() - wstart) * 1e3);
    return 0;
}
