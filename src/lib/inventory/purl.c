/* SPDX-License-Identifier: Apache-2.0 */
/* Package URLs. Encoding follows the purl spec: each namespace segment, the name, the version and
 * qualifier values are percent-encoded except for unreserved characters; qualifiers are sorted by key.
 * Ecosystem conventions:
 *   deb    pkg:deb/debian/NAME@VERSION?arch=A&distro=debian-12[&upstream=SOURCE]   (epoch stays in VERSION)
 *   apk    pkg:apk/alpine/NAME@VERSION?arch=A&distro=alpine-3.18[&upstream=ORIGIN]
 *   rpm    pkg:rpm/ID/NAME@VERSION-RELEASE?arch=A[&epoch=E]&distro=ID-VERSION[&upstream=SRPM-NAME]
 *   npm    pkg:npm/%40SCOPE/NAME@VERSION
 *   python pkg:pypi/NAME@VERSION       (name normalized: lowercase, runs of -_. become -)
 *   go     pkg:golang/MODULE/PATH@VERSION, the toolchain as pkg:golang/stdlib@v1.19.8
 *   maven  pkg:maven/GROUP/ARTIFACT@VERSION */

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "inventory.h"

static bool unreserved(unsigned char c) {
        return isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~';
}

static void enc(struct buf *b, const char *s) {
        static const char hex[] = "0123456789ABCDEF";
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (unreserved(*p))
                        buf_append_char(b, (char) *p);
                else {
                        char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
                        buf_append(b, e, 3);
                }
        }
}

const char *purl_encode(struct arena *a, const char *s) {
        struct buf b = BUF_INIT(0);
        enc(&b, s);
        const char *r = arena_strdup(a, b.data ? b.data : "");
        buf_free(&b);
        return r;
}

/* "3.18.4" -> "3.18" (Alpine's own branch naming, as OSV uses it). */
static void major_minor(const char *v, char *out, size_t n) {
        const char *d1 = strchr(v, '.');
        const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
        size_t len = d2 ? (size_t) (d2 - v) : strlen(v);
        snprintf(out, n, "%.*s", (int) MIN(len, n - 1), v);
}

struct qual {
        const char *key, *value;
};

static void add_qualifiers(struct buf *b, struct qual *q, size_t n) {
        /* keys are given sorted */
        bool first = true;
        for (size_t i = 0; i < n; i++) {
                if (!q[i].value || !q[i].value[0])
                        continue;
                buf_append_char(b, first ? '?' : '&');
                first = false;
                buf_append_str(b, q[i].key);
                buf_append_char(b, '=');
                enc(b, q[i].value);
        }
}

static void pypi_name(struct buf *b, const char *name) {
        bool sep = false;
        for (const char *p = name; *p; p++) {
                if (*p == '-' || *p == '_' || *p == '.') {
                        sep = true;
                        continue;
                }
                if (sep && b->len > 0)
                        buf_append_char(b, '-');
                sep = false;
                char c = (char) tolower((unsigned char) *p);
                if (unreserved((unsigned char) c))
                        buf_append_char(b, c);
                else {
                        char one[2] = {c, 0};
                        enc(b, one);
                }
        }
}

/* Encodes each '/'-separated segment of a path-like name. */
static void enc_segments(struct buf *b, const char *s) {
        const char *p = s;
        for (;;) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t) (slash - p) : strlen(p);
                char seg[1024];
                snprintf(seg, sizeof seg, "%.*s", (int) MIN(n, sizeof seg - 1), p);
                enc(b, seg);
                if (!slash)
                        break;
                buf_append_char(b, '/');
                p = slash + 1;
        }
}

