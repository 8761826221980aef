/* SPDX-License-Identifier: Apache-2.0 */
/* Debian packages.
 *
 * analyzer_dpkg_status reads var/lib/dpkg/status and the one-stanza-per-package files of distroless
 * images in var/lib/dpkg/status.d/ (their *.md5sums companions are skipped). Record convention:
 *   type PKG_DEB; name = Package; version = Version as written (with epoch and revision: "1:2.38-4");
 *   arch = Architecture ("amd64", "all"); source_name = the Source field's name when the field is present;
 *   source_version = the version in "Source: name (version)" when it differs from Version;
 *   record_path = the status file's path. Licenses and owned files come from other facts
 *   (FACT_DEB_COPYRIGHT, FACT_DPKG_LIST), joined by the inventory.
 * A stanza counts when its Status state says the package's files are on disk (installed, unpacked,
 * half-configured, triggers-awaited, triggers-pending), whatever the selection ("deinstall ok installed"
 * is still installed); config-files, half-installed and not-installed do not. Distroless status.d stanzas
 * have no Status field and count as installed. Within one file a later stanza for the same package and
 * architecture replaces an earlier one, with a warning.
 *
 * analyzer_dpkg_list: var/lib/dpkg/info/NAME[:ARCH].list -> FACT_DPKG_LIST, key = NAME (the ":ARCH" of
 * Multi-Arch: same packages is stripped; the fact's path still has it), data = the file as is.
 *
 * analyzer_deb_copyright: usr/share/doc/NAME/copyright -> FACT_DEB_COPYRIGHT, key = NAME, data = the
 * distinct license names, '\n'-separated, in order of appearance. Machine-readable (DEP-5) files give the
 * first line of every License field, split into names; other files only give references to
 * /usr/share/common-licenses/. No fact when nothing was found. */

#include "catalogers.h"
#include "hashmap.h"
#include "license.h"
#include "path-util.h"
#include "rfc822.h"

#define DPKG_STATUS_MAX   (32 * 1024 * 1024)
#define DPKG_LIST_MAX     (32 * 1024 * 1024)
#define DEB_COPYRIGHT_MAX (256 * 1024)
#define DEB_NAME_MAX      256
#define DEB_VERSION_MAX   256
#define DEB_ARCH_MAX      64

static const char status_path[] = "var/lib/dpkg/status";
static const char status_dir[] = "var/lib/dpkg/status.d";
static const char info_dir[] = "var/lib/dpkg/info";

static bool in_dir(const char *path, const char *dir) {
        size_t dl = strlen(dir);
        return path_dirname_len(path) == dl && strneq(path, dir, dl);
}

static enum analyzer_mode dpkg_status_match(const struct layer_file *f) {
        if (streq(f->path, status_path))
                return ANALYZE_BUFFER;
        if (in_dir(f->path, status_dir)) {
                const char *b = path_basename(f->path);
                if (b[0] != '.' && !str_has_suffix(b, ".md5sums"))
                        return ANALYZE_BUFFER;
        }
        return ANALYZE_NONE;
}

struct span {
        const char *s;
        size_t n;
};

struct stanza {
        struct span package, version, arch, source, status;
        unsigned line;
        bool bad; /* a key field repeated or continued over several lines */
        bool has_status;
};

static void stanza_set(struct stanza *st, struct span *field, const struct rfc822_field *f) {
        if (field->s || f->n_cont > 0)
                st->bad = true;
        field->s = f->value;
        field->n = f->value_len;
}

/* "install ok installed" -> true. The third word is the package state. */
static bool status_installed(struct span st) {
        static const char *const present[] = {
                "installed", "unpacked", "half-configured", "triggers-awaited", "triggers-pending",
        };
        const char *p = st.s, *end = st.s + st.n;
        const char *words[4];
        size_t lens[4], k = 0;

        while (p < end && k < ELEMENTSOF(words)) {
                while (p < end && (*p == ' ' || *p == '\t'))
                        p++;
                if (p >= end)
                        break;
                const char *b = p;
                while (p < end && *p != ' ' && *p != '\t')
                        p++;
                words[k] = b;
                lens[k] = (size_t) (p - b);
                k++;
        }
        if (k != 3)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(present); i++)
                if (span_eq_nocase(words[2], lens[2], present[i]))
                        return true;
        return false;
}

