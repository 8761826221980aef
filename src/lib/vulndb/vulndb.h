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
 * Thread-safety: a struct vulndb is used by one thread at a time (open one per thread to share a file).
 * vulndb_build() and vulndb_update() may run on any thread; they share nothing but their diag. */

#include "arena.h"
#include "core/diag.h"
#include "core/model.h"

#define VULNDB_SCHEMA_VERSION 1

/* What an advisory says about one package in one ecosystem. */
enum vuln_status {
        VS_AFFECTED = 0, /* affected per ranges/versions (OSV); the matcher evaluates them */
        VS_FIXED,        /* distro: fixed in fixed_version (affected below it) */
        VS_UNFIXED,      /* distro: affected, no fix yet */
        VS_NOT_AFFECTED, /* distro: this release was never affected */
        VS_WONT_FIX,     /* distro: affected, the distribution will not fix it */
        VS_END_OF_LIFE,  /* distro: affected, the release or package is out of support */
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
        const char *id; /* the advisory's own id: CVE-…, GHSA-…, GO-…, PYSEC-…, RUSTSEC-…, DSA-… */
        const char *const *aliases; /* other ids of the same vulnerability, NULL-terminated */
        const char *ecosystem;      /* OSV spelling: "Debian:12", "Alpine:v3.18", "PyPI", "Go", … */
        const char *package;        /* as the ecosystem names it (source package for distros) */
        enum vuln_status status;
        const char *fixed_version;       /* distro statuses; NULL when none */
        const struct vuln_range *ranges; /* VS_AFFECTED: OSV ranges (GIT ranges are dropped at build) */
        size_t n_ranges;
        const char *const *versions; /* VS_AFFECTED: explicitly listed affected versions */
        enum severity severity;      /* the distribution's or ecosystem's own rating, else from CVSS */
        const char *severity_source; /* "debian", "ghsa", "ubuntu", "redhat", "cvss", "nvd", … */
        double cvss_score;           /* 0 when unknown */
        const char *cvss_vector;
        const char *const *cwes;
        const char *summary;
        const char *published, *modified;
        bool kev; /* in CISA's Known Exploited Vulnerabilities catalog */
        const char *kev_date_added;
        const char *source; /* the feed it came from: "go-osv", "debian-tracker", … */

        /* Added with the builder (NULL when absent): */
        const char *const *upstream; /* OSV "upstream": the vulnerabilities this one derives from (distro
                                      * records name the CVE here); used for NVD/KEV enrichment */
        const char *const *related;  /* OSV "related": other vulnerabilities, never merged */
        const char *note; /* the feed's remark: "nodsa: Minor issue", "informational: unmaintained" */
        const char *ecosystem_specific; /* OSV affected[].ecosystem_specific as compact JSON (≤ 16 KiB) */
        int64_t details_ref; /* opaque: lets vulndb_fill_details() complete a lookup without details */
};

struct vulndb;

/* Opens read-only. -ENOENT with a hint ("run 'stockade db build'") when missing; -EBADMSG when corrupt
 * or not a stockade database; -EPROTO when built by an incompatible version.
 *
 * What open verifies (cheap, a few hundred µs whatever the size): the file is a regular file whose size
 * is exactly the page count recorded in the SQLite header times the page size (truncation, appended
 * garbage); the SQLite magic, the stockade application id and the schema version in the header; the
 * meta table's magic, schema version, completion marker and content checksum, and that the page count
 * the builder recorded matches the file. Damage inside data pages is found when a record is read (every
 * stored record carries a CRC-32C, and SQLite reports damaged b-tree pages) or by vulndb_verify().
 *
 * d receives the errors of later lookups too, so it must outlive the handle. */
int vulndb_open(const char *path, struct diag *d, struct vulndb **ret);
void vulndb_close(struct vulndb *db);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vulndb *, vulndb_close);

/* Calls fn for every statement about (ecosystem, package). Names are matched after the ecosystem's
 * normalization (PyPI: PEP 503; others as is). Strings passed to fn stay valid until the next lookup.
 * Returns 0 or the first negative value fn returned.
 *
 * Statements of different advisories about one vulnerability (their ids linked through aliases, e.g.
 * PYSEC-… and GHSA-… for one CVE) are merged into one when both are VS_AFFECTED: the id is chosen as
 * docs/vulnerability-matching.md chooses a finding's primary id (a CVE, then a GHSA, then the source's
 * own), the others become aliases, and the ranges and versions are the union (OSV semantics: a version is
 * affected if any range or the list says so). Distro statuses are never merged.
 *
 * For speed, look up with VULNDB_LOOKUP_NO_DETAILS (one read per package, ~2.5 µs) and fill the details of
 * the statements that match with vulndb_fill_details(); full details cost one more read per statement. */
