/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "buf.h"
#include "hashmap.h"
#include "inventory.h"
#include "os-release.h"
#include "path-util.h"

/* ---- distribution ---- */

int inventory_parse_os_release(const char *data, size_t len, struct arena *a, struct scan_os *os) {
        struct os_release o = { 0 };
        int r = os_release_parse(data, len, a, &o);
        if (r < 0)
                return r;
        os->id = o.id ?: os->id;
        os->id_like = o.id_like ?: os->id_like;
        os->version_id = o.version_id ?: os->version_id;
        os->codename = o.version_codename ?: os->codename;
        os->pretty_name = o.pretty_name ?: os->pretty_name;
        return 0;
}

/* The fact of kind at `path` written by layer `layer`, if any. */
static const struct layer_fact *find_fact(struct layer_result *const *layers, int layer,
                                          enum layer_fact_kind kind, const char *path) {
        const struct layer_result *L = layers[layer];
        for (size_t i = 0; i < L->facts.n; i++)
                if (L->facts.items[i].kind == kind && streq(L->facts.items[i].path, path))
                        return &L->facts.items[i];
        return NULL;
}

/* The current content of a fact file: resolve symlinks in the view, then look in the layer that wrote
 * the resolved path. */
static const struct layer_fact *current_fact(struct layer_result *const *layers, const struct view *v,
                                             enum layer_fact_kind kind, const char *path, char *resolved) {
        if (view_resolve(v, path, resolved) < 0)
                return NULL;
        const struct view_entry *e = view_lookup(v, resolved);
        if (!e || !e->file || e->file->kind != LF_REG)
                return NULL;
        return find_fact(layers, e->layer, kind, resolved);
}

static int detect_os(struct layer_result *const *layers, const struct view *v, struct arena *a,
                     struct scan_os *os) {
        static const char *const release_files[] = {"etc/os-release", "usr/lib/os-release"};
        char resolved[PATH_MAX_IMAGE + 1];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(release_files); i++) {
                const struct layer_fact *f =
                        current_fact(layers, v, FACT_OS_FILE, release_files[i], resolved);
                if (!f)
                        continue;
                r = inventory_parse_os_release(f->data, f->len, a, os);
                if (r < 0)
                        return r;
                os->source_path = arena_strdup(a, resolved);
                break;
        }
        /* Distribution files fill in what os-release lacks (minimal images often have none). */
        static const char *const distro_files[] = { "etc/alpine-release", "etc/debian_version" };
        for (size_t i = 0; i < ELEMENTSOF(distro_files) && (!os->id || !os->version_id); i++) {
                const struct layer_fact *f = current_fact(layers, v, FACT_OS_FILE, distro_files[i], resolved);
                struct os_release o = { 0 };
                if (!f || os_file_parse(distro_files[i], f->data, f->len, a, &o) < 0 || !o.id ||
                    (os->id && !streq(os->id, o.id)))
                        continue;
                os->id = o.id;
                if (!os->version_id && o.version_id) {
                        /* Debian's "12.5" is os-release's "12"; testing's "trixie/sid" stays. */
                        char *dot = streq(o.id, "debian") ? strchr(o.version_id, '.') : NULL;
                        os->version_id = dot ? arena_strndup(a, o.version_id, (size_t) (dot - o.version_id))
                                             : o.version_id;
                }
                os->source_path = arena_strdup(a, resolved);
        }
        return 0;
}

/* ---- presence and the introducing layer ---- */

struct intro {
        const char *record_path;
        int layer;   /* the layer that introduced it */
        int seen_in; /* the last layer whose version of the record listed it */
        bool alive;  /* false once a later version of the record no longer lists it */
};

static char *ident_key(struct buf *b, const struct pkg *p) {
        /* fields joined by \x1f; no printf: this runs for every package of every layer */
        const char *parts[] = { pkg_type_to_string(p->type), p->record_path, p->inner_path, p->namespace_,
                                p->name, p->version, p->arch, p->epoch };
        buf_reset(b);
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                if (i)
                        buf_append_char(b, '\x1f');
                if (parts[i])
                        buf_append_str(b, parts[i]);
        }
        return b->data;
}

/* ---- ownership ---- */

