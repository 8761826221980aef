/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* VEX input (`stockade scan --vex FILE`, repeatable): what a supplier or the team states about whether a
 * vulnerability affects a product. Two formats, recognized from the content:
 *
 *   OpenVEX (JSON, https://openvex.dev/ns/v0.2.0 and the older v0.0.1 spelling): statements[] with
 *   vulnerability (an object with name/@id/aliases, or a string), products (objects with @id and
 *   identifiers.purl, optionally subcomponents; or strings), status, justification, impact_statement,
 *   timestamp.
 *
 *   CycloneDX VEX (JSON, 1.4–1.6): vulnerabilities[] with id, references[].id (aliases), analysis
 *   (state, justification, response, detail, lastUpdated) and affects[].ref — a purl, or the bom-ref of
 *   a component of the same document (a BOM-link "urn:cdx:…#REF" is resolved the same way).
 *
 * A statement applies to a finding when it names one of the finding's ids and its product names the
 * package: the package's purl matches the product's (or subcomponent's) purl as match_purl_matches()
 * says; a product that is an image (pkg:oci, pkg:docker) without subcomponents applies to every package
 * of the image, when it names one of the image's digests or none. When several statements apply, the
 * newest (timestamp; then the later file and statement) decides; not_affected and fixed except the
 * finding, affected and under_investigation leave it as it is.
 *
 * Hostile input: at most VEX_MAX_BYTES per file, VEX_MAX_STATEMENTS statements in all, VEX_MAX_PRODUCTS
 * products per statement; malformed files are errors naming the file (and line, column for JSON syntax),
 * statements that cannot be used (no id, a ref that resolves to nothing, an unknown status) warnings.
 *
 * Thread-safety: a loaded set is read-only. */

#include "arena.h"
#include "core/diag.h"
#include "match.h"

#define VEX_MAX_BYTES      (64u * 1024 * 1024)
#define VEX_MAX_STATEMENTS 200000
#define VEX_MAX_PRODUCTS   100000
#define VEX_MAX_ALIASES    256

enum vex_status {
        VEX_NOT_AFFECTED,
        VEX_AFFECTED,
        VEX_FIXED,
        VEX_UNDER_INVESTIGATION,
};

const char *vex_status_to_string(enum vex_status s); /* OpenVEX spelling: "not_affected", … */

/* One product a statement is about: a purl (or another IRI), and, when the statement lists them, one of
 * its subcomponents. */
struct vex_product {
        const char *product;
        const char *sub; /* NULL: the product itself */
};

struct vex_statement {
        const char *id;             /* the vulnerability */
        const char *const *aliases; /* NULL-terminated, maybe NULL */
        struct vex_product *products;
        size_t n_products;
        enum vex_status status;
        const char *justification; /* as given: "vulnerable_code_not_present", "code_not_reachable" … */
        const char *detail;        /* impact_statement / analysis.detail, else status_notes */
        const char *timestamp;     /* RFC 3339 as given, "" when unknown */
        int64_t time;              /* the same in seconds since the epoch; INT64_MIN when unknown */
        const char *source;        /* the file it came from */
        size_t order;              /* position over every loaded file */
};

struct vex_set {
        struct vex_statement *items; /* malloc'd (vex_set_done()); strings in the arena */
        size_t n, alloc;
        const char **files; /* the files loaded, in order (arena) */
        size_t n_files;
};

/* Parses one VEX document (name is what messages call it) and appends its statements to set. */
int vex_parse(const char *data, size_t len, const char *name, struct arena *a, struct diag *d,
              struct vex_set *set);
/* Reads the regular file at path (at most VEX_MAX_BYTES) and parses it. */
int vex_load(const char *path, struct arena *a, struct diag *d, struct vex_set *set);
void vex_set_done(struct vex_set *set);

/* The statement that decides for this finding (see above), or NULL when none applies. image_digests as
 * in struct match_exceptions. Scratch strings go to a. */
const struct vex_statement *vex_find(const struct vex_set *set, struct arena *a,
                                     const struct vuln_finding *f, const char *const *image_digests);
