/* SPDX-License-Identifier: Apache-2.0 */
/* Java archives -> PKG_MAVEN, from the archives' own metadata (java-archive.c reads them as streams).
 *
 * Record conventions:
 *  - one package per META-INF/maven/GROUP/ARTIFACT/pom.properties: namespace_ = groupId, name =
 *    artifactId, version; a groupId or artifactId missing from the file is taken from the path. Shaded
 *    jars carry several and give several packages.
 *  - an archive without pom.properties is named by its manifest, then by its file name:
 *      name    = Implementation-Title, Bundle-SymbolicName (without ";attributes"), Specification-Title
 *                or Bundle-Name, the first that is a single token (titles such as "Apache Commons IO"
 *                are descriptions, not names), else NAME of the file name NAME-VERSION.jar
 *                ("commons-io-2.11.0.jar" -> commons-io 2.11.0; "log4j-1.2-api-2.17.1.jar" ->
 *                log4j-1.2-api 2.17.1; "foo-2.0-1.jar" -> foo 2.0-1: the version is the last "-DIGIT…"
 *                part holding a dot, else the last one of digits only);
 *      version = Implementation-Version, Bundle-Version, Specification-Version, else VERSION;
 *      namespace_ = Implementation-Vendor-Id when it looks like a groupId (maven-archiver writes the
 *                groupId there), else NULL; always NULL when the name comes from the file name.
 *    Without a version there is no package (nothing to match, and nothing to name it by in a purl).
 *    An archive *with* pom.properties also gets this package when none of its poms is its own (no
 *    artifactId equal to the name above or the file name's NAME, no version equal to the manifest's
 *    version or, without one, to the file name's VERSION):
 *    a Gradle shadow jar bundles its dependencies' poms but not its own.
 *  - record_path = the outermost archive's image path. inner_path = NULL for what the outermost archive
 *    itself holds; for nested archives the member names from the outermost archive down, joined by
 *    "!/": "WEB-INF/lib/foo-1.0.jar", "app.war!/WEB-INF/lib/foo.jar", with flags PKG_F_NESTED.
 *  - licenses = the manifest's Bundle-License entries (";attributes" dropped), on the package the
 *    manifest describes: the manifest/file-name package, else the single pom, else the pom whose
 *    artifactId is the archive's name.
 *  - the same namespace:name:version at the same inner_path is recorded once per outermost archive. */

#include <stdarg.h>
#include <string.h>

#include "hashmap.h"
#include "inventory/catalogers.h"
#include "java-archive.h"
#include "path-util.h"

#define FIELD_MAX    512
#define LICENSES_MAX 16

struct jctx {
        struct layer_ctx *c;
        const struct layer_file *f;
        const char *record_path;
        struct arena *keys;
        struct hashmap *seen;
};

static void jctx_done(struct jctx *j) {
        hashmap_free(j->seen);
        arena_free(j->keys);
}

static enum analyzer_mode java_match(const struct layer_file *f) {
        if (f->kind != LF_REG || f->size < 22 || !java_archive_name(path_basename(f->path)))
                return ANALYZE_NONE;
        return ANALYZE_STREAM;
}

_printf_(2, 3) static void java_warn(void *userdata, const char *fmt, ...) {
        struct jctx *j = userdata;
        va_list ap;
        char *m = NULL;
        va_start(ap, fmt);
        int n = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (n >= 0)
                layer_ctx_warn(j->c, "%s", m);
        free(m);
}

/* A single token of printable characters, at most FIELD_MAX bytes. */
static bool is_token(const char *s) {
        size_t n = 0;
        if (!s || !*s)
                return false;
        for (; s[n]; n++)
                if ((unsigned char) s[n] <= 0x20 || s[n] == 0x7f || n >= FIELD_MAX)
                        return false;
        return true;
}

static bool is_group_id(const char *s) {
        if (!is_token(s))
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      *s == '.' || *s == '-' || *s == '_'))
                        return false;
        return true;
}

/* "commons-io-2.11.0.jar" -> "commons-io", "2.11.0". VERSION is the last "-DIGIT…" part that holds a
 * dot ("foo-2.0-1" -> foo 2.0-1), else the last one made of digits only ("x-20230101"). Either may come
 * back empty. */