struct owner_index {
        struct hashmap *paths;     /* candidate path -> VEC of pkg indices (as a small array) */
        struct hashmap *basenames; /* the candidates' last components: a cheap first filter */
        struct arena *a;
};

struct cand {
        size_t *idx;
        size_t n;
};

static int cand_add(struct owner_index *oi, const char *path, size_t pkg_index) {
        struct cand *c = hashmap_get(oi->paths, path);
        if (!c) {
                c = arena_alloc(oi->a, sizeof *c);
                const char *k = arena_strdup(oi->a, path);
                if (!c || !k)
                        return -ENOMEM;
                if (hashmap_put(oi->paths, k, c, NULL) < 0)
                        return -ENOMEM;
                const char *b = path_basename(k);
                if (!hashmap_contains(oi->basenames, b) && hashmap_put(oi->basenames, b, (void *) b, NULL) < 0)
                        return -ENOMEM;
        }
        size_t *n = arena_alloc(oi->a, (c->n + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        if (c->n)
                memcpy(n, c->idx, c->n * sizeof *n);
        n[c->n++] = pkg_index;
        c->idx = n;
        return 0;
}

/* Marks packages whose record (or record directory) is `path` as owned by `owner`. */
static void own(struct owner_index *oi, struct pkg_vec *pkgs, const char *path, const char *owner) {
        struct cand *c = hashmap_get(oi->paths, path);
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++)
                if (!pkgs->items[c->idx[i]].owner)
                        pkgs->items[c->idx[i]].owner = owner;
}

/* Package managers list the paths their packages ship ("/lib/x"); merged-/usr systems keep them under
 * usr/ through symlinked top-level directories. The aliases are found once per image. */
struct aliases {
        char from[8][16];
        char to[8][PATH_MAX_IMAGE + 1];
        size_t n;
};

static void find_aliases(const struct view *v, struct aliases *al) {
        static const char *const tops[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
        al->n = 0;
        for (size_t i = 0; i < ELEMENTSOF(tops); i++) {
                const struct view_entry *e = view_lookup(v, tops[i]);
                if (!e || !e->file || e->file->kind != LF_SYMLINK)
                        continue;
                if (view_resolve(v, tops[i], al->to[al->n]) < 0 || streq(al->to[al->n], tops[i]))
                        continue;
                snprintf(al->from[al->n], sizeof al->from[0], "%s", tops[i]);
                al->n++;
        }
}

/* Marks the packages owning `path` (a listed file, without leading '/'), trying its merged-/usr alias
 * when the path starts with an aliased directory. */
static void own_listed(struct owner_index *oi, struct pkg_vec *pkgs, const struct aliases *al, const char *path,
                       const char *owner) {
        own(oi, pkgs, path, owner);
        for (size_t i = 0; i < al->n; i++) {
                size_t fl = strlen(al->from[i]);
                if (strncmp(path, al->from[i], fl) != 0 || path[fl] != '/')
                        continue;
                char buf[2 * PATH_MAX_IMAGE + 2];
                snprintf(buf, sizeof buf, "%s%s", al->to[i], path + fl);
                own(oi, pkgs, buf, owner);
        }
}

/* Whether the listed line (not NUL-terminated) ends in a candidate's basename: most lines do not, and
 * are dismissed with one short hash. */
static bool may_be_candidate(const struct owner_index *oi, const char *line, size_t n) {
        const char *slash = memrchr(line, '/', n);
        const char *b = slash ? slash + 1 : line;
        size_t bl = (size_t) (line + n - b);
        char buf[256];
        if (bl == 0 || bl >= sizeof buf)
                return bl != 0;
        memcpy(buf, b, bl);
        buf[bl] = 0;
        return hashmap_contains(oi->basenames, buf);
}

/* A listed path as an image path: "/usr/lib/x" -> "usr/lib/x". Lists are written by package managers,
 * so they are nearly always clean; anything unusual goes through the full normalization. */
static const char *listed_path(const char *line, size_t n, char *buf) {
        if (n == 0 || n > PATH_MAX_IMAGE)
                return NULL;
        memcpy(buf, line, n);
        buf[n] = 0;
        const char *p = buf;
        while (*p == '/')
                p++;
        /* one pass: is any component empty, "." or ".."? */
        bool clean = *p != 0;
        for (const char *c = p; clean && *c; c++) {
                if (c != p && c[-1] != '/')
                        continue;
                if (c[0] == '/' || (c[0] == '.' && (c[1] == '/' || c[1] == 0)) ||
                    (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == 0)))
                        clean = false;
        }
        if (clean)
                return p;
        char norm[PATH_MAX_IMAGE + 1];
        if (path_normalize_member(buf, norm) < 0 || !norm[0])
                return NULL;
        memcpy(buf, norm, strlen(norm) + 1);
        return buf;
}

static int mark_owners(struct layer_result *const *layers, size_t n_layers, const struct view *v,
                       struct arena *a, struct pkg_vec *pkgs) {
        struct owner_index oi = { .paths = hashmap_new(), .basenames = hashmap_new(), .a = arena_new(0) };
        int r = 0;
        if (!oi.paths || !oi.basenames || !oi.a) {
                r = -ENOMEM;
                goto out;
        }

        for (size_t i = 0; i < pkgs->n; i++) {
                const struct pkg *p = &pkgs->items[i];
                if (pkg_type_is_os(p->type))
                        continue;
                r = cand_add(&oi, p->record_path, i);
                if (r < 0)
                        goto out;
                /* python: the .dist-info/.egg-info directory; npm: the package directory */
                size_t dl = path_dirname_len(p->record_path);
                if (dl > 0 && (p->type == PKG_PYTHON || p->type == PKG_NPM)) {
                        char dir[PATH_MAX_IMAGE + 1];
                        snprintf(dir, sizeof dir, "%.*s", (int) dl, p->record_path);
                        r = cand_add(&oi, dir, i);
                        if (r < 0)
                                goto out;
                }
        }
        if (hashmap_size(oi.paths) == 0)
                goto out;

        char buf[PATH_MAX_IMAGE + 1];
        struct aliases al;
        find_aliases(v, &al);
        /* apk and rpm records carry their file lists */
        for (size_t i = 0; i < pkgs->n; i++) {
                const struct pkg *p = &pkgs->items[i];
                if (!pkg_type_is_os(p->type) || !p->owned_files)
                        continue;
                const char *owner = arena_printf(a, "%s:%s", pkg_type_to_string(p->type), p->name);
                if (!owner) {
                        r = -ENOMEM;
                        goto out;
                }
                for (const char **f = p->owned_files; *f; f++) {
                        size_t fl = strlen(*f);
                        if (!may_be_candidate(&oi, *f, fl))
                                continue;
                        const char *lp = listed_path(*f, fl, buf);
                        if (lp)
                                own_listed(&oi, pkgs, &al, lp, owner);
                }
        }
        /* dpkg keeps them in info/NAME.list files */
        for (size_t li = 0; li < n_layers; li++) {
                const struct layer_result *L = layers[li];
                VEC_FOREACH (f, &L->facts) {
                        if (f->kind != FACT_DPKG_LIST || !f->key ||
                            view_file_state(v, f->path, (int) li) != FILE_PRESENT)
                                continue;
                        const char *owner = arena_printf(a, "deb:%s", f->key);
                        if (!owner) {
                                r = -ENOMEM;
                                goto out;
                        }
                        const char *p = f->data, *end = f->data + f->len;
                        while (p < end) {
                                const char *nl = memchr(p, '\n', (size_t) (end - p));
                                const char *le = nl ? nl : end;
                                if (may_be_candidate(&oi, p, (size_t) (le - p))) {
                                        const char *lp = listed_path(p, (size_t) (le - p), buf);
                                        if (lp)
                                                own_listed(&oi, pkgs, &al, lp, owner);
                                }
                                p = le + 1;
                        }
                }
        }
out:
        hashmap_free(oi.paths);
        hashmap_free(oi.basenames);
        arena_free(oi.a);
        return r;
}

/* ---- Debian licenses ---- */

static int deb_licenses(struct layer_result *const *layers, const struct view *v, struct arena *a,
                        struct pkg *p) {
        char path[PATH_MAX_IMAGE + 1], resolved[PATH_MAX_IMAGE + 1];
        snprintf(path, sizeof path, "usr/share/doc/%s/copyright", p->name);
        const struct layer_fact *f = current_fact(layers, v, FACT_DEB_COPYRIGHT, path, resolved);
        if (!f || f->len == 0)
                return 0;
        size_t n = 1;
        for (size_t i = 0; i < f->len; i++)
                n += f->data[i] == '\n';
        const char **v2 = arena_alloc(a, (n + 1) * sizeof *v2);
        if (!v2)
                return -ENOMEM;
        size_t k = 0;
        const char *s = f->data, *end = f->data + f->len;
        while (s < end && k < n) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                const char *le = nl ? nl : end;
                if (le > s) {
                        v2[k] = arena_strndup(a, s, (size_t) (le - s));
                        if (!v2[k])
                                return -ENOMEM;
                        k++;
                }
                s = le + 1;
        }
        v2[k] = NULL;
        if (k > 0)
                p->licenses = v2;
        return 0;
}

