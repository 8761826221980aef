/* SPDX-License-Identifier: Apache-2.0 */
/* npm packages.
 *
 * analyzer_npm_package: the package.json at the root of an installed package:
 *   …/node_modules/NAME/package.json and …/node_modules/@SCOPE/NAME/package.json (npm, yarn, pnpm's
 *   .pnpm/…/node_modules/NAME too), and Debian's usr/share/nodejs/[@SCOPE/]NAME/package.json,
 *   usr/lib/nodejs/… and usr/lib/TRIPLET/nodejs/… (which belong to Debian packages: the inventory marks
 *   the owner). Deeper package.json files of a package, node_modules/.bin and the like are not records.
 * Record convention:
 *   type PKG_NPM; name = the "name" field (with its scope, "@babel/core"; for an alias install this is the
 *   real package's name, not the directory's); version = "version"; licenses = "license" (a string, or
 *   the legacy {"type": …} object or an array of those) or else the legacy "licenses" array, as written;
 *   record_path = the package.json path.
 * A package.json whose name or version is missing or not a string is skipped silently (it is not a
 * published package); one that does not parse is skipped with a warning.
 *
 * analyzer_npm_lock: package-lock.json and npm-shrinkwrap.json, lockfileVersion 1, 2 and 3, outside
 * node_modules (npm ignores the lockfiles of dependencies; node_modules/.package-lock.json describes what
 * the package.json records already list).
 * Record convention:
 *   type PKG_NPM; flags PKG_F_LOCKFILE, plus PKG_F_NPM_DEV for "dev": true; name = the entry's "name" when
 *   it has one (aliases), else the part of its location after the last "node_modules/"; version = its
 *   "version"; record_path = the lockfile's path; inner_path = the entry's location relative to the
 *   lockfile's directory, "node_modules/a/node_modules/@s/b" (v2/v3: the "packages" key; v1: built from
 *   the nesting of "dependencies"), so the installed copy, if any, is
 *   dirname(record_path)/inner_path/package.json. No licenses (lockfiles do not carry them).
 * v2/v3 use "packages" (the root "" entry and "link": true entries are skipped); v1, or a file without
 * "packages", uses "dependencies". v1 versions that are not registry versions (git URLs, "file:" paths)
 * are skipped; "npm:name@version" aliases give the real name and version. Nesting deeper than
 * NPM_LOCK_MAX_DEPTH and entries beyond NPM_LOCK_MAX_ENTRIES are dropped with a warning. */

#include <jansson.h>

#include "buf.h"
#include "catalogers.h"
#include "core/json-util.h"
#include "license.h"
#include "path-util.h"
#include "rfc822.h"

#define NPM_PACKAGE_MAX      (4 * 1024 * 1024)
#define NPM_LOCK_MAX         (32 * 1024 * 1024)
#define NPM_NAME_MAX         256
#define NPM_VERSION_MAX      256
#define NPM_LOCK_MAX_DEPTH   64
#define NPM_LOCK_MAX_ENTRIES 500000

/* Start of the path component that ends at index end (a '/' or the end of the path). */
static size_t comp_start(const char *path, size_t end) {
        size_t i = end;
        while (i > 0 && path[i - 1] != '/')
                i--;
        return i;
}

static bool comp_is(const char *path, size_t start, size_t end, const char *lit) {
        return end - start == strlen(lit) && strneq(path + start, lit, end - start);
}

/* Debian's trees of Node.js modules. */
static bool is_debian_node_dir(const char *path, size_t len) {
        if (comp_is(path, 0, len, "usr/share/nodejs") || comp_is(path, 0, len, "usr/lib/nodejs"))
                return true;
        /* usr/lib/TRIPLET/nodejs */
        if (len < 16 || !strneq(path, "usr/lib/", 8) || !comp_is(path, len - 6, len, "nodejs") ||
            path[len - 7] != '/')
                return false;
        const char *triplet = path + 8;
        size_t tl = len - 7 - 8;
        return tl > 0 && !memchr(triplet, '/', tl);
}

