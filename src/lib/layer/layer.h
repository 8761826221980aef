/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Per-layer analysis. One layer is read exactly once, as a stream (never extracted to disk), and
 * everything later steps need is distilled from it into a layer_result: its file table, the packages
 * whose records it contains, secrets in its files, and small facts (os-release contents, dpkg file
 * lists, license notes) that only make sense once layers are merged. A layer_result depends on nothing
 * but the layer's bytes (and the analyzer version and rules), so it is cached by diff_id and shared by
 * every image that contains the layer.
 *
 * Ownership: a layer_result owns its arena; every string and array hanging off it lives there.
 * Thread-safety: layer_analyze_*() may run concurrently on different layers (one layer_result each). */

#include "arena.h"
#include "core/diag.h"
#include "core/digest.h"
#include "core/model.h"
#include "vec.h"

struct secrets_engine;

enum layer_file_kind {
        LF_REG = 0,
        LF_DIR,
        LF_SYMLINK,
        LF_HARDLINK,
        LF_CHAR,
        LF_BLOCK,
        LF_FIFO,
        LF_SOCKET,
        LF_WHITEOUT, /* ".wh.NAME": path is the deleted NAME (marker stripped) */
        LF_OPAQUE,   /* ".wh..wh..opq": path is the directory made opaque */
};

struct layer_file {
        const char *path; /* normalized image path */
        const char *link; /* symlink: target as stored; hard link: normalized target path */
        uint64_t size;
        uint32_t mode;    /* permission bits, 07777 */
        uint32_t uid, gid;
        uint8_t kind;     /* enum layer_file_kind */
};

enum layer_fact_kind {
        FACT_OS_FILE,       /* contents of a file that identifies the distribution (os-release …) */
        FACT_DPKG_LIST,     /* var/lib/dpkg/info/NAME[:ARCH].list: key = NAME, data = the paths */
        FACT_DEB_COPYRIGHT, /* usr/share/doc/NAME/copyright: key = NAME, data = licenses, '\n'-separated */
        _FACT_KIND_MAX,
};

struct layer_fact {
        uint8_t kind;
        const char *path;
        const char *key;
        const char *data; /* NUL-terminated, len bytes */
        size_t len;
};

struct layer_result {
        struct arena *arena;
        char diff_id[DIGEST_STR_MAX]; /* sha256 of the uncompressed tar */
        char digest[DIGEST_STR_MAX];  /* sha256 of the blob as stored (may equal diff_id) */
        VEC(struct layer_file) files;
        VEC(struct pkg) pkgs;          /* pkg.layer/record_layer hold -1 until merged */
        VEC(struct secret_finding) secrets;
        VEC(struct layer_fact) facts;
        VEC(const char *) warnings;    /* kept with the result so cached scans repeat them */
        uint64_t bytes_stored;         /* blob size as read */
        uint64_t bytes_tar;            /* uncompressed size */
        uint64_t files_read;           /* regular files whose contents were analyzed */
        bool from_cache;
};

struct layer_result *layer_result_new(void);
void layer_result_free(struct layer_result *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct layer_result *, layer_result_free);

/* Limits that keep a hostile layer from exhausting us. Defaults in layer_limits_default(). */
struct layer_limits {
        uint64_t max_tar_bytes;      /* uncompressed bytes of one layer */
        uint64_t max_ratio;          /* uncompressed/compressed, checked past ratio_grace bytes */
        uint64_t ratio_grace;
        uint64_t max_entries;        /* members of one layer */
        size_t max_arena;            /* bytes of metadata remembered for one layer */
        uint64_t max_secret_file;    /* files larger than this are not searched for secrets */
        uint64_t max_stream_file;    /* stream analyzers (Go, Java) stop reading a file after this */
};

void layer_limits_default(struct layer_limits *l);

/* Progress of the layer being read: called from the worker thread, at most every few MB. */
typedef void (*layer_progress_fn)(void *userdata, int layer_index, uint64_t bytes_stored, uint64_t bytes_tar);

struct layer_options {
        struct layer_limits limits;
        const char *tmpdir;                   /* private temporary area (mode 0700) for analyzers that
                                                 need a real file (SQLite rpmdb); NULL: $TMPDIR */
        const struct secrets_engine *secrets; /* NULL: no secret scanning */
        layer_progress_fn progress;
        void *progress_userdata;
};

/* A pull source of raw bytes (a blob as stored: compressed or not). read() returns bytes read, 0 at
 * end, or a negative errno. */
struct byte_source {
        ssize_t (*read)(void *userdata, void *buf, size_t n);
        void *userdata;
};

