/* SPDX-License-Identifier: Apache-2.0 */
/* Reading one layer blob as a stream: raw bytes -> sha256 (digest) -> gunzip/unzstd -> sha256 (diff_id)
 * -> libarchive's tar reader -> members -> analyzers. Nothing is written to disk, and memory stays
 * bounded: one raw buffer, one tar buffer, and the content buffer of the file being analyzed. */

#include <stdarg.h>
#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include "layer-internal.h"
#include "path-util.h"

#define RAW_CHUNK (256 * 1024)
#define TAR_CHUNK (256 * 1024)
#define PROGRESS_STEP (8 * MiB)
#define ZSTD_WINDOW_LOG_MAX 25 /* 32 MiB: above what image tools produce, below our memory budget */

enum compression { COMP_NONE, COMP_GZIP, COMP_ZSTD };

struct pipe {
        const struct byte_source *src;
        const struct layer_expect *expect;
        const struct layer_options *opts;
        struct diag *diag;
        const char *name;

        struct sha256 raw_hash, tar_hash;
        bool raw_hash_on, tar_hash_on;
        enum compression comp;

        unsigned char *raw;  /* RAW_CHUNK */
        size_t raw_pos, raw_len;
        bool raw_eof;
        uint64_t raw_total;

        unsigned char *out;  /* TAR_CHUNK */
        uint64_t tar_total;
        uint64_t next_progress;

        z_stream z;
        bool z_init, z_member_done;
        ZSTD_DCtx *zd;
        bool z_end; /* decompressor reached the end of all input */

        int error;
};

static int pipe_fail(struct pipe *p, int err, const char *fmt, ...) _printf_(3, 4);
static int pipe_fail(struct pipe *p, int err, const char *fmt, ...) {
        if (!p->error) {
                char msg[512];
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(msg, sizeof msg, fmt, ap);
                va_end(ap);
                p->error = err;
                diag_error(p->diag, err, "%s", msg);
        }
        return err;
}

/* Refills p->raw; returns bytes available (0 at end) or negative errno. */
static ssize_t raw_fill(struct pipe *p) {
        if (p->raw_pos < p->raw_len)
                return (ssize_t) (p->raw_len - p->raw_pos);
        if (p->raw_eof)
                return 0;
        size_t got = 0;
        /* Fill the whole chunk when the source gives little at a time (sockets), fewer callbacks later. */
        while (got < RAW_CHUNK) {
                ssize_t n = p->src->read(p->src->userdata, p->raw + got, RAW_CHUNK - got);
                if (n < 0) {
                        if (!p->error) {
                                p->error = (int) n;
                                diag_error(p->diag, (int) n, "cannot read layer '%s': %s", p->name,
                                           strerror((int) -n));
                        }
                        return n;
                }
                if (n == 0) {
                        p->raw_eof = true;
                        break;
                }
                got += (size_t) n;
        }
        if (p->raw_hash_on)
                sha256_update(&p->raw_hash, p->raw, got);
        p->raw_total += got;
        p->raw_pos = 0;
        p->raw_len = got;
        return (ssize_t) got;
}

static int check_limits(struct pipe *p) {
        const struct layer_limits *l = &p->opts->limits;
        if (p->tar_total > l->max_tar_bytes) {
                char d[64];
                snprintf(d, sizeof d, "%llu", (unsigned long long) (l->max_tar_bytes / MiB));
                return pipe_fail(p, -EFBIG, "layer '%s' unpacks to more than %s MiB: refusing it", p->name, d);
        }
        if (p->comp != COMP_NONE && p->tar_total > l->ratio_grace && p->raw_total > 0 &&
            p->tar_total / p->raw_total > l->max_ratio) {
                char d[64];
                snprintf(d, sizeof d, "%llu", (unsigned long long) l->max_ratio);
                return pipe_fail(p, -EFBIG,
                                 "layer '%s' looks like a decompression bomb (expands more than %s times)", p->name, d);
        }
        if (p->opts->progress && p->tar_total >= p->next_progress) {
                p->next_progress = p->tar_total + PROGRESS_STEP;
                p->opts->progress(p->opts->progress_userdata, p->expect->index, p->raw_total, p->tar_total);
        }
        return 0;
}

static bool all_zero(const unsigned char *b, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (b[i])
                        return false;
        return true;
}

/* Produces the next chunk of uncompressed tar (in p->out, or in p->raw when the layer is not
 * compressed: no copy). Returns its length, 0 at the end (only once all raw input is consumed), or <0. */
