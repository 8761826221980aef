/* SPDX-License-Identifier: Apache-2.0 */
/* analyzer_apk: the apk database of Alpine, Wolfi and Chainguard images, lib/apk/db/installed.
 *
 * The file is a list of blocks separated by empty lines; each line is "X:value" with a one-letter key.
 * Record convention:
 *   type PKG_APK; name = P; version = V ("1.2.4-r2"); arch = A; licenses = { L } (the field as written,
 *   one string: "MIT", "GPL-2.0-or-later AND LGPL-2.1-or-later"); source_name = o (origin, set whenever
 *   the field is present, also when it equals the name); record_path = the database's path;
 *   owned_files = every "F:dir" + "R:file" pair as an image path "dir/file" (NULL-terminated; NULL when
 *   the package owns no files).
 * A block without P or V, or with a repeated P/V/A/L/o line, is skipped with a warning. A later block for
 * the same name replaces an earlier one. Owned paths are normalized; one that climbs out of the root is
 * dropped. */

#include "catalogers.h"
#include "hashmap.h"
#include "path-util.h"
#include "rfc822.h"
#include "vec.h"

#define APK_DB_MAX      (32 * 1024 * 1024)
#define APK_NAME_MAX    256
#define APK_VERSION_MAX 256
#define APK_ARCH_MAX    64
#define APK_LICENSE_MAX 1024

static enum analyzer_mode apk_match(const struct layer_file *f) {
        return streq(f->path, "lib/apk/db/installed") ? ANALYZE_BUFFER : ANALYZE_NONE;
}

struct span {
        const char *s;
        size_t n;
};

struct apk_block {
        struct span name, version, arch, license, origin;
        struct span dir; /* current F: */
        bool have_dir;
        bool bad;
        unsigned line;
        VEC(const char *) files;
};

struct apk_parse {
        struct layer_ctx *c;
        const struct layer_file *f;
        struct hashmap *seen; /* name -> index + 1 in the result's pkgs */
        size_t files_budget;  /* bytes of owned paths we still accept from this database */
        size_t n_bad, n_dup, n_bad_paths;
        unsigned first_bad_line;
        bool budget_hit;
};

static void block_set(struct apk_block *b, struct span *field, const char *v, size_t n) {
        if (field->s)
                b->bad = true;
        field->s = v;
        field->n = n;
}

static int block_add_file(struct apk_parse *ap, struct apk_block *b, const char *file, size_t fn) {
        char raw[PATH_MAX_IMAGE + 2], norm[PATH_MAX_IMAGE + 1];
        size_t dn = b->have_dir ? b->dir.n : 0;

        if (ap->budget_hit)
                return 0;
        if (fn == 0 || memchr(file, '/', fn) || memchr(file, 0, fn) ||
            (b->have_dir && memchr(b->dir.s, 0, dn)) || dn + 1 + fn > PATH_MAX_IMAGE) {
                ap->n_bad_paths++;
                return 0;
        }
        if (dn > 0)
                memcpy(raw, b->dir.s, dn);
        raw[dn] = '/';
        memcpy(raw + dn + 1, file, fn);
        raw[dn + 1 + fn] = 0;
        if (path_normalize_member(dn ? raw : raw + 1, norm) < 0 || !norm[0]) {
                ap->n_bad_paths++;
                return 0;
        }
        size_t len = strlen(norm);
        if (len + 1 + sizeof(char *) > ap->files_budget) {
                ap->budget_hit = true;
                return 0;
        }
        ap->files_budget -= len + 1 + sizeof(char *);
        const char *p = layer_ctx_strndup(ap->c, norm, len);
        if (!p)
                return -ENOMEM;
        return VEC_PUSH(&b->files, p);
}

static char *span_dup(struct layer_ctx *c, struct span s) {
        return layer_ctx_strndup(c, s.s, s.n);
}

