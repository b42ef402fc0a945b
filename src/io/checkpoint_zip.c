/* checkpoint_zip.c — torch.save >= 1.6: a zip archive with PREFIX/data.pkl
 * and one little-endian file per storage, PREFIX/data/<key> (spec §6).
 * Entries may be stored or deflated; only the bytes the wanted tensors read
 * are decompressed. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "core/alloc.h"

#include "io/checkpoint_internal.h"

/* Largest data.pkl accepted (a state_dict pickle is ~100 bytes per tensor). */
#define MAX_PICKLE_BYTES ((zip_uint64_t)1 << 30)
/* Deflate cannot expand data by more than ~1032x: larger claims are corrupt. */
#define MAX_DEFLATE_RATIO 1040

typedef struct zip_reader {
    ccpl__ck_ctx *c;
    zip_t *za;
    char *prefix; /* "archive/" (may be "") */
} zip_reader;

static ccpl_status zfail(ccpl__ck_ctx *c, const char *what, const char *entry, const char *why) {
    char pe[120];
    ccpl__pkl_printable(pe, sizeof pe, entry, strlen(entry));
    return ccpl__ck_fail(c, CCPL_E_FORMAT, "%s zip entry %s (%s)", what, pe, why);
}

/* Stat of an entry with a sanity check of its claimed size. */
static ccpl_status entry_stat(zip_reader *z, zip_int64_t idx, const char *entry, zip_stat_t *sb) {
    zip_stat_init(sb);
    if (zip_stat_index(z->za, (zip_uint64_t)idx, 0, sb) != 0 || !(sb->valid & ZIP_STAT_SIZE) ||
        !(sb->valid & ZIP_STAT_COMP_SIZE) || !(sb->valid & ZIP_STAT_COMP_METHOD))
        return zfail(z->c, "corrupt", entry, zip_strerror(z->za));
    if (sb->comp_method == ZIP_CM_STORE) {
        if (sb->size != sb->comp_size) return zfail(z->c, "corrupt", entry, "sizes disagree");
    } else if (sb->comp_method == ZIP_CM_DEFLATE) {
        if (sb->size / MAX_DEFLATE_RATIO > sb->comp_size)
            return zfail(z->c, "corrupt", entry, "implausible uncompressed size");
    } else {
        return zfail(z->c, "unsupported", entry, "compression other than stored or deflate");
    }
    if (sb->encryption_method != ZIP_EM_NONE && (sb->valid & ZIP_STAT_ENCRYPTION_METHOD))
        return zfail(z->c, "unsupported", entry, "encrypted");
    return CCPL_OK;
}

/* Reads the first n bytes of entry idx into a new block. */
static ccpl_status entry_read(zip_reader *z, zip_int64_t idx, const char *entry, zip_uint64_t n,
                              unsigned char **out) {
    *out = NULL;
    if (n > SIZE_MAX - 1) return ccpl__ck_fail(z->c, CCPL_E_NOMEM, "out of memory");
    unsigned char *buf = (unsigned char *)malloc(n ? (size_t)n : 1);
    if (!buf) {
        char pe[120];
        ccpl__pkl_printable(pe, sizeof pe, entry, strlen(entry));
        return ccpl__ck_fail(z->c, CCPL_E_NOMEM, "out of memory reading %s (%" PRIu64 " bytes)", pe,
                             (uint64_t)n);
    }
    zip_file_t *zf = zip_fopen_index(z->za, (zip_uint64_t)idx, 0);
    if (!zf) {
        free(buf);
        return zfail(z->c, "cannot open", entry, zip_strerror(z->za));
    }
    zip_uint64_t got = 0;
    while (got < n) {
        zip_int64_t r = zip_fread(zf, buf + got, n - got);
        if (r < 0) {
            ccpl_status st = zfail(z->c, "corrupt", entry, zip_file_strerror(zf));
            zip_fclose(zf);
            free(buf);
            return st;
        }
        if (r == 0) break;
        got += (zip_uint64_t)r;
    }
    zip_fclose(zf);
    if (got < n) {
        free(buf);
        char pe[120];
        ccpl__pkl_printable(pe, sizeof pe, entry, strlen(entry));
        return ccpl__ck_fail(z->c, CCPL_E_FORMAT, "truncated: zip entry %s needs %" PRIu64 " bytes, has %" PRIu64,
                             pe, (uint64_t)n, (uint64_t)got);
    }
    *out = buf;
    return CCPL_OK;
}

static char *join(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    char *s = (char *)malloc(na + nb + 1);
    if (!s) return NULL;
    memcpy(s, a, na);
    memcpy(s + na, b, nb + 1);
    return s;
}