/* "src (1.2-3)" -> name "src", version "1.2-3"; "src" -> name only. */
static void split_source(struct span src, struct span *ret_name, struct span *ret_version) {
        const char *s = src.s, *end = src.s + src.n;
        const char *paren = memchr(s, '(', src.n);
        struct span name = {s, (size_t) ((paren ? paren : end) - s)};
        struct span ver = {};

        text_trim(&name.s, &name.n);
        if (paren) {
                const char *close = memchr(paren, ')', (size_t) (end - paren));
                if (close) {
                        ver.s = paren + 1;
                        ver.n = (size_t) (close - paren - 1);
                        text_trim(&ver.s, &ver.n);
                }
        }
        *ret_name = name;
        *ret_version = ver;
}

struct status_parse {
        struct layer_ctx *c;
        const struct layer_file *f;
        bool distroless;
        struct hashmap *seen; /* "name\x01arch" -> index + 1 in the result's pkgs */
        struct arena *keys;   /* storage for the keys above */
        size_t n_bad, n_dup;
        unsigned first_bad_line;
};

static void note_bad(struct status_parse *sp, unsigned line) {
        if (sp->n_bad++ == 0)
                sp->first_bad_line = line;
}

static char *span_dup(struct layer_ctx *c, struct span s) {
        return layer_ctx_strndup(c, s.s, s.n);
}

static int emit_stanza(struct status_parse *sp, const struct stanza *st) {
        struct layer_ctx *c = sp->c;
        struct span src_name = {}, src_ver = {};

        if (st->bad || !st->package.s || !st->version.s) {
                note_bad(sp, st->line);
                return 0;
        }
        if (st->has_status ? !status_installed(st->status) : !sp->distroless)
                return 0;
        if (!text_token_ok(st->package.s, st->package.n, DEB_NAME_MAX) ||
            !text_token_ok(st->version.s, st->version.n, DEB_VERSION_MAX) ||
            (st->arch.s && st->arch.n > 0 && !text_token_ok(st->arch.s, st->arch.n, DEB_ARCH_MAX))) {
                note_bad(sp, st->line);
                return 0;
        }
        if (st->source.s) {
                split_source(st->source, &src_name, &src_ver);
                if (!text_token_ok(src_name.s, src_name.n, DEB_NAME_MAX))
                        src_name = (struct span){};
                if (src_ver.s && !text_token_ok(src_ver.s, src_ver.n, DEB_VERSION_MAX))
                        src_ver = (struct span){};
        }

        const char *key = arena_printf(sp->keys, "%.*s\x01%.*s", (int) st->package.n, st->package.s,
                                       (int) st->arch.n, st->arch.s ? st->arch.s : "");
        if (!key)
                return -ENOMEM;
        struct layer_result *res = layer_ctx_result(c);
        struct pkg *p;
        size_t idx = (size_t) hashmap_get(sp->seen, key);
        if (idx > 0) {
                sp->n_dup++;
                p = &res->pkgs.items[idx - 1];
                *p = (struct pkg){.layer = -1, .record_layer = -1};
        } else {
                p = layer_ctx_new_pkg(c);
                if (!p)
                        return -ENOMEM;
                int r = hashmap_put(sp->seen, key, (void *) res->pkgs.n, NULL);
                if (r < 0)
                        return r;
        }

        p->type = PKG_DEB;
        p->name = span_dup(c, st->package);
        p->version = span_dup(c, st->version);
        p->record_path = sp->f->path; /* the file table's copy, in the arena */
        if (!p->name || !p->version)
                return -ENOMEM;
        if (st->arch.s && st->arch.n > 0 && !(p->arch = span_dup(c, st->arch)))
                return -ENOMEM;
        if (src_name.s && src_name.n > 0 && !(p->source_name = span_dup(c, src_name)))
                return -ENOMEM;
        if (src_ver.s && src_ver.n > 0 &&
            !(src_ver.n == st->version.n && memcmp(src_ver.s, st->version.s, src_ver.n) == 0) &&
            !(p->source_version = span_dup(c, src_ver)))
                return -ENOMEM;
        return 0;
}

