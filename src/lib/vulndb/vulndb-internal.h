/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Internals of the vulnerability database, shared by the feed parsers (vulndb-osv.c, vulndb-debian.c,
 * vulndb-secdb.c, vulndb-nvd.c), the builder (vulndb-build.c), the record codec (vulndb-codec.c) and
 * the reader (vulndb-read.c). Fuzz targets and unit tests use the parsers directly through this header.
 *
 * Everything a parser keeps lives in the build's arena; parsers never hold pointers into the input. */

#include <jansson.h>

#include "buf.h"
#include "core/digest.h"
#include "core/json-util.h"
#include "hashmap.h"
#include "vec.h"
#include "vulndb.h"

/* ---- limits on what one record may contain (beyond them: a warning, and the part is skipped) ---- */
#define VDB_MAX_ID             128 /* an advisory id */
#define VDB_MAX_ECOSYSTEM      128
#define VDB_MAX_PACKAGE        512
#define VDB_MAX_VERSION        256
#define VDB_MAX_IDS            512   /* aliases, upstream, related of one record */
#define VDB_MAX_AFFECTED       20000 /* affected[] entries of one record */
#define VDB_MAX_RANGES         256   /* ranges of one affected entry */
#define VDB_MAX_EVENTS         1024  /* events of one range */
#define VDB_MAX_VERSIONS       50000 /* versions of one affected entry */
#define VDB_MAX_SUMMARY        512   /* bytes of summary kept (longer text is cut at a UTF-8 boundary) */
#define VDB_MAX_NOTE           256
#define VDB_MAX_ECO_SPECIFIC   (16 * 1024)
#define VDB_MAX_CWES           64
#define VDB_MAX_DATE           64
#define VDB_MAX_VECTOR         256
#define VDB_MAX_PKG_STATEMENTS 200000 /* statements about one (ecosystem, package) */
#define VDB_MAX_YAML_DEPTH     64
#define VDB_MAX_JSON_DEPTH     128
#define VDB_MAX_BLOB           (256u * 1024 * 1024)

#define VDB_APPLICATION_ID 0x53544b56 /* "STKV" in the SQLite header */
#define VDB_MAGIC          "stockade-vulndb"

enum vdb_kind {
        VK_OSV,
        VK_DEBIAN,
        VK_SECDB,
        VK_NVD,
        VK_KEV,
        _VK_MAX,
        VK_UNKNOWN = -1,
};
const char *vdb_kind_to_string(enum vdb_kind k); /* "osv", "debian-tracker", "secdb", "nvd", "kev" */

/* ---- utilities (vulndb-util.c) ---- */

/* An advisory id: 1..VDB_MAX_ID printable ASCII characters without spaces or quotes. */
bool vdb_valid_id(const char *s);
/* Printable text of at most max bytes: no control characters (tab allowed), valid UTF-8. */
bool vdb_valid_text(const char *s, size_t max);
/* "YYYY-MM-DD…" with a plausible date; dates before 1995 (Go's "0001-01-01") count as unknown. */
bool vdb_valid_date(const char *s);
/* A copy of s cut to at most max bytes at a UTF-8 boundary, with "…" appended when cut; the first
 * paragraph only when first_paragraph. Control characters become spaces. */
char *vdb_summary_dup(struct arena *a, const char *s, size_t max, bool first_paragraph);

/* Ecosystems: the canonical spelling of the part before ':' (case-insensitive), or NULL when unknown. */
const char *vdb_ecosystem_base_canonical(const char *base, size_t len);
/* PEP 503: lowercase, runs of '-', '_' and '.' become one '-'. */
void vdb_pep503(const char *in, char *out, size_t size);

/* A qualitative rating word from a feed ("MODERATE", "important", "low**", "negligible") -> severity;
 * SEV_UNKNOWN when not a rating. */
enum severity vdb_severity_from_word(const char *s);
enum severity vdb_severity_from_cvss(double score);
/* Which database an id belongs to, for severity_source: "ghsa", "debian", "ubuntu", "redhat", … */
const char *vdb_database_of_id(const char *id);
/* Ranking for choosing the id of merged statements: lower is preferred. */
int vdb_id_rank(const char *id);

/* The stable 63-bit key of (ecosystem, package): the rowid of the package's row (collisions are
 * resolved by probing the next rowid). Never 0. */
