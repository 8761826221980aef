/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What the report writers share: text sanitizing (every string that reaches an output came from a hostile
 * image), JSON building on top of jansson, creation times, UUIDs, stable identifiers for packages, and the
 * SPDX license list. Private to src/lib/report/.
 *
 * Each writer keeps its temporaries in one arena (struct arena) that dies with the call, so the helpers
 * below that return strings allocate there and return NULL only on out-of-memory. */

#include <jansson.h>

#include "buf.h"

#include "arena.h"
#include "report.h"

/* The project's home page, used where a format wants one (SARIF informationUri, the SPDX document
 * namespace). Meson's config.h may override it. */
#ifndef STOCKADE_URL
#define STOCKADE_URL "https://stockade.invalid"
#endif

/* ---- text ---- */

/* s as valid UTF-8: every byte that does not start a well-formed sequence (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF) becomes U+FFFD. NULL in, NULL out. */
char *report_utf8(struct arena *a, const char *s);

/* s for a terminal: valid UTF-8 as above, and nothing a terminal would act on. C0 controls and DEL become
 * visible escapes ("\n", "\t", "\x1b"), C1 controls (U+0080..U+009F) "\u009b", and the bidirectional
 * overrides and isolates (U+202A..U+202E, U+2066..U+2069) "\u202e", so a file name or an excerpt cannot
 * move the cursor, recolor the screen or reorder what is shown. NULL in, NULL out. */
char *report_term(struct arena *a, const char *s);

/* Display width of valid UTF-8 text, counted in code points (wide characters count as one). */
size_t report_text_width(const char *s);

/* Valid UTF-8 text cut to at most max code points. Longer text keeps its first max-1 code points and ends
 * in "…" (from_left = false), or keeps its last max-1 and starts with "…" (from_left = true: paths, whose
 * end says most). Returns s itself when it fits. */
const char *report_truncate(struct arena *a, const char *s, size_t max, bool from_left);

/* Characters outside [A-Za-z0-9.-] replaced by '-' (runs collapsed, '+' spelled "-plus"), at most max
 * bytes, never empty ("unknown"). For SPDX identifiers, LicenseRef-s and URL path segments. */
char *report_idstring(struct arena *a, const char *s, size_t max);

/* ---- JSON ---- */

/* A JSON string of s made valid UTF-8 (see report_utf8); NULL on out-of-memory or when s is NULL. */
json_t *rj_str(const char *s);
/* Sets key to value, stealing value. -ENOMEM when value is NULL (a failed constructor) or on OOM. */
int rj_set(json_t *obj, const char *key, json_t *value);
/* Sets key to the string s when s is non-NULL (absent optional values are left out). */
int rj_set_str(json_t *obj, const char *key, const char *s);
/* Appends value to an array, stealing it; -ENOMEM as rj_set. */
int rj_append(json_t *arr, json_t *value);
/* A JSON array of the strings of a NULL-terminated vector (an empty array for NULL). */
json_t *rj_strv(const char *const *v);

/* Writes the document with two-space indentation in insertion order, then a newline, and flushes.
 * Returns 0, -ENOMEM, or -EIO on a write error. */
int rj_write(FILE *f, const json_t *doc);

/* A streaming writer with exactly rj_write()'s output, for documents too big to build as a tree first
 * (thousands of packages). Errors stick and are returned by jw_finish(). Not thread-safe. */
struct jw {
        struct buf b;
        unsigned depth;
        bool empty[32]; /* per open container: nothing written into it yet */
        int error;
};
void jw_init(struct jw *w);
void jw_begin(struct jw *w, char open); /* '{' or '[' */
void jw_end(struct jw *w, char close);  /* '}' or ']' */
void jw_key(struct jw *w, const char *key); /* in an object: the next member's key */
void jw_elem(struct jw *w);                 /* in an array: before the next element */
void jw_string(struct jw *w, const char *s); /* invalid UTF-8 becomes U+FFFD, as rj_str() */
void jw_int(struct jw *w, long long v);
void jw_raw(struct jw *w, const char *token); /* true, false, null */
void jw_kv_str(struct jw *w, const char *key, const char *s); /* nothing when s is NULL */
void jw_kv_int(struct jw *w, const char *key, long long v);
void jw_kv_strv(struct jw *w, const char *key, const char *const *v); /* always an array, maybe empty */
/* Writes the document and a newline to f; frees the writer. 0, -ENOMEM, -EINVAL or -EIO. */
int jw_finish(struct jw *w, FILE *f);

