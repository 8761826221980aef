/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The ignore file of `stockade scan --ignore-file FILE` (stockade-scan(1)): findings a team has looked at
 * and decided to accept for now.
 *
 *   ignore:
 *     - id: CVE-2023-29403        # a vulnerability id, or any alias of it (required)
 *       package: stdlib           # optional: a package name (also the source package a distribution
 *                                 # tracks it under, Maven "group:artifact"), or a purl: then type,
 *                                 # namespace and name must match, and version and qualifiers when given
 *       reason: not reachable     # required: why (shown in every report)
 *       expires: 2025-06-30       # optional, YYYY-MM-DD: from that day (UTC) on, the entry no longer
 *                                 # applies and is reported as expired
 *
 * The file is hostile input: at most IGNORE_MAX_BYTES and IGNORE_MAX_ENTRIES entries, values of at most
 * IGNORE_MAX_VALUE bytes; unknown keys, duplicate keys, anchors and aliases, wrong types, invalid dates
 * are errors that name the file, line and column. An empty file, or "ignore: []", ignores nothing.
 *
 * Thread-safety: a loaded list is read-only, except for the `used` counters that
 * match_apply_exceptions() updates. */

#include "arena.h"
#include "core/diag.h"
#include "match.h"

#define IGNORE_MAX_BYTES   (1024u * 1024)
#define IGNORE_MAX_ENTRIES 10000
#define IGNORE_MAX_VALUE   4096
#define IGNORE_MAX_DEPTH   16

struct ignore_rule {
        const char *id;
        const char *package; /* NULL: every package */
        const char *reason;
        const char *expires; /* "YYYY-MM-DD", or NULL */
        const char *source;  /* "FILE:LINE" of the entry */
        unsigned line;
        bool expired; /* expires <= today when the list was loaded */
        size_t used;  /* findings it excepted */
};

struct ignore_list {
        const char *path;
        struct ignore_rule *rules;
        size_t n;
        size_t n_expired;
};

/* Parses an ignore file's text. name is what errors call it (the path). today is "YYYY-MM-DD" (UTC),
 * NULL for the current date. Each expired entry is a warning in d. Everything lives in a. -EBADMSG with
 * "FILE, line L, column C: what" in d on a malformed file. */
int ignore_parse(const char *data, size_t len, const char *name, const char *today, struct arena *a,
                 struct diag *d, struct ignore_list **ret);

/* Reads and parses the file at path (a regular file of at most IGNORE_MAX_BYTES). */
int ignore_load(const char *path, const char *today, struct arena *a, struct diag *d,
                struct ignore_list **ret);

/* Whether an unexpired or expired rule names the finding (its id or an alias, and its package).
 * Scratch strings go to a. */
bool ignore_rule_matches(struct arena *a, const struct ignore_rule *r, const struct vuln_finding *f);

/* Today's date as "YYYY-MM-DD" (UTC) into buf (at least 11 bytes). */
const char *ignore_today(char *buf, size_t size);
