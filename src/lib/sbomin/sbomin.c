/* SPDX-License-Identifier: Apache-2.0 */
/* SBOM input (sbomin.h). The document is walked as text: the top-level object's members one by one, and
 * each element of a top-level array parsed alone by jansson (JSON_DISABLE_EOF_CHECK tells where the
 * element ends), so that a large SBOM never becomes one large tree. */
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/json-util.h"
#include "hashmap.h"
#include "inventory/inventory.h"
#include "sbomin.h"
#include "vec.h"

#define MAX_KEY 4096

void sbomin_limits_default(struct sbomin_limits *l) {
        *l = (struct sbomin_limits){
                .max_bytes = 512ull * 1024 * 1024,
                .max_element_bytes = 64u * 1024 * 1024,
                .max_components = 1000000,
                .max_depth = 32,
        };
}

/* ---- purls ---- */

static char *lower_dup(struct arena *a, const char *s) {
        char *t = arena_strdup(a, s);
        for (char *p = t; p && *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char) (*p - 'A' + 'a');
        return t;
}

/* The distro qualifier as "ID-VERSION": "debian-12" stays, a bare "bookworm" or "12" takes the
 * namespace ("debian") as ID. */
static const char *norm_distro(struct arena *a, const char *q, const char *ns) {
        if (!q || !*q)
                return NULL;
        if (strchr(q, '-') || !ns)
                return lower_dup(a, q);
        const char *s = arena_printf(a, "%s-%s", ns, q);
        return s ? lower_dup(a, s) : NULL;
}

int sbomin_pkg_from_purl(struct arena *a, const char *s, struct pkg *ret) {
        static const struct {
                const char *type;
                enum pkg_type pkg;
        } types[] = {
                { "deb", PKG_DEB },     { "apk", PKG_APK },       { "rpm", PKG_RPM },     { "npm", PKG_NPM },
                { "pypi", PKG_PYTHON }, { "golang", PKG_GO },     { "maven", PKG_MAVEN }, { "cargo", PKG_CARGO },
                { "gem", PKG_GEM },
        };
        struct purl u;
        int r = purl_parse(a, s, &u);
        if (r < 0)
                return r == -ENOMEM ? r : -EINVAL;
        size_t i = 0;
        while (i < ELEMENTSOF(types) && !streq(types[i].type, u.type))
                i++;
        if (i == ELEMENTSOF(types))
                return -EOPNOTSUPP;
        if (!u.version || !u.version[0])
                return -ENODATA;

        struct pkg p = { .type = types[i].pkg, .name = u.name, .version = u.version, .layer = -1, .record_layer = -1 };
        p.purl = arena_strdup(a, s);
        p.arch = purl_get_qualifier(&u, "arch");
        switch (p.type) {
        case PKG_DEB:
        case PKG_APK:
        case PKG_RPM: {
                const char *up = purl_get_qualifier(&u, "upstream");
                if (up && *up) {
                        /* "SOURCE" or "SOURCE@VERSION" (what syft writes when the versions differ) */
                        const char *at = strchr(up, '@');
                        p.source_name = at ? arena_strndup(a, up, (size_t) (at - up)) : up;
                        if (at && at[1])
                                p.source_version = at + 1;
                        if (p.source_name && !p.source_name[0])
                                p.source_name = NULL;
                }
                const char *epoch = purl_get_qualifier(&u, "epoch");
                if (p.type == PKG_RPM)
                        p.epoch = epoch && *epoch ? epoch : NULL;
                else if (p.type == PKG_DEB && epoch && *epoch && !strchr(p.version, ':'))
                        p.version = arena_printf(a, "%s:%s", epoch, p.version);
                p.distro = norm_distro(a, purl_get_qualifier(&u, "distro"), u.namespace_);
                break;
        }
        case PKG_NPM:
                if (u.namespace_)
                        p.name = arena_printf(a, "%s/%s", u.namespace_, u.name);
                break;
        case PKG_GO:
                if (u.namespace_)
                        p.name = arena_printf(a, "%s/%s", u.namespace_, u.name);
                else if (streq(u.name, "stdlib"))
                        p.flags |= PKG_F_GO_STDLIB;
                break;
        case PKG_MAVEN:
                p.namespace_ = u.namespace_;
                break;
        default: break;
        }
        if (!p.purl || !p.name || !p.version)
                return -ENOMEM;
        *ret = p;
        return 0;
}