typedef int (*vulndb_affected_fn)(void *userdata, const struct vuln_affected *a);
int vulndb_lookup(struct vulndb *db, const char *ecosystem, const char *package, vulndb_affected_fn fn,
                  void *userdata);

enum {
        VULNDB_LOOKUP_RAW = 1u << 0,        /* every stored statement as built, not merged by alias */
        VULNDB_LOOKUP_NO_DETAILS = 1u << 1, /* leave summary, cwes, published, modified, related and
                                             * ecosystem_specific NULL: one b-tree read per package; fill
                                             * them for the matches with vulndb_fill_details() */
};
int vulndb_lookup_ex(struct vulndb *db, const char *ecosystem, const char *package, unsigned flags,
                     vulndb_affected_fn fn, void *userdata);
/* Fills the detail fields of a (copied) statement from a VULNDB_LOOKUP_NO_DETAILS lookup. Strings go to
 * arena. */
int vulndb_fill_details(struct vulndb *db, struct vuln_affected *a, struct arena *arena);

/* The canonical OSV spelling of an ecosystem ("pypi" -> "PyPI", "Alpine:3.18.4" -> "Alpine:v3.18",
 * "Debian:12.5" -> "Debian:12"; Red Hat Enterprise Linux by major release, whatever the repository:
 * "Red Hat:enterprise_linux:9::appstream" and "Red Hat:9.4" -> "Red Hat:9"), and a package name as
 * stored (PyPI: PEP 503 normalization, others as they are). The builder stores these spellings. Return
 * buf, or NULL when the result does not fit. */
const char *vulndb_canonical_ecosystem(const char *ecosystem, char *buf, size_t size);
const char *vulndb_normalize_package(const char *ecosystem, const char *name, char *buf, size_t size);

/* The database's description, for `stockade db info` and for reports. */
struct vulndb_source_info {
        const char *name;     /* "go-osv" */
        const char *kind;     /* "osv", "debian-tracker", "secdb", "nvd", "kev" */
        const char *location; /* path or URL it was read from */
        const char *snapshot; /* newest modification date seen in it (RFC 3339) */
        size_t records, skipped;
        const char *sha256; /* "sha256:…" over its input files (names and contents) */
};

struct vulndb_ecosystem_info {
        const char *name;
        size_t packages, statements;
};

struct vulndb_info {
        int schema_version;
        const char *built_at; /* RFC 3339 */
        const char *tool_version;
        struct vulndb_source_info *sources;
        size_t n_sources;
        size_t n_vulns, n_affected, n_packages;
        const char *const *ecosystems; /* NULL-terminated */
        /* Added with the builder: */
        const char *path;
        const char *checksum; /* "sha256:…" over the stored content, checked by vulndb_verify() */
        uint64_t file_size;
        struct vulndb_ecosystem_info *ecosystem_counts;
        size_t n_ecosystems;
};
int vulndb_get_info(struct vulndb *db, struct arena *a, struct vulndb_info *ret);

/* The slow, complete check behind `stockade db info --verify`: SQLite's integrity_check of every page,
 * the content checksum recomputed over every row, every record decoded (CRC and structure), and the
 * counts in meta compared with the rows. -EBADMSG with the first problem in d. */
int vulndb_verify(struct vulndb *db, struct diag *d);

/* ---- building ---- */

struct vulndb_build_options {
        const char *tool_version;
        const char *built_at;    /* RFC 3339; NULL = now (fixed for reproducible builds) */
        size_t max_record_bytes; /* one advisory document; default 4 MiB */
        size_t max_file_bytes;   /* one feed file; default 512 MiB */
        void (*progress)(void *userdata, const char *source, size_t files_done, size_t files_total);
        void *progress_userdata;
        /* Added with the builder: */
        size_t max_memory; /* everything kept from the feeds while building; default 4 GiB */
};

