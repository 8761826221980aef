/* SPDX-License-Identifier: Apache-2.0 */
#include <strings.h>

#include "license.h"
#include "rfc822.h"

bool license_list_add(struct license_list *l, const char *s, size_t n) {
        text_trim(&s, &n);
        if (!text_field_ok(s, n, LICENSE_NAME_MAX))
                return false;
        for (size_t i = 0; i < l->n; i++)
                if (l->len[i] == n && memcmp(l->s[i], s, n) == 0)
                        return false;
        if (l->n >= LICENSE_LIST_MAX) {
                l->truncated = true;
                return false;
        }
        l->s[l->n] = s;
        l->len[l->n] = n;
        l->n++;
        return true;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static size_t count_words(const char *s, size_t n, const char **ret_last, size_t *ret_last_len) {
        size_t words = 0;
        size_t i = 0;
        while (i < n) {
                while (i < n && is_blank(s[i]))
                        i++;
                if (i >= n)
                        break;
                size_t b = i;
                while (i < n && !is_blank(s[i]))
                        i++;
                words++;
                *ret_last = s + b;
                *ret_last_len = i - b;
        }
        return words;
}

/* A part of a DEP-5 License line: one or two words ("GPL-2+", "public domain"), or a license with an
 * exception clause ("GPL-2+ with Autoconf exception"). */
static bool dep5_part_ok(const char *s, size_t n) {
        const char *last = NULL;
        size_t last_len = 0;
        size_t w = count_words(s, n, &last, &last_len);
        if (w == 0)
                return true; /* empty parts ("a, , b") are skipped, not fatal */
        if (w <= 2)
                return true;
        if (w > 10)
                return false;
        /* "X with … exception" */
        const char *with = NULL;
        for (size_t i = 0; i + 6 <= n; i++)
                if (is_blank(s[i]) && strncasecmp(s + i + 1, "with", 4) == 0 && is_blank(s[i + 5])) {
                        with = s + i;
                        break;
                }
        return with && span_eq_nocase(last, last_len, "exception");
}

/* Length of a separator at s[i] ("," or " or " or " and " or " and/or "), 0 if none. */
static size_t dep5_separator(const char *s, size_t n, size_t i) {
        static const char *const words[] = {"and/or", "and", "or"};
        if (s[i] == ',')
                return 1;
        if (!is_blank(s[i]))
                return 0;
        for (size_t k = 0; k < ELEMENTSOF(words); k++) {
                size_t wl = strlen(words[k]);
                if (i + 1 + wl < n && strncasecmp(s + i + 1, words[k], wl) == 0 && is_blank(s[i + 1 + wl]))
                        return 1 + wl + 1;
        }
        return 0;
}

size_t license_list_add_dep5(struct license_list *l, const char *s, size_t n) {
        struct {
                const char *s;
                size_t n;
        } parts[LICENSE_LIST_MAX];
        size_t n_parts = 0, start = 0;

        text_trim(&s, &n);
        if (n == 0 || n > 4 * LICENSE_NAME_MAX)
                return 0;

        for (size_t i = 0; i <= n; i++) {
                size_t sep = i < n ? dep5_separator(s, n, i) : 1;
                if (sep == 0)
                        continue;
                if (n_parts >= ELEMENTSOF(parts))
                        return 0; /* not a license line */
                parts[n_parts].s = s + start;
                parts[n_parts].n = i - start;
                if (!dep5_part_ok(parts[n_parts].s, parts[n_parts].n))
                        return 0;
                n_parts++;
                i += sep - 1;
                start = i + 1;
        }

        size_t added = 0;
        for (size_t i = 0; i < n_parts; i++)
                added += license_list_add(l, parts[i].s, parts[i].n);
        return added;
}

size_t license_list_add_common_refs(struct license_list *l, const char *s, size_t n) {
        static const char prefix[] = "/usr/share/common-licenses/";
        static const char *const known[] = {
                "Apache-2.0", "Artistic", "BSD",    "CC0-1.0", "GFDL",    "GFDL-1.2",
                "GFDL-1.3",   "GPL",      "GPL-1",  "GPL-2",   "GPL-3",   "LGPL",
                "LGPL-2",     "LGPL-2.1", "LGPL-3", "MPL-1.1", "MPL-2.0",
        };
        const size_t pl = sizeof prefix - 1;
        size_t added = 0;
        const char *p = s, *end = s + n;

        while ((size_t) (end - p) > pl) {
                const char *hit = memmem(p, (size_t) (end - p), prefix, pl);
                if (!hit)
                        break;
                const char *name = hit + pl, *e = name;
                while (e < end && (('A' <= *e && *e <= 'Z') || ('a' <= *e && *e <= 'z') ||
                                   ('0' <= *e && *e <= '9') || *e == '-' || *e == '.' || *e == '+'))
                        e++;
                /* A sentence may end right after the path. */
                while (e > name && e[-1] == '.')
                        e--;
                for (size_t k = 0; k < ELEMENTSOF(known); k++)
                        if ((size_t) (e - name) == strlen(known[k]) &&
                            memcmp(name, known[k], strlen(known[k])) == 0) {
                                added += license_list_add(l, name, (size_t) (e - name));
                                break;
                        }
                p = e > name ? e : name;
        }
        return added;
}

bool license_from_classifier(const char *s, size_t n, const char **ret, size_t *ret_len) {
        text_trim(&s, &n);
        if (n < 7 || strncmp(s, "License", 7) != 0)
                return false;
        const char *last = NULL;
        for (size_t i = 0; i + 2 <= n; i++)
                if (s[i] == ':' && s[i + 1] == ':')
                        last = s + i + 2;
        if (!last)
                return false;
        /* The first segment must be exactly "License". */
        const char *first = s;
        size_t fl = (size_t) ((const char *) memmem(s, n, "::", 2) - s);
        text_trim(&first, &fl);
        if (!span_eq_nocase(first, fl, "License"))
                return false;

        size_t ln = (size_t) (s + n - last);
        text_trim(&last, &ln);
        if (ln == 0 || span_eq_nocase(last, ln, "OSI Approved") ||
            span_eq_nocase(last, ln, "DFSG approved") || span_eq_nocase(last, ln, "License"))
                return false;
        *ret = last;
        *ret_len = ln;
        return true;
}

int license_list_strv(const struct license_list *l, struct arena *a, const char ***ret) {
        if (l->n == 0) {
                *ret = NULL;
                return 0;
        }
        const char **v = arena_alloc(a, (l->n + 1) * sizeof *v);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++) {
                v[i] = arena_memdup(a, l->s[i], l->len[i]);
                if (!v[i])
                        return -ENOMEM;
        }
        v[l->n] = NULL;
        *ret = v;
        return 0;
}

int license_list_join(const struct license_list *l, char **ret, size_t *ret_len) {
        size_t total = 1;
        for (size_t i = 0; i < l->n; i++)
                total += l->len[i] + 1;
        char *s = malloc(total), *p = s;
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++) {
                if (i > 0)
                        *p++ = '\n';
                memcpy(p, l->s[i], l->len[i]);
                p += l->len[i];
        }
        *p = 0;
        *ret = s;
        *ret_len = (size_t) (p - s);
        return 0;
}
