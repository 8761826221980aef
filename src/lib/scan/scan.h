/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The scan pipeline, wired together: open the target, read (or fetch from the cache) every layer's
 * analysis, merge layers into the final view, finish the inventory (distribution, licenses, ownership,
 * purls), match packages against the vulnerability database (and apply exceptions), and run the
 * misconfiguration checks. The result is what reports and gates consume.
 *
 * An "sbom:PATH" target is an SBOM (CycloneDX or SPDX JSON, sbomin.h) instead of an image: its packages
 * are matched; there are no layers, files, secrets or misconfigurations.
 *
 * Thread-safety: one scan per scan_run() call; scan_run() itself uses worker threads internally. */

#include "core/diag.h"
#include "core/model.h"
#include "image/image.h"
#include "layer/layer.h"
#include "match/match.h"
#include "sbomin/sbomin.h"
#include "vec.h"

struct scan_layer {
        int index;
        char digest[DIGEST_STR_MAX];
        char diff_id[DIGEST_STR_MAX];
        const char *created_by;
        uint64_t bytes_stored, bytes_tar;
        size_t n_files;
        bool from_cache;
};

struct scan_result {
        struct arena *arena;          /* owns the strings below that are not in layer results */
        const struct image *image;    /* owned by the image source, kept open by the result */
        struct scan_os os;
        struct scan_layer *layers;
        size_t n_layers;
        struct pkg_vec pkgs;             /* sorted with pkg_compare() */
        struct secret_vec secrets;       /* sorted with secret_compare() */
        struct misconfig_vec misconfigs; /* sorted with misconfig_compare() */
        size_t n_files;               /* paths in the final filesystem */
        bool secrets_scanned, misconfig_scanned, vulns_scanned;
        struct vuln_finding_vec vulns;   /* sorted with vuln_finding_compare() */
        struct match_stats match_stats;
        const char *vulndb_path;         /* the database matched against */
        const char *vulndb_built_at;
        const struct match_exceptions *exceptions; /* as given in the options (owned by the caller) */
        bool from_sbom;                  /* the target is an SBOM: no layers, no files */
        struct sbomin_info sbom;         /* from_sbom: what the SBOM held */

        /* internals kept alive for the pointers above */
        struct image_source *source;
        struct layer_result **layer_results;
        size_t n_layer_results;
        struct view *view;
};

struct scan_progress {
        void (*layer_begin)(void *userdata, int index, int n_layers, const char *diff_id, uint64_t size);
        void (*layer_bytes)(void *userdata, int index, uint64_t bytes_stored, uint64_t bytes_tar);
        void (*layer_end)(void *userdata, int index, bool from_cache);
        void *userdata; /* callbacks may come from worker threads, serialized by the caller's lock */
};

struct scan_options {
        struct image_source_options source;
        struct layer_limits limits;
        const char *cache_dir;        /* NULL: $XDG_CACHE_HOME/stockade or ~/.cache/stockade */
        bool no_cache;
        bool secrets;                 /* search for secrets */
        bool misconfig;               /* run the misconfiguration checks */
        bool vulns;                   /* match packages against the vulnerability database */
        const char *vulndb_path;      /* NULL: vulndb_default_path() */
        /* ignore file, VEX, --ignore-unfixed (image_digests is filled from the image); must outlive the
         * result, which points at it */
        const struct match_exceptions *exceptions;
        const struct sbomin_limits *sbom_limits; /* sbom: targets; NULL = defaults */
        const char *secret_rules;     /* NULL: built-in rules */
        unsigned threads;             /* layer workers; 0 = number of CPUs */
        const struct scan_progress *progress;
};

void scan_options_default(struct scan_options *o);

int scan_run(const char *target, const struct scan_options *o, struct diag *d, struct scan_result **ret);
void scan_result_free(struct scan_result *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct scan_result *, scan_result_free);