static ssize_t tar_produce(struct pipe *p, const unsigned char **ret) {
        ssize_t avail;

        if (p->error)
                return p->error;
        *ret = p->out;
        if (p->comp == COMP_NONE) {
                avail = raw_fill(p);
                if (avail <= 0)
                        return avail;
                *ret = p->raw + p->raw_pos;
                p->raw_pos += (size_t) avail;
                return avail;
        }

        for (;;) {
                if (p->z_end)
                        return 0;
                avail = raw_fill(p);
                if (avail < 0)
                        return avail;

                if (p->comp == COMP_GZIP) {
                        if (p->z_member_done) {
                                /* After a member: another gzip member, zero padding, or the end. */
                                if (avail == 0) {
                                        p->z_end = true;
                                        return 0;
                                }
                                if (all_zero(p->raw + p->raw_pos, (size_t) avail)) {
                                        p->raw_pos += (size_t) avail;
                                        continue;
                                }
                                if (p->raw[p->raw_pos] != 0x1f)
                                        return pipe_fail(p, -EBADMSG, "layer '%s': %s", p->name,
                                                         "garbage after the end of the gzip stream");
                                inflateReset(&p->z);
                                p->z_member_done = false;
                        }
                        if (avail == 0)
                                return pipe_fail(p, -EBADMSG, "layer '%s' is truncated: %s", p->name,
                                                 "the gzip stream ends early");
                        p->z.next_in = p->raw + p->raw_pos;
                        p->z.avail_in = (uInt) avail;
                        p->z.next_out = p->out;
                        p->z.avail_out = TAR_CHUNK;
                        int zr = inflate(&p->z, Z_NO_FLUSH);
                        p->raw_pos = p->raw_len - p->z.avail_in;
                        size_t produced = TAR_CHUNK - p->z.avail_out;
                        if (zr == Z_STREAM_END)
                                p->z_member_done = true;
                        else if (zr != Z_OK && zr != Z_BUF_ERROR)
                                return pipe_fail(p, -EBADMSG, "layer '%s' has corrupt gzip data: %s", p->name,
                                                 p->z.msg ? p->z.msg : "inflate failed");
                        if (produced > 0)
                                return (ssize_t) produced;
                        if (zr == Z_BUF_ERROR && p->raw_eof && p->raw_pos >= p->raw_len)
                                return pipe_fail(p, -EBADMSG, "layer '%s' is truncated: %s", p->name,
                                                 "the gzip stream ends early");
                } else {
                        if (avail == 0) {
                                if (!p->z_member_done)
                                        return pipe_fail(p, -EBADMSG, "layer '%s' is truncated: %s", p->name,
                                                         "the zstd stream ends early");
                                p->z_end = true;
                                return 0;
                        }
                        ZSTD_inBuffer in = { p->raw + p->raw_pos, (size_t) avail, 0 };
                        ZSTD_outBuffer out = { p->out, TAR_CHUNK, 0 };
                        size_t zr = ZSTD_decompressStream(p->zd, &out, &in);
                        p->raw_pos += in.pos;
                        if (ZSTD_isError(zr))
                                return pipe_fail(p, -EBADMSG, "layer '%s' has corrupt zstd data: %s", p->name,
                                                 ZSTD_getErrorName(zr));
                        p->z_member_done = zr == 0; /* a frame ended; more frames may follow */
                        if (out.pos > 0)
                                return (ssize_t) out.pos;
                }
        }
}

static la_ssize_t la_read(struct archive *a, void *userdata, const void **buffer) {
        struct pipe *p = userdata;
        const unsigned char *chunk = NULL;
        ssize_t n = tar_produce(p, &chunk);
        if (n < 0) {
                archive_set_error(a, EIO, "layer stream failed");
                return -1;
        }
        if (n > 0) {
                if (p->tar_hash_on)
                        sha256_update(&p->tar_hash, chunk, (size_t) n);
                p->tar_total += (uint64_t) n;
                if (check_limits(p) < 0) {
                        archive_set_error(a, EFBIG, "layer limit exceeded");
                        return -1;
                }
        }
        *buffer = chunk;
        return n;
}