static enum analyzer_mode npm_package_match(const struct layer_file *f) {
        const char *path = f->path;
        size_t len = strlen(path);
        size_t bs = comp_start(path, len);

        if (!streq(path + bs, "package.json") || bs == 0)
                return ANALYZE_NONE;
        size_t ne = bs - 1, ns = comp_start(path, ne); /* the package directory */
        if (ne == ns || path[ns] == '.' || path[ns] == '@' || ns == 0)
                return ANALYZE_NONE;
        size_t pe = ns - 1, ps = comp_start(path, pe); /* its parent */
        if (comp_is(path, ps, pe, "node_modules") || is_debian_node_dir(path, pe))
                return ANALYZE_BUFFER;
        if (path[ps] != '@' || pe - ps < 2 || ps == 0)
                return ANALYZE_NONE;
        size_t ge = ps - 1, gs = comp_start(path, ge); /* the scope's parent */
        if (comp_is(path, gs, ge, "node_modules") || is_debian_node_dir(path, ge))
                return ANALYZE_BUFFER;
        return ANALYZE_NONE;
}

/* A string member without embedded NULs, or NULL. */
static const char *json_str_n(const json_t *obj, const char *key, size_t *ret_len) {
        json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        if (!json_is_string(v))
                return NULL;
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (strlen(s) != n)
                return NULL;
        *ret_len = n;
        return s;
}

static void add_license_value(struct license_list *l, const json_t *v) {
        if (json_is_string(v)) {
                if (strlen(json_string_value(v)) == json_string_length(v))
                        (void) license_list_add(l, json_string_value(v), json_string_length(v));
                return;
        }
        size_t n;
        const char *t = json_str_n(v, "type", &n);
        if (t)
                (void) license_list_add(l, t, n);
}

static void collect_licenses(const json_t *root, struct license_list *l) {
        const json_t *lic = json_object_get(root, "license");
        size_t i;
        json_t *e;

        if (json_is_array(lic)) {
                json_array_foreach(lic, i, e) {
                        if (i >= LICENSE_LIST_MAX)
                                break;
                        add_license_value(l, e);
                }
        } else if (lic)
                add_license_value(l, lic);
        if (l->n > 0)
                return;

        const json_t *lics = json_object_get(root, "licenses");
        if (json_is_array(lics)) {
                json_array_foreach(lics, i, e) {
                        if (i >= LICENSE_LIST_MAX)
                                break;
                        add_license_value(l, e);
                }
        } else if (lics)
                add_license_value(l, lics);
}

/* Parses JSON for an analyzer: a file that does not parse is a warning, not an error of the scan. */
static int parse_json(struct layer_ctx *c, const struct layer_file *f, const uint8_t *data, size_t n,
                      size_t cap, json_t **ret) {
        struct diag d;

        diag_init(&d);
        int r = json_parse_capped((const char *) data, n, cap, "the file", &d, ret);
        if (r < 0)
                layer_ctx_warn(c, "skipping '%s': %s", f->path, d.error);
        diag_done(&d);
        return r;
}

static int npm_package_on_buffer(struct layer_ctx *c, const struct layer_file *f, const uint8_t *data,
                                 size_t n) {
        _cleanup_(json_decrefp) json_t *root = NULL;
        struct license_list l = {};
        size_t nl, vl;

        if (parse_json(c, f, data, n, NPM_PACKAGE_MAX, &root) < 0)
                return 0;
        const char *name = json_str_n(root, "name", &nl);
        const char *version = json_str_n(root, "version", &vl);
        if (!name || !version)
                return 0;
        if (!text_token_ok(name, nl, NPM_NAME_MAX) || !text_token_ok(version, vl, NPM_VERSION_MAX)) {
                layer_ctx_warn(c, "skipping '%s': invalid name or version", f->path);
                return 0;
        }

        struct pkg *p = layer_ctx_new_pkg(c);
        if (!p)
                return -ENOMEM;
        p->type = PKG_NPM;
        p->name = layer_ctx_strndup(c, name, nl);
        p->version = layer_ctx_strndup(c, version, vl);
        p->record_path = f->path;
        if (!p->name || !p->version)
                return -ENOMEM;
        collect_licenses(root, &l);
        return license_list_strv(&l, layer_ctx_arena(c), &p->licenses);
}

