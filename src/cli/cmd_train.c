/* ccpl train — CCPL training (spec §5). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "train/trainer.h"

static const char *const HELP =
    "Usage: ccpl train --vgg FILE --content-dir DIR --style-dir DIR --save-dir DIR [OPTION]...\n"
    "Train a CCPL decoder and SCT (and the CCPL projection heads); the encoder stays frozen.\n"
    "\n"
    "  -m, --mode art|photo     art: encoder to relu4_1, CCPL on relu2_1..relu4_1;\n"
    "                           photo: relu3_1, CCPL on relu1_1..relu3_1 (default art)\n"
    "      --vgg FILE           the normalised VGG-19 checkpoint (frozen)\n"
    "      --content-dir DIR    content images, searched recursively (.png/.jpg/.jpeg);\n"
    "                           repeat to train on the union of several folders\n"
    "      --style-dir DIR      style images, searched recursively; repeatable\n"
    "      --save-dir DIR       decoder_iter_N.pth.tar, sct_iter_N.pth.tar (official\n"
    "                           layouts, loadable by torch.load and ccpl stylize) and the\n"
    "                           resume state (state.pth, resume.txt)\n"
    "      --resume             continue the run saved in --save-dir (same mode, seed,\n"
    "                           batch, crop and load sizes, --freeze-decoder,\n"
    "                           --identity-weight, --photoreal-weight and -filter)\n"
    "      --init-decoder FILE  start the decoder from a checkpoint (official layout, or in\n"
    "                           photo mode the relu3_1 feature invertor: keys 1,5,8,12,15\n"
    "                           map to 14,18,21,25,28 and key 11 starts as an identity)\n"
    "      --init-sct FILE      start SCT from a checkpoint (official layout)\n"
    "      --freeze-decoder     keep the decoder at its start (--init-decoder): train only\n"
    "                           SCT and the CCPL heads\n"
    "      --log-file FILE      CSV: iteration, lr, each loss, seconds\n"
    "      --max-iter N         iterations (default 160000)\n"
    "      --save-interval N    save every N iterations (default 10000) and at the end\n"
    "      --batch-size N       images per batch (default 8)\n"
    "      --load-size N        images are resized to NxN, aspect ignored (default 512)\n"
    "      --crop-size N        then a random NxN crop (default 256; a multiple of 8 in\n"
    "                           art mode, of 4 in photo mode)\n"
    "      --lr X               learning rate (default 1e-4), lr_i = lr / (1 + decay*i)\n"
    "      --lr-decay X         (default 5e-5)\n"
    "      --content-weight X   (default 1)\n"
    "      --style-weight X     (default 10)\n"
    "      --ccp-weight X       (default 5)\n"
    "      --identity-weight X  SCT identity loss, our addition, not the paper's (default\n"
    "                           0: off): X * mean((SCT(fc, fc) - fc)^2), fc the content's\n"
    "                           last tap; trains SCT to keep the content's structure.\n"
    "                           Logged after seconds, as loss_identity (docs/TRAINING.md)\n"
    "      --photoreal-weight X photorealism loss, our addition, not the paper's (default\n"
    "                           0: off; Luan et al. 2017 in guided-filter form):\n"
    "                           X * mean((g - A g)^2), g the generated image, A the guided\n"
    "                           filter with the content as the guide; penalises what is\n"
    "                           not a locally affine function of the content's colours\n"
    "                           (painted texture). Logged as loss_photoreal, last column\n"
    "      --photoreal-filter R,EPS  its guided filter: radius R (0..64) and EPS > 0 in\n"
    "                           [0,1]^2 units (default 1,1e-4)\n"
    "      --tau X              CCPL temperature (default 0.07)\n"
    "      --num-s N            anchors per layer (default 8)\n"
    "      --num-l N            CCPL on the last N tapped layers (default 3)\n"
    "      --seed N             data order, crops, anchors, initialisation (default 1)\n"
    "  -t, --threads N          threads (default 0: all cores)\n"
    "      --engine fast|ref    fast (default): the encoder's passes over the content and\n"
    "                           style images (no backward) use Winograd; ref: im2col +\n"
    "                           sgemm everywhere, the path tested against PyTorch autograd\n"
    "  -q, --quiet              no progress line\n"
    "  -h, --help               this help\n"
    "\n"
    "SIGINT/SIGTERM finish the current iteration, save, and stop (exit 1); --resume continues.\n"
    "A second signal stops at once; so does SIGKILL: every file is replaced atomically, and\n"
    "--resume continues from the last complete checkpoint.\n";

static volatile sig_atomic_t interrupted;
/* The first SIGINT or SIGTERM asks for a stop after the current iteration
 * and its checkpoint; both signals then take their default action again, so
 * that a second one ends the process at once (sigaction is async-signal-safe). */
static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
}