static void split_file_name(const char *file, char *name, size_t name_size, char *version,
                            size_t version_size) {
        size_t n = strlen(file);
        if (java_archive_name(file))
                n -= 4;
        name[0] = version[0] = 0;
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = n; i-- > 1;) {
                        if (file[i] != '-' || file[i + 1] < '0' || file[i + 1] > '9')
                                continue;
                        bool dot = false, digits = true;
                        for (size_t k = i + 1; k < n; k++) {
                                dot |= file[k] == '.';
                                digits &= file[k] >= '0' && file[k] <= '9';
                        }
                        if (pass == 0 ? !dot : !digits)
                                continue;
                        if (i < name_size && n - i - 1 < version_size) {
                                snprintf(name, name_size, "%.*s", (int) i, file);
                                snprintf(version, version_size, "%.*s", (int) (n - i - 1), file + i + 1);
                        }
                        return;
                }
        if (n < name_size)
                snprintf(name, name_size, "%.*s", (int) n, file);
}

/* The manifest's name for the archive, in buf. */
static const char *manifest_name(const struct java_manifest *m, char *buf, size_t size) {
        if (!m)
                return NULL;
        const char *cand[] = {m->impl_title, m->bundle_symbolic_name, m->spec_title, m->bundle_name};
        for (size_t i = 0; i < ELEMENTSOF(cand); i++) {
                if (!cand[i])
                        continue;
                size_t n = strcspn(cand[i], ";");
                while (n > 0 && (cand[i][n - 1] == ' ' || cand[i][n - 1] == '\t'))
                        n--;
                if (n == 0 || n >= size)
                        continue;
                snprintf(buf, size, "%.*s", (int) n, cand[i]);
                if (is_token(buf))
                        return buf;
        }
        return NULL;
}

static const char *manifest_version(const struct java_manifest *m) {
        if (!m)
                return NULL;
        const char *cand[] = {m->impl_version, m->bundle_version, m->spec_version};
        for (size_t i = 0; i < ELEMENTSOF(cand); i++)
                if (is_token(cand[i]))
                        return cand[i];
        return NULL;
}

/* Bundle-License: "Apache-2.0;link=\"…\", MIT" or URLs -> NULL-terminated array in the layer's arena. */
static int parse_licenses(struct layer_ctx *c, const char *v, const char ***ret) {
        const char *items[LICENSES_MAX];
        size_t n = 0;

        *ret = NULL;
        if (!v)
                return 0;
        for (const char *p = v; *p && n < LICENSES_MAX;) {
                const char *s = p;
                bool q = false;
                while (*p && (q || *p != ',')) {
                        if (*p == '"')
                                q = !q;
                        p++;
                }
                const char *e = p;
                if (*p)
                        p++;
                const char *semi = memchr(s, ';', (size_t) (e - s));
                if (semi)
                        e = semi;
                while (s < e && (*s == ' ' || *s == '\t' || *s == '"'))
                        s++;
                while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '"'))
                        e--;
                if (e == s || e - s > 256 || strneq(s, "<<EXTERNAL>>", 12))
                        continue;
                items[n] = layer_ctx_strndup(c, s, (size_t) (e - s));
                if (!items[n])
                        return -ENOMEM;
                n++;
        }
        if (n == 0)
                return 0;
        const char **a = arena_alloc(layer_ctx_arena(c), (n + 1) * sizeof *a);
        if (!a)
                return -ENOMEM;
        memcpy(a, items, n * sizeof *a);
        a[n] = NULL;
        *ret = a;
        return 0;
}

static int emit(struct jctx *j, const struct java_archive_info *ai, const char *ns, const char *name,
                const char *version, const char **licenses) {
        struct layer_ctx *c = j->c;
        int r;

        if (!is_token(name) || !is_token(version))
                return 0;
        if (ns && !is_group_id(ns))
                ns = NULL; /* an unresolved "${project.groupId}" and the like */
        char *key = arena_printf(j->keys, "%s\x1f%s\x1f%s\x1f%s", ns ? ns : "", name, version,
                                 ai->inner_path ? ai->inner_path : "");
        if (!key)
                return -ENOMEM;
        if (hashmap_contains(j->seen, key))
                return 0;
        r = hashmap_put(j->seen, key, key, NULL);
        if (r < 0)
                return r;
        if (!j->record_path) {
                j->record_path = layer_ctx_strdup(c, j->f->path);
                if (!j->record_path)
                        return -ENOMEM;
        }
        struct pkg *p = layer_ctx_new_pkg(c);
        if (!p)
                return -ENOMEM;
        p->type = PKG_MAVEN;
        p->namespace_ = ns ? layer_ctx_strdup(c, ns) : NULL;
        p->name = layer_ctx_strdup(c, name);
        p->version = layer_ctx_strdup(c, version);
        p->record_path = j->record_path;
        p->inner_path = ai->inner_path ? layer_ctx_strdup(c, ai->inner_path) : NULL;
        p->licenses = licenses;
        p->flags = ai->depth > 1 ? PKG_F_NESTED : 0;
        if ((ns && !p->namespace_) || !p->name || !p->version || (ai->inner_path && !p->inner_path))
                return -ENOMEM;
        return 0;
}