/* Finds PREFIX/data.pkl (or a bare data.pkl) and remembers PREFIX. */
static ccpl_status find_pickle(zip_reader *z, zip_int64_t *idx) {
    zip_int64_t n = zip_get_num_entries(z->za, 0);
    static const char suffix[] = "data.pkl";
    const size_t ns = sizeof suffix - 1;
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (!name) continue;
        size_t len = strlen(name);
        if (len < ns || strcmp(name + len - ns, suffix) != 0) continue;
        if (len > ns && name[len - ns - 1] != '/') continue;
        z->prefix = (char *)malloc(len - ns + 1);
        if (!z->prefix) return ccpl__ck_fail(z->c, CCPL_E_NOMEM, "out of memory");
        memcpy(z->prefix, name, len - ns);
        z->prefix[len - ns] = '\0';
        *idx = i;
        return CCPL_OK;
    }
    return ccpl__ck_fail(z->c, CCPL_E_FORMAT,
                         "zip archive has no data.pkl entry (not a PyTorch checkpoint)");
}

/* Newer torch writes PREFIX/byteorder ("little" or "big"). */
static ccpl_status check_byteorder(zip_reader *z) {
    char *name = join(z->prefix, "byteorder");
    if (!name) return ccpl__ck_fail(z->c, CCPL_E_NOMEM, "out of memory");
    zip_int64_t idx = zip_name_locate(z->za, name, ZIP_FL_ENC_RAW);
    ccpl_status st = CCPL_OK;
    if (idx >= 0) {
        zip_stat_t sb;
        unsigned char *b = NULL;
        if (!(st = entry_stat(z, idx, name, &sb))) {
            if (sb.size > 16)
                st = zfail(z->c, "unsupported", name, "unknown byte order");
            else if (!(st = entry_read(z, idx, name, sb.size, &b)) &&
                     !(sb.size == 6 && memcmp(b, "little", 6) == 0))
                st = ccpl__ck_fail(z->c, CCPL_E_FORMAT,
                                   "checkpoint is not little-endian (byteorder record); not supported");
        }
        free(b);
    }
    free(name);
    return st;
}

/* Bytes read per call when a storage is converted as it is read: the raw
 * chunk and the floats it gives stay in the processor's caches. */
#define STREAM_CHUNK ((size_t)128 << 10)

/* The one wanted tensor that views storage s, when it can be converted to
 * float straight from the archive (no copy of the raw bytes): a float
 * type the chunked conversion handles, elements consecutive. NULL
 * otherwise (the storage is read whole, then gathered). */
static ccpl__ck_flat *streamable(const ccpl__ck_storage *s) {
    if (s->users != 1) return NULL;
    ccpl__ck_flat *f = s->user;
    const int dt = ccpl__pkl_storage_type_dtype(f->ref->type);
    if (dt != CCPL__DT_F32 && dt != CCPL__DT_F16 && dt != CCPL__DT_BF16) return NULL;
    return ccpl__ck_contiguous(f->t) ? f : NULL;
}

/* An entry read from its start, piece by piece. A stored entry (torch.save
 * stores its storages) is read through windows on the archive, each shorter
 * than the entry: libzip computes an entry's CRC only for a read of the whole
 * entry, and checks it only when such a read reaches the end, which reads
 * that stop at the bytes the tensors need never did; the CRC was never
 * checked, but computing it was half the CPU time of reading a float16
 * model once its conversion was fast. A deflated entry is one stream. */
typedef struct entry_in {
    zip_reader *z;
    zip_int64_t idx;
    zip_file_t *zf;    /* deflated: the stream; NULL: stored, read through windows */
    zip_uint64_t size; /* stored: the entry's size */
    zip_uint64_t pos;  /* stored: bytes read so far */
    char why[160];     /* libzip's message after a failed read */
} entry_in;

static ccpl_status in_open(entry_in *in, zip_reader *z, zip_int64_t idx, const char *entry, const zip_stat_t *sb) {
    memset(in, 0, sizeof *in);
    in->z = z;
    in->idx = idx;
    in->size = sb->size; /* stored: equal to comp_size (entry_stat) */
    if (sb->comp_method == ZIP_CM_STORE) return CCPL_OK;
    if (!(in->zf = zip_fopen_index(z->za, (zip_uint64_t)idx, 0)))
        return zfail(z->c, "cannot open", entry, zip_strerror(z->za));
    return CCPL_OK;
}

static void in_close(entry_in *in) {
    if (in->zf) zip_fclose(in->zf);
    in->zf = NULL;
}

/* Up to n next bytes of the entry into buf: the count (0 at its end), or -1
 * (in->why says why). */