/* ---- npm lockfiles ---- */

/* Drops lockfile entries where the lockfile's project has an installed node_modules tree: the installed
 * packages are what the image holds (a lockfile also lists optional packages for other platforms and
 * dev dependencies left out at install). */
static void free_set(struct hashmap *h) {
        if (!h)
                return;
        const char *k;
        char *v;
        HASHMAP_FOREACH (k, v, h, it)
                free(v);
        hashmap_free(h);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct hashmap *, free_set);

static int drop_superseded_lockfile_entries(struct pkg_vec *pkgs) {
        _cleanup_(free_setp) struct hashmap *installed_roots = hashmap_new();
        _cleanup_(hashmap_freep) struct hashmap *installed = hashmap_new(); /* record path -> pkg */
        char dir[PATH_MAX_IMAGE + 1];

        if (!installed_roots || !installed)
                return -ENOMEM;
        VEC_FOREACH(p, pkgs) {
                if (p->type != PKG_NPM || (p->flags & PKG_F_LOCKFILE))
                        continue;
                const char *nm = strstr(p->record_path, "node_modules/");
                if (!nm)
                        continue;
                if (hashmap_put(installed, p->record_path, p, NULL) < 0)
                        return -ENOMEM;
                /* the project root is what precedes the first node_modules/ */
                size_t n = (size_t) (nm - p->record_path);
                snprintf(dir, sizeof dir, "%.*s", (int) (n > 0 ? n - 1 : 0), p->record_path);
                if (hashmap_contains(installed_roots, dir))
                        continue;
                char *k = strdup(dir);
                if (!k || hashmap_put(installed_roots, k, k, NULL) < 0) {
                        free(k);
                        return -ENOMEM;
                }
        }
        size_t k = 0;
        for (size_t i = 0; i < pkgs->n; i++) {
                const struct pkg *p = &pkgs->items[i];
                if (p->type == PKG_NPM && (p->flags & PKG_F_LOCKFILE)) {
                        size_t dl = path_dirname_len(p->record_path);
                        snprintf(dir, sizeof dir, "%.*s", (int) dl, p->record_path);
                        if (hashmap_contains(installed_roots, dir)) {
                                /* The installed copy is reported; it learns from the lockfile whether it is
                                 * a devDependency (package.json does not say). */
                                char rec[2 * PATH_MAX_IMAGE + 32];
                                if ((p->flags & PKG_F_NPM_DEV) && p->inner_path) {
                                        snprintf(rec, sizeof rec, "%s%s%s/package.json", dir, dl ? "/" : "",
                                                 p->inner_path);
                                        struct pkg *q = hashmap_get(installed, rec);
                                        if (q && streq(q->name, p->name))
                                                q->flags |= PKG_F_NPM_DEV;
                                }
                                continue;
                        }
                }
                pkgs->items[k++] = *p;
        }
        pkgs->n = k;
        return 0;
}