/* groupId and artifactId from "META-INF/maven/GROUP/ARTIFACT/pom.properties". */
static void pom_path_ids(const char *path, char *g, size_t gs, char *a, size_t as) {
        const char *p = path + strlen("META-INF/maven/");
        const char *s1 = strchr(p, '/');
        const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
        g[0] = a[0] = 0;
        if (!s1 || !s2 || !streq(s2, "/pom.properties"))
                return;
        if ((size_t) (s1 - p) < gs)
                snprintf(g, gs, "%.*s", (int) (s1 - p), p);
        if ((size_t) (s2 - s1 - 1) < as)
                snprintf(a, as, "%.*s", (int) (s2 - s1 - 1), s1 + 1);
}

static int on_archive(void *userdata, const struct java_archive_info *ai) {
        struct jctx *j = userdata;
        const struct java_manifest *m = ai->manifest;
        char fname[FIELD_MAX], fver[FIELD_MAX], mname_buf[FIELD_MAX];
        const char **licenses = NULL;
        size_t lic_pom = SIZE_MAX, valid = 0;
        bool own = false;
        int r;

        split_file_name(ai->file_name, fname, sizeof fname, fver, sizeof fver);
        const char *mname = manifest_name(m, mname_buf, sizeof mname_buf);
        const char *mver = manifest_version(m);
        r = parse_licenses(j->c, m ? m->bundle_license : NULL, &licenses);
        if (r < 0)
                return r;

        /* Which pom, if any, is the archive's own (and gets the manifest's licenses). */
        for (size_t i = 0; i < ai->n_poms; i++) {
                const struct java_pom_properties *pp = &ai->poms[i].props;
                char g[FIELD_MAX], a[FIELD_MAX];
                pom_path_ids(ai->poms[i].path, g, sizeof g, a, sizeof a);
                const char *art = pp->artifact_id ? pp->artifact_id : a;
                if (!is_token(art) || !is_token(pp->version))
                        continue;
                valid++;
                bool named = streq(art, fname) || (mname && streq(art, mname));
                if (named || (mver && streq(pp->version, mver)) || (!mver && streq(pp->version, fver)))
                        own = true;
                if (named && lic_pom == SIZE_MAX)
                        lic_pom = i;
        }
        for (size_t i = 0; i < ai->n_poms; i++) {
                const struct java_pom_properties *pp = &ai->poms[i].props;
                char g[FIELD_MAX], a[FIELD_MAX];
                pom_path_ids(ai->poms[i].path, g, sizeof g, a, sizeof a);
                const char *grp = pp->group_id ? pp->group_id : (*g ? g : NULL);
                const char *art = pp->artifact_id ? pp->artifact_id : a;
                bool lic = valid == 1 || i == lic_pom;
                r = emit(j, ai, grp, art, pp->version, lic && own ? licenses : NULL);
                if (r < 0)
                        return r;
        }

        if (valid > 0 && own)
                return 0;
        const char *name = mname ? mname : (*fname ? fname : NULL);
        const char *version = mver ? mver : (*fver ? fver : NULL);
        const char *ns =
                mname && m->impl_vendor_id && is_group_id(m->impl_vendor_id) ? m->impl_vendor_id : NULL;
        if (!name || !version)
                return 0;
        return emit(j, ai, ns, name, version, licenses);
}

static int java_on_stream(struct layer_ctx *c, const struct layer_file *f, struct entry_reader *r) {
        _cleanup_(jctx_done) struct jctx j = {.c = c, .f = f};
        static const struct java_walk_ops ops = {.on_archive = on_archive, .warn = java_warn};
        struct java_limits lim;

        java_limits_default(&lim);
        j.keys = arena_new(0);
        j.seen = hashmap_new();
        if (!j.keys || !j.seen)
                return -ENOMEM;
        return java_archive_walk(r, f->path, &lim, &ops, &j);
}

const struct analyzer analyzer_java = {
        .name = "java",
        .match = java_match,
        /* Not SNIFF_ZIP: executable jars may start with a launch script (java_archive_walk). */
        .sniff = SNIFF_ANY,
        .on_stream = java_on_stream,
};