static int emit_block(struct apk_parse *ap, struct apk_block *b) {
        struct layer_ctx *c = ap->c;

        if (b->bad || !b->name.s || !b->version.s || !text_token_ok(b->name.s, b->name.n, APK_NAME_MAX) ||
            !text_token_ok(b->version.s, b->version.n, APK_VERSION_MAX)) {
                if (ap->n_bad++ == 0)
                        ap->first_bad_line = b->line;
                return 0;
        }

        /* Name keys live in the result's arena with the package anyway. */
        char *name = span_dup(c, b->name);
        if (!name)
                return -ENOMEM;
        struct layer_result *res = layer_ctx_result(c);
        struct pkg *p;
        size_t idx = (size_t) hashmap_get(ap->seen, name);
        if (idx > 0) {
                ap->n_dup++;
                p = &res->pkgs.items[idx - 1];
                *p = (struct pkg){.layer = -1, .record_layer = -1};
        } else {
                p = layer_ctx_new_pkg(c);
                if (!p)
                        return -ENOMEM;
                int r = hashmap_put(ap->seen, name, (void *) res->pkgs.n, NULL);
                if (r < 0)
                        return r;
        }

        p->type = PKG_APK;
        p->name = name;
        p->version = span_dup(c, b->version);
        p->record_path = ap->f->path;
        if (!p->version)
                return -ENOMEM;
        if (b->arch.s && text_token_ok(b->arch.s, b->arch.n, APK_ARCH_MAX) &&
            !(p->arch = span_dup(c, b->arch)))
                return -ENOMEM;
        if (b->origin.s && text_token_ok(b->origin.s, b->origin.n, APK_NAME_MAX) &&
            !(p->source_name = span_dup(c, b->origin)))
                return -ENOMEM;
        if (b->license.s && text_field_ok(b->license.s, b->license.n, APK_LICENSE_MAX)) {
                const char **v = arena_alloc(layer_ctx_arena(c), 2 * sizeof *v);
                if (!v || !(v[0] = span_dup(c, b->license)))
                        return -ENOMEM;
                p->licenses = v;
        }
        if (b->files.n > 0) {
                const char **v = arena_alloc(layer_ctx_arena(c), (b->files.n + 1) * sizeof *v);
                if (!v)
                        return -ENOMEM;
                memcpy(v, b->files.items, b->files.n * sizeof *v);
                v[b->files.n] = NULL;
                p->owned_files = v;
        }
        return 0;
}

static int apk_on_buffer(struct layer_ctx *c, const struct layer_file *f, const uint8_t *data, size_t n) {
        _cleanup_(hashmap_freep) struct hashmap *seen = hashmap_new();
        struct apk_parse ap = {
                .c = c,
                .f = f,
                .seen = seen,
                .files_budget = 2 * n + 1024 * 1024,
        };
        struct apk_block b = {};
        const char *p = (const char *) data, *end = p + n;
        unsigned line = 0;
        bool open = false;
        int r = 0;

        if (!seen)
                return -ENOMEM;

        while (p < end || open) {
                const char *nl = p < end ? memchr(p, '\n', (size_t) (end - p)) : NULL;
                const char *e = nl ? nl : end;
                const char *s = p;
                size_t len;

                p = nl ? nl + 1 : end;
                line++;
                if (e > s && e[-1] == '\r')
                        e--;
                len = (size_t) (e - s);

                if (len == 0) {
                        /* An empty line, or the end of the data: closes the block. */
                        if (open) {
                                r = emit_block(&ap, &b);
                                if (r < 0)
                                        break;
                                VEC_FREE(&b.files);
                                b = (struct apk_block){};
                                open = false;
                        }
                        continue;
                }
                if (!open) {
                        open = true;
                        b.line = line;
                }
                if (len < 2 || s[1] != ':') {
                        b.bad = true;
                        continue;
                }
                const char *v = s + 2;
                size_t vn = len - 2;
                switch (s[0]) {
                case 'P': block_set(&b, &b.name, v, vn); break;
                case 'V': block_set(&b, &b.version, v, vn); break;
                case 'A': block_set(&b, &b.arch, v, vn); break;
                case 'L': block_set(&b, &b.license, v, vn); break;
                case 'o': block_set(&b, &b.origin, v, vn); break;
                case 'F':
                        b.dir = (struct span){v, vn};
                        b.have_dir = true;
                        break;
                case 'R': r = block_add_file(&ap, &b, v, vn); break;
                default: break;
                }
                if (r < 0)
                        break;
        }
        VEC_FREE(&b.files);
        if (r < 0)
                return r;

        if (ap.n_bad > 0)
                layer_ctx_warn(c, "skipped %zu malformed package block%s in '%s' (the first at line %u)",
                               ap.n_bad, ap.n_bad == 1 ? "" : "s", f->path, ap.first_bad_line);
        if (ap.n_dup > 0)
                layer_ctx_warn(c, "'%s' lists %zu package%s more than once; the last block counts", f->path,
                               ap.n_dup, ap.n_dup == 1 ? "" : "s");
        if (ap.n_bad_paths > 0)
                layer_ctx_warn(c, "ignored %zu invalid file path%s in '%s'", ap.n_bad_paths,
                               ap.n_bad_paths == 1 ? "" : "s", f->path);
        if (ap.budget_hit)
                layer_ctx_warn(c,
                               "'%s' lists more file paths than expected for its size; the rest are ignored",
                               f->path);
        return 0;
}

const struct analyzer analyzer_apk = {
        .name = "apk",
        .match = apk_match,
        .max_size = APK_DB_MAX,
        .on_buffer = apk_on_buffer,
};
