/* SPDX-License-Identifier: Apache-2.0 */
/* The Go cataloger on real binaries, compared with what `go version -m` says about them: binaries built
 * here with the installed toolchain (make-go-fixtures.sh: stdlib only; module dependencies from a
 * file-based proxy, with replacements; amd64, 386, s390x; PIE; external linking), and Debian's own Go
 * programs (runc, containerd, docker) when they are installed. Skipped, with the reason, only when there
 * is no go command. */

#include <sys/stat.h>

#include "file-reader.h"
#include "inventory/go-buildinfo.h"
#include "tests.h"

#define MAX_EXPECT 1024

struct expect {
        char name[512], version[256];
        uint32_t flags;
};

static struct expect expected[MAX_EXPECT];
static size_t n_expected;
static char toolchain[128];

static bool is_local(const char *p) {
        return p[0] == '/' || strncmp(p, "./", 2) == 0 || strncmp(p, "../", 3) == 0;
}

static void add_expect(const char *name, const char *version, uint32_t flags) {
        if (n_expected == MAX_EXPECT)
                abort();
        for (size_t i = 0; i < n_expected; i++)
                if (streq(expected[i].name, name) && streq(expected[i].version, version))
                        return;
        struct expect *e = &expected[n_expected++];
        snprintf(e->name, sizeof e->name, "%s", name);
        snprintf(e->version, sizeof e->version, "%s", version);
        e->flags = flags;
}

/* Runs `go version -m` and derives the packages our conventions make of its output (catalog-go.c). */
static bool read_go_version_m(const char *bin) {
        char cmd[4200], line[8192];
        char pend_path[512] = "", pend_version[256] = "";
        bool pend = false, pend_main = false;

        n_expected = 0;
        toolchain[0] = 0;
        snprintf(cmd, sizeof cmd, "go version -m '%s' 2>/dev/null", bin);
        FILE *p = popen(cmd, "r");
        if (!p)
                return false;
        while (fgets(line, sizeof line, p)) {
                line[strcspn(line, "\n")] = 0;
                char *f[5] = {0};
                size_t nf = 0;
                if (line[0] != '\t') {
                        const char *v = strstr(line, ": ");
                        if (v)
                                snprintf(toolchain, sizeof toolchain, "%s", v + 2);
                        continue;
                }
                for (char *s = line + 1, *t; nf < 5; s = t + 1) {
                        f[nf++] = s;
                        t = strchr(s, '\t');
                        if (!t)
                                break;
                        *t = 0;
                }
                if (nf >= 3 && (streq(f[0], "mod") || streq(f[0], "dep"))) {
                        if (pend)
                                add_expect(pend_path, pend_version, pend_main ? PKG_F_GO_MAIN : 0);
                        snprintf(pend_path, sizeof pend_path, "%s", f[1]);
                        snprintf(pend_version, sizeof pend_version, "%s", f[2]);
                        pend = true;
                        pend_main = streq(f[0], "mod");
                } else if (nf >= 3 && streq(f[0], "=>") && pend) {
                        if (is_local(f[1]) || !*f[2])
                                add_expect(pend_path, "(devel)", pend_main ? PKG_F_GO_MAIN : 0);
                        else
                                add_expect(f[1], f[2], pend_main ? PKG_F_GO_MAIN : 0);
                        pend = false;
                }
        }
        if (pend)
                add_expect(pend_path, pend_version, pend_main ? PKG_F_GO_MAIN : 0);
        int st = pclose(p);
        if (st != 0 || !toolchain[0])
                return false;
        char semver[64];
        if (go_version_to_semver(toolchain, semver, sizeof semver) == 0)
                add_expect("stdlib", semver, PKG_F_GO_STDLIB);
        return true;
}

static void compare(const char *bin, const char *image_path, size_t block) {
        if (!read_go_version_m(bin)) {
                fprintf(stderr, "go version -m '%s' failed\n", bin);
                CHECK(false);
                return;
        }
        struct layer_ctx *c = run_analyzer_file(&analyzer_go, bin, image_path, block);
        REQUIRE(c);
        struct layer_result *res = layer_ctx_result(c);
        bool ok = res->pkgs.n == n_expected && res->warnings.n == 0;
        for (size_t i = 0; i < n_expected; i++) {
                const struct pkg *p = find_pkg(c, expected[i].name, expected[i].version);
                if (!p || p->flags != expected[i].flags) {
                        fprintf(stderr, "%s: missing %s@%s (flags %u)\n", bin, expected[i].name,
                                expected[i].version, expected[i].flags);
                        ok = false;
                }
        }
        VEC_FOREACH (p, &res->pkgs) {
                if (!streq_ptr(p->go_toolchain, toolchain) || !streq_ptr(p->record_path, image_path) ||
                    p->type != PKG_GO)
                        ok = false;
        }
        if (!ok) {
                fprintf(stderr, "%s: expected %zu packages (toolchain %s), got:\n", bin, n_expected,
                        toolchain);
                dump_result(c);
        }
        CHECK(ok);
        printf("  %s: %zu packages, %s\n", bin, res->pkgs.n, ok ? "as go version -m says" : "MISMATCH");
        layer_ctx_free_standalone(c);
}

