/* ccpl serve — a local web page and an HTTP API for stylizing (src/server/,
 * docs/API.md). This file is the command: options, finding and loading the
 * models once, and running until SIGINT/SIGTERM. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "server/server.h"

static const char *const HELP =
    "Usage: ccpl serve [OPTION]...\n"
    "Serve a web page (/) and an HTTP API (/v1/stylize, /v1/health, /v1/models) for\n"
    "restyling pictures; see docs/API.md. Models are loaded once at start; a mode\n"
    "whose files are missing is reported and left out (the other is served).\n"
    "\n"
    "  -H, --host ADDR           address to listen on (default 127.0.0.1: this machine\n"
    "                            only; another address is reachable from elsewhere and\n"
    "                            is warned about: there is no authentication)\n"
    "  -p, --port N              port (default 8080; 0 picks a free one, printed)\n"
    "      --models DIR          folder to search for model files (repeatable); then\n"
    "                            CCPL_MODELS, then the built-in models/ folder, under\n"
    "                            the names of 'ccpl stylize --help'\n"
    "  -w, --workers N           stylizations run at once, each with its own copy of\n"
    "                            the models (1..64, default 2)\n"
    "  -t, --threads N           compute threads per worker (default 0: the cores\n"
    "                            shared out between the workers)\n"
    "      --queue N             requests that may wait for a worker; more get 503\n"
    "                            (0..1024, default 8)\n"
    "      --max-upload-mb N     largest request body in MiB (1..1024, default 25)\n"
    "      --max-pixels N        refuse images of more than N pixels before decoding\n"
    "                            them, and sizes that would resize to more\n"
    "                            (1..268435456, default 25000000)\n"
    "      --timeout S           a request's time limit in seconds, waiting included:\n"
    "                            past it the answer is 503 (1..3600, default 120)\n"
    "      --style-cache N       encoded styles kept per worker for reuse (0..256,\n"
    "                            default 8)\n"
    "      --engine fast|ref     convolution engine, as for stylize (default fast)\n"
    "  -h, --help                this help\n"
    "\n"
    "Stops cleanly on SIGINT (Ctrl-C) or SIGTERM: running requests finish, waiting\n"
    "ones get 503. Exit status: 0 after a clean stop, 1 when it cannot start (no\n"
    "model at all, a model that does not load, the port in use), 2 bad usage.\n";

enum { OPT_QUEUE = 256, OPT_MAX_UPLOAD, OPT_TIMEOUT, OPT_CACHE };

static const char *const MODE_NAME[SRV_N_MODES] = {"art", "photo"};

static int parse(int argc, char **argv, srv_config *cfg, model_paths *mp) {
    static const struct option longopts[] = {
        {"host", required_argument, 0, 'H'},
        {"port", required_argument, 0, 'p'},
        {"workers", required_argument, 0, 'w'},
        {"threads", required_argument, 0, 't'},
        {"queue", required_argument, 0, OPT_QUEUE},
        {"max-upload-mb", required_argument, 0, OPT_MAX_UPLOAD},
        {"timeout", required_argument, 0, OPT_TIMEOUT},
        {"style-cache", required_argument, 0, OPT_CACHE},
        CLI_LONGOPT_MODELS,
        CLI_LONGOPT_ENGINE,
        CLI_LONGOPT_MAX_PIXELS,
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *cmd = "serve";
    int c, v;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":H:p:w:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'H': cfg->host = optarg; break;
        case 'p':
            if (cli_parse_int(optarg, 0, 65535, &cfg->port))
                return cli_usage_error(cmd, "--port must be an integer in 0..65535, not '%s'", optarg);
            break;
        case 'w':
            if (cli_parse_int(optarg, 1, 64, &cfg->workers))
                return cli_usage_error(cmd, "--workers must be an integer in 1..64, not '%s'", optarg);
            break;
        case 't':
            if (cli_parse_int(optarg, 0, 1024, &cfg->threads))
                return cli_usage_error(cmd, "--threads must be an integer in 0..1024, not '%s'", optarg);
            break;
        case OPT_QUEUE:
            if (cli_parse_int(optarg, 0, 1024, &cfg->queue_size))
                return cli_usage_error(cmd, "--queue must be an integer in 0..1024, not '%s'", optarg);
            break;
        case OPT_MAX_UPLOAD:
            if (cli_parse_int(optarg, 1, 1024, &v))
                return cli_usage_error(cmd, "--max-upload-mb must be an integer in 1..1024, not '%s'", optarg);
            cfg->max_upload_bytes = (size_t)v << 20;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_int(optarg, 1, 3600, &cfg->timeout_s))
                return cli_usage_error(cmd, "--timeout must be an integer in 1..3600, not '%s'", optarg);
            break;
        case OPT_CACHE:
            if (cli_parse_int(optarg, 0, 256, &cfg->style_cache))
                return cli_usage_error(cmd, "--style-cache must be an integer in 0..256, not '%s'", optarg);
            break;
        case 'h': fputs(HELP, stdout); return -1;
        case ':': return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default: {
            /* only the folder-wide model options: a file would not say its mode */
            const int r = cli_model_option(cmd, c, optarg, mp, &cfg->engine, &cfg->max_pixels);
            if (r < 0) return CLI_USAGE;
            if (r == 0) return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
            break;
        }
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return CLI_OK;
}