static zip_int64_t in_read(entry_in *in, void *buf, zip_uint64_t n) {
    if (in->zf) {
        const zip_int64_t r = zip_fread(in->zf, buf, n);
        if (r < 0) snprintf(in->why, sizeof in->why, "%s", zip_file_strerror(in->zf));
        return r;
    }
    if (in->pos >= in->size || n == 0) return 0;
    if (n > in->size - in->pos) n = in->size - in->pos;
    if (n > (zip_uint64_t)INT64_MAX) n = (zip_uint64_t)INT64_MAX;
    if (in->pos == 0 && n == in->size && n > 1) n--; /* the whole entry: two windows */
    zip_source_t *src = zip_source_zip(in->z->za, in->z->za, (zip_uint64_t)in->idx, 0, in->pos, (zip_int64_t)n);
    if (!src) {
        snprintf(in->why, sizeof in->why, "%s", zip_strerror(in->z->za));
        return -1;
    }
    if (zip_source_open(src) < 0) {
        snprintf(in->why, sizeof in->why, "%s", zip_error_strerror(zip_source_error(src)));
        zip_source_free(src);
        return -1;
    }
    zip_uint64_t got = 0;
    zip_int64_t r = 1;
    while (got < n && (r = zip_source_read(src, (unsigned char *)buf + got, n - got)) > 0) got += (zip_uint64_t)r;
    if (r < 0) snprintf(in->why, sizeof in->why, "%s", zip_error_strerror(zip_source_error(src)));
    zip_source_close(src);
    zip_source_free(src);
    in->pos += got;
    return r < 0 ? -1 : (zip_int64_t)got;
}

/* Reads bytes [0, skip + numel * el) of entry idx, converting the last
 * numel elements into f->pre (allocated here) chunk by chunk. The caller
 * checked that the entry holds that many bytes. */
static ccpl_status stream_storage(zip_reader *z, zip_int64_t idx, const char *entry, const zip_stat_t *sb,
                                  ccpl__ck_flat *f, size_t el, unsigned char *chunk) {
    const ccpl__pkl_tensor *t = f->t;
    const ccpl__dtype dt = (ccpl__dtype)ccpl__pkl_storage_type_dtype(f->ref->type);
    const zip_uint64_t skip = (zip_uint64_t)(f->ref->base + t->offset) * el;
    const zip_uint64_t n = skip + (zip_uint64_t)t->numel * el;
    if (!(f->pre = ccpl__alloc_floats((size_t)t->numel))) {
        char pk[120];
        ccpl__pkl_printable(pk, sizeof pk, f->name + f->key_off, strlen(f->name + f->key_off));
        return ccpl__ck_fail(z->c, CCPL_E_NOMEM, "out of memory for tensor '%s' (%zu elements)", pk,
                             (size_t)t->numel);
    }
    entry_in in;
    ccpl_status st = in_open(&in, z, idx, entry, sb);
    if (st) return st;
    zip_uint64_t got = 0;
    zip_int64_t r = 1;
    while (got < skip && r > 0) /* before the tensor's first element: read and drop */
        if ((r = in_read(&in, chunk, skip - got < STREAM_CHUNK ? skip - got : STREAM_CHUNK)) > 0)
            got += (zip_uint64_t)r;
    if (r > 0 && dt == CCPL__DT_F32 && CCPL__CK_LITTLE_ENDIAN) {
        /* the archive's bytes are the floats: read them into place */
        unsigned char *dst = (unsigned char *)f->pre;
        while (got < n && r > 0)
            if ((r = in_read(&in, dst + (got - skip), n - got)) > 0) got += (zip_uint64_t)r;
    } else if (r > 0) {
        size_t done = 0, pending = 0; /* elements converted; bytes of a split one at chunk's start */
        while (got < n && r > 0) {
            zip_uint64_t want = n - got;
            if (want > STREAM_CHUNK - pending) want = STREAM_CHUNK - pending;
            if ((r = in_read(&in, chunk + pending, want)) <= 0) break;
            got += (zip_uint64_t)r;
            const size_t avail = pending + (size_t)r, whole = avail / el;
            ccpl__ck_convert(f->pre + done, chunk, dt, whole);
            done += whole;
            pending = avail - whole * el;
            memmove(chunk, chunk + whole * el, pending);
        }
    }
    in_close(&in);
    if (r < 0) return zfail(z->c, "corrupt", entry, in.why);
    if (got < n) {
        char pe[120];
        ccpl__pkl_printable(pe, sizeof pe, entry, strlen(entry));
        return ccpl__ck_fail(z->c, CCPL_E_FORMAT, "truncated: zip entry %s needs %" PRIu64 " bytes, has %" PRIu64,
                             pe, (uint64_t)n, (uint64_t)got);
    }
    return CCPL_OK;
}

