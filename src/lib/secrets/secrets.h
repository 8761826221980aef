/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Secret detection: a set of rules (data, rules/secrets.yaml) compiled once into a multi-pattern
 * matcher, so the cost of a scan grows with the bytes scanned, not with rules × bytes.
 *
 * Rules file format: see man/stockade-secret-rules.5. Matches are reported with a masked excerpt; the
 * secret itself is never copied out of the scanned buffer.
 *
 * Thread-safety: a secrets_engine is immutable once loaded and may be shared by threads; each thread
 * uses its own secrets_scratch. */

#include "core/diag.h"
#include "core/model.h"

struct secrets_engine;
struct secrets_scratch;

/* Files larger than this are not searched (secrets_engine_wants() says no; the layer walker enforces
 * its own max_secret_file as well). */
#define SECRETS_MAX_FILE_SIZE    (8 * MiB)
/* secrets_scan() reports at most this many matches per buffer, then stops and returns 2. */
#define SECRETS_SCAN_MAX_MATCHES 1000

/* Loads rules from path, or the built-in default rules when path is NULL. Errors name file and line.
 * Loading compiles the rules (about 0.1 s for the default set): load once per process and share. */
int secrets_engine_load(const char *path, struct diag *d, struct secrets_engine **ret);
/* The same from rules text in memory; name is used in messages ("name:line:column: …"). */
int secrets_engine_load_data(const char *name, const void *data, size_t n, struct diag *d,
                             struct secrets_engine **ret);
/* The same, reusing a compiled matcher kept in cache_dir (compiling takes a few hundred milliseconds);
 * cache_dir NULL means no cache. A cache file that does not check out is ignored and replaced. */
int secrets_engine_load_cached(const char *path, const char *cache_dir, struct diag *d,
                               struct secrets_engine **ret);
void secrets_engine_free(struct secrets_engine *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct secrets_engine *, secrets_engine_free);

/* "sha256:…" of the rules in effect (part of the layer cache key). */
const char *secrets_engine_digest(const struct secrets_engine *e);
size_t secrets_engine_rule_count(const struct secrets_engine *e);
/* The id of the i-th rule (file order), or NULL past the end. */
const char *secrets_engine_rule_id(const struct secrets_engine *e, size_t i);

/* The file policy: whether a file at this image path, of this size, is searched at all (size cap,
 * skipped directories and extensions; stated in man/stockade-secret-rules.5, FILE POLICY). Paths are
 * image paths ("etc/passwd"); a leading "/" or "./" is accepted. Binary content is checked separately
 * by the scanner. */
bool secrets_engine_wants(const struct secrets_engine *e, const char *path, uint64_t size);

int secrets_scratch_new(const struct secrets_engine *e, struct secrets_scratch **ret);
void secrets_scratch_free(struct secrets_scratch *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct secrets_scratch *, secrets_scratch_free);

struct secret_match {
        const char *rule_id;
        const char *title;
        const char *category;
        enum severity severity;
        uint64_t offset;     /* of the secret in the buffer */
        unsigned line;       /* 1-based, of the line where the match begins (a PEM key: its BEGIN line) */
        const char *excerpt; /* masked; valid only during the callback */
};

/* Called per match; return 0 to continue, negative errno to abort the scan with that error. */
typedef int (*secret_match_fn)(void *userdata, const struct secret_match *m);

/* Scans a buffer (a whole file, or a config field). Returns 0, 1 if the content looked binary (a NUL byte
 * in the first 8 KiB) and was skipped, 2 if it stopped after SECRETS_SCAN_MAX_MATCHES matches, or a
 * negative errno (-E2BIG for buffers of 4 GiB or more; the error of fn when it aborted the scan).
 *
 * Matches are reported after the whole buffer was searched, ordered by offset. Where matches of several
 * rules cover the same bytes, only the rule listed first in the rules file reports them. */
int secrets_scan(const struct secrets_engine *e, struct secrets_scratch *s, const void *data, size_t n,
                 secret_match_fn fn, void *userdata);