/* ---- the walk ---- */

struct walk {
        const char *base, *p, *end;
        const char *name;
        const struct sbomin_limits *l;
        struct arena *a;
        struct diag *d;
        size_t components;
        /* kept apart until the document says which format it is */
        struct pkg_vec cdx, spdx;
        struct sbomin_info ci, si; /* counts and OS per format */
        json_t *bom_format, *spec_version, *spdx_version, *metadata;
};

static void where(const struct walk *w, const char *at, unsigned *ret_line, unsigned *ret_col) {
        unsigned line = 1, col = 1;
        for (const char *q = w->base; q < at && q < w->end; q++) {
                if (*q == '\n') {
                        line++;
                        col = 1;
                } else
                        col++;
        }
        *ret_line = line;
        *ret_col = col;
}

static int werror(struct walk *w, int err, const char *at, const char *fmt, ...) _printf_(4, 5);
static int werror(struct walk *w, int err, const char *at, const char *fmt, ...) {
        char what[512];
        unsigned line, col;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        where(w, at, &line, &col);
        return diag_error(w->d, err, "SBOM '%s', line %u, column %u: %s", w->name, line, col, what);
}

static void skip_ws(struct walk *w) {
        while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
                w->p++;
}

/* Parses the value at w->p (at most cap bytes) and moves past it. */
static int take_value(struct walk *w, size_t cap, const char *what, json_t **ret) {
        json_error_t err;
        size_t avail = (size_t) (w->end - w->p), len = MIN(avail, cap);
        json_t *j = json_loadb(w->p, len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &err);
        if (!j) {
                if (len < avail && (size_t) err.position >= len)
                        return werror(w, -E2BIG, w->p, "%s is larger than %zu bytes", what, cap);
                const char *at = w->p + MIN((size_t) err.position, len);
                return werror(w, -EBADMSG, at, "not valid JSON: %s", err.text);
        }
        w->p += err.position;
        *ret = j;
        return 0;
}

static int push_pkg(struct walk *w, struct pkg_vec *v, const struct pkg *p) {
        struct pkg *q = VEC_NEW(v);
        if (!q)
                return -ENOMEM;
        *q = *p;
        return 0;
}

/* A purl of a component (or SPDX package) made into a package, or counted. */
static int add_purl(struct walk *w, struct sbomin_info *info, struct pkg_vec *v, const char *purl,
                    const json_t *comp) {
        struct pkg p;
        int r = sbomin_pkg_from_purl(w->a, purl, &p);
        switch (r) {
        case 0: break;
        case -EINVAL: info->bad_purl++; return 0;
        case -ENODATA: info->no_version++; return 0;
        case -EOPNOTSUPP:
                /* the image itself (what the SBOM describes) is not a package */
                if (strncasecmp(purl, "pkg:oci/", 8) != 0 && strncasecmp(purl, "pkg:docker/", 11) != 0)
                        info->unsupported++;
                return 0;
        default: return r;
        }
        /* CycloneDX: where the package was found, and stockade's own owner property */
        const json_t *occ = json_get_arr(json_get_obj(comp, "evidence"), "occurrences");
        const char *loc = json_get_str(json_array_get(occ, 0), "location");
        if (loc && *loc && !(p.record_path = arena_strdup(w->a, loc)))
                return -ENOMEM;
        size_t i;
        json_t *prop;
        json_array_foreach(json_get_arr(comp, "properties"), i, prop) {
                const char *n = json_get_str(prop, "name"), *val = json_get_str(prop, "value");
                if (n && val && streq(n, "stockade:package:owner") && !(p.owner = arena_strdup(w->a, val)))
                        return -ENOMEM;
        }
        info->packages++;
        return push_pkg(w, v, &p);
}

static int count_component(struct walk *w, const json_t *at_obj) {
        (void) at_obj;
        if (++w->components > w->l->max_components)
                return werror(w, -E2BIG, w->p, "more than %zu components", w->l->max_components);
        return 0;
}