const char *purl_for(struct arena *a, const struct pkg *p, const struct scan_os *os) {
        struct buf b = BUF_INIT(0);
        char distro[128] = "";
        const char *osid = os && os->id ? os->id : NULL;
        const char *upstream = p->source_name && !streq(p->source_name, p->name) ? p->source_name : NULL;

        if (!p->name || !p->version)
                return NULL;
        if (osid && os->version_id) {
                if (p->type == PKG_APK) {
                        char mm[64];
                        major_minor(os->version_id, mm, sizeof mm);
                        snprintf(distro, sizeof distro, "%s-%s", osid, mm);
                } else
                        snprintf(distro, sizeof distro, "%s-%s", osid, os->version_id);
        }

        switch (p->type) {
        case PKG_DEB:
        case PKG_APK:
        case PKG_RPM: {
                const char *type = p->type == PKG_DEB ? "deb" : p->type == PKG_APK ? "apk" : "rpm";
                const char *ns = osid                 ? osid
                                 : p->type == PKG_DEB ? "debian"
                                 : p->type == PKG_APK ? "alpine"
                                                      : NULL;
                buf_printf(&b, "pkg:%s/", type);
                if (ns) {
                        enc(&b, ns);
                        buf_append_char(&b, '/');
                }
                enc(&b, p->name);
                buf_append_char(&b, '@');
                enc(&b, p->version);
                struct qual q[] = {
                        {"arch", p->arch},
                        {"distro", distro},
                        {"epoch", p->type == PKG_RPM ? p->epoch : NULL},
                        {"upstream", upstream},
                };
                add_qualifiers(&b, q, ELEMENTSOF(q));
                break;
        }
        case PKG_NPM: {
                buf_append_str(&b, "pkg:npm/");
                const char *slash = p->name[0] == '@' ? strchr(p->name, '/') : NULL;
                if (slash) {
                        char scope[512];
                        snprintf(scope, sizeof scope, "%.*s",
                                 (int) MIN((size_t) (slash - p->name), sizeof scope - 1), p->name);
                        enc(&b, scope);
                        buf_append_char(&b, '/');
                        enc(&b, slash + 1);
                } else
                        enc(&b, p->name);
                buf_append_char(&b, '@');
                enc(&b, p->version);
                break;
        }
        case PKG_PYTHON:
                buf_append_str(&b, "pkg:pypi/");
                pypi_name(&b, p->name);
                buf_append_char(&b, '@');
                enc(&b, p->version);
                break;
        case PKG_GO:
                buf_append_str(&b, "pkg:golang/");
                enc_segments(&b, p->name);
                buf_append_char(&b, '@');
                enc(&b, p->version);
                break;
        case PKG_MAVEN:
                buf_append_str(&b, "pkg:maven/");
                if (p->namespace_) {
                        enc(&b, p->namespace_);
                        buf_append_char(&b, '/');
                }
                enc(&b, p->name);
                buf_append_char(&b, '@');
                enc(&b, p->version);
                break;
        default: buf_free(&b); return NULL;
        }
        const char *r = arena_strdup(a, b.data ? b.data : "");
        buf_free(&b);
        return r;
}

/* ---- parsing ---- */

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Decodes s[0..n) into the arena; -EINVAL on a bad escape or an encoded NUL. */
static int decode(struct arena *a, const char *s, size_t n, const char **ret) {
        char *out = arena_alloc(a, n + 1);
        size_t k = 0;
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '%') {
                        out[k++] = s[i];
                        continue;
                }
                if (i + 2 >= n)
                        return -EINVAL;
                int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                        return -EINVAL;
                out[k++] = (char) (hi << 4 | lo);
                i += 2;
        }
        out[k] = 0;
        *ret = out;
        return 0;
}

