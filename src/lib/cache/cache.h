/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The layer cache: finished layer analyses (layer_result) stored in SQLite, keyed by what determines
 * them — the layer's diff_id, the analysis version and the secret rules in effect — so a layer shared by
 * many images, or scanned again, is read once. Values use a compact binary encoding (cache-codec.c)
 * because warm scans must load tens of thousands of file entries in milliseconds.
 *
 * The cache file lives in the user's cache directory; it is still parsed defensively: a value that does
 * not decode is dropped and the layer is read again.
 *
 * Thread-safety: one struct layer_cache per thread (SQLite connections are not shared). */

#include "core/diag.h"
#include "layer/layer.h"

struct layer_cache;

/* $XDG_CACHE_HOME/stockade, or ~/.cache/stockade (malloc'd). */
char *cache_dir_default(void);

/* Opens (creating) DIR/layers.db; dir NULL means $XDG_CACHE_HOME/stockade or ~/.cache/stockade. */
int layer_cache_open(const char *dir, struct diag *d, struct layer_cache **ret);
void layer_cache_close(struct layer_cache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct layer_cache *, layer_cache_close);

/* The key for a layer analysed with the given secret rules digest (NULL: no secret scanning). */
int layer_cache_key(const char *diff_id, const char *rules_digest, char **ret);

/* 1 and *ret on a hit, 0 on a miss, negative errno on failure. A value that does not decode is removed
 * and reported as a miss. */
int layer_cache_get(struct layer_cache *c, const char *key, struct layer_result **ret);
int layer_cache_put(struct layer_cache *c, const char *key, const struct layer_result *r);

/* Keeps the cache under max_bytes by dropping the least recently used entries. */
int layer_cache_trim(struct layer_cache *c, uint64_t max_bytes);

/* ---- finished results per image ----
 * A re-scan of an image whose layers are all cached would still decode every layer's file table and
 * merge them again; the finished result (inventory, findings) is kept too, keyed by what determines it:
 * the image's config digest (which pins its diff_ids), the analysis version and the options. */
struct snapshot_layer {
        char digest[DIGEST_STR_MAX];
        char diff_id[DIGEST_STR_MAX];
        uint64_t bytes_stored, bytes_tar;
        size_t n_files;
};

struct result_snapshot {
        struct scan_os os;
        struct pkg_vec pkgs;
        struct secret_vec secrets;
        struct misconfig_vec misconfigs;
        struct snapshot_layer *layers;
        size_t n_layers;
        size_t n_files;
        const char **warnings; /* NULL-terminated: the scan's warnings, repeated on a cached scan */
        bool secrets_scanned, misconfig_scanned;
};

/* 1 and *ret (strings and arrays in arena a; the vectors' items malloc'd) on a hit, 0 on a miss. */
int layer_cache_get_result(struct layer_cache *c, const char *key, struct arena *a, struct result_snapshot *ret);
int layer_cache_put_result(struct layer_cache *c, const char *key, const struct result_snapshot *s);

/* ---- the value encoding (cache-codec.c), also used by the fuzz target ---- */
int layer_result_encode(const struct layer_result *r, void **ret, size_t *ret_len);
int layer_result_decode(const void *data, size_t len, struct layer_result **ret);
int result_snapshot_encode(const struct result_snapshot *s, void **ret, size_t *ret_len);
int result_snapshot_decode(const void *data, size_t len, struct arena *a, struct result_snapshot *ret);