static int set_os(struct walk *w, struct scan_os *os, const char *name, const char *version) {
        if (os->id || !name || !*name)
                return 0;
        os->id = lower_dup(w->a, name);
        os->version_id = version && *version ? arena_strdup(w->a, version) : NULL;
        return os->id ? 0 : -ENOMEM;
}

static int cdx_component(struct walk *w, const json_t *c, unsigned depth) {
        int r;
        if (!json_is_object(c))
                return 0;
        if (depth > w->l->max_depth)
                return werror(w, -E2BIG, w->p, "components nested deeper than %u levels", w->l->max_depth);
        if ((r = count_component(w, c)) < 0)
                return r;
        w->ci.components++;
        const char *type = json_get_str(c, "type"), *purl = json_get_str(c, "purl");
        if (type && streq(type, "operating-system")) {
                w->ci.components--;
                r = set_os(w, &w->ci.os, json_get_str(c, "name"), json_get_str(c, "version"));
        } else if (purl)
                r = add_purl(w, &w->ci, &w->cdx, purl, c);
        else
                w->ci.no_purl++;
        if (r < 0)
                return r;
        size_t i;
        json_t *sub;
        json_array_foreach(json_get_arr(c, "components"), i, sub)
                if ((r = cdx_component(w, sub, depth + 1)) < 0)
                        return r;
        return 0;
}

static int spdx_package(struct walk *w, const json_t *p) {
        int r;
        if (!json_is_object(p))
                return 0;
        if ((r = count_component(w, p)) < 0)
                return r;
        const char *purpose = json_get_str(p, "primaryPackagePurpose");
        if (purpose && streq(purpose, "OPERATING-SYSTEM"))
                return set_os(w, &w->si.os, json_get_str(p, "name"), json_get_str(p, "versionInfo"));
        if (purpose && streq(purpose, "CONTAINER")) {
                if (!w->si.subject_name) {
                        w->si.subject_name = arena_strdup(w->a, json_get_str(p, "name"));
                        w->si.subject_version = arena_strdup(w->a, json_get_str(p, "versionInfo"));
                        w->si.subject_type = "container";
                }
                return 0;
        }
        w->si.components++;
        const char *purl = NULL;
        size_t i;
        json_t *ref;
        json_array_foreach(json_get_arr(p, "externalRefs"), i, ref) {
                const char *t = json_get_str(ref, "referenceType"), *loc = json_get_str(ref, "referenceLocator");
                if (t && loc && streq(t, "purl")) {
                        purl = loc;
                        break;
                }
        }
        if (!purl) {
                w->si.no_purl++;
                return 0;
        }
        return add_purl(w, &w->si, &w->spdx, purl, NULL);
}

static int cdx_metadata(struct walk *w, const json_t *meta) {
        const json_t *subject = json_get_obj(meta, "component");
        if (!subject)
                return 0;
        w->ci.subject_name = arena_strdup(w->a, json_get_str(subject, "name"));
        w->ci.subject_version = arena_strdup(w->a, json_get_str(subject, "version"));
        w->ci.subject_type = arena_strdup(w->a, json_get_str(subject, "type"));
        size_t i;
        json_t *sub;
        int r;
        json_array_foreach(json_get_arr(subject, "components"), i, sub)
                if ((r = cdx_component(w, sub, 1)) < 0)
                        return r;
        return 0;
}

static int on_element(struct walk *w, const char *key, const json_t *e) {
        if (streq(key, "components"))
                return cdx_component(w, e, 0);
        if (streq(key, "packages"))
                return spdx_package(w, e);
        return 0;
}

/* Keeps the small top-level values the format is recognized by. */
static void keep(struct walk *w, const char *key, json_t *v) {
        json_t **slot = streq(key, "bomFormat")     ? &w->bom_format
                        : streq(key, "specVersion") ? &w->spec_version
                        : streq(key, "spdxVersion") ? &w->spdx_version
                        : streq(key, "metadata")    ? &w->metadata
                                                    : NULL;
        if (slot) {
                json_decref(*slot);
                *slot = json_incref(v);
        }
}

