/* SPDX-License-Identifier: Apache-2.0 */
/* The Go cataloger on crafted ELF files (both build info layouts, 32/64-bit, both byte orders), on
 * truncated and corrupted ones, and the helpers: module text parsing, version mapping. Real binaries are
 * in test-go-real.c. */

#include "elf-craft.h"
#include "file-reader.h"
#include "inventory/go-buildinfo.h"
#include "tests.h"

#define CRAFT_CAP (64 * 1024)

TEST(go_version_to_semver) {
        static const struct {
                const char *in, *out;
        } ok[] = {
                {"go1.19.8", "v1.19.8"},
                {"go1.20", "v1.20.0"},
                {"go1.22.0", "v1.22.0"},
                {"go1.21rc2", "v1.21.0-rc.2"},
                {"go1.9beta1", "v1.9.0-beta.1"},
                {"go1.8.7rc1", "v1.8.7-rc.1"},
                {"go1", "v1.0.0"},
                {"go1.20.5 X:boringcrypto", "v1.20.5"},
                {"go1.21.5-vendor.3", "v1.21.5"},
                {"devel +a1b2c3d4 Tue Jan 1 00:00:00 2019 +0000", "(devel)"},
                {"devel go1.22-abcdef0 Mon Oct 2 2023", "(devel)"},
        };
        char out[64];
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                CHECK_INT(go_version_to_semver(ok[i].in, out, sizeof out), 0);
                CHECK_STR(out, ok[i].out);
        }
        static const char *const bad[] = {"",          "go",      "go.1", "1.19.8", "gox", "go1.1234567890",
                                          "developer", "go1.21rc"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK_INT(go_version_to_semver(bad[i], out, sizeof out), -EINVAL);
        CHECK_INT(go_version_to_semver("go1.19.8", out, 4), -ENOBUFS);
}

struct collected {
        char lines[16][256];
        int n;
};

static int collect(void *userdata, const struct go_module *m) {
        struct collected *c = userdata;
        if (c->n < 16)
                snprintf(c->lines[c->n++], sizeof c->lines[0], "%s %s %s %s => %s %s %s",
                         m->main ? "mod" : "dep", m->path, m->version, m->sum,
                         m->repl_path ? m->repl_path : "-", m->repl_version ? m->repl_version : "-",
                         m->repl_sum ? m->repl_sum : "-");
        return 0;
}

TEST(go_modinfo_parse) {
        /* As Go 1.19 writes it: an empty line after each replacement. */
        char text[] = "path\texample.com/app\n"
                      "mod\texample.com/app\t(devel)\t\n"
                      "dep\texample.com/a\tv1.0.0\th1:x=\n"
                      "dep\texample.com/b\tv0.4.0\n"
                      "=>\texample.com/b-fork\tv0.4.1\th1:y=\n"
                      "\n"
                      "dep\texample.com/c\tv1.0.0\n"
                      "=>\t./c\t(devel)\t\n"
                      "\n"
                      "garbage line\n"
                      "dep\tonly-two\n"
                      "=>\torphan\tv1\n"
                      "dep\t\tv1.0.0\n"
                      "build\t-ldflags=\"-X main.version=1.2.3\"\n"
                      "dep\texample.com/last\tv9.9.9";
        struct collected c = {0};
        unsigned bad = 0;
        CHECK_INT(go_modinfo_parse(text, strlen(text), collect, &c, &bad), 0);
        CHECK_INT(c.n, 5);
        CHECK_STR(c.lines[0], "mod example.com/app (devel)  => - - -");
        CHECK_STR(c.lines[1], "dep example.com/a v1.0.0 h1:x= => - - -");
        CHECK_STR(c.lines[2], "dep example.com/b v0.4.0  => example.com/b-fork v0.4.1 h1:y=");
        CHECK_STR(c.lines[3], "dep example.com/c v1.0.0  => ./c (devel) ");
        CHECK_STR(c.lines[4], "dep example.com/last v9.9.9  => - - -");
        CHECK_INT(bad, 4);
}

