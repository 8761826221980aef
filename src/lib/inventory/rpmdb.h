/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The rpm database readers behind analyzer_rpm (catalog-rpm.c). Private to the inventory module; the
 * entry points are here so that unit tests and fuzz targets can drive them without an archive.
 *
 * Everything parsed here comes from an image and is hostile: every offset, count and length is checked
 * against the bytes that are really there, sizes and counts are capped, and a damaged database gives
 * warnings (layer_ctx_warn) and the packages that could still be read, never a crash or a hang.
 *
 * Ownership: the readers take the whole database as one read-only buffer (malloc'd or mmap'd by the
 * caller) and never keep pointers into it; packages and their strings go to the layer's arena.
 * Thread-safety: all functions may run concurrently on different layer_ctx. */

#include "layer/layer.h"

/* Limits for one database (on top of the layer's own limits). */
#define RPMDB_MAX_DB_BYTES     (512 * MiB)       /* bigger databases are not read */
#define RPMDB_MAX_HEADER_BYTES (64 * MiB)        /* one header blob (rpm itself allows 256 MiB) */
#define RPMDB_MAX_HEADER_TAGS  65535             /* index entries of one header, as rpm */
#define RPMDB_MAX_PKGS         200000            /* header blobs read from one database */
#define RPMDB_MAX_PKG_FILES    1048575           /* files of one package, as rpm (HEADER_ARRAY_MAX) */
#define RPMDB_MAX_DB_FILES     (4 * 1000 * 1000) /* files recorded over all packages of one database */
#define RPMDB_MAX_FIELD        4096              /* name, version, release, arch, epoch, source rpm */
#define RPMDB_MAX_LICENSE      16384             /* the LICENSE tag (Fedora's can be long expressions) */

/* Header tags we read (rpmtag.h). */
enum {
        RPMTAG_HEADERIMAGE = 61,
        RPMTAG_HEADERSIGNATURES = 62,
        RPMTAG_HEADERIMMUTABLE = 63,
        RPMTAG_HEADERREGIONS = 64,
        RPMTAG_NAME = 1000,
        RPMTAG_VERSION = 1001,
        RPMTAG_RELEASE = 1002,
        RPMTAG_EPOCH = 1003,
        RPMTAG_LICENSE = 1014,
        RPMTAG_ARCH = 1022,
        RPMTAG_OLDFILENAMES = 1027,
        RPMTAG_SOURCERPM = 1044,
        RPMTAG_DIRINDEXES = 1116,
        RPMTAG_BASENAMES = 1117,
        RPMTAG_DIRNAMES = 1118,
};

/* Header data types (rpmtag.h). */
enum {
        RPM_NULL_TYPE = 0,
        RPM_CHAR_TYPE = 1,
        RPM_INT8_TYPE = 2,
        RPM_INT16_TYPE = 3,
        RPM_INT32_TYPE = 4,
        RPM_INT64_TYPE = 5,
        RPM_STRING_TYPE = 6,
        RPM_BIN_TYPE = 7,
        RPM_STRING_ARRAY_TYPE = 8,
        RPM_I18NSTRING_TYPE = 9,
};

/* ---- header blobs (rpmdb-header.c) ---- */

/* A parsed view of one header blob: "il dl | il × {tag type offset count} | dl bytes of data", all
 * big-endian. Only pointers into the blob; the blob must outlive it. */
struct rpm_header {
        const uint8_t *index; /* il entries of 16 bytes */
        const uint8_t *store; /* dl bytes */
        uint32_t il, dl;
        uint32_t region_tag; /* 61/62/63 when the first entry opens a valid region, else 0 */
        uint32_t region_il;  /* entries covered by the region (including its own) */
        bool region_bad;     /* the first entry is a region tag, but its trailer does not check out */
};

/* Checks the blob's framing (counts, sizes, region trailer). Returns 0, or -EBADMSG with a short reason
 * for messages in *ret_why. Entries are checked one by one when looked up. */
int rpm_header_parse(const uint8_t *blob, size_t n, struct rpm_header *ret, const char **ret_why);