int64_t vdb_package_key(const char *ecosystem, const char *package);

/* "2026-11-23T19:05:32Z" for t. */
void vdb_format_time(time_t t, char out[static 32]);
/* Parses the date part (and time when present) of an RFC 3339 string; -1 when unparsable. */
time_t vdb_parse_time(const char *s);

/* ---- CVSS (vulndb-cvss.c) ---- */

struct cvss3 {
        char av, ac, pr, ui, s, c, i, a; /* base metric values: 'N', 'L', 'H', … */
        int minor;                       /* 0 or 1: CVSS:3.0 or CVSS:3.1 */
};
/* Parses a CVSS v3.0/v3.1 vector ("CVSS:3.1/AV:N/…"); every base metric exactly once, temporal and
 * environmental metrics allowed (and ignored). -EINVAL when not a valid vector. */
int cvss3_parse(const char *vector, struct cvss3 *ret);
/* The base score per the CVSS v3.1 specification (section 7.1, with the Roundup of appendix A). */
double cvss3_base_score(const struct cvss3 *c);
/* Both in one: -EINVAL or 0 with the score. */
int cvss3_score(const char *vector, double *ret);
/* Checks the shape of a CVSS v4.0 vector
 * ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N…"): the prefix and the eleven base
 * metrics with valid values. */
bool cvss4_vector_valid(const char *vector);
/* A CVSS v2 vector ("AV:N/AC:L/Au:N/C:P/I:P/A:P") and its base score. */
int cvss2_score(const char *vector, double *ret);

/* ---- JSON scanning (vulndb-jsonscan.c) ----
 * Feeds such as the Debian tracker (~100 MB, one object) and NVD (one array) are too large to load as one
 * jansson tree within the per-record cap. The scanner walks the text, checking its structure, and hands
 * out the byte span of each member or element, which is then parsed alone with json_parse_capped(). */

struct jscan_error {
        size_t offset;
        const char *what;
};
/* The end of the JSON value starting at p (after leading whitespace), or NULL with err set. */
const char *jscan_skip_value(const char *p, const char *end, struct jscan_error *err);
const char *jscan_skip_ws(const char *p, const char *end);
/* Calls fn for each member of the object starting at p: key (decoded, NUL-terminated; keys longer than
 * 4 KiB are an error) and the value's span. fn returns 0 to go on, 1 to stop, negative to fail. Returns
 * 0, or -EBADMSG (structure; err set) or what fn returned. */
typedef int (*jscan_member_fn)(void *userdata, const char *key, const char *val, size_t len);
int jscan_object(const char *p, const char *end, jscan_member_fn fn, void *userdata,
                 struct jscan_error *err);
typedef int (*jscan_element_fn)(void *userdata, size_t index, const char *val, size_t len);
int jscan_array(const char *p, const char *end, jscan_element_fn fn, void *userdata,
                struct jscan_error *err);
/* The value of a top-level string member of the object at p (e.g. "id"), decoded into out; false when
 * there is none or it does not fit. Cheap: for naming records that are too large to parse. */
bool jscan_peek_string(const char *p, const char *end, const char *key, char *out, size_t size);

/* ---- YAML (vulndb-yaml.c) ---- */

/* Converts one YAML document (len ≤ cap) into a jansson tree. Every scalar becomes a JSON string except
 * plain null/~/empty (null) and plain true/false (booleans): versions such as 1.10 must stay text.
 * Aliases, more than one document, non-scalar keys, duplicate keys and nesting beyond
 * VDB_MAX_YAML_DEPTH are errors. -EBADMSG with "line L, column C: what" in errbuf. */
int vdb_yaml_to_json(const char *data, size_t len, size_t cap, json_t **ret, char *errbuf, size_t errsize);

/* ---- the build state ---- */

struct vdb_range {
        enum vuln_range_type type;
        struct vuln_event *events;
        uint32_t n_events;
};