static void check_crafted_result(struct layer_ctx *c, const char *version_semver, bool with_modules) {
        const struct pkg *p;
        REQUIRE(c);
        p = find_pkg(c, "stdlib", NULL);
        REQUIRE(p);
        CHECK_STR(p->version, version_semver);
        CHECK_INT(p->flags, PKG_F_GO_STDLIB);
        CHECK_INT(p->type, PKG_GO);
        CHECK_STR(p->record_path, "usr/bin/app");
        if (!with_modules) {
                CHECK_INT(layer_ctx_result(c)->pkgs.n, 1);
                return;
        }
        CHECK_INT(layer_ctx_result(c)->pkgs.n, 5);
        p = find_pkg(c, "example.com/app", "(devel)");
        CHECK(p && p->flags == PKG_F_GO_MAIN);
        p = find_pkg(c, "example.com/liba", "v1.2.3");
        CHECK(p && p->flags == 0 && !p->source_name && !p->source_version);
        p = find_pkg(c, "example.com/libb-fork", "v0.4.1");
        CHECK(p && streq_ptr(p->source_name, "example.com/libb") && streq_ptr(p->source_version, "v0.4.0"));
        p = find_pkg(c, "example.com/libc", "(devel)");
        CHECK(p && !p->source_name && streq_ptr(p->source_version, "v1.0.0"));
        VEC_FOREACH (q, &layer_ctx_result(c)->pkgs)
                CHECK(streq_ptr(q->go_toolchain, "go1.16.15") || streq_ptr(q->go_toolchain, "go1.21.0"));
}

TEST(go_crafted_layouts) {
        uint8_t *buf = malloc(CRAFT_CAP);
        REQUIRE(buf);
        for (unsigned bits = 0; bits < 32; bits++) {
                struct elf_craft o = {
                        .is64 = bits & 1,
                        .be = bits & 2,
                        .inline_strings = bits & 4,
                        .headers_before = bits & 8,
                        .relro_decoy = bits & 16,
                        .modinfo = elf_craft_modinfo,
                };
                o.version = o.inline_strings ? "go1.21.0" : "go1.16.15";
                size_t n = elf_craft(&o, buf, CRAFT_CAP);
                REQUIRE(n > 0);
                for (size_t block = 1; block <= 4096; block = block * 3 + 1) {
                        struct layer_ctx *c =
                                run_analyzer_chunked(&analyzer_go, buf, n, block, "usr/bin/app");
                        check_crafted_result(c, o.inline_strings ? "v1.21.0" : "v1.16.15", true);
                        if (c && layer_ctx_result(c)->warnings.n) {
                                fprintf(stderr, "layout %u block %zu:\n", bits, block);
                                dump_result(c);
                                CHECK(false);
                        }
                        layer_ctx_free_standalone(c);
                }
        }
        free(buf);
}

TEST(go_crafted_without_modules) {
        uint8_t *buf = malloc(CRAFT_CAP);
        REQUIRE(buf);
        for (unsigned bits = 0; bits < 4; bits++) {
                struct elf_craft o = {.is64 = bits & 1, .inline_strings = bits & 2, .version = "go1.16.15"};
                size_t n = elf_craft(&o, buf, CRAFT_CAP);
                struct layer_ctx *c = run_analyzer_mem(&analyzer_go, buf, n, "usr/bin/app");
                check_crafted_result(c, "v1.16.15", false);
                CHECK_INT(layer_ctx_result(c)->warnings.n, 0);
                layer_ctx_free_standalone(c);
        }
        free(buf);
}