static bool have_go(void) {
        return system("command -v go >/dev/null 2>&1") == 0;
}

TEST(go_real_fixtures) {
        if (!have_go()) {
                printf("SKIP: no go command (install golang-go to run the Go binary tests)\n");
                exit(77);
        }
        const char *bdir = getenv("STOCKADE_BUILDDIR"), *cache = getenv("STOCKADE_TEST_CACHE");
        char out[1024], gocache[1024], cmd[8192];
        snprintf(out, sizeof out, "%s/inv-go-java/go-fixtures", bdir ? bdir : ".");
        if (cache && *cache)
                snprintf(gocache, sizeof gocache, "%s/go-build", cache);
        else
                snprintf(gocache, sizeof gocache, "%s/inv-go-java/go-cache", bdir ? bdir : ".");
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && sh '%s' '%s' '%s' >'%s.log' 2>&1", out,
                 out, test_srcpath("tests/unit/inv-go-java/make-go-fixtures.sh"), out, gocache, out);
        int st = system(cmd);
        if (st != 0) {
                fprintf(stderr, "building the Go fixtures failed; see %s.log\n", out);
                CHECK(false);
                return;
        }
        static const char *const bins[] = {"stdlib-amd64", "app-amd64",    "app-386",   "app-s390x",
                                           "app-pie",      "app-trimpath", "app-extld", "app-extpie"};
        size_t block = 4093; /* odd block sizes exercise the window's edges */
        for (size_t i = 0; i < ELEMENTSOF(bins); i++) {
                char path[1200], image[256];
                struct stat s;
                snprintf(path, sizeof path, "%s/%s", out, bins[i]);
                if (stat(path, &s) < 0) {
                        if (strstr(bins[i], "ext"))
                                printf("  %s not built (no C compiler for external linking)\n", bins[i]);
                        else
                                CHECK(false);
                        continue;
                }
                snprintf(image, sizeof image, "usr/local/bin/%s", bins[i]);
                compare(path, image, block);
                block = block * 7 % 65521 + 1;
        }

        /* The module layout, checked explicitly (not only through go version -m). */
        char app[1200];
        snprintf(app, sizeof app, "%s/app-s390x", out);
        struct layer_ctx *c = run_analyzer_file(&analyzer_go, app, "app", 0);
        REQUIRE(c);
        const struct pkg *p = find_pkg(c, "example.com/libb-fork", "v0.4.1-fixed");
        CHECK(p && streq_ptr(p->source_name, "example.com/libb") && streq_ptr(p->source_version, "v0.4.0"));
        p = find_pkg(c, "example.com/libc", "(devel)");
        CHECK(p && !p->source_name && streq_ptr(p->source_version, "v1.0.0"));
        p = find_pkg(c, "example.com/app", "(devel)");
        CHECK(p && p->flags == PKG_F_GO_MAIN);
        CHECK(find_pkg(c, "example.com/libd", "v2.0.0+incompatible"));
        layer_ctx_free_standalone(c);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", out);
        CHECK_INT(system(cmd), 0);
}

TEST(go_real_debian_binaries) {
        if (!have_go()) {
                printf("SKIP: no go command\n");
                exit(77);
        }
        static const char *const bins[] = {
                "/usr/sbin/runc",  "/usr/bin/containerd", "/usr/bin/ctr", "/usr/bin/containerd-shim-runc-v2",
                "/usr/bin/docker", "/usr/sbin/dockerd",   "/usr/bin/go",  "/usr/lib/go/bin/gofmt"};
        for (size_t i = 0; i < ELEMENTSOF(bins); i++) {
                char real[4096];
                if (!realpath(bins[i], real)) {
                        printf("  %s is not installed; not compared\n", bins[i]);
                        continue;
                }
                compare(real, bins[i] + 1, 0);
        }
}
