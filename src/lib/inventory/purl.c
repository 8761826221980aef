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
                        char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
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
                        char one[2] = { c, 0 };
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
                const char *ns = osid ? osid : p->type == PKG_DEB ? "debian" : p->type == PKG_APK ? "alpine" : NULL;
                buf_printf(&b, "pkg:%s/", type);
                if (ns) {
                        enc(&b, ns);
                        buf_append_char(&b, '/');
                }
                enc(&b, p->name);
                buf_append_char(&b, '@');
                enc(&b, p->version);
                struct qual q[] = {
                        { "arch", p->arch },
                        { "distro", distro },
                        { "epoch", p->type == PKG_RPM ? p->epoch : NULL },
                        { "upstream", upstream },
                };
                add_qualifiers(&b, q, ELEMENTSOF(q));
                break;
        }
        case PKG_NPM: {
                buf_append_str(&b, "pkg:npm/");
                const char *slash = p->name[0] == '@' ? strchr(p->name, '/') : NULL;
                if (slash) {
                        char scope[512];
                        snprintf(scope, sizeof scope, "%.*s", (int) MIN((size_t) (slash - p->name), sizeof scope - 1),
                                 p->name);
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
        default:
                buf_free(&b);
                return NULL;
        }
        const char *r = arena_strdup(a, b.data ? b.data : "");
        buf_free(&b);
        return r;
}