static int detect_compression(struct pipe *p) {
        ssize_t n = raw_fill(p);
        if (n < 0)
                return (int) n;
        const unsigned char *b = p->raw + p->raw_pos;
        if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
                p->comp = COMP_GZIP;
                /* 16+: gzip wrapper only, so a raw deflate or zlib stream is rejected. */
                if (inflateInit2(&p->z, 16 + MAX_WBITS) != Z_OK)
                        return -ENOMEM;
                p->z_init = true;
        } else if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) {
                p->comp = COMP_ZSTD;
                p->zd = ZSTD_createDCtx();
                if (!p->zd)
                        return -ENOMEM;
                ZSTD_DCtx_setParameter(p->zd, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
        } else if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') {
                return pipe_fail(p, -EPROTONOSUPPORT, "layer '%s' is compressed with %s, which is not supported", p->name,
                                 "bzip2");
        } else if (n >= 6 && memcmp(b, "\xfd" "7zXZ\0", 6) == 0) {
                return pipe_fail(p, -EPROTONOSUPPORT, "layer '%s' is compressed with %s, which is not supported", p->name,
                                 "xz");
        } else
                p->comp = COMP_NONE;
        return 0;
}

static void pipe_done(struct pipe *p) {
        if (p->raw_hash_on && p->raw_hash.ctx)
                sha256_done(&p->raw_hash);
        if (p->tar_hash_on && p->tar_hash.ctx)
                sha256_done(&p->tar_hash);
        if (p->z_init)
                inflateEnd(&p->z);
        ZSTD_freeDCtx(p->zd);
        free(p->raw);
        free(p->out);
}

struct la_member {
        struct archive *a;
};

static int la_next_block(void *userdata, const void **data, size_t *n, int64_t *off) {
        struct la_member *m = userdata;
        la_int64_t o = 0;
        int r = archive_read_data_block(m->a, data, n, &o);
        if (r == ARCHIVE_EOF)
                return 0;
        if (r < ARCHIVE_WARN)
                return -EBADMSG;
        *off = o;
        return 1;
}

static uint8_t kind_from_entry(struct archive_entry *e) {
        switch (archive_entry_filetype(e)) {
        case AE_IFREG: return LF_REG;
        case AE_IFDIR: return LF_DIR;
        case AE_IFLNK: return LF_SYMLINK;
        case AE_IFCHR: return LF_CHAR;
        case AE_IFBLK: return LF_BLOCK;
        case AE_IFIFO: return LF_FIFO;
        case AE_IFSOCK: return LF_SOCKET;
        default: return 0xff;
        }
}

static int walk(struct layer_ctx *c, struct archive *a, struct pipe *p) {
        struct archive_entry *e;
        char norm[PATH_MAX_IMAGE + 1], lnorm[PATH_MAX_IMAGE + 1];
        int r;

        for (;;) {
                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r == ARCHIVE_RETRY)
                        continue;
                if (r < ARCHIVE_WARN) {
                        if (p->error)
                                return p->error;
                        return diag_error(c->diag, -EBADMSG, "layer '%s' is not a valid tar archive: %s", p->name,
                                          archive_error_string(a) ? archive_error_string(a) : "bad header");
                }

                const char *raw = archive_entry_pathname(e);
                if (!raw) {
                        layer_ctx_warn(c, "skipping a member whose name cannot be decoded");
                        continue;
                }
                int k = path_normalize_member(raw, norm);
                if (k == -EXDEV) {
                        layer_ctx_warn(c, "skipping '%s': the path climbs out of the image root", raw);
                        continue;
                }
                if (k < 0 || !norm[0]) {
                        if (k < 0)
                                layer_ctx_warn(c, "skipping '%.200s': %s", raw, strerror(-k));
                        continue;
                }

                struct layer_file f = {
                        .path = norm,
                        .mode = (uint32_t) archive_entry_perm(e) & 07777,
                        .uid = (uint32_t) archive_entry_uid(e),
                        .gid = (uint32_t) archive_entry_gid(e),
                };
                const char *hl = archive_entry_hardlink(e);
                if (hl) {
                        k = path_normalize_member(hl, lnorm);
                        if (k < 0 || !lnorm[0]) {
                                layer_ctx_warn(c, "skipping hard link '%s' -> '%.200s': the target %s", norm, hl,
                                               k == -EXDEV ? "is outside the image root" : "is invalid");
                                continue;
                        }
                        f.kind = LF_HARDLINK;
                        f.link = lnorm;
                } else {
                        f.kind = kind_from_entry(e);
                        if (f.kind == 0xff) {
                                layer_ctx_warn(c, "skipping '%s': unknown member type", norm);
                                continue;
                        }
                        if (f.kind == LF_SYMLINK) {
                                f.link = archive_entry_symlink(e);
                                if (!f.link) {
                                        layer_ctx_warn(c, "skipping symlink '%s' with an undecodable target",
                                                       norm);
                                        continue;
                                }
                        }
                        if (f.kind == LF_REG) {
                                la_int64_t sz = archive_entry_size(e);
                                f.size = sz > 0 ? (uint64_t) sz : 0;
                        }
                }

                const struct layer_file *stored = layer_ctx_add_file(c, &f, &k);
                if (k < 0)
                        return k;
                if (!stored || stored->kind != LF_REG || stored->size == 0)
                        continue;

                struct la_member m = { a };
                struct entry_reader rd = {
                        .next_block = la_next_block,
                        .userdata = &m,
                        .size = stored->size,
                        .limit = MIN(stored->size, c->opts->limits.max_stream_file),
                };
                k = layer_ctx_process_content(c, stored, &rd);
                if (k < 0) {
                        if (p->error)
                                return p->error;
                        if (k == -EBADMSG || k == -EIO)
                                return diag_error(c->diag, -EBADMSG, "layer '%s' is corrupt at '%s': %s", p->name,
                                                  stored->path,
                                                  archive_error_string(a) ? archive_error_string(a)
                                                                          : "unreadable member data");
                        return k;
                }
        }
}

