/* SPDX-License-Identifier: Apache-2.0 */
/* Go binaries -> PKG_GO, from the build information the Go linker embeds (go-buildinfo.c).
 *
 * Record conventions:
 *  - "stdlib": the toolchain's standard library, version in the semver form vulnerability databases use
 *    (go_version_to_semver: "go1.19.8" -> "v1.19.8", "go1.21rc2" -> "v1.21.0-rc.2", "devel …" ->
 *    "(devel)"), flags PKG_F_GO_STDLIB. Not recorded when the version is not a Go version.
 *  - the main module (the "mod" line): path and version as recorded ("(devel)" for a go build of a
 *    checkout), PKG_F_GO_MAIN. Binaries built outside module mode (GOPATH builds such as Debian's runc
 *    and containerd) carry only a "path" line: no main module is recorded, as `go version -m` shows none.
 *  - each "dep": path and version. A replaced module is recorded as what was compiled in, the
 *    replacement's path and version (as `go version -m` prints on its "=>" line), with the original
 *    path in source_name (when it differs) and the required version in source_version. A replacement by
 *    a local directory has no module path or version: the original path is kept (vulnerability databases
 *    key on module paths), with version "(devel)" and the required version in source_version.
 *  - all of them: go_toolchain = the version string as recorded ("go1.19.8", possibly with a suffix such
 *    as " X:boringcrypto"), record_path = the binary's image path.
 *  - "build" lines (compiler flags, VCS stamps) are not recorded: struct pkg has no place for them, and
 *    guessing the main module's version from -ldflags -X would be a heuristic.
 *  Duplicate path@version pairs within one binary are recorded once. */

#include <string.h>

#include "go-buildinfo.h"
#include "hashmap.h"
#include "inventory/catalogers.h"

#define MODULE_PATH_MAX    1024
#define MODULE_VERSION_MAX 256

static enum analyzer_mode go_match(const struct layer_file *f) {
        /* The smallest Go binary is about a megabyte; anything under a few hundred bytes cannot hold the
         * headers and the blob. */
        if (f->kind != LF_REG || !(f->mode & 0111) || f->size < 512)
                return ANALYZE_NONE;
        return ANALYZE_STREAM;
}

struct go_emit {
        struct layer_ctx *c;
        const struct layer_file *f;
        const char *record_path;
        const char *toolchain;
        struct arena *keys; /* dedup keys, freed with the emitter */
        struct hashmap *seen;
        unsigned bad;
};

static void go_emit_done(struct go_emit *e) {
        hashmap_free(e->seen);
        arena_free(e->keys);
}

static bool field_ok(const char *s, size_t max) {
        size_t n = strnlen(s, max + 1);
        if (n > max)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= 0x20 || s[i] == 0x7f)
                        return false;
        return true;
}

static int emit(struct go_emit *e, const char *name, const char *version, uint32_t flags,
                const char *src_name, const char *src_version) {
        struct layer_ctx *c = e->c;
        int r;

        if (!e->record_path) {
                e->record_path = layer_ctx_strdup(c, e->f->path);
                if (!e->record_path)
                        return -ENOMEM;
        }
        char *key = arena_printf(e->keys, "%s@%s", name, version);
        if (!key)
                return -ENOMEM;
        if (hashmap_contains(e->seen, key))
                return 0;
        r = hashmap_put(e->seen, key, key, NULL);
        if (r < 0)
                return r;

        struct pkg *p = layer_ctx_new_pkg(c);
        if (!p)
                return -ENOMEM;
        p->type = PKG_GO;
        p->name = layer_ctx_strdup(c, name);
        p->version = layer_ctx_strdup(c, version);
        p->source_name = src_name ? layer_ctx_strdup(c, src_name) : NULL;
        p->source_version = src_version ? layer_ctx_strdup(c, src_version) : NULL;
        p->record_path = e->record_path;
        p->go_toolchain = e->toolchain;
        p->flags = flags;
        if (!p->name || !p->version || (src_name && !p->source_name) || (src_version && !p->source_version))
                return -ENOMEM;
        return 0;
}

static bool is_local_path(const char *p) {
        return p[0] == '/' || strneq(p, "./", 2) || strneq(p, "../", 3) || streq(p, ".") || streq(p, "..");
}

static int on_module(void *userdata, const struct go_module *m) {
        struct go_emit *e = userdata;
        const char *name = m->path, *version = m->version, *src_name = NULL, *src_version = NULL;

        if (!field_ok(m->path, MODULE_PATH_MAX) || !field_ok(m->version, MODULE_VERSION_MAX)) {
                e->bad++;
                return 0;
        }
        if (m->repl_path) {
                if (!field_ok(m->repl_path, MODULE_PATH_MAX) ||
                    (*m->repl_version && !field_ok(m->repl_version, MODULE_VERSION_MAX))) {
                        e->bad++;
                        return 0;
                }
                if (is_local_path(m->repl_path) || !*m->repl_version) {
                        /* A directory: keep the module path, the code's version is unknown. */
                        version = "(devel)";
                        src_version = *m->version ? m->version : NULL;
                } else {
                        name = m->repl_path;
                        version = m->repl_version;
                        src_name = streq(m->repl_path, m->path) ? NULL : m->path;
                        src_version = *m->version && !streq(m->version, m->repl_version) ? m->version : NULL;
                }
        }
        if (!*version) {
                e->bad++;
                return 0;
        }
        return emit(e, name, version, m->main ? PKG_F_GO_MAIN : 0, src_name, src_version);
}

static int go_on_stream(struct layer_ctx *c, const struct layer_file *f, struct entry_reader *r) {
        _cleanup_(go_buildinfo_done) struct go_buildinfo bi = {0};
        _cleanup_(go_emit_done) struct go_emit e = {.c = c, .f = f};
        char semver[64];
        int k;

        k = go_buildinfo_read_elf(r, &bi);
        if (k <= 0)
                return k;
        if (bi.problem)
                layer_ctx_warn(c, "'%s': Go build information: %s", f->path, bi.problem);

        e.keys = arena_new(0);
        e.seen = hashmap_new();
        if (!e.keys || !e.seen)
                return -ENOMEM;
        if (bi.version) {
                e.toolchain = layer_ctx_strdup(c, bi.version);
                if (!e.toolchain)
                        return -ENOMEM;
                k = go_version_to_semver(bi.version, semver, sizeof semver);
                if (k == 0) {
                        k = emit(&e, "stdlib", semver, PKG_F_GO_STDLIB, NULL, NULL);
                        if (k < 0)
                                return k;
                } else
                        layer_ctx_warn(c, "'%s': '%.64s' is not a Go toolchain version", f->path,
                                       bi.version);
        }
        if (bi.modinfo) {
                unsigned bad = 0;
                k = go_modinfo_parse(bi.modinfo, bi.modinfo_len, on_module, &e, &bad);
                if (k < 0)
                        return k;
                e.bad += bad;
        }
        if (e.bad)
                layer_ctx_warn(c, "'%s': %u lines of Go module information were not understood", f->path,
                               e.bad);
        return 0;
}

const struct analyzer analyzer_go = {
        .name = "go",
        .match = go_match,
        .sniff = SNIFF_ELF,
        .on_stream = go_on_stream,
};