/* Finds each mode's files; a mode without them is left out, with the
 * reason kept for /v1/models. 0 when at least one mode is there. */
static int find_models(srv_config *cfg, model_paths *mp) {
    int found = 0;
    for (int m = 0; m < SRV_N_MODES; m++) {
        if (cli_resolve_models("serve", mp, (ccpl_mode)m, cfg->vgg[m], cfg->decoder[m], cfg->sct[m],
                               sizeof cfg->vgg[m]) == 0) {
            found++;
            continue;
        }
        cfg->vgg[m][0] = cfg->decoder[m][0] = cfg->sct[m][0] = '\0';
        snprintf(cfg->unavailable[m], sizeof cfg->unavailable[m],
                 "no %s-mode model was found when the server started (its decoder and SCT "
                 "checkpoints are missing from the model folders)",
                 MODE_NAME[m]);
        fprintf(stderr, "ccpl serve: %s mode is unavailable (the files above are missing)\n", MODE_NAME[m]);
    }
    return found ? 0 : -1;
}

int cmd_serve(int argc, char **argv) {
    srv_config *cfg = calloc(1, sizeof *cfg); /* ~25 KB of paths: not on the stack */
    model_paths mp;
    memset(&mp, 0, sizeof mp);
    if (!cfg) return CLI_FAIL;
    cfg->host = "127.0.0.1";
    cfg->port = 8080;
    cfg->workers = 2;
    cfg->queue_size = 8;
    cfg->max_pixels = 25000000;
    cfg->max_upload_bytes = (size_t)25 << 20;
    cfg->timeout_s = 120;
    cfg->io_timeout_s = 30;
    cfg->style_cache = 8;
    cfg->engine = CCPL_ENGINE_FAST;
    int rc = parse(argc, argv, cfg, &mp);
    srv_queue *queue = NULL;
    srv_pool *pool = NULL;
    srv_server *server = NULL;
    if (rc != CLI_OK) {
        rc = rc < 0 ? CLI_OK : rc;
        goto done;
    }
    if (cfg->threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        cfg->threads = cores > cfg->workers ? (int)(cores / cfg->workers) : 1;
    }
    /* Every connection may hold one upload: this bounds their memory. */
    cfg->max_connections = 4 * (cfg->workers + cfg->queue_size) + 16;
    if (find_models(cfg, &mp) != 0) {
        fprintf(stderr, "ccpl serve: no model for either mode; pass --models DIR or set CCPL_MODELS\n");
        rc = CLI_FAIL;
        goto done;
    }

    /* SIGINT/SIGTERM are taken by sigwait below; blocked before any thread
     * starts, so every thread (workers, OpenMP's, the daemon's) inherits the
     * mask and none is interrupted. A client that hangs up must not kill the
     * process with SIGPIPE. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    ccpl_error err;
    double t0 = cli_now();
    if (!(queue = srv_queue_new(cfg->queue_size, cfg->workers)) ||
        !(pool = srv_pool_start(cfg, queue, &err))) {
        fprintf(stderr, "ccpl serve: %s\n", queue ? err.message : "out of memory");
        rc = CLI_FAIL;
        goto done;
    }
    char msg[512];
    int port = 0;
    if (!(server = srv_start(cfg, pool, queue, &port, msg, sizeof msg))) {
        fprintf(stderr, "ccpl serve: %s\n", msg);
        srv_queue_close(queue);
        rc = CLI_FAIL;
        goto done;
    }
    int v6 = strchr(cfg->host, ':') != NULL;
    printf("ccpl serve: listening on http://%s%s%s:%d/ (modes:%s%s; %d worker%s x %d thread%s; models "
           "loaded in %.1f s)\n",
           v6 ? "[" : "", cfg->host, v6 ? "]" : "", port, cfg->vgg[0][0] ? " art" : "",
           cfg->vgg[1][0] ? " photo" : "", cfg->workers, cfg->workers == 1 ? "" : "s", cfg->threads,
           cfg->threads == 1 ? "" : "s", cli_now() - t0);
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "ccpl serve: %s: stopping (running requests finish, waiting ones get 503)\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    srv_stop(server, 5);
    server = NULL;
    fprintf(stderr, "ccpl serve: stopped\n");
    rc = CLI_OK;

done:
    srv_pool_free(pool);
    srv_queue_free(queue);
    strlist_free(&mp.dirs);
    free(cfg);
    return rc;
}
