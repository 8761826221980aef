/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Helpers for declared license strings as packages state them: collecting distinct names, splitting
 * DEP-5 License fields, spotting references to Debian's common-licenses, reading Python trove classifiers.
 * Names are kept as written ("GPL-2+", "BSD-3-clause", "MIT License"); mapping them to SPDX identifiers is
 * the inventory's job, not a cataloger's.
 *
 * A license_list holds spans into the caller's input (nothing is copied until license_list_strv() or
 * license_list_join()), so it must not outlive that input. Not thread-safe per list. */

#include "arena.h"
#include "macro.h"

#define LICENSE_NAME_MAX 128 /* longer "names" are prose, not a license name */
#define LICENSE_LIST_MAX 32  /* distinct names kept per record */

struct license_list {
        const char *s[LICENSE_LIST_MAX];
        size_t len[LICENSE_LIST_MAX];
        size_t n;
        bool truncated; /* more distinct names than LICENSE_LIST_MAX were offered */
};

/* Adds a name (blanks trimmed) unless it is empty, unfit (control characters, invalid UTF-8, too long) or
 * already present (exact match). Returns true when added. */
bool license_list_add(struct license_list *l, const char *s, size_t n);

/* Adds the names of the first line of a DEP-5 License field: "GPL-1+ or Artistic", "Apache-2.0, and MIT",
 * "LGPL-2.1+ with staticLink exception". Splits on "or", "and", "and/or" and commas; keeps "with …
 * exception" clauses with their license. A line that reads like prose (a part of more than two words that
 * is not an exception clause) adds nothing. Returns how many names were added. */
size_t license_list_add_dep5(struct license_list *l, const char *s, size_t n);

/* Adds NAME for every "/usr/share/common-licenses/NAME" in free text, for the names Debian ships there
 * (GPL-2, LGPL-2.1, Apache-2.0, …). Returns how many names were added. */
size_t license_list_add_common_refs(struct license_list *l, const char *s, size_t n);

/* "License :: OSI Approved :: MIT License" -> "MIT License" (a span into s). False for other classifiers
 * and for ones that name no license ("License :: OSI Approved"). */
bool license_from_classifier(const char *s, size_t n, const char **ret, size_t *ret_len);

/* The names as a NULL-terminated vector in the arena; *ret = NULL when the list is empty. 0 or -ENOMEM. */
int license_list_strv(const struct license_list *l, struct arena *a, const char ***ret);
/* The names joined with '\n' (no trailing newline), in a malloc'd string; 0 or -ENOMEM. */
int license_list_join(const struct license_list *l, char **ret, size_t *ret_len);