typedef struct ui {
    progress pr;
    long first;
} ui;

static void on_skip(const char *message, void *user) {
    ui *u = user;
    if (u->pr.enabled) fputc('\n', stderr); /* off the progress line */
    fprintf(stderr, "ccpl train: skipped %s\n", message);
}

/* Whether path names a file the trainer writes in save_dir: its folder is
 * save_dir (same device and inode) and its name is a checkpoint's or the
 * resume state's. */
static int save_dir_file(const char *save_dir, const char *path) {
    const char *base = cli_basename(path);
    const size_t n = strlen(base);
    const int ours = !strcmp(base, "state.pth") || !strcmp(base, "resume.txt") ||
                     ((!strncmp(base, "decoder_iter_", 13) || !strncmp(base, "sct_iter_", 9)) &&
                      n > 8 && !strcmp(base + n - 8, ".pth.tar"));
    if (!ours) return 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", base == path ? 1 : (int)(base - path), base == path ? "." : path);
    return cli_same_file(dir, save_dir);
}

static int on_iter(long iter, long max_iter, double lr, const ccpl__losses *l, double seconds,
                   void *user) {
    ui *u = user;
    if (u->pr.enabled) {
        const double done = (double)(iter - u->first), rate = seconds > 0 ? done / seconds : 0;
        fprintf(stderr, "\r\033[Kiter %ld/%ld  content %.4g  style %.4g  ccp %.4g", iter, max_iter,
                l->content, l->style, l->ccp);
        if (l->identity != 0) fprintf(stderr, "  identity %.4g", l->identity); /* --identity-weight */
        if (l->photoreal != 0) fprintf(stderr, "  photoreal %.4g", l->photoreal); /* --photoreal-weight */
        fprintf(stderr, "  lr %.3g  %.2f it/s  ETA %.0f s", lr, rate,
                rate > 0 ? (double)(max_iter - iter) / rate : 0.0);
        fflush(stderr);
    }
    return interrupted != 0;
}

