/* Finding model files: explicit --vgg/--decoder/--sct, else the folders of
 * --models, CCPL_MODELS (colon-separated) and the built-in models/ folder,
 * under the names documented in --help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#ifndef CCPL_BUILTIN_MODELS_DIR
#define CCPL_BUILTIN_MODELS_DIR "models"
#endif

static void search_dirs(model_paths *mp, strlist *dirs) {
    for (int i = 0; i < mp->dirs.n; i++) strlist_push(dirs, mp->dirs.items[i]);
    const char *env = getenv("CCPL_MODELS");
    if (env && *env) {
        char *copy = strdup(env), *save = NULL;
        for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t; t = strtok_r(NULL, ":", &save))
            strlist_push(dirs, t);
        free(copy);
    }
    /* CCPL_MODELS_BUILTIN replaces the built-in folder (a packager's install
     * location); set and empty, there is none (tests that need "no model"). */
    const char *builtin = getenv("CCPL_MODELS_BUILTIN");
    if (!builtin) builtin = CCPL_BUILTIN_MODELS_DIR;
    if (*builtin) strlist_push(dirs, builtin);
}

/* First existing DIR/NAME over dirs x names; the index of its folder in
 * dirs, or -1. */
static int find(const strlist *dirs, const char *const *names, char *out, size_t n) {
    for (int d = 0; d < dirs->n; d++)
        for (int k = 0; names[k]; k++) {
            snprintf(out, n, "%s/%s", dirs->items[d], names[k]);
            if (cli_is_file(out)) return d;
        }
    return -1;
}

/* The shipped encoder is ccpl's assembled copy of the normalised VGG
 * (models/MODEL_CARD.md): close to the official vgg_normalised.pth, not
 * equal to it. Decoders trained on the official one (the CCPL release)
 * belong with it. */
#define ASSEMBLED_VGG "vgg_normalised_r41.pth"

static void explain(const char *cmd, const char *what, const strlist *dirs,
                    const char *const *names, const char *option) {
    fprintf(stderr, "ccpl %s: no %s found: looked for", cmd, what);
    for (int k = 0; names[k]; k++) fprintf(stderr, "%s %s", k ? "," : "", names[k]);
    fprintf(stderr, " in");
    for (int d = 0; d < dirs->n; d++) fprintf(stderr, "%s %s", d ? "," : "", dirs->items[d]);
    if (!strcmp(cmd, "serve")) /* serve takes folders only */
        fprintf(stderr, "; put it there, or pass --models DIR or set CCPL_MODELS\n");
    else
        fprintf(stderr, "; put it there, or pass %s FILE, --models DIR or set CCPL_MODELS\n", option);
}

int cli_resolve_models(const char *cmd, model_paths *mp, ccpl_mode mode, char *vgg, char *decoder,
                       char *sct, size_t n) {
    static const char *const vgg_art[] = {"vgg_normalised.pth", ASSEMBLED_VGG, NULL};
    static const char *const vgg_photo[] = {"vgg_normalised.pth", "vgg_normalised_conv3_1.pth",
                                            ASSEMBLED_VGG, NULL};
    static const char *const dec_art[] = {"art/decoder.pth", "art/decoder_iter_160000.pth.tar",
                                          "decoder_art.pth", NULL};
    static const char *const dec_photo[] = {"photo/decoder.pth", "photo/decoder_iter_160000.pth.tar",
                                            "decoder_photo.pth", NULL};
    static const char *const sct_art[] = {"art/sct.pth", "art/sct_iter_160000.pth.tar",
                                          "sct_art.pth", NULL};
    static const char *const sct_photo[] = {"photo/sct.pth", "photo/sct_iter_160000.pth.tar",
                                            "sct_photo.pth", NULL};
    const int photo = mode == CCPL_MODE_PHOTO;
    strlist dirs = {0};
    int rc = 0;
    search_dirs(mp, &dirs);
    struct {
        const char *given;
        const char *const *names;
        char *out;
        const char *what, *option;
    } roles[3] = {
        {mp->vgg, photo ? vgg_photo : vgg_art, vgg,
         photo ? "VGG encoder (to relu3_1 or further)" : "VGG encoder (to relu4_1)", "--vgg"},
        {mp->decoder, photo ? dec_photo : dec_art, decoder,
         photo ? "photo-mode decoder" : "art-mode decoder", "--decoder"},
        {mp->sct, photo ? sct_photo : sct_art, sct, photo ? "photo-mode SCT" : "art-mode SCT",
         "--sct"},
    };
    int from[3] = {-1, -1, -1}; /* folder index each file was found in */
    for (int r = 0; r < 3; r++) {
        if (roles[r].given) {
            snprintf(roles[r].out, n, "%s", roles[r].given);
        } else if ((from[r] = find(&dirs, roles[r].names, roles[r].out, n)) < 0) {
            explain(cmd, roles[r].what, &dirs, roles[r].names, roles[r].option);
            rc = -1;
        }
    }
    /* The assembled encoder found by the search for a decoder that is
     * neither ccpl's own (the built-in folder) nor beside it: most likely an
     * official decoder without its official encoder. Say so (it still runs). */
    const char *bi = getenv("CCPL_MODELS_BUILTIN");
    const int builtin = bi && !*bi ? -2 : dirs.n - 1; /* index of the built-in folder */
    if (rc == 0 && !mp->vgg && from[1] != builtin && from[1] != from[0] &&
        !strcmp(cli_basename(vgg), ASSEMBLED_VGG))
        fprintf(stderr,
                "ccpl %s: note: using ccpl's assembled encoder %s with the decoder %s; decoders "
                "trained on the official vgg_normalised.pth (the CCPL release) belong with it: "
                "put it beside them or pass --vgg\n",
                cmd, vgg, decoder);
    strlist_free(&dirs);
    return rc;
}
