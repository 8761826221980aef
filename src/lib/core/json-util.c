/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "json-util.h"

int json_parse_capped(const char *data, size_t len, size_t cap, const char *what, struct diag *d,
                      json_t **ret) {
        json_error_t err;

        if (len > cap)
                return diag_error(d, -E2BIG, "%s is too large (%zu bytes, limit %zu)", what, len, cap);
        json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
        if (!j)
                return diag_error(d, -EBADMSG, "%s is not valid JSON: line %d, column %d: %s", what, err.line,
                                  err.column, err.text);
        *ret = j;
        return 0;
}

const char *json_get_str(const json_t *obj, const char *key) {
        json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *json_get_obj(const json_t *obj, const char *key) {
        json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        return json_is_object(v) ? v : NULL;
}

json_t *json_get_arr(const json_t *obj, const char *key) {
        json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        return json_is_array(v) ? v : NULL;
}

long long json_get_int(const json_t *obj, const char *key, long long def) {
        json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        return json_is_integer(v) ? json_integer_value(v) : def;
}

bool json_get_bool(const json_t *obj, const char *key, bool def) {
        json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        return json_is_boolean(v) ? json_is_true(v) : def;
}

const char **json_strv_dup(struct arena *a, const json_t *arr, size_t max) {
        if (!json_is_array(arr))
                return NULL;
        size_t n = MIN(json_array_size(arr), max);
        const char **v = arena_alloc(a, (n + 1) * sizeof *v);
        if (!v)
                return NULL;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                json_t *e = json_array_get(arr, i);
                if (!json_is_string(e))
                        continue;
                v[k] = arena_memdup(a, json_string_value(e), json_string_length(e));
                if (!v[k])
                        return NULL;
                k++;
        }
        v[k] = NULL;
        return v;
}

char *json_dump_pretty(const json_t *obj) {
        char *s = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (!s)
                return NULL;
        size_t n = strlen(s);
        char *t = realloc(s, n + 2);
        if (!t) {
                free(s);
                return NULL;
        }
        t[n] = '\n';
        t[n + 1] = 0;
        return t;
}
