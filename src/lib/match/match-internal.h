/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What match.c, ignore.c and vex.c share. Private to src/lib/match/. */

#include "match.h"

/* Whether one of the finding's ids (primary or alias) is id (ASCII case-insensitive: "cve-2023-1" names
 * CVE-2023-1). */
bool match_finding_has_id(const struct vuln_finding *f, const char *id);

/* Whether a purl pattern names the package with the given purl: same type, namespace and name (PyPI
 * names compared after PEP 503 normalization, types case-insensitively), the same version when the
 * pattern has one, and the same value for every qualifier the pattern has. Either not parsing as a purl
 * is no match. Scratch strings go to a. */
bool match_purl_matches(struct arena *a, const char *pattern, const char *purl);

/* Whether spec (a purl, or a package name) names the finding's package: a name matches the package's
 * name, the name it was looked up under (a distribution's source package), or Maven's "group:artifact". */
bool match_package_matches(struct arena *a, const char *spec, const struct vuln_finding *f);

/* Reads a regular file of at most cap bytes, NUL-terminated, into malloc'd memory. `what` names the
 * kind of file in errors ("ignore file"). */
int match_read_file(const char *path, size_t cap, const char *what, struct diag *d, char **ret,
                    size_t *ret_len);
