/* test_image.c — loading (every PNG/JPEG kind against PIL's decode), broken
 * files, the reference resize against PIL/torchvision, saving (round trips
 * and atomicity), the float conversions against torch, and argument checks.
 * Fixtures: tests/ref/fixtures_image.py, in $CCPL_FIXTURES/image. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccpl/ccpl.h"
#include "io/atomic_file.h"
#include "io/image_internal.h"
#include "io/exif.h"
#include "test_util.h"

static const char *dir; /* $CCPL_FIXTURES/image */
static char outdir[2048];  /* scratch folder for saves */

static unsigned char *read_all(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) break;
    }
    fclose(fp);
    *len = n;
    return buf;
}

static int write_all(const char *path, const void *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    int ok = fwrite(data, 1, len, fp) == len;
    return fclose(fp) == 0 && ok;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Max |a-b| and the fraction of equal bytes. */
static int max_diff(const unsigned char *a, const unsigned char *b, size_t n, double *pct_equal) {
    int md = 0;
    size_t eq = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > md) md = d;
        eq += d == 0;
    }
    if (pct_equal) *pct_equal = n ? 100.0 * (double)eq / (double)n : 100.0;
    return md;
}

static ccpl_status status_from_name(const char *s) {
    static const struct {
        const char *name;
        ccpl_status st;
    } t[] = {{"INVALID_ARGUMENT", CCPL_E_INVALID_ARGUMENT}, {"NOMEM", CCPL_E_NOMEM},
             {"IO", CCPL_E_IO}, {"FORMAT", CCPL_E_FORMAT}, {"TOO_LARGE", CCPL_E_TOO_LARGE}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(s, t[i].name) == 0) return t[i].st;
    return CCPL_OK;
}

/* ---------------------------------------------------------------- decode */

/* Non-default load parameters (decode_opts.txt): another background colour
 * for transparency, and ignore_orientation. */
static void test_decode_opts(void) {
    FILE *fp = fopen(tu_path(dir, "decode_opts.txt"), "r");
    CHECK(fp != NULL, "decode_opts.txt missing");
    if (!fp) return;
    char name[256], exp[256], hex[16];
    int w, h, tol, raw, count = 0;
    while (fscanf(fp, "%255s %255s %d %d %d %15s %d", name, exp, &w, &h, &tol, hex, &raw) == 7) {
        count++;
        unsigned v = (unsigned)strtoul(hex, NULL, 16);
        ccpl_image_load_params lp = ccpl_default_image_load_params();
        lp.background[0] = (unsigned char)(v >> 16);
        lp.background[1] = (unsigned char)(v >> 8);
        lp.background[2] = (unsigned char)v;
        lp.ignore_orientation = raw;
        ccpl_image img = {0, 0, NULL};
        ccpl_error err;
        ccpl_status st = ccpl_image_load_ex(tu_path(dir, name), &lp, &img, &err);
        CHECK(st == CCPL_OK, "%s: %s", name, err.message);
        if (st != CCPL_OK) continue;
        CHECK(img.width == w && img.height == h, "%s (bg %s, raw %d): %dx%d, expected %dx%d",
              name, hex, raw, img.width, img.height, w, h);
        size_t len = 0;
        unsigned char *ref = read_all(tu_path(dir, exp), &len);
        if (ref && len == (size_t)w * h * 3 && img.width == w && img.height == h) {
            double pct;
            int md = max_diff(img.data, ref, len, &pct);
            CHECK(md <= tol, "%s (bg %s, raw %d): max diff %d", name, hex, raw, md);
        } else {
            CHECK(0, "%s: bad reference", exp);
        }
        free(ref);
        ccpl_image_free(&img);
    }
    fclose(fp);
    CHECK(count >= 7, "only %d decode_opts cases", count);
    printf("decode_opts: %d files\n", count);
}

/* EXIF blocks written by hand: the Orientation read, or 1 when the block
 * is malformed anywhere (offsets past the end, cut entries, wrong types). */