static int walk_array(struct walk *w, const char *key) {
        char what[128];
        int r;
        w->p++; /* '[' */
        skip_ws(w);
        if (w->p < w->end && *w->p == ']') {
                w->p++;
                return 0;
        }
        for (size_t i = 0;; i++) {
                skip_ws(w);
                snprintf(what, sizeof what, "element %zu of '%.64s'", i, key);
                json_t *e = NULL;
                const char *start = w->p;
                if ((r = take_value(w, w->l->max_element_bytes, what, &e)) < 0)
                        return r;
                const char *save = w->p;
                w->p = start; /* errors about the element point at its start */
                r = on_element(w, key, e);
                w->p = save;
                json_decref(e);
                if (r < 0)
                        return r;
                skip_ws(w);
                if (w->p < w->end && *w->p == ',') {
                        w->p++;
                        continue;
                }
                if (w->p < w->end && *w->p == ']') {
                        w->p++;
                        return 0;
                }
                return werror(w, -EBADMSG, w->p, "expected ',' or ']' in '%.64s'", key);
        }
}

static int walk(struct walk *w) {
        _cleanup_(hashmap_freep) struct hashmap *seen = hashmap_new();
        int r;

        if (!seen)
                return -ENOMEM;
        skip_ws(w);
        if (w->p >= w->end || *w->p != '{')
                return werror(w, -EBADMSG, w->p, "not a JSON object: not a CycloneDX or SPDX JSON document");
        w->p++;
        skip_ws(w);
        if (w->p < w->end && *w->p == '}') {
                w->p++;
                goto tail;
        }
        for (;;) {
                skip_ws(w);
                const char *kp = w->p;
                json_t *k = NULL;
                if (w->p >= w->end || *w->p != '"')
                        return werror(w, -EBADMSG, w->p, "expected a member name");
                if ((r = take_value(w, MAX_KEY, "a member name", &k)) < 0)
                        return r;
                const char *key = arena_strdup(w->a, json_string_value(k));
                json_decref(k);
                if (!key)
                        return -ENOMEM;
                if (hashmap_contains(seen, key))
                        return werror(w, -EBADMSG, kp, "duplicate member '%.64s'", key);
                if (hashmap_put(seen, key, (void *) key, NULL) < 0)
                        return -ENOMEM;
                skip_ws(w);
                if (w->p >= w->end || *w->p != ':')
                        return werror(w, -EBADMSG, w->p, "expected ':'");
                w->p++;
                skip_ws(w);
                if (w->p < w->end && *w->p == '[') {
                        if ((r = walk_array(w, key)) < 0)
                                return r;
                } else {
                        json_t *v = NULL;
                        char what[128];
                        snprintf(what, sizeof what, "'%.64s'", key);
                        if ((r = take_value(w, w->l->max_element_bytes, what, &v)) < 0)
                                return r;
                        keep(w, key, v);
                        json_decref(v);
                }
                skip_ws(w);
                if (w->p < w->end && *w->p == ',') {
                        w->p++;
                        continue;
                }
                if (w->p < w->end && *w->p == '}') {
                        w->p++;
                        break;
                }
                return werror(w, -EBADMSG, w->p, "expected ',' or '}'");
        }
tail:
        skip_ws(w);
        if (w->p != w->end)
                return werror(w, -EBADMSG, w->p, "data after the end of the document");
        return 0;
}

static void warn_counts(struct walk *w, const struct sbomin_info *i) {
        if (i->no_purl)
                diag_warn(w->d, "SBOM '%s': %zu component%s without a purl: not matched", w->name, i->no_purl,
                          i->no_purl == 1 ? "" : "s");
        if (i->bad_purl)
                diag_warn(w->d, "SBOM '%s': %zu component%s with an invalid purl: not matched", w->name,
                          i->bad_purl, i->bad_purl == 1 ? "" : "s");
        if (i->no_version)
                diag_warn(w->d, "SBOM '%s': %zu purl%s without a version: not matched", w->name, i->no_version,
                          i->no_version == 1 ? "" : "s");
        if (i->unsupported)
                diag_warn(w->d, "SBOM '%s': %zu component%s of purl types without advisories here: not matched",
                          w->name, i->unsupported, i->unsupported == 1 ? "" : "s");
        if (i->no_distro)
                diag_warn(w->d,
                          "SBOM '%s': %zu distribution package%s name%s no distribution release (no distro "
                          "qualifier, no operating-system component): not matched",
                          w->name, i->no_distro, i->no_distro == 1 ? "" : "s", i->no_distro == 1 ? "s" : "");
}

