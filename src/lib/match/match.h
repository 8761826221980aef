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
        FINDING_FIXED,         /* a fix exists: upgrade to fixed_version */
        FINDING_UNFIXED,       /* affected, no fix published yet */
        FINDING_WONT_FIX,      /* affected; the distribution will not fix it */
        FINDING_END_OF_LIFE,   /* affected; the release or package is out of support */
        _FINDING_STATUS_MAX,
};

const char *finding_status_to_string(enum finding_status s); /* "fixed", "unfixed", "will-not-fix", "end-of-life" */

struct vuln_finding {
        const struct pkg *pkg;        /* the package (in the scan result) */
        const char *id;               /* primary id: the CVE when there is one */
        const char **ids;             /* every id of the vulnerability, primary first, NULL-terminated */
        enum finding_status status;
        const char *installed_version;
        const char *fixed_version;    /* NULL when there is none */
        enum severity severity;
        const char *severity_source;  /* "debian", "ghsa", "cvss", … */
        double cvss_score;
        const char *cvss_vector;
        bool kev;
        const char *summary;
        const char *ecosystem;        /* what was looked up: "Debian:12", "PyPI", … */
        const char *package_name;     /* … under which name (a distro's source package) */
        const char **sources;         /* feeds that said so, NULL-terminated */
        const char *note;             /* the feed's remark, if any */
        /* exceptions (ignore file, VEX); an excepted finding is kept but does not count for the gate */
        const char *excepted_by;      /* "ignore-file", "vex", or NULL */
        const char *exception_reason;
};

struct vuln_finding_vec {
        struct vuln_finding *items;
        size_t n, alloc;
};

/* The ecosystem and name a package is looked up under, per the design's table (distro packages by
 * source package and release). Returns 0, or -ENOENT when the package's ecosystem has no advisories we
 * can match (an unknown distribution, a Maven artifact without groupId). Strings in a. */
int match_lookup_key(struct arena *a, const struct pkg *p, const struct scan_os *os, const char **ret_ecosystem,
                     const char **ret_name, const char **ret_version);

struct match_stats {
        size_t packages, lookups, statements, findings, skipped_invalid;
};

/* Matches every package; appends findings to out (sorted: severity, then id, then package). Invalid
 * versions are warned about once per package and skipped. */
int match_packages(struct vulndb *db, const struct pkg_vec *pkgs, const struct scan_os *os, struct arena *a,
                   struct diag *d, struct vuln_finding_vec *out, struct match_stats *ret_stats);

int vuln_finding_compare(const struct vuln_finding *a, const struct vuln_finding *b);
