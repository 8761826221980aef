/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "path-util.h"

/* Appends components of 'in' onto the normalized path in out (length *len). With clamp, '..' at the root
 * stays at the root; without, it is an error. */
static int push_components(char *out, size_t *len, const char *in, bool clamp) {
        const char *p = in;
        size_t depth = 0;

        for (const char *q = out; *q; q++)
                depth += *q == '/';

        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *e = strchrnul(p, '/');
                size_t n = (size_t) (e - p);

                if (n == 1 && p[0] == '.') {
                        /* skip */
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (*len == 0) {
                                if (!clamp)
                                        return -EXDEV;
                        } else {
                                char *slash = memrchr(out, '/', *len);
                                *len = slash ? (size_t) (slash - out) : 0;
                                out[*len] = 0;
                                if (depth > 0)
                                        depth--;
                        }
                } else {
                        size_t need = *len + (*len ? 1 : 0) + n;
                        if (need > PATH_MAX_IMAGE)
                                return -ENAMETOOLONG;
                        if (++depth > PATH_MAX_DEPTH)
                                return -E2BIG;
                        if (*len)
                                out[(*len)++] = '/';
                        memcpy(out + *len, p, n);
                        *len += n;
                        out[*len] = 0;
                }
                p = e;
        }
        return 0;
}

int path_normalize_member(const char *raw, char *out) {
        size_t len = 0;
        out[0] = 0;
        if (!raw || !*raw)
                return -EINVAL;
        int r = push_components(out, &len, raw, false);
        if (r < 0)
                return r;
        return 0;
}

int path_join_chroot(const char *dir, const char *rel, char *out) {
        size_t len = strlen(dir);
        if (len > PATH_MAX_IMAGE)
                return -ENAMETOOLONG;
        if (rel[0] == '/')
                len = 0;
        memmove(out, dir, len);
        out[len] = 0;
        return push_components(out, &len, rel, true);
}

int path_resolve_link_target(const char *link_path, const char *target, char *out) {
        char dir[PATH_MAX_IMAGE + 1];
        size_t n = path_dirname_len(link_path);
        if (n > PATH_MAX_IMAGE)
                return -ENAMETOOLONG;
        memcpy(dir, link_path, n);
        dir[n] = 0;
        return path_join_chroot(dir, target, out);
}

const char *path_basename(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

size_t path_dirname_len(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? (size_t) (s - p) : 0;
}

bool path_is_under(const char *p, const char *prefix) {
        size_t n = strlen(prefix);
        if (n == 0)
                return true;
        return strneq(p, prefix, n) && (p[n] == 0 || p[n] == '/');
}

bool path_has_component(const char *p, const char *c) {
        size_t n = strlen(c);
        for (const char *s = p; (s = strstr(s, c)); s++)
                if ((s == p || s[-1] == '/') && (s[n] == 0 || s[n] == '/'))
                        return true;
        return false;
}

bool str_has_suffix(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

bool str_has_prefix(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}