/* One advisory id: what is known about the vulnerability itself. */
struct vdb_vuln {
        const char *id;
        const char **aliases, **upstream, **related, **cwes; /* NULL-terminated, or NULL */
        const char *summary, *published, *modified;
        enum severity severity; /* the record's own rating (GHSA, Ubuntu, Red Hat …) */
        const char *severity_source;
        double cvss; /* the record's own CVSS (v3 computed, else v4 as given) */
        const char *cvss_vector;
        bool has_nvd_cvss; /* from NVD, through the CVE ids it names */
        double nvd_cvss;
        const char *nvd_vector;
        bool kev;
        const char *kev_date;
        /* The OSV record that owns this id: a newer one (by modified, then by file order) replaces it. */
        bool osv_owned;
        uint32_t osv_gen;
        size_t osv_seq;
        size_t osv_arg;
        const char *osv_file;
        int64_t rowid; /* assigned when written; 0 = not referenced */
        bool referenced;
};

/* One statement about one (ecosystem, package), as read; finished when the database is written. */
struct vdb_stmt {
        struct vdb_vuln *vuln;
        uint32_t gen;   /* vuln->osv_gen when made (OSV); a replaced record's are dropped */
        uint32_t group; /* source group (index into the build's sources) */
        enum vdb_kind kind;
        enum vuln_status status;
        enum severity severity; /* the statement's own rating (Debian urgency …) */
        const char *severity_source;
        double cvss;
        const char *cvss_vector;
        const char *ecosystem, *package, *fixed, *note, *eco_specific;
        struct vdb_range *ranges;
        uint32_t n_ranges, n_versions;
        const char **versions;
        bool dead;
};

struct vdb_nvd {
        bool has_cvss;
        double cvss;
        const char *vector;
        const char **cwes;
        const char *summary, *published, *modified;
};

struct vdb_kev {
        const char *date_added;
};

/* Counters of the file being parsed; added to its source group when the file is done. */
struct vdb_file_stats {
        size_t records, skipped, withdrawn, duplicates;
        char snapshot[VDB_MAX_DATE + 1]; /* newest modification date seen */
        char family[VDB_MAX_ECOSYSTEM + 1];
        enum vdb_kind kind;
};

struct vdb_build {
        struct arena *arena;
        struct diag *d;
        size_t max_record_bytes, max_file_bytes, max_memory;
        struct hashmap *vulns; /* id -> struct vdb_vuln */
        VEC(struct vdb_stmt) stmts;
        struct hashmap *nvd;     /* CVE id -> struct vdb_nvd */
        struct hashmap *kev;     /* CVE id -> struct vdb_kev */
        struct hashmap *strings; /* interned ecosystems and other repeated short strings */
        struct hashmap *warned;  /* messages given once (unknown ecosystems) */
        const char *file;        /* display name of the file being parsed */
        size_t file_seq;         /* increases with every file: later files win ties */
        size_t cur_arg;          /* index of the SOURCE argument being read */
        bool oom;                /* an allocation failed: the build fails */
        struct vdb_file_stats fs;
        const char *kev_catalog; /* catalogVersion of the KEV feed read */
};

int vdb_build_init(struct vdb_build *b, struct diag *d, size_t max_record_bytes, size_t max_file_bytes,
                   size_t max_memory);
void vdb_build_done(struct vdb_build *b);

/* Recognizes the feed in data (a file's whole content; name is used in messages and for the YAML/JSON
 * decision when the content is ambiguous) and parses it into b. Returns 0 (records may have been
 * skipped with warnings), -EBADMSG when the file as a whole could not be used (warned), or a fatal error
 * (-ENOMEM, memory cap: recorded as the build's error). */
int vdb_parse_file(struct vdb_build *b, const char *data, size_t len);

/* The individual parsers, for the fuzz targets and the tests. */
int vdb_parse_osv_json(struct vdb_build *b, const char *data, size_t len); /* a record or an array */
int vdb_parse_osv_record(struct vdb_build *b, const json_t *rec);
int vdb_parse_yaml(struct vdb_build *b, const char *data, size_t len); /* OSV or secdb YAML */
int vdb_parse_debian(struct vdb_build *b, const char *data, size_t len);
int vdb_parse_secdb_json(struct vdb_build *b, const char *data, size_t len);
int vdb_parse_secdb_value(struct vdb_build *b, const json_t *doc);
int vdb_parse_nvd(struct vdb_build *b, const char *data, size_t len);
int vdb_parse_kev(struct vdb_build *b, const char *data, size_t len);