int sbomin_parse(const char *data, size_t len, const char *name, const struct sbomin_limits *lim, struct arena *a,
                 struct diag *d, struct sbomin_info *ret_info, struct pkg_vec *pkgs) {
        struct sbomin_limits def;
        if (!lim) {
                sbomin_limits_default(&def);
                lim = &def;
        }
        struct walk w = { .base = data, .p = data, .end = data + len, .name = name ? name : "-", .l = lim, .a = a, .d = d };
        int r;

        if (len > lim->max_bytes) {
                r = diag_error(d, -E2BIG, "SBOM '%s' is larger than %llu bytes", w.name,
                               (unsigned long long) lim->max_bytes);
                goto out;
        }
        r = walk(&w);
        if (r < 0)
                goto out;

        const char *fmt = json_string_value(w.bom_format), *spec = json_string_value(w.spec_version);
        const char *spdx = json_string_value(w.spdx_version);
        struct sbomin_info *info;
        struct pkg_vec *from;
        if (fmt && streq(fmt, "CycloneDX")) {
                if ((r = cdx_metadata(&w, w.metadata)) < 0)
                        goto out;
                info = &w.ci;
                from = &w.cdx;
                info->format = arena_printf(a, "CycloneDX %s", spec ? spec : "(no specVersion)");
        } else if (spdx && strneq(spdx, "SPDX-2.", 7)) {
                info = &w.si;
                from = &w.spdx;
                info->format = arena_strdup(a, spdx);
        } else {
                r = diag_error(d, -EBADMSG, "'%s' is not a CycloneDX or SPDX 2 JSON document (%s)", w.name,
                               spdx ? "SPDX 3 and later are not read" : "no bomFormat or spdxVersion");
                goto out;
        }
        if (!info->format) {
                r = -ENOMEM;
                goto out;
        }
        if (!info->os.id)
                VEC_FOREACH(p, from)
                        info->no_distro += pkg_type_is_os(p->type) && !p->distro;
        if (VEC_RESERVE(pkgs, from->n) < 0) {
                r = -ENOMEM;
                goto out;
        }
        if (from->n)
                memcpy(pkgs->items + pkgs->n, from->items, from->n * sizeof *from->items);
        pkgs->n += from->n;
        warn_counts(&w, info);
        *ret_info = *info;
        r = 0;
out:
        VEC_FREE(&w.cdx);
        VEC_FREE(&w.spdx);
        json_decref(w.bom_format);
        json_decref(w.spec_version);
        json_decref(w.spdx_version);
        json_decref(w.metadata);
        return r;
}

int sbomin_read(const char *path, const struct sbomin_limits *lim, struct arena *a, struct diag *d,
                struct sbomin_info *ret_info, struct pkg_vec *pkgs) {
        struct sbomin_limits def;
        struct stat st;
        if (!lim) {
                sbomin_limits_default(&def);
                lim = &def;
        }
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0) {
                int r = negative_errno();
                return diag_error(d, r, "cannot open SBOM '%s': %s", path, strerror(-r));
        }
        if (!S_ISREG(st.st_mode))
                return diag_error(d, -EINVAL, "SBOM '%s' is not a regular file", path);
        if ((uint64_t) st.st_size > lim->max_bytes)
                return diag_error(d, -E2BIG, "SBOM '%s' is larger than %llu bytes", path,
                                  (unsigned long long) lim->max_bytes);
        size_t n = (size_t) st.st_size, got = 0;
        _cleanup_free_ char *buf = malloc(n + 1);
        if (!buf)
                return -ENOMEM;
        while (got < n) {
                ssize_t k = read(fd, buf + got, n - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int r = negative_errno();
                        return diag_error(d, r, "cannot read SBOM '%s': %s", path, strerror(-r));
                }
                if (k == 0)
                        break;
                got += (size_t) k;
        }
        buf[got] = 0;
        return sbomin_parse(buf, got, path, lim, a, d, ret_info, pkgs);
}
