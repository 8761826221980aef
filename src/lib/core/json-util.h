/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* jansson helpers for reading untrusted JSON: size-capped parsing with errors that carry line and column,
 * and typed getters that return NULL rather than trusting a field's type. */

#include <jansson.h>

#include "arena.h"
#include "core/diag.h"

/* jansson provides json_decrefp() for _cleanup_(). */

/* Parses len bytes (which need not be NUL-terminated). Rejects more than cap bytes, duplicate keys
 * (they make one document mean two things) and trailing garbage. `what` names the subject in errors:
 * "manifest 'sha256:…'". */
int json_parse_capped(const char *data, size_t len, size_t cap, const char *what, struct diag *d,
                      json_t **ret);

const char *json_get_str(const json_t *obj, const char *key);
json_t *json_get_obj(const json_t *obj, const char *key);
json_t *json_get_arr(const json_t *obj, const char *key);
/* Integer field, or def when absent or not an integer. */
long long json_get_int(const json_t *obj, const char *key, long long def);
bool json_get_bool(const json_t *obj, const char *key, bool def);

/* Copies an array of strings into the arena as a NULL-terminated vector; non-string elements are
 * skipped. At most max elements. NULL array -> NULL (not an empty vector). */
const char **json_strv_dup(struct arena *a, const json_t *arr, size_t max);

/* Emits `obj` as JSON text with sorted keys and two-space indentation, appending a newline. */
char *json_dump_pretty(const json_t *obj);