/* What the caller knows about the layer; empty strings mean "unknown, do not check". */
struct layer_expect {
        int index;                          /* for messages and progress */
        const char *digest;                 /* digest of the stored blob */
        const char *diff_id;                /* digest of the uncompressed tar */
        const char *name;                   /* how to name it in messages, e.g. "sha256:ab12…" or a path */
};

/* Reads one layer blob (tar, tar+gzip or tar+zstd, detected from its magic) to the end, verifies what
 * `expect` names, and returns its analysis. A digest mismatch, truncation or limit breach is an error
 * (recorded in d, naming the layer); a bad member is a warning and is skipped. */
int layer_analyze_blob(const struct byte_source *src, const struct layer_expect *expect,
                       const struct layer_options *opts, struct diag *d, struct layer_result **ret);

/* Analyzes a root filesystem directory as if it were one layer (dir: targets). Symlinks are not
 * followed, special files are not opened, and the walk never leaves the directory's file system. */
int layer_analyze_dir(const char *root, const struct layer_options *opts, struct diag *d,
                      struct layer_result **ret);

/* ---- for analyzers (catalogers), called during a layer pass ---- */

struct layer_ctx; /* the pass over one layer */

/* Content of the current member, for stream analyzers. Reads stop at the member's end or at
 * limits.max_stream_file; holes of sparse members read as zeros. */
struct entry_reader;
ssize_t entry_reader_read(struct entry_reader *r, void *buf, size_t n);
/* Skips forward; returns 0, or -ESPIPE past the end. */
int entry_reader_skip(struct entry_reader *r, uint64_t n);
uint64_t entry_reader_offset(const struct entry_reader *r);

struct layer_result *layer_ctx_result(struct layer_ctx *c);
struct arena *layer_ctx_arena(struct layer_ctx *c);
/* A new zeroed package in the result (layer fields set to -1), or NULL on OOM. */
struct pkg *layer_ctx_new_pkg(struct layer_ctx *c);
char *layer_ctx_strdup(struct layer_ctx *c, const char *s);
char *layer_ctx_strndup(struct layer_ctx *c, const char *s, size_t n);
int layer_ctx_add_fact(struct layer_ctx *c, enum layer_fact_kind kind, const char *path, const char *key,
                       const char *data, size_t len);
/* A warning kept with the layer's result ("skipping 'x': …"). */
void layer_ctx_warn(struct layer_ctx *c, const char *fmt, ...) _printf_(2, 3);
const struct layer_limits *layer_ctx_limits(struct layer_ctx *c);
/* The private temporary directory for analyzers that must spool a file (never NULL). */
const char *layer_ctx_tmpdir(struct layer_ctx *c);

enum analyzer_mode {
        ANALYZE_NONE = 0,
        ANALYZE_BUFFER, /* wants the whole file in memory (at most max_size bytes) */
        ANALYZE_STREAM, /* reads the file itself through an entry_reader */
};

enum analyzer_sniff {
        SNIFF_ANY = 0,
        SNIFF_ELF,
        SNIFF_ZIP,
};

/* A cataloger or other per-file analyzer. The table lives in layer-analyzers.c. Analyzers return 0, or a
 * negative errno for fatal trouble only (-ENOMEM); a malformed file is a layer_ctx_warn() and 0. */
struct analyzer {
        const char *name;
        enum analyzer_mode (*match)(const struct layer_file *f);
        size_t max_size;             /* BUFFER: larger files are skipped with a warning */
        enum analyzer_sniff sniff;   /* STREAM: only when the content starts like this */
        int (*on_buffer)(struct layer_ctx *c, const struct layer_file *f, const uint8_t *data, size_t n);
        int (*on_stream)(struct layer_ctx *c, const struct layer_file *f, struct entry_reader *r);
};

extern const struct analyzer *const layer_analyzers[];
extern const size_t layer_analyzers_count;

/* ---- for unit tests and fuzz targets: run analyzers without an archive ---- */

/* A layer pass over nothing: feed files to analyzers with on_buffer()/on_stream() directly, then look at
 * layer_ctx_result(). */
int layer_ctx_new_standalone(const struct layer_options *opts, struct diag *d, struct layer_ctx **ret);
void layer_ctx_free_standalone(struct layer_ctx *c);
/* An entry_reader over a memory buffer (must outlive the reader). */
struct entry_reader *entry_reader_new_mem(const void *data, size_t n);
void entry_reader_free(struct entry_reader *r);
/* Runs every analyzer (and the secret scanner) on a file as the layer walkers do. */
int layer_ctx_feed_file(struct layer_ctx *c, const struct layer_file *f, const void *data, size_t n);

/* Bumped whenever what a layer pass records changes, so stale cache entries are ignored. */
#define LAYER_ANALYSIS_VERSION 6