static int dpkg_status_on_buffer(struct layer_ctx *c, const struct layer_file *f, const uint8_t *data,
                                 size_t n) {
        _cleanup_(hashmap_freep) struct hashmap *seen = hashmap_new();
        _cleanup_(arena_freep) struct arena *keys = arena_new(0);
        struct status_parse sp = {
                .c = c,
                .f = f,
                .distroless = !streq(f->path, status_path),
                .seen = seen,
                .keys = keys,
        };
        struct stanza st = {};
        struct rfc822 rd;
        struct rfc822_field fl;
        int r;

        if (!seen || !keys)
                return -ENOMEM;

        rfc822_init(&rd, (const char *) data, n, RFC822_BLANK_LINE_BREAKS);
        for (;;) {
                enum rfc822_event ev = rfc822_next(&rd, &fl);
                if (ev == RFC822_EOF)
                        break;
                if (ev == RFC822_BAD_LINE) {
                        /* dpkg refuses the whole database here; one bad line only costs its stanza. */
                        st.bad = true;
                        if (!st.line)
                                st.line = fl.line;
                        continue;
                }
                if (ev == RFC822_END) {
                        r = emit_stanza(&sp, &st);
                        if (r < 0)
                                return r;
                        st = (struct stanza){};
                        continue;
                }
                if (!st.line)
                        st.line = fl.line;
                if (rfc822_name_is(&fl, "Package"))
                        stanza_set(&st, &st.package, &fl);
                else if (rfc822_name_is(&fl, "Version"))
                        stanza_set(&st, &st.version, &fl);
                else if (rfc822_name_is(&fl, "Architecture"))
                        stanza_set(&st, &st.arch, &fl);
                else if (rfc822_name_is(&fl, "Source"))
                        stanza_set(&st, &st.source, &fl);
                else if (rfc822_name_is(&fl, "Status")) {
                        stanza_set(&st, &st.status, &fl);
                        st.has_status = true;
                }
        }

        if (sp.n_bad > 0)
                layer_ctx_warn(c, "skipped %zu malformed stanza%s in '%s' (the first at line %u)", sp.n_bad,
                               sp.n_bad == 1 ? "" : "s", f->path, sp.first_bad_line);
        if (sp.n_dup > 0)
                layer_ctx_warn(c, "'%s' lists %zu package%s more than once; the last stanza counts", f->path,
                               sp.n_dup, sp.n_dup == 1 ? "" : "s");
        return 0;
}

const struct analyzer analyzer_dpkg_status = {
        .name = "dpkg-status",
        .match = dpkg_status_match,
        .max_size = DPKG_STATUS_MAX,
        .on_buffer = dpkg_status_on_buffer,
};

/* ---- var/lib/dpkg/info/NAME.list ---- */

static enum analyzer_mode dpkg_list_match(const struct layer_file *f) {
        if (!in_dir(f->path, info_dir))
                return ANALYZE_NONE;
        const char *b = path_basename(f->path);
        return strlen(b) > 5 && str_has_suffix(b, ".list") ? ANALYZE_BUFFER : ANALYZE_NONE;
}