TEST(go_pointer_layout_unreadable_pointers) {
        /* Pointers that map nowhere (PIE files before Go 1.18 keep them in relocations): the version is
         * lost, the module text is still found by its markers, and a warning says so. */
        uint8_t *buf = malloc(CRAFT_CAP);
        REQUIRE(buf);
        struct elf_craft o = {
                .is64 = true, .bad_pointers = true, .version = "go1.16.15", .modinfo = elf_craft_modinfo};
        size_t n = elf_craft(&o, buf, CRAFT_CAP);
        struct layer_ctx *c = run_analyzer_mem(&analyzer_go, buf, n, "usr/bin/app");
        REQUIRE(c);
        CHECK(!find_pkg(c, "stdlib", NULL));
        CHECK(find_pkg(c, "example.com/liba", "v1.2.3"));
        CHECK_INT(layer_ctx_result(c)->pkgs.n, 4);
        CHECK_INT(count_warnings(c, "Go version could not be read"), 1);
        layer_ctx_free_standalone(c);
        free(buf);
}

TEST(go_pointer_layout_far_behind) {
        /* The pre-1.18 layout with its strings megabytes before the blob, out of the window's reach: they
         * are found among the captures taken on the way. Without Go's build ID note nothing is captured:
         * the strings are lost and a warning says so; the 1.18 layout needs no captures. */
        size_t cap = 4 * 1024 * 1024;
        uint8_t *buf = malloc(cap);
        REQUIRE(buf);
        for (unsigned bits = 0; bits < 8; bits++) {
                struct elf_craft o = {.is64 = bits & 1,
                                      .be = bits & 2,
                                      .headers_before = bits & 4,
                                      .gap = 3 * 1024 * 1024,
                                      .version = "go1.16.15",
                                      .modinfo = elf_craft_modinfo};
                size_t n = elf_craft(&o, buf, cap);
                REQUIRE(n > o.gap);
                struct layer_ctx *c = run_analyzer_chunked(&analyzer_go, buf, n, 65536 - 3, "usr/bin/app");
                check_crafted_result(c, "v1.16.15", true);
                CHECK_INT(layer_ctx_result(c)->warnings.n, 0);
                layer_ctx_free_standalone(c);

                o.no_go_note = true;
                n = elf_craft(&o, buf, cap);
                c = run_analyzer_mem(&analyzer_go, buf, n, "usr/bin/app");
                REQUIRE(c);
                CHECK_INT(layer_ctx_result(c)->pkgs.n, 0);
                CHECK_INT(count_warnings(c, "Go version could not be read"), 1);
                layer_ctx_free_standalone(c);

                o.inline_strings = true;
                o.version = "go1.21.0";
                n = elf_craft(&o, buf, cap);
                c = run_analyzer_mem(&analyzer_go, buf, n, "usr/bin/app");
                check_crafted_result(c, "v1.21.0", true);
                CHECK_INT(layer_ctx_result(c)->warnings.n, 0);
                layer_ctx_free_standalone(c);
        }
        free(buf);
}

TEST(go_far_behind_corrupted) {
        /* Byte flips in the parts of a large pre-1.18 file that matter (headers, strings, blob): the
         * captures, not the window, serve the strings, and must stay in bounds. */
        size_t cap = 2 * 1024 * 1024, gap = 1536 * 1024;
        uint8_t *buf = malloc(cap), *copy = malloc(cap);
        REQUIRE(buf && copy);
        for (unsigned bits = 0; bits < 4; bits++) {
                struct elf_craft o = {.is64 = bits & 1,
                                      .headers_before = bits & 2,
                                      .gap = gap,
                                      .version = "go1.16.15",
                                      .modinfo = elf_craft_modinfo};
                size_t n = elf_craft(&o, buf, cap);
                REQUIRE(n > gap);
                unsigned seed = 12345 + bits;
                for (int i = 0; i < 150; i++) {
                        seed = seed * 1103515245u + 12345u;
                        size_t span = n - gap, k = (seed >> 8) % span;
                        if (k >= 0x200 + 0x200) /* past the strings: into the data segment */
                                k += gap;
                        memcpy(copy, buf, n);
                        copy[k] ^= (uint8_t) (1u << (seed % 8));
                        struct layer_ctx *c = run_analyzer_chunked(&analyzer_go, copy, n, 65536, "t");
                        CHECK(c);
                        layer_ctx_free_standalone(c);
                }
        }
        free(buf);
        free(copy);
}