static void test_exif_parser(void) {
    /* little-endian TIFF, IFD at 8, one entry: 0x0112 SHORT 1 value 6 */
    unsigned char le[26] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
    CHECK(ccpl__exif_orientation(le, sizeof le) == 6, "LE orientation");
    unsigned char be[26] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0};
    CHECK(ccpl__exif_orientation(be, sizeof be) == 8, "BE orientation");
    unsigned char app1[32] = {'E', 'x', 'i', 'f', 0, 0};
    memcpy(app1 + 6, le, sizeof le);
    CHECK(ccpl__exif_app1_orientation(app1, sizeof app1) == 6, "APP1");
    CHECK(ccpl__exif_app1_orientation(le, sizeof le) == 1, "APP1 without the Exif header");
    CHECK(ccpl__exif_orientation(le, 21) == 1, "entry cut off");
    CHECK(ccpl__exif_orientation(le, 7) == 1, "header cut off");
    unsigned char t[26];
    memcpy(t, le, sizeof t), t[4] = 200;
    CHECK(ccpl__exif_orientation(t, sizeof t) == 1, "IFD offset past the end");
    memcpy(t, le, sizeof t), t[4] = 0xff, t[5] = 0xff, t[6] = 0xff, t[7] = 0xff;
    CHECK(ccpl__exif_orientation(t, sizeof t) == 1, "IFD offset 2^32-1");
    memcpy(t, le, sizeof t), t[8] = 0xff, t[9] = 0xff;
    CHECK(ccpl__exif_orientation(t, sizeof t) == 6, "65535 entries claimed: the one inside is read");
    t[10] = 0x10; /* the first entry is another tag: the rest lie past the end */
    CHECK(ccpl__exif_orientation(t, sizeof t) == 1, "65535 entries in 26 bytes");
    memcpy(t, le, sizeof t), t[12] = 2;
    CHECK(ccpl__exif_orientation(t, sizeof t) == 1, "ASCII type");
    memcpy(t, le, sizeof t), t[18] = 9;
    CHECK(ccpl__exif_orientation(t, sizeof t) == 1, "value 9");
    memcpy(t, le, sizeof t), t[18] = 0;
    CHECK(ccpl__exif_orientation(t, sizeof t) == 1, "value 0");
    memcpy(t, le, sizeof t), t[2] = 43;
    CHECK(ccpl__exif_orientation(t, sizeof t) == 1, "not TIFF (43)");
    CHECK(ccpl__exif_orientation(NULL, 0) == 1, "NULL");
}

/* The red marker of the orientation pictures is in the top-left corner
 * once turned upright (checked on the raw pixels, independently of PIL). */
static void test_orientation_marker(void) {
    for (int o = 1; o <= 8; o++) {
        for (int k = 0; k < 2; k++) {
            char name[32];
            snprintf(name, sizeof name, "orient%d.%s", o, k ? "png" : "jpg");
            ccpl_image img = {0, 0, NULL};
            ccpl_error err;
            ccpl_status st = ccpl_image_load(tu_path(dir, name), &img, &err);
            CHECK(st == CCPL_OK, "%s: %s", name, err.message);
            if (st != CCPL_OK) continue;
            CHECK(img.width == 40 && img.height == 24, "%s: %dx%d, not upright 40x24", name,
                  img.width, img.height);
            const unsigned char *p = img.data + ((size_t)2 * img.width + 3) * 3;
            CHECK(p[0] > 200 && p[1] < 60 && p[2] < 60, "%s: marker not top-left (%d,%d,%d)",
                  name, p[0], p[1], p[2]);
            ccpl_image_free(&img);
        }
    }
}

static void test_decode(void) {
    FILE *fp = fopen(tu_path(dir, "decode.txt"), "r");
    CHECK(fp != NULL, "decode.txt missing");
    if (!fp) return;
    char name[256], exp[256];
    int w, h, tol, count = 0, exact = 0;
    while (fscanf(fp, "%255s %255s %d %d %d", name, exp, &w, &h, &tol) == 5) {
        count++;
        ccpl_image img = {0, 0, NULL};
        ccpl_error err;
        const char *path = tu_path(dir, name);
        ccpl_status st = ccpl_image_load(path, &img, &err);
        CHECK(st == CCPL_OK, "%s: %s", name, err.message);
        if (st != CCPL_OK) continue;
        CHECK(img.width == w && img.height == h, "%s: %dx%d, PIL %dx%d", name, img.width,
              img.height, w, h);
        size_t len = 0;
        unsigned char *ref = read_all(tu_path(dir, exp), &len);
        CHECK(ref && len == (size_t)w * h * 3, "%s: bad reference", exp);
        if (ref && len == (size_t)w * h * 3 && img.width == w && img.height == h) {
            double pct;
            int md = max_diff(img.data, ref, len, &pct);
            CHECK(md <= tol, "%s: max diff %d vs PIL (tolerance %d)", name, md, tol);
            exact += md == 0;
            if (md) printf("decode %-20s max diff %d, %.2f%% equal\n", name, md, pct);
        }
        free(ref);
        ccpl_image_free(&img);
    }
    fclose(fp);
    CHECK(count >= 20, "only %d decode cases", count);
    printf("decode: %d files, %d identical to PIL\n", count, exact);
}