struct vulndb_build_stats {
        size_t files, records, skipped, vulns, affected;
        /* Added with the builder: */
        size_t packages, withdrawn, duplicates, merged_identical;
        uint64_t db_bytes;
};

/* Reads every SOURCE (a file or a directory, walked recursively; the format is recognized from the
 * content) and writes the database to out_path atomically. Malformed records are warnings in d (naming
 * file and record id) and are skipped; unreadable sources, or no usable record at all, are errors.
 *
 * A SOURCE may be written NAME=PATH to name it; otherwise sources are named from the layout (see
 * stockade-db(1)): the subdirectory of a directory argument that holds a feed ("go-osv" for
 * feeds/go-osv/…), else the argument's own name. */
int vulndb_build(const char *const *sources, size_t n_sources, const char *out_path,
                 const struct vulndb_build_options *o, struct diag *d, struct vulndb_build_stats *ret);

/* The default database path: $XDG_CACHE_HOME/stockade/vuln.db or ~/.cache/stockade/vuln.db. */
char *vulndb_default_path(void);

/* ---- updating from the network ---- */

struct vulndb_feed {
        const char *name; /* directory name under the download directory, and the source's name */
        const char *url;
        const char *sha256;   /* expected sha256 (hex) of the downloaded bytes, or NULL */
        const char *meta_url; /* NVD-style .meta file whose sha256: line is the uncompressed content's */
};

struct vulndb_mirror {
        const char *prefix;      /* URL prefix replaced; NULL = every feed */
        const char *replacement; /* with prefix NULL: URL + "/" + the original URL without its scheme */
};

struct vulndb_update_options {
        const char *db_path;             /* NULL = vulndb_default_path() */
        const char *download_dir;        /* NULL = $XDG_CACHE_HOME/stockade/feeds */
        const struct vulndb_feed *feeds; /* NULL = the built-in list (vulndb_default_feeds()) */
        size_t n_feeds;
        const struct vulndb_mirror *mirrors;
        size_t n_mirrors;
        uint64_t max_download_bytes; /* per file; default 4 GiB */
        unsigned attempts;           /* per feed, resuming after a broken transfer; default 3 */
        long timeout_s;              /* a transfer making no progress for this long fails; default 60 */
        const char *tool_version;
        bool force; /* rebuild even when no feed changed */
        void (*progress)(void *userdata, const char *feed, uint64_t bytes, uint64_t total);
        void *progress_userdata;
};

enum vulndb_feed_result {
        VF_UNCHANGED, /* 304, or the published checksum matches the copy we have */
        VF_DOWNLOADED,
        VF_FAILED, /* the previous copy (if any) is kept; the database is not rebuilt */
};

struct vulndb_update_report {
        size_t n_feeds, downloaded, unchanged, failed, resumed;
        uint64_t bytes;
        bool rebuilt;
        struct vulndb_build_stats build;
};

/* Fetches every feed (conditional requests, resumable downloads, size caps, published checksums,
 * mirrors) into the download directory, then rebuilds the database atomically from the downloaded
 * copies when something changed. A feed that fails leaves its previous copy and the database untouched,
 * and makes the update fail (-EIO…) after the other feeds were tried. */
int vulndb_update(const struct vulndb_update_options *o, struct diag *d, struct vulndb_update_report *ret);

/* The built-in feed list (OSV ecosystems, Debian tracker, Alpine and Wolfi secdb, NVD years, KEV), in
 * arena a. */
int vulndb_default_feeds(struct arena *a, struct vulndb_feed **ret, size_t *ret_n);

/* Reads an update configuration file (see stockade-db(1)): "online yes|no", "mirror [PREFIX] URL",
 * "feed NAME URL [sha256:HEX|meta:URL]", "max-size SIZE". Values go to arena a; *ret_online is set only
 * when the file says. -ENOENT when the file does not exist. */
struct vulndb_config {
        int online; /* -1 unset, 0 no, 1 yes */
        struct vulndb_feed *feeds;
        size_t n_feeds;
        struct vulndb_mirror *mirrors;
        size_t n_mirrors;
        uint64_t max_download_bytes;
};
int vulndb_config_load(const char *path, struct arena *a, struct diag *d, struct vulndb_config *ret);
/* $STOCKADE_DB_CONFIG, else $XDG_CONFIG_HOME/stockade/db.conf, else ~/.config/stockade/db.conf. */
char *vulndb_default_config_path(void);
