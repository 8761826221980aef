/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Vulnerability matching (docs/vulnerability-matching.md): for each package of an inventory, the
 * advisories of its ecosystem that apply, evaluated with the ecosystem's own version order, merged into
 * one finding per (package, vulnerability) however many feeds and ids describe it.
 *
 * Thread-safety: match_packages() uses one vulndb handle; run one per thread. */

#include "arena.h"
#include "core/diag.h"
#include "core/model.h"
#include "vulndb/vulndb.h"

enum finding_status {
        FINDING_FIXED,       /* a fix exists: upgrade to fixed_version */
        FINDING_UNFIXED,     /* affected, no fix published yet */
        FINDING_WONT_FIX,    /* affected; the distribution will not fix it */
        FINDING_END_OF_LIFE, /* affected; the release or package is out of support */
        _FINDING_STATUS_MAX,
};

const char *
finding_status_to_string(enum finding_status s); /* "fixed", "unfixed", "will-not-fix", "end-of-life" */

struct vuln_finding {
        const struct pkg *pkg; /* the package (in the scan result) */
        const char *id;        /* primary id: the CVE when there is one */
        const char **ids;      /* every id of the vulnerability, primary first, NULL-terminated */
        enum finding_status status;
        const char *installed_version;
        const char *fixed_version; /* NULL when there is none */
        enum severity severity;
        const char *severity_source; /* "debian", "ghsa", "cvss", … */
        double cvss_score;
        const char *cvss_vector;
        bool kev;
        const char *summary;
        const char *const *cwes;          /* "CWE-79", …, NULL-terminated; NULL when none */
        const char *published, *modified; /* RFC 3339 dates of the primary advisory, when known */
        const char *ecosystem;            /* what was looked up: "Debian:12", "PyPI", … */
        const char *package_name;         /* … under which name (a distro's source package) */
        const char **sources;             /* feeds that said so, NULL-terminated */
        const char *note;                 /* the feed's remark, if any */
        /* exceptions (match_apply_exceptions()); an excepted finding is kept in every report but does
         * not count for the gate, and the table leaves it out */
        const char *excepted_by;       /* "vex", "ignore-file", "ignore-unfixed", or NULL */
        const char *exception_reason;  /* the ignore entry's reason; VEX: the justification and statement */
        const char *exception_source;  /* where it was said: "FILE:LINE" of an ignore entry, a VEX file */
        const char *exception_expires; /* ignore entries: "YYYY-MM-DD", when the entry has one */
        const char *vex_status;        /* VEX: "not_affected" or "fixed" (as OpenVEX spells them) */
        const char *vex_justification; /* VEX: the justification as given ("vulnerable_code_not_present") */
};

struct vuln_finding_vec {
        struct vuln_finding *items;
        size_t n, alloc;
};

/* The ecosystem and name a package is looked up under, per the design's table (distro packages by
 * source package and release). Returns 0, or -ENOENT when the package's ecosystem has no advisories we
 * can match (an unknown distribution, a Maven artifact without groupId). Strings in a. */
int match_lookup_key(struct arena *a, const struct pkg *p, const struct scan_os *os,
                     const char **ret_ecosystem, const char **ret_name, const char **ret_version);

struct match_stats {
        size_t packages, lookups, statements, findings, skipped_invalid;
        size_t no_ecosystem;  /* packages with no ecosystem to look up (unknown distribution, …) */
        uint64_t nanoseconds; /* spent in match_packages() (monotonic clock), for --timing and benchmarks */
};

/* Matches every package; appends findings to out (sorted: severity, then id, then package). Invalid
 * versions are warned about once per package and skipped. */
int match_packages(struct vulndb *db, const struct pkg_vec *pkgs, const struct scan_os *os, struct arena *a,
                   struct diag *d, struct vuln_finding_vec *out, struct match_stats *ret_stats);

int vuln_finding_compare(const struct vuln_finding *a, const struct vuln_finding *b);

/* The OSV ecosystem of a distribution named as a purl's distro qualifier, normalized as
 * "ID-VERSION" ("debian-12" -> "Debian:12", "alpine-3.18.4" -> "Alpine:v3.18", "almalinux-9.3" ->
 * "AlmaLinux:9", "rocky-9" -> "Rocky Linux:9", "redhat-9"/"rhel-9" -> "Red Hat:9", "ubuntu-22.04" ->
 * "Ubuntu:22.04", "debian-bookworm" -> "Debian:12"); NULL when unknown. Strings in a. */
const char *match_distro_ecosystem(struct arena *a, const char *distro);

/* ---- exceptions: VEX statements, an ignore file, --ignore-unfixed ---- */

struct ignore_list; /* ignore.h */
struct vex_set;     /* vex.h */

struct match_exceptions {
        const struct vex_set *vex;        /* NULL: none */
        const struct ignore_list *ignore; /* NULL: none */
        bool ignore_unfixed;              /* findings without a fixed version are excepted */
        /* The scanned image's digests (ID, manifest digest, repo digests), NULL-terminated: a VEX
         * statement whose product is an image (pkg:oci, pkg:docker) applies only when it names one of
         * them, or names no digest at all. */
        const char *const *image_digests;
};

/* Marks the findings that an exception covers, in this order of precedence: a VEX statement saying
 * not_affected or fixed for (one of the finding's ids, the package's purl), an unexpired entry of the
 * ignore file, --ignore-unfixed. Strings in a. Findings keep their order. Counts what each ignore entry
 * matched (ignore_list.rules[].used). */
int match_apply_exceptions(const struct match_exceptions *x, struct vuln_finding_vec *v, struct arena *a,
                           struct diag *d);