static void test_broken(void) {
    FILE *fp = fopen(tu_path(dir, "broken.txt"), "r");
    CHECK(fp != NULL, "broken.txt missing");
    if (!fp) return;
    char name[256], status[64], sub[256];
    int count = 0;
    while (fscanf(fp, "%255s %63s %255s", name, status, sub) == 3) {
        count++;
        for (char *p = sub; *p; p++)
            if (*p == '_') *p = ' ';
        ccpl_status want = status_from_name(status);
        ccpl_image img = {7, 7, (unsigned char *)&count}; /* must be emptied */
        ccpl_error err;
        const char *path = tu_path(dir, name);
        ccpl_status st = ccpl_image_load(path, &img, &err);
        CHECK(st == want, "%s: status %s, want %s (%s)", name, ccpl_status_string(st),
              ccpl_status_string(want), err.message);
        CHECK(err.status == st, "%s: err.status %d", name, err.status);
        CHECK(strncmp(err.message, path, strlen(path)) == 0, "%s: message does not start with "
              "the path: %s", name, err.message);
        CHECK(strstr(err.message, sub) != NULL, "%s: message lacks '%s': %s", name, sub,
              err.message);
        CHECK(strchr(err.message, '\n') == NULL, "%s: message is not one line", name);
        CHECK(img.data == NULL && img.width == 0 && img.height == 0, "%s: image not emptied",
              name);
        printf("broken %-18s -> %s\n", name, err.message + strlen(dir) + 1);
    }
    fclose(fp);
    CHECK(count >= 15, "only %d broken cases", count);

    /* A folder is unreadable as an image. */
    ccpl_image img = {0, 0, NULL};
    ccpl_error err;
    CHECK(ccpl_image_load(dir, &img, &err) == CCPL_E_IO, "folder: %s", err.message);
    CHECK(strstr(err.message, dir) && strstr(err.message, "Is a directory"), "folder: %s",
          err.message);
    CHECK(ccpl_image_load("", &img, &err) == CCPL_E_INVALID_ARGUMENT, "empty path");
    CHECK(ccpl_image_load(NULL, &img, &err) == CCPL_E_INVALID_ARGUMENT, "NULL path");
    CHECK(ccpl_image_load(dir, NULL, &err) == CCPL_E_INVALID_ARGUMENT, "NULL out");
    /* err may be NULL. */
    CHECK(ccpl_image_load(tu_path(dir, "missing.png"), &img, NULL) == CCPL_E_IO, "NULL err");
}

/* ---------------------------------------------------------------- resize */

static void test_resize(void) {
    FILE *fp = fopen(tu_path(dir, "resize.txt"), "r");
    CHECK(fp != NULL, "resize.txt missing");
    if (!fp) return;
    char src[256], exp[256];
    int size, crop, w, h, count = 0;
    while (fscanf(fp, "%255s %d %d %d %d %255s", src, &size, &crop, &w, &h, exp) == 6) {
        count++;
        ccpl_image in = {0, 0, NULL}, out = {0, 0, NULL};
        ccpl_error err;
        CHECK(ccpl_image_load(tu_path(dir, src), &in, &err) == CCPL_OK, "%s", err.message);
        ccpl_status st = ccpl_image_resize_shorter(&in, size, crop, &out, &err);
        CHECK(st == CCPL_OK, "%s size %d crop %d: %s", src, size, crop, err.message);
        size_t len = 0;
        unsigned char *ref = read_all(tu_path(dir, exp), &len);
        CHECK(ref && len == (size_t)w * h * 3, "%s: bad reference", exp);
        CHECK(out.width == w && out.height == h, "%s size %d crop %d: %dx%d, want %dx%d", src,
              size, crop, out.width, out.height, w, h);
        if (st == CCPL_OK && ref && out.width == w && out.height == h &&
            len == (size_t)w * h * 3) {
            double pct;
            int md = max_diff(out.data, ref, len, &pct);
            printf("resize %-15s size %3d crop %d -> %3dx%-3d  max diff %d, %7.3f%% equal\n",
                   src, size, crop, w, h, md, pct);
            CHECK(md <= 1 && pct >= 99.9, "%s size %d crop %d: max diff %d, %.3f%% equal", src,
                  size, crop, md, pct);
        }
        free(ref);
        ccpl_image_free(&in);
        ccpl_image_free(&out);
    }
    fclose(fp);
    CHECK(count >= 20, "only %d resize cases", count);

    /* Arguments; in place. */
    ccpl_image in = {0, 0, NULL}, out = {0, 0, NULL};
    ccpl_error err;
    CHECK(ccpl_image_load(tu_path(dir, "rs_50x30.png"), &in, &err) == CCPL_OK, "%s",
          err.message);
    CHECK(ccpl_image_resize_shorter(&in, -1, 0, &out, &err) == CCPL_E_INVALID_ARGUMENT,
          "size -1");
    CHECK(ccpl_image_resize_shorter(&in, 0, 1, &out, &err) == CCPL_E_INVALID_ARGUMENT,
          "size 0 with crop");
    CHECK(out.data == NULL, "failed resize left data");
    CHECK(ccpl_image_resize_shorter(NULL, 10, 0, &out, &err) == CCPL_E_INVALID_ARGUMENT,
          "NULL in");
    CHECK(ccpl_image_resize_shorter(&in, 70000, 0, &out, &err) == CCPL_E_TOO_LARGE,
          "size 70000: %s", err.message);
    size_t len = 0;
    unsigned char *ref = read_all(tu_path(dir, "rs_50x30_s73_c1.rgb"), &len);
    CHECK(ccpl_image_resize_shorter(&in, 73, 1, &in, &err) == CCPL_OK, "in place: %s",
          err.message);
    CHECK(in.width == 73 && in.height == 73 && ref && len == 73 * 73 * 3 &&
              in.data && memcmp(in.data, ref, len) == 0,
          "in-place resize differs");
    free(ref);
    ccpl_image_free(&in);
}