const struct analyzer analyzer_npm_package = {
        .name = "npm-package",
        .match = npm_package_match,
        .max_size = NPM_PACKAGE_MAX,
        .on_buffer = npm_package_on_buffer,
};

/* ---- lockfiles ---- */

static enum analyzer_mode npm_lock_match(const struct layer_file *f) {
        const char *b = path_basename(f->path);
        if (!streq(b, "package-lock.json") && !streq(b, "npm-shrinkwrap.json"))
                return ANALYZE_NONE;
        return path_has_component(f->path, "node_modules") ? ANALYZE_NONE : ANALYZE_BUFFER;
}

struct lock_walk {
        struct layer_ctx *c;
        const struct layer_file *f;
        size_t entries;
        size_t n_bad;
        bool too_deep, too_many;
};

static int lock_emit(struct lock_walk *w, const char *name, size_t nl, const char *version, size_t vl,
                     const char *loc, size_t ll, bool dev) {
        if (!text_token_ok(name, nl, NPM_NAME_MAX) || !text_token_ok(version, vl, NPM_VERSION_MAX) ||
            !text_token_ok(loc, ll, PATH_MAX_IMAGE)) {
                w->n_bad++;
                return 0;
        }
        if (w->entries >= NPM_LOCK_MAX_ENTRIES) {
                w->too_many = true;
                return 0;
        }
        w->entries++;

        struct pkg *p = layer_ctx_new_pkg(w->c);
        if (!p)
                return -ENOMEM;
        p->type = PKG_NPM;
        p->flags = PKG_F_LOCKFILE | (dev ? PKG_F_NPM_DEV : 0);
        p->name = layer_ctx_strndup(w->c, name, nl);
        p->version = layer_ctx_strndup(w->c, version, vl);
        p->inner_path = layer_ctx_strndup(w->c, loc, ll);
        p->record_path = w->f->path;
        if (!p->name || !p->version || !p->inner_path)
                return -ENOMEM;
        return 0;
}

/* The package name in a location: what follows the last "node_modules/" component, or NULL. */
static const char *name_from_location(const char *key, size_t kl, size_t *ret_len) {
        static const char nm[] = "node_modules/";
        const size_t nml = sizeof nm - 1;
        const char *best = NULL;
        for (size_t i = 0; i + nml <= kl; i++)
                if ((i == 0 || key[i - 1] == '/') && memcmp(key + i, nm, nml) == 0)
                        best = key + i + nml;
        if (!best || best == key + kl)
                return NULL;
        *ret_len = (size_t) (key + kl - best);
        return best;
}

static int lock_walk_packages(struct lock_walk *w, json_t *packages) {
        for (void *it = json_object_iter(packages); it; it = json_object_iter_next(packages, it)) {
                const char *key = json_object_iter_key(it);
                size_t kl = json_object_iter_key_len(it);
                json_t *v = json_object_iter_value(it);
                size_t nl = 0, vl = 0;

                if (kl == 0)
                        continue; /* the root project */
                if (!json_is_object(v) || strlen(key) != kl) {
                        w->n_bad++;
                        continue;
                }
                if (json_get_bool(v, "link", false))
                        continue;
                const char *name = json_str_n(v, "name", &nl);
                if (!name)
                        name = name_from_location(key, kl, &nl);
                const char *version = json_str_n(v, "version", &vl);
                if (!name || !version) {
                        /* Workspace folders without a name, entries without a version: nothing to list. */
                        continue;
                }
                int r = lock_emit(w, name, nl, version, vl, key, kl, json_get_bool(v, "dev", false));
                if (r < 0)
                        return r;
                if (w->too_many)
                        break;
        }
        return 0;
}

