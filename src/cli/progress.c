#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void progress_start(progress *p, int total, const char *unit, int quiet) {
    p->enabled = !quiet && isatty(fileno(stderr));
    p->total = total;
    p->done = 0;
    p->unit = unit;
    p->t0 = cli_now();
}

/* "[3/10] photo.jpg  0.42 images/s  ETA 17 s" */
void progress_update(progress *p, const char *label) {
    if (!p->enabled) return;
    double dt = cli_now() - p->t0;
    double rate = p->done > 0 && dt > 0 ? p->done / dt : 0;
    fprintf(stderr, "\r\033[K[%d/%d] %.60s", p->done + 1, p->total, label);
    if (rate > 0)
        fprintf(stderr, "  %.2f %s/s  ETA %.0f s", rate, p->unit, (p->total - p->done) / rate);
    fflush(stderr);
}

void progress_end(progress *p) {
    if (!p->enabled) return;
    double dt = cli_now() - p->t0;
    fprintf(stderr, "\r\033[K%d %s in %.1f s\n", p->done, p->unit, dt);
}