/* ---------------------------------------------------------------- save */

static int count_temp_files(const char *folder) {
    DIR *d = opendir(folder);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp-")) n++;
    closedir(d);
    return n;
}

static void test_save(void) {
    ccpl_image img = {0, 0, NULL}, back = {0, 0, NULL};
    ccpl_error err;
    CHECK(ccpl_image_load(tu_path(dir, "save_src.png"), &img, &err) == CCPL_OK, "%s",
          err.message);
    size_t n = (size_t)img.width * img.height * 3;

    /* PNG round trip: exact; the extension in any case. */
    const char *names_png[] = {"out.png", "OUT2.PNG", "mixed.Png"};
    for (int i = 0; i < 3; i++) {
        const char *p = tu_path(outdir, names_png[i]);
        CHECK(ccpl_image_save(p, &img, 0, &err) == CCPL_OK, "%s", err.message);
        CHECK(ccpl_image_load(p, &back, &err) == CCPL_OK, "%s", err.message);
        CHECK(back.data && img.data && back.width == img.width && back.height == img.height &&
                  memcmp(back.data, img.data, n) == 0,
              "%s: PNG round trip differs", names_png[i]);
        ccpl_image_free(&back);
    }
    /* A new file gets the usual permissions (0666 less the umask). */
    mode_t mask = umask(022);
    umask(mask);
    struct stat st;
    CHECK(stat(tu_path(outdir, "out.png"), &st) == 0 && (st.st_mode & 0777) == (0666 & ~mask),
          "out.png mode %o, want %o", (unsigned)(st.st_mode & 0777), (unsigned)(0666 & ~mask));

    /* JPEG: same encoder settings as PIL's quality 90, so PIL's decode of its
     * own JPEG is the reference. */
    size_t len = 0;
    unsigned char *ref = read_all(tu_path(dir, "save_q90.rgb"), &len);
    const char *names_jpg[] = {"out.jpg", "out.JPEG", "out.jpeg"};
    for (int i = 0; i < 3; i++) {
        const char *p = tu_path(outdir, names_jpg[i]);
        CHECK(ccpl_image_save(p, &img, 90, &err) == CCPL_OK, "%s", err.message);
        CHECK(ccpl_image_load(p, &back, &err) == CCPL_OK, "%s", err.message);
        if (back.data && ref && len == n) {
            double pct;
            int md_pil = max_diff(back.data, ref, n, &pct);
            if (i == 0)
                printf("save jpeg q90: vs PIL's own q90 JPEG max diff %d (%.2f%% equal)\n",
                       md_pil, pct);
            CHECK(md_pil <= 1, "%s: max diff %d vs PIL's JPEG", names_jpg[i], md_pil);
        }
        ccpl_image_free(&back);
    }
    free(ref);
    /* A smooth picture survives quality 95 closely. */
    ccpl_image smooth = {0, 0, NULL};
    CHECK(ccpl_image_alloc(&smooth, 64, 48, &err) == CCPL_OK, "%s", err.message);
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 64; x++) {
            unsigned char *px = smooth.data + ((size_t)y * 64 + x) * 3;
            px[0] = (unsigned char)(x * 4);
            px[1] = (unsigned char)(y * 5);
            px[2] = (unsigned char)(128 + (x - y));
        }
    const char *sp = tu_path(outdir, "smooth.jpg");
    CHECK(ccpl_image_save(sp, &smooth, 95, &err) == CCPL_OK, "%s", err.message);
    CHECK(ccpl_image_load(sp, &back, &err) == CCPL_OK, "%s", err.message);
    if (back.data && back.width == 64 && back.height == 48) {
        double mad = 0;
        size_t ns = 64 * 48 * 3;
        for (size_t k = 0; k < ns; k++) mad += abs((int)back.data[k] - (int)smooth.data[k]);
        mad /= (double)ns;
        int md = max_diff(back.data, smooth.data, ns, NULL);
        printf("save jpeg q95 smooth round trip: max diff %d, mean abs diff %.3f\n", md, mad);
        CHECK(md <= 8 && mad < 1.5, "smooth q95: max diff %d, mean abs diff %.3f", md, mad);
    }
    ccpl_image_free(&back);
    ccpl_image_free(&smooth);
    /* Quality changes the file. */
    const char *q10 = tu_path(outdir, "q10.jpg");
    CHECK(ccpl_image_save(q10, &img, 10, &err) == CCPL_OK, "%s", err.message);
    CHECK(ccpl_image_save(tu_path(outdir, "q100.jpg"), &img, 100, &err) == CCPL_OK, "%s",
          err.message);
    struct stat s10, s100;
    CHECK(stat(q10, &s10) == 0 && stat(tu_path(outdir, "q100.jpg"), &s100) == 0 &&
              s10.st_size < s100.st_size,
          "quality 10 not smaller than 100");

    /* Failures leave no file. */
    struct {
        const char *name;
        int quality;
        ccpl_status want;
    } bad[] = {{"bad.bmp", 90, CCPL_E_INVALID_ARGUMENT},
               {"noext", 90, CCPL_E_INVALID_ARGUMENT},
               {"dot.png.txt", 90, CCPL_E_INVALID_ARGUMENT},
               {"q0.jpg", 0, CCPL_E_INVALID_ARGUMENT},
               {"q101.jpg", 101, CCPL_E_INVALID_ARGUMENT},
               {"no/such/folder/x.png", 90, CCPL_E_IO},
               {"no/such/folder/x.jpg", 90, CCPL_E_IO}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = tu_path(outdir, bad[i].name);
        ccpl_status s = ccpl_image_save(p, &img, bad[i].quality, &err);
        CHECK(s == bad[i].want, "%s: %s (%s)", bad[i].name, ccpl_status_string(s), err.message);
        CHECK(strstr(err.message, p) == err.message, "%s: message lacks the path: %s",
              bad[i].name, err.message);
        CHECK(!file_exists(p), "%s: a file was left", bad[i].name);
        printf("save %-22s -> %s\n", bad[i].name, err.message + strlen(outdir) + 1);
    }
    CHECK(ccpl_image_save(tu_path(outdir, "x.png"), NULL, 0, &err) == CCPL_E_INVALID_ARGUMENT,
          "NULL image");
    ccpl_image empty = {0, 0, NULL};
    CHECK(ccpl_image_save(tu_path(outdir, "x.png"), &empty, 0, &err) ==
              CCPL_E_INVALID_ARGUMENT,
          "empty image");
    CHECK(!file_exists(tu_path(outdir, "x.png")), "x.png left");

    /* An existing file survives a failed save intact. */
    static const char keep_text[] = "precious contents\n";
    const char *keep = tu_path(outdir, "keep.jpg");
    CHECK(write_all(keep, keep_text, sizeof keep_text - 1), "cannot write keep.jpg");
    CHECK(ccpl_image_save(keep, &img, 0, &err) == CCPL_E_INVALID_ARGUMENT, "q0 over keep");
    unsigned char *kb = read_all(keep, &len);
    CHECK(kb && len == sizeof keep_text - 1 && memcmp(kb, keep_text, len) == 0,
          "keep.jpg was changed by a failed save");
    free(kb);
    /* ... and is replaced by a successful one. */
    CHECK(ccpl_image_save(keep, &img, 95, &err) == CCPL_OK, "%s", err.message);
    CHECK(ccpl_image_load(keep, &back, &err) == CCPL_OK, "replaced keep.jpg: %s", err.message);
    ccpl_image_free(&back);

    /* Commit failure: the target is a folder, rename fails (even as root). */
    const char *adir = tu_path(outdir, "adir.png");
    mkdir(adir, 0755);
    ccpl_status s = ccpl_image_save(adir, &img, 0, &err);
    CHECK(s == CCPL_E_IO && strstr(err.message, adir) == err.message, "save onto a folder: %s",
          err.message);
    printf("save onto a folder -> %s\n", err.message + strlen(outdir) + 1);
    CHECK(stat(adir, &st) == 0 && S_ISDIR(st.st_mode), "folder replaced");

    /* A "folder" that is a file: unwritable even for root. */
    char notdir[2100];
    snprintf(notdir, sizeof notdir, "%s/keep.jpg/x.png", outdir);
    s = ccpl_image_save(notdir, &img, 0, &err);
    CHECK(s == CCPL_E_IO && strstr(err.message, notdir) == err.message &&
              strstr(err.message, "Not a directory"),
          "folder is a file: %s", err.message);

    /* An unwritable folder (permissions do not bind root). */
    char ro[3000];
    snprintf(ro, sizeof ro, "%s/readonly", outdir);
    mkdir(ro, 0755);
    chmod(ro, 0555);
    const char *rop = tu_path(ro, "x.png");
    if (geteuid() != 0) {
        s = ccpl_image_save(rop, &img, 0, &err);
        CHECK(s == CCPL_E_IO && strstr(err.message, rop) == err.message &&
                  strstr(err.message, "Permission denied"),
              "read-only folder: %s", err.message);
        CHECK(!file_exists(rop), "file left in read-only folder");
    } else {
        SKIP("read-only folder check: running as root");
    }
    chmod(ro, 0755);

    /* atomic_file directly: abort keeps the old file; abort twice is safe. */
    ccpl__atomic_file af;
    CHECK(ccpl__atomic_open(&af, keep, &err) == CCPL_OK, "%s", err.message);
    CHECK(af.fp && af.temp_path && strstr(af.temp_path, "/.keep.jpg.tmp-"), "temp name %s",
          af.temp_path ? af.temp_path : "(null)");
    fputs("junk", af.fp);
    ccpl__atomic_abort(&af);
    ccpl__atomic_abort(&af);
    CHECK(ccpl_image_load(keep, &back, &err) == CCPL_OK, "keep.jpg after abort: %s",
          err.message);
    ccpl_image_free(&back);
    CHECK(ccpl__atomic_open(&af, tu_path(outdir, "atomic.txt"), &err) == CCPL_OK, "%s",
          err.message);
    fputs("hello", af.fp);
    CHECK(ccpl__atomic_commit(&af, &err) == CCPL_OK, "%s", err.message);
    unsigned char *ab = read_all(tu_path(outdir, "atomic.txt"), &len);
    CHECK(ab && len == 5 && memcmp(ab, "hello", 5) == 0, "atomic commit content");
    free(ab);
    ccpl__atomic_abort(&af); /* after commit: a no-op */
    CHECK(ccpl__atomic_open(&af, tu_path(outdir, "no/such/x"), &err) == CCPL_E_IO &&
              strstr(err.message, "No such file or directory"),
          "atomic open in missing folder: %s", err.message);

    CHECK(count_temp_files(outdir) == 0, "%d temporary files left behind",
          count_temp_files(outdir));
    ccpl_image_free(&img);
}