int cmd_train(int argc, char **argv) {
    enum {
        O_VGG = 256, O_CDIR, O_SDIR, O_SAVE, O_RESUME, O_INITD, O_INITS, O_LOG, O_MAXIT, O_SAVEINT,
        O_BATCH, O_LOAD, O_CROP, O_LR, O_DECAY, O_CW, O_SW, O_PW, O_TAU, O_NUMS, O_NUML, O_SEED, O_ENGINE,
        O_FREEZE, O_IDW, O_PRW, O_PRF
    };
    static const struct option longopts[] = {
        {"mode", required_argument, 0, 'm'}, {"vgg", required_argument, 0, O_VGG},
        {"content-dir", required_argument, 0, O_CDIR}, {"style-dir", required_argument, 0, O_SDIR},
        {"save-dir", required_argument, 0, O_SAVE}, {"resume", no_argument, 0, O_RESUME},
        {"init-decoder", required_argument, 0, O_INITD}, {"init-sct", required_argument, 0, O_INITS},
        {"log-file", required_argument, 0, O_LOG}, {"max-iter", required_argument, 0, O_MAXIT},
        {"save-interval", required_argument, 0, O_SAVEINT}, {"batch-size", required_argument, 0, O_BATCH},
        {"load-size", required_argument, 0, O_LOAD}, {"crop-size", required_argument, 0, O_CROP},
        {"lr", required_argument, 0, O_LR}, {"lr-decay", required_argument, 0, O_DECAY},
        {"content-weight", required_argument, 0, O_CW}, {"style-weight", required_argument, 0, O_SW},
        {"ccp-weight", required_argument, 0, O_PW}, {"tau", required_argument, 0, O_TAU},
        {"identity-weight", required_argument, 0, O_IDW},
        {"photoreal-weight", required_argument, 0, O_PRW}, {"photoreal-filter", required_argument, 0, O_PRF},
        {"num-s", required_argument, 0, O_NUMS}, {"num-l", required_argument, 0, O_NUML},
        {"seed", required_argument, 0, O_SEED}, {"threads", required_argument, 0, 't'},
        {"engine", required_argument, 0, O_ENGINE}, {"freeze-decoder", no_argument, 0, O_FREEZE},
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *cmd = "train";
    ccpl__train_config c = ccpl__train_config_default();
    int quiet = 0, ival;
    float fval;
    optind = 1;
    opterr = 0;
    int o;
    while ((o = getopt_long(argc, argv, ":m:t:qh", longopts, NULL)) != -1) {
        switch (o) {
        case 'm':
            if (!strcmp(optarg, "art")) c.mode = CCPL_MODE_ART;
            else if (!strcmp(optarg, "photo")) c.mode = CCPL_MODE_PHOTO;
            else return cli_usage_error(cmd, "--mode must be art or photo, not '%s'", optarg);
            break;
        case O_VGG: c.vgg = optarg; break;
        case O_CDIR:
            if (c.n_content_dirs == CCPL__TRAIN_MAX_DIRS)
                return cli_usage_error(cmd, "at most %d --content-dir", CCPL__TRAIN_MAX_DIRS);
            c.content_dirs[c.n_content_dirs++] = optarg;
            break;
        case O_SDIR:
            if (c.n_style_dirs == CCPL__TRAIN_MAX_DIRS)
                return cli_usage_error(cmd, "at most %d --style-dir", CCPL__TRAIN_MAX_DIRS);
            c.style_dirs[c.n_style_dirs++] = optarg;
            break;
        case O_SAVE: c.save_dir = optarg; break;
        case O_ENGINE:
            if (!strcmp(optarg, "fast")) c.engine = CCPL_ENGINE_FAST;
            else if (!strcmp(optarg, "ref")) c.engine = CCPL_ENGINE_REF;
            else return cli_usage_error(cmd, "--engine must be fast or ref, not '%s'", optarg);
            break;
        case O_RESUME: c.resume = 1; break;
        case O_INITD: c.init_decoder = optarg; break;
        case O_INITS: c.init_sct = optarg; break;
        case O_FREEZE: c.freeze_decoder = 1; break;
        case O_LOG: c.log_file = optarg; break;
#define INT_OPT(field, lo, hi, name)                                                              \
    if (cli_parse_int(optarg, lo, hi, &ival))                                                     \
        return cli_usage_error(cmd, "--" name " must be an integer in %ld..%ld, not '%s'", (long)(lo), (long)(hi), optarg); \
    field = ival;                                                                                 \
    break;
#define FLOAT_OPT(field, lo, hi, name)                                                            \
    if (cli_parse_float(optarg, lo, hi, &fval))                                                   \
        return cli_usage_error(cmd, "--" name " must be a number in [%g, %g], not '%s'", (double)(lo), (double)(hi), optarg); \
    field = fval;                                                                                 \
    break;
        case O_MAXIT: INT_OPT(c.max_iter, 0, 100000000, "max-iter")
        case O_SAVEINT: INT_OPT(c.save_interval, 1, 100000000, "save-interval")
        case O_BATCH: INT_OPT(c.batch, 1, 64, "batch-size")
        case O_LOAD: INT_OPT(c.load_size, 8, 8192, "load-size")
        case O_CROP: INT_OPT(c.crop_size, 8, 8192, "crop-size")
        case O_LR: FLOAT_OPT(c.lr, 1e-12, 10.0, "lr")
        case O_DECAY: FLOAT_OPT(c.lr_decay, 0.0, 10.0, "lr-decay")
        case O_CW: FLOAT_OPT(c.loss.content_weight, 0.0, 1e6, "content-weight")
        case O_SW: FLOAT_OPT(c.loss.style_weight, 0.0, 1e6, "style-weight")
        case O_PW: FLOAT_OPT(c.loss.ccp_weight, 0.0, 1e6, "ccp-weight")
        case O_IDW: FLOAT_OPT(c.loss.identity_weight, 0.0, 1e6, "identity-weight")
        case O_PRW: FLOAT_OPT(c.loss.photoreal_weight, 0.0, 1e6, "photoreal-weight")
        case O_PRF: {
            char rbuf[32];
            const char *comma = strchr(optarg, ',');
            const size_t rlen = comma ? (size_t)(comma - optarg) : 0;
            if (comma && rlen < sizeof rbuf) memcpy(rbuf, optarg, rlen), rbuf[rlen] = 0;
            if (!comma || rlen >= sizeof rbuf || cli_parse_int(rbuf, 0, 64, &ival) ||
                cli_parse_float(comma + 1, 0.0, 100.0, &fval) || !(fval > 0))
                return cli_usage_error(cmd, "--photoreal-filter must be R,EPS with R an integer in 0..64 "
                                       "and EPS a number in (0, 100], not '%s'", optarg);
            c.loss.photoreal_radius = ival, c.loss.photoreal_eps = fval;
            break;
        }
        case O_TAU: FLOAT_OPT(c.loss.tau, 1e-4, 100.0, "tau")
        case O_NUMS: INT_OPT(c.loss.num_s, 1, 64, "num-s")
        case O_NUML: INT_OPT(c.loss.num_l, 1, 4, "num-l")
        case O_SEED: INT_OPT(c.seed, 0, 2147483647, "seed")
        case 't': INT_OPT(c.n_threads, 0, 1024, "threads")
#undef INT_OPT
#undef FLOAT_OPT
        case 'q': quiet = 1; break;
        case 'h': fputs(HELP, stdout); return CLI_OK;
        case ':': return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!c.vgg || !c.n_content_dirs || !c.n_style_dirs || !c.save_dir)
        return cli_usage_error(cmd, "--vgg, --content-dir, --style-dir and --save-dir are required");
    if (c.freeze_decoder && !c.init_decoder && !c.resume)
        return cli_usage_error(cmd, "--freeze-decoder needs --init-decoder (a frozen random decoder learns nothing)");
    if (c.crop_size > c.load_size)
        return cli_usage_error(cmd, "--crop-size %d is larger than --load-size %d", c.crop_size, c.load_size);
    const int mult = c.mode == CCPL_MODE_ART ? 8 : 4;
    if (c.crop_size % mult)
        return cli_usage_error(cmd, "--crop-size must be a multiple of %d in %s mode", mult,
                               c.mode == CCPL_MODE_ART ? "art" : "photo");
    {   /* checked here too (the trainer checks it), before the save folder is made */
        const int smallest = c.crop_size / (c.mode == CCPL_MODE_ART ? 8 : 4);
        if ((smallest - 2) * (smallest - 2) < c.loss.num_s)
            return cli_usage_error(cmd, "--crop-size %d leaves %dx%d features at the deepest layer: too few "
                                        "positions for %d anchors (--num-s)", c.crop_size, smallest, smallest,
                                   c.loss.num_s);
    }
    if (c.loss.num_l > (c.mode == CCPL_MODE_ART ? 4 : 3))
        return cli_usage_error(cmd, "--num-l is at most %d in this mode", c.mode == CCPL_MODE_ART ? 4 : 3);
    if (c.n_threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c.n_threads = n > 0 ? (int)n : 1;
    }

    /* Outputs are checked before anything is loaded (issue 13): the save
     * folder (made here if missing) and the log's folder must be writable,
     * and no output may be one of the input checkpoints. */
    if (cli_ensure_dir(c.save_dir) != 0) {
        fprintf(stderr, "ccpl %s: %s: cannot create the save folder: %s\n", cmd, c.save_dir, strerror(errno));
        return CLI_FAIL;
    }
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/state.pth", c.save_dir);
    if (cli_check_output_dir(cmd, probe) != CLI_OK) return CLI_FAIL;
    if (c.log_file && cli_check_output_dir(cmd, c.log_file) != CLI_OK) return CLI_FAIL;
    const char *inputs[] = {c.vgg, c.init_decoder, c.init_sct};
    if (c.log_file && cli_refuse_input_as_output(cmd, c.log_file, inputs, 3) != CLI_OK) return CLI_USAGE;
    /* A folder holding a run is continued, never silently restarted. */
    char rpath[4096];
    snprintf(rpath, sizeof rpath, "%s/resume.txt", c.save_dir);
    if (!c.resume && cli_is_file(rpath)) {
        fprintf(stderr, "ccpl %s: %s holds a training run (%s): continue it with --resume, or "
                        "choose another --save-dir\n", cmd, c.save_dir, rpath);
        return CLI_USAGE;
    }
    /* The log must not be one of the run's own files (it would be lost). */
    if (c.log_file && save_dir_file(c.save_dir, c.log_file)) {
        fprintf(stderr, "ccpl %s: %s: the log file would be one of the run's own files in %s; "
                        "name it otherwise (e.g. log.csv)\n", cmd, c.log_file, c.save_dir);
        return CLI_USAGE;
    }

    ui u;
    memset(&u, 0, sizeof u);
    progress_start(&u.pr, 0, "iterations", quiet);
    c.on_iter = on_iter;
    c.on_skip = on_skip;
    c.user = &u;
    /* SA_RESTART: a signal landing in a write, fsync or read of the checkpoint
       being saved (or of a training image) must not fail it with EINTR.
       A second signal takes its default action (see on_signal) and stops the
       process at once, which is safe since every file is replaced atomically.
       Both signals are blocked while the handler runs. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int skipped = 0;
    ccpl_error err;
    ccpl_status st = ccpl__train_run(&c, &skipped, &err);
    if (u.pr.enabled) fputc('\n', stderr);
    if (skipped)
        fprintf(stderr, "ccpl train: warning: %d unreadable training image%s skipped (named above)\n",
                skipped, skipped == 1 ? " was" : "s were");
    if (st != CCPL_OK) {
        if (st == CCPL_E_CANCELLED)
            fprintf(stderr, "ccpl train: interrupted: %s; continue with --resume --save-dir %s\n", err.message, c.save_dir);
        else
            fprintf(stderr, "ccpl train: %s\n", err.message);
        /* a refused combination (an output that is an input, a resume with
           other settings) is a usage error */
        return st == CCPL_E_INVALID_ARGUMENT ? CLI_USAGE : CLI_FAIL;
    }
    if (!quiet) fprintf(stderr, "ccpl train: done; checkpoints in %s\n", c.save_dir);
    return CLI_OK;
}
