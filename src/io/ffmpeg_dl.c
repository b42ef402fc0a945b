/* ffmpeg_dl.c — loading FFmpeg's libraries on first use (ffmpeg_dl.h says
 * why). */
#define CCPL__FFMPEG_DL_IMPL
#include "io/ffmpeg_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"

ccpl__ffmpeg ccpl__ff;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static ccpl_status load_status;
static char load_message[200];

/* dlopen of "libNAME.so.MAJOR", the library the build was compiled against. */
static void *open_lib(const char *name, int major) {
    char so[64];
    snprintf(so, sizeof so, "lib%s.so.%d", name, major);
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_message, sizeof load_message, "%s", why ? why : so);
        load_status = CCPL_E_IO;
    }
    return h;
}

/* Loads one symbol into its field (the field's type is the function's). */
#define CCPL__FF_SYM(name)                                                                       \
    if (load_status == CCPL_OK) {                                                               \
        void *p = dlsym(h, #name);                                                              \
        if (!p) {                                                                               \
            snprintf(load_message, sizeof load_message, "%s lacks %s", lib, #name);             \
            load_status = CCPL_E_IO;                                                            \
        } else {                                                                                \
            memcpy(&ccpl__ff.name, &p, sizeof p); /* object pointer -> function pointer (POSIX) */ \
        }                                                                                       \
    }

static void load_all(void) {
    void *h;
    const char *lib;
    load_status = CCPL_OK;
    lib = "libavutil";
    if ((h = open_lib("avutil", LIBAVUTIL_VERSION_MAJOR))) {
        CCPL__FF_AVUTIL(CCPL__FF_SYM)
    }
    lib = "libswscale";
    if (load_status == CCPL_OK && (h = open_lib("swscale", LIBSWSCALE_VERSION_MAJOR))) {
        CCPL__FF_SWSCALE(CCPL__FF_SYM)
    }
    lib = "libavcodec";
    if (load_status == CCPL_OK && (h = open_lib("avcodec", LIBAVCODEC_VERSION_MAJOR))) {
        CCPL__FF_AVCODEC(CCPL__FF_SYM)
    }
    lib = "libavformat";
    if (load_status == CCPL_OK && (h = open_lib("avformat", LIBAVFORMAT_VERSION_MAJOR))) {
        CCPL__FF_AVFORMAT(CCPL__FF_SYM)
    }
    lib = "libavfilter";
    if (load_status == CCPL_OK && (h = open_lib("avfilter", LIBAVFILTER_VERSION_MAJOR))) {
        CCPL__FF_AVFILTER(CCPL__FF_SYM)
    }
    /* the libraries stay loaded for the life of the process */
}

ccpl_status ccpl__ffmpeg_load(const char *what, ccpl_error *err) {
    pthread_once(&once, load_all);
    if (load_status == CCPL_OK) return CCPL_OK;
    return ccpl__fail(err, load_status, "%s%scannot load FFmpeg's libraries for video: %s", what ? what : "",
                      what ? ": " : "", load_message);
}