/* ---------------------------------------------------------------- floats */

static void test_float_conversions(void) {
    /* ToTensor against torch. */
    size_t len = 0;
    float *tt = (float *)read_all(tu_path(dir, "to_tensor.f32"), &len);
    CHECK(tt && len == 256 * sizeof(float), "to_tensor.f32");
    ccpl_image img = {0, 0, NULL};
    ccpl_error err;
    CHECK(ccpl_image_alloc(&img, 256, 1, &err) == CCPL_OK, "%s", err.message);
    for (int i = 0; i < 256; i++) img.data[3 * i] = img.data[3 * i + 1] = img.data[3 * i + 2] =
        (unsigned char)i;
    float chw[3 * 256];
    ccpl__image_to_chw(&img, chw);
    int bad = 0;
    for (int i = 0; i < 256 && tt && len == 256 * sizeof(float); i++)
        for (int c = 0; c < 3; c++)
            bad += memcmp(&chw[c * 256 + i], &tt[i], sizeof(float)) != 0;
    CHECK(bad == 0, "%d of 768 floats differ from ToTensor", bad);
    CHECK(chw[0] == 0.0f && chw[255] == 1.0f, "to_chw ends: %g %g", chw[0], chw[255]);
    free(tt);
    /* Round trip of every byte value. */
    ccpl_image back = {0, 0, NULL};
    CHECK(ccpl_image_alloc(&back, 256, 1, &err) == CCPL_OK, "%s", err.message);
    ccpl__chw_to_image(chw, 1, 256, &back);
    CHECK(back.data && img.data && memcmp(back.data, img.data, 256 * 3) == 0,
          "to_chw -> chw_to_image not identity");
    ccpl_image_free(&back);
    ccpl_image_free(&img);

    /* save_image's quantisation against torch, edge values included. */
    float *in = (float *)read_all(tu_path(dir, "chw_in.f32"), &len);
    size_t nf = len / sizeof(float), m = nf / 3, n8 = 0;
    unsigned char *want = read_all(tu_path(dir, "chw_out.u8"), &n8);
    CHECK(in && want && nf % 3 == 0 && n8 == nf, "chw fixtures");
    if (in && want && n8 == nf && m > 0) {
        CHECK(ccpl_image_alloc(&img, (int)m, 1, &err) == CCPL_OK, "%s", err.message);
        ccpl__chw_to_image(in, 1, (int)m, &img);
        int nbad = 0;
        for (size_t i = 0; i < m; i++)
            for (int c = 0; c < 3; c++) {
                unsigned char got = img.data[3 * i + c], w = want[c * m + i];
                if (got != w && nbad++ < 5)
                    fprintf(stderr, "  x=%.9g: got %d, torch %d\n", (double)in[c * m + i], got,
                            w);
            }
        CHECK(nbad == 0, "%d of %zu quantised values differ from torch", nbad, nf);
        printf("chw_to_image: %zu values, %d differ from torch\n", nf, nbad);
        ccpl_image_free(&img);
    }
    free(in);
    free(want);

    /* Named edge cases, and the top-left window of a larger tensor. */
    const float nanv = NAN, inf = INFINITY;
    float t[3][2][3] = {{{0.0f, 1.0f, 0.5f / 255}, {-0.25f, 1.5f, nanv}},
                        {{inf, -inf, 1.5f / 255}, {0.9f, 0.1f, 0.2f}},
                        {{254.5f / 255, 0.5f, 2.0f / 255}, {0.3f, 0.4f, 0.5f}}};
    CHECK(ccpl_image_alloc(&img, 2, 2, &err) == CCPL_OK, "%s", err.message);
    ccpl__chw_to_image(&t[0][0][0], 2, 3, &img);
    /* R row 0: 0 -> 0, 1 -> 255; row 1: -0.25 -> 0, 1.5 -> 255. */
    CHECK(img.data[0] == 0 && img.data[3] == 255 && img.data[6] == 0 && img.data[9] == 255,
          "R: %d %d %d %d", img.data[0], img.data[3], img.data[6], img.data[9]);
    /* G: inf -> 255, -inf -> 0, 0.9 -> 230, 0.1 -> 26. */
    CHECK(img.data[1] == 255 && img.data[4] == 0 && img.data[7] == 230 && img.data[10] == 26,
          "G: %d %d %d %d", img.data[1], img.data[4], img.data[7], img.data[10]);
    /* B: 254.5/255 -> 255 (x*255 rounds to 254.5, +0.5 = 255), 0.5 -> 128. */
    CHECK(img.data[2] == 255 && img.data[5] == 128, "B: %d %d", img.data[2], img.data[5]);
    ccpl_image_free(&img);
    CHECK(ccpl_image_alloc(&img, 3, 2, &err) == CCPL_OK, "%s", err.message);
    ccpl__chw_to_image(&t[0][0][0], 2, 3, &img);
    CHECK(img.data[3 * 5] == 0, "NaN -> %d, want 0", img.data[3 * 5]);
    CHECK(img.data[3 * 2] == 1, "0.5/255 -> %d (torch: 1)", img.data[3 * 2]);
    ccpl_image_free(&img);
}