int layer_analyze_blob(const struct byte_source *src, const struct layer_expect *expect,
                       const struct layer_options *opts, struct diag *d, struct layer_result **ret) {
        struct pipe p = {
                .src = src,
                .expect = expect,
                .opts = opts,
                .diag = d,
                .name = expect->name ? expect->name : "?",
        };
        struct layer_ctx c;
        struct archive *a = NULL;
        int r;

        r = layer_ctx_init(&c, opts, d, p.name);
        if (r < 0)
                goto out;
        p.raw = malloc(RAW_CHUNK);
        p.out = malloc(TAR_CHUNK);
        if (!p.raw || !p.out) {
                r = -ENOMEM;
                goto out;
        }
        /* Always hash both forms: the result is keyed by diff_id, and the digest is reported. */
        r = sha256_init(&p.raw_hash);
        if (r < 0)
                goto out;
        p.raw_hash_on = true;
        r = sha256_init(&p.tar_hash);
        if (r < 0)
                goto out;
        p.tar_hash_on = true;

        r = detect_compression(&p);
        if (r < 0)
                goto out;

        a = archive_read_new();
        if (!a) {
                r = -ENOMEM;
                goto out;
        }
        archive_read_support_format_tar(a);
        archive_read_support_filter_none(a);
        if (archive_read_open(a, &p, NULL, la_read, NULL) != ARCHIVE_OK) {
                r = p.error ? p.error
                            : diag_error(d, -EBADMSG, "layer '%s' is not a tar archive: %s", p.name,
                                         archive_error_string(a) ? archive_error_string(a) : "unknown format");
                goto out;
        }

        r = walk(&c, a, &p);
        if (r < 0)
                goto out;

        /* Consume what follows the end-of-archive marker (padding, or trailing data the tar reader never
         * asks for), so that the digests cover every byte; tar_produce() ends only at the raw end. */
        for (;;) {
                const void *b;
                la_ssize_t n = la_read(a, &p, &b);
                if (n < 0) {
                        r = p.error ? p.error : -EIO;
                        goto out;
                }
                if (n == 0)
                        break;
        }

        struct layer_result *res = c.res;
        sha256_final_str(&p.raw_hash, res->digest);
        p.raw_hash_on = false;
        sha256_final_str(&p.tar_hash, res->diff_id);
        p.tar_hash_on = false;
        res->bytes_stored = p.raw_total;
        res->bytes_tar = p.tar_total;

        if (expect->digest && expect->digest[0] && !streq(expect->digest, res->digest)) {
                r = diag_error(d, -EBADMSG, "layer '%s' is corrupt: digest is %s, expected %s", p.name,
                               res->digest, expect->digest);
                goto out;
        }
        if (expect->diff_id && expect->diff_id[0] && !streq(expect->diff_id, res->diff_id)) {
                r = diag_error(d, -EBADMSG, "layer '%s' is corrupt: diff_id is %s, expected %s", p.name,
                               res->diff_id, expect->diff_id);
                goto out;
        }
        if (opts->progress)
                opts->progress(opts->progress_userdata, expect->index, p.raw_total, p.tar_total);
        *ret = TAKE_PTR(c.res);
        r = 0;
out:
        if (a)
                archive_read_free(a);
        layer_ctx_done(&c);
        pipe_done(&p);
        return r;
}