static int cmp_pkg(const void *a, const void *b) {
        return pkg_compare(a, b);
}

int inventory_finish(struct layer_result *const *layers, size_t n_layers, const struct view *v,
                     struct arena *a, struct diag *d, struct scan_os *ret_os, struct pkg_vec *pkgs) {
        struct scan_os os = {0};
        struct hashmap *intro = NULL, *records = NULL, *record_bases = NULL;
        struct arena *ta = NULL;
        struct buf key = BUF_INIT(0);
        int r;

        r = detect_os(layers, v, a, &os);
        if (r < 0)
                return r;

        /* Walk layers in order, tracking for every (record, package) the layer that introduced it. A layer
         * that rewrites (or deletes) a record file ends the life of the packages it no longer lists, so a
         * later re-install counts as a new introduction. */
        intro = hashmap_new();
        records = hashmap_new(); /* record path -> 1 + the last layer that wrote it */
        record_bases = hashmap_new();
        ta = arena_new(0);
        if (!intro || !records || !record_bases || !ta) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t li = 0; li < n_layers; li++)
                VEC_FOREACH (p, &layers[li]->pkgs) {
                        const char *b = path_basename(p->record_path);
                        if (hashmap_put(records, p->record_path, (void *) (intptr_t) 0, NULL) < 0 ||
                            hashmap_put(record_bases, b, (void *) b, NULL) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                }
        for (size_t li = 0; li < n_layers; li++) {
                const struct layer_result *L = layers[li];
                /* The records this layer wrote or deleted; record basenames filter the file table first
                 * (hashing every path of every layer was a good part of a warm scan). */
                VEC_FOREACH (f, &L->files)
                        if ((f->kind == LF_REG || f->kind == LF_WHITEOUT) &&
                            hashmap_contains(record_bases, path_basename(f->path)) &&
                            hashmap_contains(records, f->path))
                                hashmap_put(records, f->path, (void *) (intptr_t) (li + 1), NULL);
                VEC_FOREACH (p, &L->pkgs) {
                        struct intro *in = hashmap_get(intro, ident_key(&key, p));
                        if (!in) {
                                in = arena_alloc(ta, sizeof *in);
                                const char *k = arena_strdup(ta, key.data);
                                if (!in || !k || hashmap_put(intro, k, in, NULL) < 0) {
                                        r = -ENOMEM;
                                        goto out;
                                }
                                in->record_path = p->record_path;
                        }
                        if (!in->alive) {
                                in->layer = (int) li;
                                in->alive = true;
                        }
                        in->seen_in = (int) li;
                }
                const char *k;
                struct intro *in;
                HASHMAP_FOREACH (k, in, intro, it)
                        if (in->alive && in->seen_in != (int) li &&
                            (intptr_t) hashmap_get(records, in->record_path) == (intptr_t) (li + 1))
                                in->alive = false;
        }

        /* The final inventory: packages whose record file is what the image shows. */
        for (size_t li = 0; li < n_layers; li++) {
                const struct layer_result *L = layers[li];
                VEC_FOREACH (p, &L->pkgs) {
                        if (view_file_state(v, p->record_path, (int) li) != FILE_PRESENT)
                                continue;
                        struct pkg *q = VEC_NEW(pkgs);
                        if (!q) {
                                r = -ENOMEM;
                                goto out;
                        }
                        *q = *p;
                        q->record_layer = (int) li;
                        struct intro *in = hashmap_get(intro, ident_key(&key, p));
                        q->layer = in && in->alive ? in->layer : (int) li;
                }
        }

        r = drop_superseded_lockfile_entries(pkgs);
        if (r < 0)
                goto out;
        VEC_FOREACH (p, pkgs) {
                if (p->type == PKG_DEB && !p->licenses) {
                        r = deb_licenses(layers, v, a, p);
                        if (r < 0)
                                goto out;
                }
        }
        r = mark_owners(layers, n_layers, v, a, pkgs);
        if (r < 0)
                goto out;
        VEC_FOREACH (p, pkgs) {
                p->purl = purl_for(a, p, &os);
                if (!p->purl) {
                        diag_warn(d, "no package URL for %s package '%s'", pkg_type_to_string(p->type),
                                  p->name);
                }
        }
        qsort_safe(pkgs->items, pkgs->n, sizeof *pkgs->items, cmp_pkg);
        /* The same record listing a package twice (duplicate stanzas) yields one package. */
        size_t k = 0;
        for (size_t i = 0; i < pkgs->n; i++)
                if (k == 0 || pkg_compare(&pkgs->items[k - 1], &pkgs->items[i]) != 0)
                        pkgs->items[k++] = pkgs->items[i];
        pkgs->n = k;
        *ret_os = os;
        r = 0;
out:
        buf_free(&key);
        hashmap_free(intro);
        hashmap_free(records);
        hashmap_free(record_bases);
        arena_free(ta);
        return r;
}