/* Looks up a tag; when it occurs more than once, the last occurrence wins (entries rpm adds after the
 * immutable region at install time replace the region's). */

/* A STRING, the first string of an I18NSTRING or STRING_ARRAY: NUL-terminated inside the store. Returns
 * 0, -ENOENT when absent, -EBADMSG when malformed (out of range, unterminated, wrong type). */
int rpm_header_get_string(const struct rpm_header *h, uint32_t tag, const char **ret, size_t *ret_len);
/* The first value of an INT32 (or INT16/INT8) tag. */
int rpm_header_get_u32(const struct rpm_header *h, uint32_t tag, uint32_t *ret);
/* A STRING_ARRAY: *ret points at the first of count NUL-terminated strings, all inside the store. */
int rpm_header_get_string_array(const struct rpm_header *h, uint32_t tag, const char **ret,
                                uint32_t *ret_count);
/* An INT32 array: *ret points at count big-endian values inside the store. */
int rpm_header_get_u32_array(const struct rpm_header *h, uint32_t tag, const uint8_t **ret,
                             uint32_t *ret_count);

/* Splits "bash-5.1.8-6.el9.src.rpm" into "bash" and "5.1.8-6.el9" (both pointing into buffers of the
 * caller's arena). Returns 0, or -EINVAL when the name does not look like a source rpm. */
int rpm_split_sourcerpm(struct arena *a, const char *srpm, const char **ret_name, const char **ret_version);

/* ---- from blobs to packages ---- */

struct rpmdb_walk {
        struct layer_ctx *ctx;
        const char *path;        /* image path of the database: record_path and messages */
        uint64_t n_blobs;        /* header blobs seen */
        uint64_t n_pkgs;         /* packages added */
        uint64_t n_bad;          /* blobs that did not parse */
        uint64_t n_files;        /* files recorded over all packages */
        bool stop;               /* a limit was reached: the backends stop handing out blobs */
        bool warned_files;       /* the per-database file cap was reported */
        const char *record_path; /* path, copied into the layer's arena once */
        uint64_t budget;         /* header bytes the database can hold (its size); set by the readers */
        uint64_t spent;          /* header bytes handed out so far */
};

/* Accounts for a blob of n bytes about to be read. A database cannot hold more header bytes than its own
 * size; one that hands out more has blobs sharing storage (damaged or hostile), which would make the work
 * grow without bound. Returns false, after a warning and with w->stop set, when the budget is spent. */
bool rpmdb_spend(struct rpmdb_walk *w, uint64_t n);

/* Turns one header blob into a struct pkg in w->ctx (gpg-pubkey pseudo-packages are skipped). A
 * malformed blob is a warning. Returns 0, or -ENOMEM. */
int rpmdb_add_header(struct rpmdb_walk *w, const uint8_t *blob, size_t n);

/* ---- the database formats ---- */

enum rpmdb_format {
        RPMDB_UNKNOWN = 0,
        RPMDB_BDB,    /* Berkeley DB hash: var/lib/rpm/Packages */
        RPMDB_NDB,    /* rpm's own format: Packages.db */
        RPMDB_SQLITE, /* rpmdb.sqlite */
};

/* Recognizes a database by its first bytes. */
enum rpmdb_format rpmdb_sniff(const uint8_t *data, size_t n);
const char *rpmdb_format_name(enum rpmdb_format f);

/* Each walks one database held in data[0..n) and hands every header blob to rpmdb_add_header(). They
 * return 0 (also for a damaged database: warnings, partial results) or -ENOMEM. */
int rpmdb_bdb_read(struct rpmdb_walk *w, const uint8_t *data, size_t n);
int rpmdb_ndb_read(struct rpmdb_walk *w, const uint8_t *data, size_t n);
int rpmdb_sqlite_read(struct rpmdb_walk *w, const uint8_t *data, size_t n);

/* The whole cataloger on a database in memory: sniffs the format (the file name is only a hint) and
 * reads it. path is the database's image path. Returns 0 or -ENOMEM. */
int rpmdb_read(struct layer_ctx *c, const char *path, const uint8_t *data, size_t n);