static void test_alloc(void) {
    ccpl_image img = {0, 0, NULL};
    ccpl_error err;
    CHECK(ccpl_image_alloc(&img, 0, 5, &err) == CCPL_E_INVALID_ARGUMENT, "0x5");
    CHECK(ccpl_image_alloc(&img, 5, -1, &err) == CCPL_E_INVALID_ARGUMENT, "5x-1");
    CHECK(ccpl_image_alloc(&img, 70000, 1, &err) == CCPL_E_TOO_LARGE, "70000x1");
    CHECK(ccpl_image_alloc(&img, 20000, 20000, &err) == CCPL_E_TOO_LARGE, "20000^2");
    CHECK(img.data == NULL, "failed alloc left data");
    CHECK(ccpl_image_alloc(&img, 3, 2, &err) == CCPL_OK && img.data && img.width == 3 &&
              img.height == 2 && err.status == CCPL_OK,
          "3x2");
    ccpl_image_free(&img);
    ccpl_image_free(&img);
    ccpl_image_free(NULL);
    CHECK(img.data == NULL && img.width == 0, "free");
}

/* max_pixels of ccpl_image_load_ex / ccpl_image_resize_shorter_ex, and
 * ccpl_image_save_ex's no_replace. */
static void test_limits(void) {
    ccpl_image img = {0, 0, NULL}, out = {0, 0, NULL};
    ccpl_error err;
    ccpl_image_load_params lp = ccpl_default_image_load_params();
    CHECK(lp.max_pixels == 0, "default max_pixels %lld", lp.max_pixels);
    ccpl_image_save_params sp = ccpl_default_image_save_params();
    CHECK(sp.jpeg_quality == 95 && sp.no_replace == 0, "default save params");

    /* The limit is inclusive and applies to PNG and JPEG before decoding;
     * the refused size comes back in out. */
    const char *names[2] = {"save_src.png", "base.jpg"};
    for (int i = 0; i < 2; i++) {
        const char *path = tu_path(dir, names[i]);
        ccpl_image ref = {0, 0, NULL};
        CHECK(ccpl_image_load(path, &ref, &err) == CCPL_OK, "%s", err.message);
        long long px = (long long)ref.width * ref.height;
        lp.max_pixels = px;
        CHECK(ccpl_image_load_ex(path, &lp, &img, &err) == CCPL_OK && img.width == ref.width,
              "%s at its exact size: %s", names[i], err.message);
        ccpl_image_free(&img);
        lp.max_pixels = px - 1;
        CHECK(ccpl_image_load_ex(path, &lp, &img, &err) == CCPL_E_TOO_LARGE &&
                  err.status == CCPL_E_TOO_LARGE,
              "%s one pixel over", names[i]);
        CHECK(img.data == NULL && img.width == ref.width && img.height == ref.height,
              "%s: refused size %dx%d", names[i], img.width, img.height);
        CHECK(strstr(err.message, names[i]) && strstr(err.message, "exceeds the limit of"),
              "message: %s", err.message);
        ccpl_image_free(&img);
        /* the limit was for that call only */
        CHECK(ccpl_image_load(path, &img, &err) == CCPL_OK, "plain load after a refusal: %s",
              err.message);
        ccpl_image_free(&img);
        ccpl_image_free(&ref);
    }
    /* The ceiling applies whatever max_pixels says; the size is still told. */
    lp.max_pixels = 1LL << 40;
    CHECK(ccpl_image_load_ex(tu_path(dir, "huge_pixels.png"), &lp, &img, &err) ==
                  CCPL_E_TOO_LARGE &&
              img.width == 20000 && img.height == 20000 && !img.data,
          "huge_pixels.png above the ceiling: %dx%d %s", img.width, img.height, err.message);
    CHECK(ccpl_image_load_ex(tu_path(dir, "huge_side.png"), NULL, &img, &err) ==
                  CCPL_E_TOO_LARGE && img.width == 70000 && img.height == 1,
          "huge_side.png: %dx%d", img.width, img.height);
    ccpl_image_free(&img);
    /* Other failures leave out empty. */
    lp.max_pixels = 10;
    CHECK(ccpl_image_load_ex(tu_path(dir, "notimage.png"), &lp, &img, &err) == CCPL_E_FORMAT &&
              img.width == 0 && img.height == 0 && !img.data,
          "not an image under a limit");
    lp.max_pixels = -1;
    CHECK(ccpl_image_load_ex(tu_path(dir, "save_src.png"), &lp, &img, &err) ==
              CCPL_E_INVALID_ARGUMENT,
          "negative max_pixels");

    /* Resize: the result (and the size-0 copy) is held to the limit. */
    ccpl_image in = {0, 0, NULL};
    CHECK(ccpl_image_load(tu_path(dir, "save_src.png"), &in, &err) == CCPL_OK, "%s", err.message);
    long long px = (long long)in.width * in.height;
    CHECK(ccpl_image_resize_shorter_ex(&in, 0, 0, px, &out, &err) == CCPL_OK &&
              out.width == in.width,
          "copy at the limit: %s", err.message);
    ccpl_image_free(&out);
    CHECK(ccpl_image_resize_shorter_ex(&in, 0, 0, px - 1, &out, &err) == CCPL_E_TOO_LARGE &&
              !out.data && out.width == 0,
          "copy over the limit");
    int shorter = in.width < in.height ? in.width : in.height;
    CHECK(ccpl_image_resize_shorter_ex(&in, 4 * shorter, 0, px, &out, &err) == CCPL_E_TOO_LARGE &&
              !out.data,
          "upscale over the limit");
    CHECK(ccpl_image_resize_shorter_ex(&in, 4 * shorter, 1, px, &out, &err) == CCPL_E_TOO_LARGE &&
              !out.data,
          "upscale + crop: the intermediate counts");
    CHECK(ccpl_image_resize_shorter_ex(&in, shorter / 2, 1, px, &out, &err) == CCPL_OK &&
              out.width == shorter / 2 && out.height == shorter / 2,
          "downscale + crop under the limit: %s", err.message);
    ccpl_image_free(&out);
    CHECK(ccpl_image_resize_shorter_ex(&in, 0, 0, -1, &out, &err) == CCPL_E_INVALID_ARGUMENT,
          "negative max_pixels");

    /* no_replace: an existing file is kept byte for byte, nothing is left
     * behind; a new one is written. */
    const char *keep = tu_path(outdir, "keep.png");
    CHECK(write_all(keep, "precious", 8), "write %s", keep);
    sp.no_replace = 1;
    CHECK(ccpl_image_save_ex(keep, &in, &sp, &err) == CCPL_E_IO &&
              strstr(err.message, "keep.png: exists"),
          "no_replace over an existing file: %s", err.message);
    size_t len = 0;
    unsigned char *data = read_all(keep, &len);
    CHECK(data && len == 8 && memcmp(data, "precious", 8) == 0, "existing file changed");
    free(data);
    CHECK(count_temp_files(outdir) == 0, "temporary file left");
    const char *fresh = tu_path(outdir, "fresh.jpg");
    sp.jpeg_quality = 80;
    CHECK(ccpl_image_save_ex(fresh, &in, &sp, &err) == CCPL_OK && err.status == CCPL_OK,
          "no_replace, new file: %s", err.message);
    CHECK(ccpl_image_load(fresh, &out, &err) == CCPL_OK && out.width == in.width,
          "read back: %s", err.message);
    ccpl_image_free(&out);
    sp.jpeg_quality = 0;
    CHECK(ccpl_image_save_ex(tu_path(outdir, "q0.jpg"), &in, &sp, &err) ==
              CCPL_E_INVALID_ARGUMENT,
          "quality 0 through params");
    CHECK(ccpl_image_save_ex(keep, &in, NULL, &err) == CCPL_OK, "NULL params replace: %s",
          err.message);
    CHECK(ccpl_image_load(keep, &out, &err) == CCPL_OK && out.width == in.width,
          "replaced file reads back: %s", err.message);
    ccpl_image_free(&out);
    ccpl_image_free(&in);
}

/* Removes the scratch folder (files and one level of folders). */
static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char child[4400];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(child);
            else
                unlink(child);
        }
        closedir(d);
    }
    rmdir(path);
}

int main(void) {
    const char *fx = tu_env("CCPL_FIXTURES");
    static char d[2048];
    snprintf(d, sizeof d, "%s/image", fx);
    dir = d;
    snprintf(outdir, sizeof outdir, "%s/image_out_%ld", fx, (long)getpid());
    if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "FAIL: cannot create %s\n", outdir);
        return 1;
    }
    test_alloc();
    test_decode();
    test_decode_opts();
    test_orientation_marker();
    test_exif_parser();
    test_broken();
    test_resize();
    test_save();
    test_limits();
    test_float_conversions();
    remove_tree(outdir);
    return tu_finish();
}