static ccpl_status read_storages(zip_reader *z) {
    ccpl__ck_ctx *c = z->c;
    unsigned char *chunk = NULL;
    ccpl_status st = CCPL_OK;
    for (size_t i = 0; i < c->nst && !st; i++) {
        ccpl__ck_storage *s = &c->st[i];
        if (s->need == 0) continue;
        char *name = (char *)malloc(strlen(z->prefix) + 5 + strlen(s->key) + 1);
        if (!name) {
            st = ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
            break;
        }
        strcpy(name, z->prefix);
        strcat(name, "data/");
        strcat(name, s->key);
        zip_int64_t idx = zip_name_locate(z->za, name, ZIP_FL_ENC_RAW);
        zip_stat_t sb;
        size_t el = (size_t)ccpl__pkl_storage_type_elsize(s->type);
        uint64_t bytes = (uint64_t)s->need; /* need <= root_numel < 2^63 */
        ccpl__ck_flat *f = streamable(s);
        if (idx < 0) {
            char pe[120];
            ccpl__pkl_printable(pe, sizeof pe, name, strlen(name));
            st = ccpl__ck_fail(c, CCPL_E_FORMAT, "zip archive lacks storage entry %s", pe);
        } else if (bytes > UINT64_MAX / el) {
            st = ccpl__ck_fail(c, CCPL_E_FORMAT, "storage size overflows");
        } else if (!(st = entry_stat(z, idx, name, &sb))) {
            bytes *= el;
            if (sb.size < bytes) {
                char pk[80];
                ccpl__pkl_printable(pk, sizeof pk, s->key, strlen(s->key));
                st = ccpl__ck_fail(c, CCPL_E_FORMAT,
                                   "truncated: storage '%s' needs %" PRIu64 " bytes, the archive has %" PRIu64,
                                   pk, bytes, (uint64_t)sb.size);
            } else if (f) {
                if (!chunk && !(chunk = (unsigned char *)malloc(STREAM_CHUNK)))
                    st = ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
                else
                    st = stream_storage(z, idx, name, &sb, f, el, chunk);
                if (!st) {
                    s->avail = s->need;
                    s->present = 1;
                }
            } else if (!(st = entry_read(z, idx, name, bytes, &s->owned))) {
                s->data = s->owned;
                s->avail = s->need;
                s->present = 1;
            }
        }
        free(name);
    }
    free(chunk);
    return st;
}

/* Reads an archive opened on src (taken over, freed here). */
static ccpl_status read_zip(ccpl__ck_ctx *c, zip_source_t *src) {
    zip_error_t ze;
    zip_error_init(&ze);
    zip_reader z;
    memset(&z, 0, sizeof z);
    z.c = c;
    z.za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (!z.za) {
        ccpl_status st = ccpl__ck_fail(c, CCPL_E_FORMAT, "truncated or corrupt zip archive (%s)",
                                       zip_error_strerror(&ze));
        zip_source_free(src);
        zip_error_fini(&ze);
        return st;
    }
    zip_error_fini(&ze);
    zip_int64_t pidx = -1;
    unsigned char *pkl = NULL;
    zip_stat_t sb;
    const ccpl__pv *root = NULL;
    char *pname = NULL;
    ccpl_status st = find_pickle(&z, &pidx);
    if (!st && !(pname = join(z.prefix, "data.pkl"))) st = ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory");
    if (!st) st = check_byteorder(&z);
    if (!st) st = entry_stat(&z, pidx, pname, &sb);
    if (!st && sb.size > MAX_PICKLE_BYTES) st = zfail(c, "oversized", pname, "over 1 GiB");
    if (!st) st = entry_read(&z, pidx, pname, sb.size, &pkl);
    if (!st) st = ccpl__pkl_run(c->pkl, pkl, (size_t)sb.size, 0, c->name, &root, NULL, c->err);
    if (!st) st = ccpl__ck_prepare(c, root);
    if (!st) st = read_storages(&z);
    free(pname);
    free(pkl); /* strings of the pickle are no longer needed: keys were copied */
    free(z.prefix);
    zip_discard(z.za);
    return st;
}

ccpl_status ccpl__ck_read_zip(ccpl__ck_ctx *c, const unsigned char *data, size_t size) {
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, size, 0, &ze);
    zip_error_fini(&ze);
    if (!src) return ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory opening the zip archive");
    return read_zip(c, src);
}

ccpl_status ccpl__ck_read_zip_file(ccpl__ck_ctx *c, FILE *fp) {
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_filep_create(fp, 0, -1, &ze); /* owns fp from here */
    zip_error_fini(&ze);
    if (!src) {
        fclose(fp);
        return ccpl__ck_fail(c, CCPL_E_NOMEM, "out of memory opening the zip archive");
    }
    return read_zip(c, src);
}