/* Helpers the parsers share (vulndb-build.c). */
const char *vdb_intern(struct vdb_build *b, const char *s);
/* The vulnerability record for id, created when missing. */
struct vdb_vuln *vdb_vuln_get(struct vdb_build *b, const char *id);
struct vdb_stmt *vdb_stmt_new(struct vdb_build *b, struct vdb_vuln *v, enum vdb_kind kind);
/* Validates an ecosystem string and returns its canonical, interned form; warns once for an unknown
 * ecosystem (kept as is) and returns NULL (after a warning naming record) when it is not usable. */
const char *vdb_ecosystem(struct vdb_build *b, const char *record_id, const char *eco);
/* The stored form of a package name: validated, then normalized per ecosystem; NULL when unusable. */
const char *vdb_package(struct vdb_build *b, const char *ecosystem, const char *name);
void vdb_note_date(struct vdb_build *b, const char *date);
void vdb_set_family(struct vdb_build *b, const char *ecosystem);
/* Called where an allocation failed: records the build's error and returns -ENOMEM, or -E2BIG when the
 * memory cap was reached. */
int vdb_oom(struct vdb_build *b);
/* 0, or the fatal error when the memory cap was reached (allocations then fail). */
int vdb_check(struct vdb_build *b);
/* Copies a JSON array of ids into a NULL-terminated vector (invalid entries are dropped). */
const char **vdb_ids_dup(struct vdb_build *b, const json_t *arr);
/* Adds the strings of add to *v (no duplicates). */
int vdb_strv_union(struct vdb_build *b, const char ***v, const char *const *add);
size_t vdb_strv_len(const char *const *v);
bool vdb_strv_contains(const char *const *v, const char *s);

#define vdb_warn(b, id, fmt, ...) \
        diag_warn((b)->d, "%s: record '%s': " fmt, (b)->file, (id) ? (id) : "?", ##__VA_ARGS__)

/* ---- the database file (vulndb-build.c, vulndb-read.c) ---- */

struct sqlite3;
/* sha256 over the stored content (sources, vulns, extras, packages, ecosystems; every column of every
 * row, in rowid order), as "sha256:…". Written to meta at build, recomputed by vulndb_verify(). */
int vdb_content_checksum(struct sqlite3 *db, char out[static DIGEST_STR_MAX]);

/* ---- record codec (vulndb-codec.c) ----
 * A package row holds all statements about one (ecosystem, package) in one blob:
 *   'P' 1 crc32c(le32 of the rest) varint(n) statement…
 * Strings are varint(len + 1) (0 = NULL), the bytes and a NUL, so decoding points into the blob. */

struct vdb_enc_stmt {
        const char *id;
        const char *const *aliases, *const *upstream;
        enum vuln_status status;
        enum severity severity;
        bool kev;
        const char *fixed, *severity_source, *cvss_vector, *kev_date, *note;
        double cvss;
        uint32_t source;
        int64_t details_ref, extras_ref;
        const struct vuln_range *ranges;
        size_t n_ranges;
        const char *const *versions;
};

/* CRC-32C of the bytes (hardware-assisted where the CPU can). */
uint32_t vdb_crc32c(const void *data, size_t n);

int vdb_encode_stmt(struct buf *out, const struct vdb_enc_stmt *s);
/* Wraps encoded statements (concatenated in body) into a package blob. */
int vdb_encode_package(struct buf *out, const void *body, size_t len, size_t n);
int vdb_encode_details(struct buf *out, const char *summary, const char *published, const char *modified,
                       const char *const *cwes, const char *const *related);
int vdb_encode_extras(struct buf *out, const char *json);

struct vdb_decoded {
        struct vuln_affected a;
        uint32_t source;
        int64_t extras_ref;
};
/* Decodes a package blob without copying: strings point into data (which must stay alive; the NULs the
 * encoding stores end them). Arrays go to arena. -EBADMSG when damaged. */
int vdb_decode_package(const void *data, size_t len, struct arena *arena, struct vdb_decoded **ret,
                       size_t *ret_n);
int vdb_decode_details(const void *data, size_t len, struct arena *arena, const char **summary,
                       const char **published, const char **modified, const char *const **cwes,
                       const char *const **related);
int vdb_decode_extras(const void *data, size_t len, const char **json);
