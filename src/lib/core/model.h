/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The data model every module shares: packages, secret findings, misconfiguration findings, and the
 * severity scale. Objects are plain structs whose strings live in an arena owned by whoever holds the
 * collection (a layer result, or the merged scan result); nothing here frees individual fields. */

#include "macro.h"

enum severity {
        SEV_UNKNOWN = 0,
        SEV_LOW,
        SEV_MEDIUM,
        SEV_HIGH,
        SEV_CRITICAL,
        _SEV_MAX,
};

const char *severity_to_string(enum severity s);      /* "LOW" … */
enum severity severity_from_string(const char *s);    /* case-insensitive; SEV_UNKNOWN when unknown */

enum pkg_type {
        PKG_DEB,
        PKG_APK,
        PKG_RPM,
        PKG_NPM,
        PKG_PYTHON,
        PKG_GO,     /* Go modules and the standard library ("stdlib"), from binaries */
        PKG_MAVEN,  /* Java archives */
        PKG_CARGO,  /* Rust crates (from SBOMs: pkg:cargo) */
        PKG_GEM,    /* Ruby gems (from SBOMs: pkg:gem) */
        _PKG_TYPE_MAX,
};

const char *pkg_type_to_string(enum pkg_type t); /* "deb", "apk", "rpm", "npm", "python", "go", "maven",
                                                  * "cargo", "gem" */
int pkg_type_from_string(const char *s);         /* -EINVAL if unknown */
bool pkg_type_is_os(enum pkg_type t);

enum {
        PKG_F_GO_MAIN = 1u << 0,    /* the main module of a Go binary */
        PKG_F_GO_STDLIB = 1u << 1,  /* the Go toolchain/standard library the binary was built with */
        PKG_F_NPM_DEV = 1u << 2,    /* a devDependency (lockfile "dev": true) */
        PKG_F_LOCKFILE = 1u << 3,   /* known from a lockfile only: not found installed */
        PKG_F_NESTED = 1u << 4,     /* found inside another archive (jar in a war …) */
};

struct pkg {
        enum pkg_type type;
        const char *name;           /* as the ecosystem spells it; npm includes the scope ("@a/b") */
        const char *version;        /* deb: full version with epoch; rpm: VERSION-RELEASE (epoch apart) */
        const char *epoch;          /* rpm epoch, NULL when none */
        const char *namespace_;     /* maven groupId; NULL elsewhere */
        const char *source_name;    /* deb Source, apk origin, rpm source rpm name; NULL = same as name */
        const char *source_version; /* when the format gives one and it differs */
        const char *arch;
        const char **licenses;      /* declared license strings, NULL-terminated; NULL when none */
        const char *record_path;    /* image path of the record (status file, METADATA, binary, jar) */
        const char *inner_path;     /* path inside record_path for nested records (jar!/META-INF/...) */
        const char *purl;           /* filled when the inventory is finished */
        const char *owner;          /* "deb:python3-yaml" when an OS package owns the record */
        const char *go_toolchain;   /* Go packages: the "go1.19.8" the binary was built with */
        const char *distro;         /* the distribution this package belongs to when it is not the
                                     * image's, as a purl's distro qualifier names it ("debian-12",
                                     * "alpine-3.18", "almalinux-9"): packages read from an SBOM.
                                     * NULL = the scan's distribution (struct scan_os) */
        const char **owned_files;   /* files an OS package installs (image paths), NULL-terminated */
        uint32_t flags;             /* PKG_F_* */
        int layer;                  /* index of the layer that introduced it; -1 if unknown */
        int record_layer;           /* index of the layer that last wrote the record */
};

/* Where a finding sits: a file of a layer, or a field of the image configuration. */
enum location_kind {
        LOC_FILE,
        LOC_CONFIG,
};

enum file_state {
        FILE_PRESENT = 0,  /* visible in the final filesystem */
        FILE_DELETED,      /* removed by a later layer's whiteout, but still in the image's bytes */
        FILE_OVERWRITTEN,  /* replaced by a later layer */
};

const char *file_state_to_string(enum file_state s);

struct secret_finding {
        const char *rule_id;
        const char *title;
        const char *category;       /* "AWS", "PrivateKey", … */
        enum severity severity;
        enum location_kind where;
        const char *path;           /* LOC_FILE: image path; LOC_CONFIG: field ("Env", "history[3].created_by") */
        unsigned line;              /* 1-based; 0 if not meaningful */
        uint64_t offset;            /* byte offset of the match in the file or field */
        const char *excerpt;        /* the line around the match with the secret masked */
        int layer;                  /* LOC_FILE: layer index; -1 for config */
        enum file_state state;      /* filled when layers are merged */
};

struct misconfig_finding {
        const char *id;             /* "STK-IMG-001" */
        const char *cis;            /* "4.1" (CIS Docker Benchmark v1.6, section 4) or NULL */
        const char *title;
        enum severity severity;
        const char *message;        /* what was found, naming the subject */
        const char *remediation;
        const char *path;           /* file concerned, if any */
        int layer;                  /* -1 when not tied to a layer */
};

/* Named growable arrays (usable with the VEC_* macros of vec.h) so they can be passed around. */
struct pkg_vec {
        struct pkg *items;
        size_t n, alloc;
};
struct secret_vec {
        struct secret_finding *items;
        size_t n, alloc;
};
struct misconfig_vec {
        struct misconfig_finding *items;
        size_t n, alloc;
};

/* The distribution an image is built on, from its os-release (or distro-specific release files). */
struct scan_os {
        const char *id;          /* os-release ID: "debian", "alpine", "rhel", … (NULL when unknown) */
        const char *id_like;
        const char *version_id;  /* "12", "3.18.4", "9.3" */
        const char *codename;    /* VERSION_CODENAME: "bookworm" */
        const char *pretty_name;
        const char *source_path; /* the file it was read from */
};

/* Deterministic total orders, used before output so that the same image gives the same bytes. */
int pkg_compare(const struct pkg *a, const struct pkg *b);
int secret_compare(const struct secret_finding *a, const struct secret_finding *b);
int misconfig_compare(const struct misconfig_finding *a, const struct misconfig_finding *b);