static int dpkg_list_on_buffer(struct layer_ctx *c, const struct layer_file *f, const uint8_t *data,
                               size_t n) {
        const char *b = path_basename(f->path);
        size_t kl = strlen(b) - 5;
        const char *colon = memchr(b, ':', kl);
        char key[DEB_NAME_MAX + 1];

        if (colon)
                kl = (size_t) (colon - b);
        if (!text_token_ok(b, kl, DEB_NAME_MAX)) {
                layer_ctx_warn(c, "skipping '%s': not a package name", f->path);
                return 0;
        }
        if (memchr(data, 0, n)) {
                layer_ctx_warn(c, "skipping '%s': not a text file", f->path);
                return 0;
        }
        memcpy(key, b, kl);
        key[kl] = 0;
        return layer_ctx_add_fact(c, FACT_DPKG_LIST, f->path, key, (const char *) data, n);
}

const struct analyzer analyzer_dpkg_list = {
        .name = "dpkg-list",
        .match = dpkg_list_match,
        .max_size = DPKG_LIST_MAX,
        .on_buffer = dpkg_list_on_buffer,
};

/* ---- usr/share/doc/NAME/copyright ---- */

static enum analyzer_mode deb_copyright_match(const struct layer_file *f) {
        static const char prefix[] = "usr/share/doc/";
        if (!strneq(f->path, prefix, sizeof prefix - 1))
                return ANALYZE_NONE;
        const char *name = f->path + sizeof prefix - 1;
        const char *slash = strchr(name, '/');
        return slash && slash > name && streq(slash, "/copyright") ? ANALYZE_BUFFER : ANALYZE_NONE;
}

static void copyright_dep5(const char *s, size_t n, struct license_list *l) {
        struct rfc822 rd;
        struct rfc822_field fl;
        enum rfc822_event ev;

        rfc822_init(&rd, s, n, RFC822_BLANK_LINE_BREAKS | RFC822_COMMENTS);
        while ((ev = rfc822_next(&rd, &fl)) != RFC822_EOF)
                if (ev == RFC822_FIELD && rfc822_name_is(&fl, "License"))
                        (void) license_list_add_dep5(l, fl.value, fl.value_len);
}

/* A machine-readable file has a Format (or, in the drafts, Format-Specification) field in its first
 * paragraph, usually the first field. */
static bool copyright_is_dep5(const char *s, size_t n) {
        struct rfc822 rd;
        struct rfc822_field fl;
        enum rfc822_event ev;

        rfc822_init(&rd, s, n, RFC822_BLANK_LINE_BREAKS | RFC822_COMMENTS);
        while ((ev = rfc822_next(&rd, &fl)) == RFC822_FIELD || ev == RFC822_BAD_LINE)
                if (ev == RFC822_FIELD &&
                    (rfc822_name_is(&fl, "Format") || rfc822_name_is(&fl, "Format-Specification")))
                        return true;
        return false;
}

static int deb_copyright_on_buffer(struct layer_ctx *c, const struct layer_file *f, const uint8_t *data,
                                   size_t n) {
        const char *s = (const char *) data;
        const char *name = f->path + strlen("usr/share/doc/");
        size_t kl = (size_t) (strchr(name, '/') - name);
        char key[DEB_NAME_MAX + 1];
        struct license_list l = {};
        _cleanup_free_ char *joined = NULL;
        size_t jl;

        if (!text_token_ok(name, kl, DEB_NAME_MAX))
                return 0;
        memcpy(key, name, kl);
        key[kl] = 0;

        if (copyright_is_dep5(s, n))
                copyright_dep5(s, n, &l);
        if (l.n == 0)
                (void) license_list_add_common_refs(&l, s, n);
        if (l.n == 0)
                return 0;
        if (l.truncated)
                layer_ctx_warn(c, "'%s' names more than %d licenses; keeping the first ones", f->path,
                               LICENSE_LIST_MAX);
        if (license_list_join(&l, &joined, &jl) < 0)
                return -ENOMEM;
        return layer_ctx_add_fact(c, FACT_DEB_COPYRIGHT, f->path, key, joined, jl);
}

const struct analyzer analyzer_deb_copyright = {
        .name = "deb-copyright",
        .match = deb_copyright_match,
        .max_size = DEB_COPYRIGHT_MAX,
        .on_buffer = deb_copyright_on_buffer,
};