/* v1: "dependencies": { NAME: { "version": …, "dev": …, "dependencies": { … } } }, nested as installed. */
static int lock_walk_deps(struct lock_walk *w, json_t *deps, struct buf *loc, unsigned depth) {
        if (depth >= NPM_LOCK_MAX_DEPTH) {
                w->too_deep = true;
                return 0;
        }
        for (void *it = json_object_iter(deps); it; it = json_object_iter_next(deps, it)) {
                const char *key = json_object_iter_key(it);
                size_t kl = json_object_iter_key_len(it);
                json_t *v = json_object_iter_value(it);
                size_t vl = 0, saved = loc->len;
                int r;

                if (w->too_many)
                        break;
                if (!json_is_object(v) || kl == 0 || strlen(key) != kl) {
                        w->n_bad++;
                        continue;
                }
                r = buf_printf(loc, "%snode_modules/%s", saved ? "/" : "", key);
                if (r == -E2BIG) {
                        w->too_deep = true;
                        continue;
                }
                if (r < 0)
                        return r;

                const char *name = key, *version = json_str_n(v, "version", &vl);
                size_t nl = kl;
                if (version && vl > 4 && strneq(version, "npm:", 4)) {
                        /* An alias: "npm:real-name@1.2.3" or "npm:@scope/real@1.2.3". */
                        const char *spec = version + 4;
                        size_t sl = vl - 4;
                        const char *at = memrchr(spec, '@', sl);
                        if (at && at > spec) {
                                name = spec;
                                nl = (size_t) (at - spec);
                                version = at + 1;
                                vl = (size_t) (spec + sl - version);
                        } else
                                version = NULL;
                }
                if (version && !memchr(version, ':', vl)) {
                        r = lock_emit(w, name, nl, version, vl, loc->data, loc->len,
                                      json_get_bool(v, "dev", false));
                        if (r < 0)
                                return r;
                }

                json_t *sub = json_get_obj(v, "dependencies");
                if (sub) {
                        r = lock_walk_deps(w, sub, loc, depth + 1);
                        if (r < 0)
                                return r;
                }
                loc->len = saved;
                loc->data[saved] = 0;
        }
        return 0;
}

static int npm_lock_on_buffer(struct layer_ctx *c, const struct layer_file *f, const uint8_t *data,
                              size_t n) {
        _cleanup_(json_decrefp) json_t *root = NULL;
        struct lock_walk w = {.c = c, .f = f};
        int r;

        if (parse_json(c, f, data, n, NPM_LOCK_MAX, &root) < 0)
                return 0;
        if (!json_is_object(root)) {
                layer_ctx_warn(c, "skipping '%s': not a JSON object", f->path);
                return 0;
        }
        /* Only v2 and v3 have "packages"; going by it rather than by lockfileVersion also copes with a
         * version written as a string. */
        json_t *packages = json_get_obj(root, "packages");
        if (packages)
                r = lock_walk_packages(&w, packages);
        else {
                json_t *deps = json_get_obj(root, "dependencies");
                struct buf loc = BUF_INIT(PATH_MAX_IMAGE);
                r = deps ? lock_walk_deps(&w, deps, &loc, 0) : 0;
                buf_free(&loc);
        }
        if (r < 0)
                return r;

        if (w.n_bad > 0)
                layer_ctx_warn(c, "skipped %zu malformed entr%s in '%s'", w.n_bad,
                               w.n_bad == 1 ? "y" : "ies", f->path);
        if (w.too_deep)
                layer_ctx_warn(c,
                               "'%s' nests dependencies deeper than %d levels; the deeper ones are ignored",
                               f->path, NPM_LOCK_MAX_DEPTH);
        if (w.too_many)
                layer_ctx_warn(c, "'%s' lists more than %d packages; the rest are ignored", f->path,
                               NPM_LOCK_MAX_ENTRIES);
        return 0;
}

const struct analyzer analyzer_npm_lock = {
        .name = "npm-lock",
        .match = npm_lock_match,
        .max_size = NPM_LOCK_MAX,
        .on_buffer = npm_lock_on_buffer,
};