/* ---- time, UUIDs, identifiers ---- */

#define REPORT_TIME_MAX 32

/* The document's creation time as "YYYY-MM-DDThh:mm:ssZ" (UTC): o->timestamp converted to UTC when
 * given, else now; "1970-01-01T00:00:00Z" when o->reproducible (formats that require a time use it, the
 * others leave the time out). -EINVAL when o->timestamp is not RFC 3339. */
int report_created(const struct report_options *o, char out[static REPORT_TIME_MAX]);

#define REPORT_UUID_MAX 37

/* A random (version 4) UUID, or with o->reproducible a name-based one (version 5, SHA-1, in stockade's
 * own namespace) derived from `purpose` and the image's identity, so that the same image gives the same
 * UUID. Lowercase, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
int report_uuid(const struct report_options *o, const struct scan_result *r, const char *purpose,
                char out[static REPORT_UUID_MAX]);
int report_uuid_v5(const char *name, size_t len, char out[static REPORT_UUID_MAX]);

/* What identifies the image in names and derived UUIDs: its ID, else its manifest digest, else the target
 * as given. Never NULL. */
const char *report_image_identity(const struct scan_result *r);
/* A human name for the image: its name, else the target, else "image". Never NULL. */
const char *report_image_name(const struct scan_result *r);

#define REPORT_PKG_HASH_LEN 16

/* 16 hex digits of SHA-256 over everything that tells two packages apart (type, namespace, name,
 * version, epoch, arch, purl, record path, inner path, layer, flags): the same package in the same place
 * gets the same value in every run and every format. */
int report_pkg_hash(const struct pkg *p, char out[static REPORT_PKG_HASH_LEN + 1]);

/* A set of identifiers handed out in one document: report_ids_claim() returns base itself, or base with
 * "-2", "-3", … appended when base was taken, so identifiers stay unique even for packages that compare
 * equal. Strings live in the arena. */
struct report_ids;
struct report_ids *report_ids_new(struct arena *a);
void report_ids_free(struct report_ids *ids);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct report_ids *, report_ids_free);
const char *report_ids_claim(struct report_ids *ids, const char *base);

/* The diff_id of layer i, or NULL when i is not a layer of the result. */
const char *report_layer_diff_id(const struct scan_result *r, int i);

/* The version as the ecosystem writes it in one string: rpm "EPOCH:VERSION-RELEASE" when there is an
 * epoch, else p->version (may be NULL). */
const char *report_pkg_full_version(struct arena *a, const struct pkg *p);

/* "go-main", "go-stdlib", "npm-dev", "lockfile", "nested": the names of the PKG_F_* flags, in bit
 * order; ret[] gets at most 8. Returns the count. */
size_t report_pkg_flag_names(uint32_t flags, const char *ret[static 8]);

/* ---- SPDX license list (report-license.c) ---- */

enum spdx_license_kind {
        SPDX_LICENSE_INVALID,    /* not an SPDX identifier nor a valid expression: a free-form name */
        SPDX_LICENSE_ID,         /* one license identifier on the SPDX License List */
        SPDX_LICENSE_EXPRESSION, /* a compound expression (AND, OR, WITH, "+", parentheses) */
};

/* Classifies a declared license string. For ID and EXPRESSION, *ret_canonical (arena) gets the
 * canonical spelling: identifiers in the list's case, operators in upper case, single spaces. Matching is
 * case-insensitive, as SPDX specifies. LicenseRef-/DocumentRef- references count as INVALID: they mean
 * nothing outside the document that defines them. Thread-safe. */
enum spdx_license_kind spdx_license_classify(struct arena *a, const char *s, const char **ret_canonical);

/* The canonical identifier when s is on the SPDX License List (licenses, including deprecated ones), or
 * NULL. Thread-safe. */
const char *spdx_license_id_lookup(const char *s);
const char *spdx_exception_id_lookup(const char *s);

/* ---- severity ---- */

/* SARIF levels: "error" for CRITICAL and HIGH, "warning" for MEDIUM and UNKNOWN, "note" for LOW. */
const char *report_sarif_level(enum severity s);
