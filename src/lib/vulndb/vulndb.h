/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The local vulnerability database: advisories from public feeds, normalized into one compact SQLite
 * file that the matcher reads.
 *
 *   feeds (OSV JSON/YAML of every ecosystem, the Debian security tracker JSON, Alpine/Wolfi secdb
 *   JSON/YAML, NVD CVE JSON 2.0, CISA KEV)  --vulndb_build()-->  DB  --vulndb_lookup()-->  matcher
 *
 * A database is built into a temporary file next to the destination and renamed into place only when
 * complete, so a failed build never replaces a good database. Opening checks the schema version and the
 * file's integrity markers and fails with a clear error on a corrupt or foreign file.
 *
 * Thread-safety: a struct vulndb is used by one thread at a time (open one per thread to share a file). */

#include "arena.h"
#include "core/diag.h"
#include "core/model.h"

#define VULNDB_SCHEMA_VERSION 1

/* What an advisory says about one package in one ecosystem. */
enum vuln_status {
        VS_AFFECTED = 0,   /* affected per ranges/versions (OSV); the matcher evaluates them */
        VS_FIXED,          /* distro: fixed in fixed_version (affected below it) */
        VS_UNFIXED,        /* distro: affected, no fix yet */
        VS_NOT_AFFECTED,   /* distro: this release was never affected */
        VS_WONT_FIX,       /* distro: affected, the distribution will not fix it */
        VS_END_OF_LIFE,    /* distro: affected, the release or package is out of support */
        _VS_MAX,
};

const char *vuln_status_to_string(enum vuln_status s); /* "affected", "fixed", "unfixed", … */

enum vuln_range_type {
        VR_ECOSYSTEM, /* versions compared with the ecosystem's own scheme */
        VR_SEMVER,    /* SemVer 2.0 */
};

enum vuln_event_kind {
        VE_INTRODUCED,
        VE_FIXED,
        VE_LAST_AFFECTED,
        VE_LIMIT,
};

struct vuln_event {
        enum vuln_event_kind kind;
        const char *version;
};

struct vuln_range {
        enum vuln_range_type type;
        const struct vuln_event *events;
        size_t n_events;
};

/* One advisory's statement about one (ecosystem, package). Strings live in the arena passed to the
 * lookup (or in the database's own arena until the next lookup: see vulndb_lookup()). */
struct vuln_affected {
        const char *id;              /* the advisory's own id: CVE-…, GHSA-…, GO-…, PYSEC-…, RUSTSEC-…, DSA-… */
        const char *const *aliases;  /* other ids of the same vulnerability, NULL-terminated */
        const char *ecosystem;       /* OSV spelling: "Debian:12", "Alpine:v3.18", "PyPI", "Go", … */
        const char *package;         /* as the ecosystem names it (source package for distros) */
        enum vuln_status status;
        const char *fixed_version;   /* distro statuses; NULL when none */
        const struct vuln_range *ranges; /* VS_AFFECTED: OSV ranges (GIT ranges are dropped at build) */
        size_t n_ranges;
        const char *const *versions;     /* VS_AFFECTED: explicitly listed affected versions */
        enum severity severity;      /* the distribution's or ecosystem's own rating, else from CVSS */
        const char *severity_source; /* "debian", "ghsa", "cvss", … */
        double cvss_score;           /* 0 when unknown */
        const char *cvss_vector;
        const char *const *cwes;
        const char *summary;
        const char *published, *modified;
        bool kev;                    /* in CISA's Known Exploited Vulnerabilities catalog */
        const char *kev_date_added;
        const char *source;          /* the feed it came from: "go-osv", "debian-tracker", … */
};

struct vulndb;

/* Opens read-only. -ENOENT with a hint ("run 'stockade db build'") when missing; -EBADMSG when corrupt
 * or not a stockade database; -EPROTO when built by an incompatible version. */
int vulndb_open(const char *path, struct diag *d, struct vulndb **ret);
void vulndb_close(struct vulndb *db);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vulndb *, vulndb_close);

/* Calls fn for every statement about (ecosystem, package). Names are matched after the ecosystem's
 * normalization (PyPI: PEP 503; others as is). Strings passed to fn stay valid until the next lookup.
 * Returns 0 or the first negative value fn returned. */
typedef int (*vulndb_affected_fn)(void *userdata, const struct vuln_affected *a);
int vulndb_lookup(struct vulndb *db, const char *ecosystem, const char *package, vulndb_affected_fn fn,
                  void *userdata);

/* The database's description, for `stockade db info` and for reports. */
struct vulndb_source_info {
        const char *name;      /* "go-osv" */
        const char *kind;      /* "osv", "debian-tracker", "secdb", "nvd", "kev" */
        const char *location;  /* path or URL it was read from */
        const char *snapshot;  /* newest modification date seen in it (RFC 3339) */
        size_t records, skipped;
};

struct vulndb_info {
        int schema_version;
        const char *built_at;          /* RFC 3339 */
        const char *tool_version;
        struct vulndb_source_info *sources;
        size_t n_sources;
        size_t n_vulns, n_affected, n_packages;
        const char *const *ecosystems; /* NULL-terminated */
};
int vulndb_get_info(struct vulndb *db, struct arena *a, struct vulndb_info *ret);

/* ---- building ---- */

struct vulndb_build_options {
        const char *tool_version;
        const char *built_at;      /* RFC 3339; NULL = now (fixed for reproducible builds) */
        size_t max_record_bytes;   /* one advisory document; default 4 MiB */
        size_t max_file_bytes;     /* one feed file; default 512 MiB */
        void (*progress)(void *userdata, const char *source, size_t files_done, size_t files_total);
        void *progress_userdata;
};

struct vulndb_build_stats {
        size_t files, records, skipped, vulns, affected;
};

/* Reads every SOURCE (a file or a directory, walked recursively; the format is recognized from the
 * content) and writes the database to out_path atomically. Malformed records are warnings in d (naming
 * file and record id) and are skipped; unreadable sources, or no usable record at all, are errors. */
int vulndb_build(const char *const *sources, size_t n_sources, const char *out_path,
                 const struct vulndb_build_options *o, struct diag *d, struct vulndb_build_stats *ret);

/* The default database path: $XDG_CACHE_HOME/stockade/vuln.db or ~/.cache/stockade/vuln.db. */
char *vulndb_default_path(void);