TEST(go_truncated_and_corrupted) {
        uint8_t *buf = malloc(CRAFT_CAP), *copy = malloc(CRAFT_CAP);
        REQUIRE(buf && copy);
        for (unsigned bits = 0; bits < 8; bits++) {
                struct elf_craft o = {.is64 = bits & 1,
                                      .inline_strings = bits & 2,
                                      .headers_before = bits & 4,
                                      .version = "go1.16.15",
                                      .modinfo = elf_craft_modinfo};
                size_t n = elf_craft(&o, buf, CRAFT_CAP);
                /* every prefix */
                for (size_t k = 0; k < n; k++) {
                        memcpy(copy, buf, k);
                        struct layer_ctx *c = run_analyzer_chunked(&analyzer_go, copy, k, 61, "t");
                        CHECK(c);
                        layer_ctx_free_standalone(c);
                }
                /* every byte flipped, one at a time */
                for (size_t k = 0; k < n; k++) {
                        memcpy(copy, buf, n);
                        copy[k] ^= 0xa5;
                        struct layer_ctx *c = run_analyzer_chunked(&analyzer_go, copy, n, 4096, "t");
                        CHECK(c);
                        layer_ctx_free_standalone(c);
                }
        }
        free(buf);
        free(copy);
}

TEST(go_not_go) {
        /* An ELF without build info, and something that is not ELF at all: nothing, silently. */
        static const char notelf[] = "#!/bin/sh\necho hello\n";
        struct layer_ctx *c = run_analyzer_mem(&analyzer_go, notelf, sizeof notelf - 1, "bin/x");
        REQUIRE(c);
        CHECK_INT(layer_ctx_result(c)->pkgs.n, 0);
        CHECK_INT(layer_ctx_result(c)->warnings.n, 0);
        layer_ctx_free_standalone(c);

        c = run_analyzer_file(&analyzer_go, "/bin/ls", "bin/ls", 0);
        REQUIRE(c);
        CHECK_INT(layer_ctx_result(c)->pkgs.n, 0);
        CHECK_INT(layer_ctx_result(c)->warnings.n, 0);
        layer_ctx_free_standalone(c);
}

TEST(go_dispatch_through_layer_pass) {
        /* The analyzer table hands executable ELF files to the Go cataloger, and only those. */
        uint8_t *buf = malloc(CRAFT_CAP);
        REQUIRE(buf);
        struct elf_craft o = {
                .is64 = true, .inline_strings = true, .version = "go1.21.0", .modinfo = elf_craft_modinfo};
        size_t n = elf_craft(&o, buf, CRAFT_CAP);
        struct layer_options opts = {0};
        struct diag d = {0};
        struct layer_ctx *c = NULL;
        layer_limits_default(&opts.limits);
        REQUIRE(layer_ctx_new_standalone(&opts, &d, &c) == 0);
        struct layer_file exec = {.path = "usr/local/bin/app", .size = n, .mode = 0755, .kind = LF_REG};
        struct layer_file plain = {.path = "usr/share/app.bin", .size = n, .mode = 0644, .kind = LF_REG};
        CHECK_INT(layer_ctx_feed_file(c, &plain, buf, n), 0);
        CHECK_INT(layer_ctx_result(c)->pkgs.n, 0);
        CHECK_INT(layer_ctx_feed_file(c, &exec, buf, n), 0);
        CHECK_INT(layer_ctx_result(c)->pkgs.n, 5);
        const struct pkg *p = find_pkg(c, "stdlib", "v1.21.0");
        CHECK(p && streq_ptr(p->record_path, "usr/local/bin/app"));
        layer_ctx_free_standalone(c);
        free(buf);
}