int purl_parse(struct arena *a, const char *s, struct purl *ret) {
        struct purl p = { 0 };
        int r;

        if (!s || strncasecmp(s, "pkg:", 4) != 0 || strlen(s) > 4096)
                return -EINVAL;
        const char *start = s + 4, *end = s + strlen(s);
        while (*start == '/')
                start++;

        /* #subpath */
        const char *hash = memchr(start, '#', (size_t) (end - start));
        if (hash) {
                const char *sp = hash + 1;
                while (*sp == '/')
                        sp++;
                size_t n = (size_t) (end - sp);
                while (n > 0 && sp[n - 1] == '/')
                        n--;
                if ((r = decode(a, sp, n, &p.subpath)) < 0)
                        return r;
                end = hash;
        }
        /* ?qualifiers */
        const char *q = memchr(start, '?', (size_t) (end - start));
        if (q) {
                size_t count = 1;
                for (const char *c = q + 1; c < end; c++)
                        count += *c == '&';
                if (count > 64)
                        return -EINVAL;
                p.qualifiers = arena_alloc(a, count * sizeof *p.qualifiers);
                if (!p.qualifiers)
                        return -ENOMEM;
                const char *c = q + 1;
                while (c < end) {
                        const char *amp = memchr(c, '&', (size_t) (end - c));
                        const char *e = amp ? amp : end;
                        const char *eq = memchr(c, '=', (size_t) (e - c));
                        if (eq && eq > c && eq + 1 < e) {
                                struct purl_qualifier *pq = &p.qualifiers[p.n_qualifiers++];
                                char *key = arena_strndup(a, c, (size_t) (eq - c));
                                if (!key)
                                        return -ENOMEM;
                                for (char *k = key; *k; k++)
                                        *k = (char) tolower((unsigned char) *k);
                                pq->key = key;
                                if ((r = decode(a, eq + 1, (size_t) (e - eq - 1), &pq->value)) < 0)
                                        return r;
                        }
                        c = e + 1;
                }
                end = q;
        }
        while (end > start && end[-1] == '/')
                end--;
        /* type */
        const char *slash = memchr(start, '/', (size_t) (end - start));
        if (!slash || slash == start)
                return -EINVAL;
        char *type = arena_strndup(a, start, (size_t) (slash - start));
        if (!type)
                return -ENOMEM;
        for (char *t = type; *t; t++) {
                *t = (char) tolower((unsigned char) *t);
                if (!isalnum((unsigned char) *t) && *t != '.' && *t != '+' && *t != '-')
                        return -EINVAL;
        }
        p.type = type;
        start = slash + 1;
        /* @version: the last '@' (a scoped npm name has its '@' encoded, or in the namespace) */
        const char *at = NULL;
        for (const char *c = end; c > start; c--)
                if (c[-1] == '@') {
                        at = c - 1;
                        break;
                }
        if (at && memchr(at, '/', (size_t) (end - at)))
                at = NULL;
        if (at) {
                if ((r = decode(a, at + 1, (size_t) (end - at - 1), &p.version)) < 0)
                        return r;
                end = at;
        }
        /* name is the last segment, namespace the rest */
        const char *ls = NULL;
        for (const char *c = end; c > start; c--)
                if (c[-1] == '/') {
                        ls = c - 1;
                        break;
                }
        const char *name_start = ls ? ls + 1 : start;
        if (name_start >= end)
                return -EINVAL;
        if ((r = decode(a, name_start, (size_t) (end - name_start), &p.name)) < 0)
                return r;
        if (ls) {
                /* decode each segment, keep '/' between them */
                struct buf b = BUF_INIT(4096);
                const char *c = start;
                while (c < ls) {
                        const char *e = memchr(c, '/', (size_t) (ls - c));
                        if (!e)
                                e = ls;
                        if (e > c) {
                                const char *seg;
                                if ((r = decode(a, c, (size_t) (e - c), &seg)) < 0 || strchr(seg, '/')) {
                                        buf_free(&b);
                                        return r < 0 ? r : -EINVAL;
                                }
                                if (b.len)
                                        buf_append_char(&b, '/');
                                buf_append_str(&b, seg);
                        }
                        c = e + 1;
                }
                p.namespace_ = b.len ? arena_strdup(a, b.data) : NULL;
                buf_free(&b);
        }
        *ret = p;
        return 0;
}

const char *purl_get_qualifier(const struct purl *p, const char *key) {
        for (size_t i = 0; i < p->n_qualifiers; i++)
                if (streq(p->qualifiers[i].key, key))
                        return p->qualifiers[i].value;
        return NULL;
}
