/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Finishing the inventory once layers are merged: which package records the final filesystem still
 * shows, the layer that introduced each package, the distribution, declared licenses of Debian packages
 * (from copyright files), which language packages an OS package owns (Debian's dist-packages and
 * /usr/share/nodejs, Go binaries shipped in .debs …), lockfile entries superseded by installed
 * packages, and purls. */

#include "arena.h"
#include "core/diag.h"
#include "core/model.h"
#include "layer/layer.h"
#include "vec.h"
#include "view/view.h"

/* Fills *ret_os (strings in arena a) and appends the final packages to *pkgs, sorted. The packages'
 * strings stay in the layer results (keep them alive) or in a. */
int inventory_finish(struct layer_result *const *layers, size_t n_layers, const struct view *v,
                     struct arena *a, struct diag *d, struct scan_os *ret_os, struct pkg_vec *pkgs);

/* Parses os-release style KEY=value text (shell quoting) into os (strings in a). */
int inventory_parse_os_release(const char *data, size_t len, struct arena *a, struct scan_os *os);

/* The package URL of p (https://github.com/package-url/purl-spec), in arena a. */
const char *purl_for(struct arena *a, const struct pkg *p, const struct scan_os *os);
/* A parsed package URL; every part percent-decoded, type lowercased. */
struct purl_qualifier {
        const char *key, *value;
};
struct purl {
        const char *type;
        const char *namespace_; /* segments joined by '/', NULL when none */
        const char *name;
        const char *version;    /* NULL when none */
        struct purl_qualifier *qualifiers;
        size_t n_qualifiers;
        const char *subpath;
};

/* Parses a purl (strings in arena a). -EINVAL when it is not one (no "pkg:", no type or name, bad
 * percent-encoding, NUL bytes). */
int purl_parse(struct arena *a, const char *s, struct purl *ret);
const char *purl_get_qualifier(const struct purl *p, const char *key);

/* Percent-encodes s per the purl spec (everything but A-Z a-z 0-9 . - _ ~) into arena a. */
const char *purl_encode(struct arena *a, const char *s);
