/* SPDX-License-Identifier: Apache-2.0 */
/* The OS catalogers on a real Debian root file system, through the real directory walker, checked against
 * dpkg-query and the shell. Run by run-real.sh, which makes the root file system and the expectations and
 * passes them in STK_REAL_ROOT, STK_REAL_DPKG and STK_REAL_OS. */

#include <dirent.h>
#include <sys/stat.h>

#include "arena.h"
#include "inv-test-util.h"
#include "inventory/os-release.h"

static struct layer_result *analyze(const char *root) {
        struct layer_options opts = {};
        struct diag d;
        struct layer_result *res = NULL;
        struct inv_test t;

        inv_begin(&t); /* links the analyzers in */
        inv_end(&t);
        layer_limits_default(&opts.limits);
        diag_init(&d);
        int r = layer_analyze_dir(root, &opts, &d, &res);
        if (r < 0)
                fprintf(stderr, "layer_analyze_dir: %s\n", d.error);
        diag_done(&d);
        return res;
}

static const struct pkg *find_deb(struct layer_result *res, const char *name, const char *arch) {
        VEC_FOREACH (p, &res->pkgs)
                if (p->type == PKG_DEB && streq(p->name, name) && streq_ptr(p->arch, arch))
                        return p;
        return NULL;
}

static const struct layer_fact *find_fact(struct layer_result *res, enum layer_fact_kind kind,
                                          const char *key) {
        VEC_FOREACH (f, &res->facts)
                if (f->kind == kind && streq_ptr(f->key, key))
                        return f;
        return NULL;
}

TEST(real_dpkg_status_matches_dpkg_query) {
        const char *root = getenv("STK_REAL_ROOT"), *exp = getenv("STK_REAL_DPKG");
        if (!root || !exp) {
                printf("# skipped: run through run-real.sh\n");
                return;
        }
        struct layer_result *res = analyze(root);
        REQUIRE(res);

        char *text = test_read_file(exp, NULL);
        size_t expected = 0, debs = 0;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char st[8], name[256], ver[256], arch[64], sname[256], sver[256];
                if (sscanf(line, "%7s %255s %255s %63s %255s %255s", st, name, ver, arch, sname, sver) !=
                    6) {
                        fprintf(stderr, "unexpected dpkg-query line: %s\n", line);
                        tests_failed_checks++;
                        continue;
                }
                if (!streq(st, "ii"))
                        continue;
                expected++;
                const struct pkg *p = find_deb(res, name, arch);
                if (!p) {
                        fprintf(stderr, "missing package %s:%s\n", name, arch);
                        tests_failed_checks++;
                        continue;
                }
                CHECK_STR(p->version, ver);
                CHECK_STR(p->source_name ? p->source_name : p->name, sname);
                CHECK_STR(p->source_version ? p->source_version : p->version, sver);
                CHECK_STR(p->record_path, "var/lib/dpkg/status");
        }
        free(text);
        VEC_FOREACH (p, &res->pkgs)
                debs += p->type == PKG_DEB;
        CHECK_INT(debs, expected);
        CHECK(expected > 80); /* a minbase has about 90 packages */
        printf("# %zu packages match dpkg-query\n", expected);

        /* One FACT_DPKG_LIST per info/NAME.list, keyed by the package without its architecture. */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/var/lib/dpkg/info", root);
        DIR *dh = opendir(dir);
        REQUIRE(dh);
        size_t lists = 0;
        for (struct dirent *e; (e = readdir(dh));) {
                size_t l = strlen(e->d_name);
                if (l <= 5 || !streq(e->d_name + l - 5, ".list"))
                        continue;
                lists++;
                char key[256];
                snprintf(key, sizeof key, "%.*s", (int) (l - 5), e->d_name);
                char *colon = strchr(key, ':');
                if (colon)
                        *colon = 0;
                const struct layer_fact *f = find_fact(res, FACT_DPKG_LIST, key);
                if (!f) {
                        fprintf(stderr, "no list fact for %s\n", e->d_name);
                        tests_failed_checks++;
                        continue;
                }
                char path[4200];
                size_t n;
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                char *want = test_read_file(path, &n);
                CHECK(f->len == n && memcmp(f->data, want, n) == 0);
                free(want);
        }
        closedir(dh);
        size_t facts = 0;
        VEC_FOREACH (f, &res->facts)
                facts += f->kind == FACT_DPKG_LIST;
        CHECK_INT(facts, lists);
        layer_result_free(res);
}

TEST(real_deb_copyright) {
        const char *root = getenv("STK_REAL_ROOT");
        if (!root) {
                printf("# skipped: run through run-real.sh\n");
                return;
        }
        struct layer_result *res = analyze(root);
        REQUIRE(res);
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/usr/share/doc", root);
        DIR *dh = opendir(dir);
        REQUIRE(dh);
        size_t files = 0, with = 0;
        for (struct dirent *e; (e = readdir(dh));) {
                char path[4400];
                struct stat st;
                snprintf(path, sizeof path, "%s/%s/copyright", dir, e->d_name);
                if (e->d_name[0] == '.' || lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                /* a symlinked doc directory is walked under its real name only */
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                files++;
                const struct layer_fact *f = find_fact(res, FACT_DEB_COPYRIGHT, e->d_name);
                if (f)
                        with++;
                else
                        printf("# no license found in %s/copyright\n", e->d_name);
        }
        closedir(dh);
        printf("# licenses found for %zu of %zu copyright files\n", with, files);
        CHECK(files > 80);
        CHECK(with * 100 >= files * 90);

        const struct layer_fact *f = find_fact(res, FACT_DEB_COPYRIGHT, "bash");
        REQUIRE(f);
        CHECK(strstr(f->data, "GPL-3+") != NULL);
        f = find_fact(res, FACT_DEB_COPYRIGHT, "libc6");
        REQUIRE(f);
        CHECK(strstr(f->data, "LGPL-2.1") != NULL);
        layer_result_free(res);
}

TEST(real_os_release) {
        const char *root = getenv("STK_REAL_ROOT"), *exp = getenv("STK_REAL_OS");
        if (!root || !exp) {
                printf("# skipped: run through run-real.sh\n");
                return;
        }
        struct layer_result *res = analyze(root);
        REQUIRE(res);
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        char *want = test_read_file(exp, NULL);
        const char *w[6] = {};
        char *save = NULL;
        for (size_t i = 0; i < 6; i++)
                w[i] = strtok_r(i ? NULL : want, "\n", &save);

        /* etc/os-release is a symlink in Debian: the walker records usr/lib/os-release. */
        bool seen = false, seen_dv = false;
        VEC_FOREACH (f, &res->facts) {
                if (f->kind != FACT_OS_FILE)
                        continue;
                struct os_release o;
                REQUIRE(os_file_parse(f->path, f->data, f->len, a, &o) == 0);
                if (streq(f->path, "usr/lib/os-release")) {
                        seen = true;
                        CHECK_STR(o.id, w[0]);
                        CHECK_STR(o.version_id, w[1]);
                        CHECK_STR(o.version_codename, w[2]);
                        CHECK_STR(o.pretty_name, w[3]);
                        CHECK_STR(o.name, w[4]);
                        CHECK_STR(o.version, w[5]);
                } else if (streq(f->path, "etc/debian_version")) {
                        seen_dv = true;
                        CHECK_STR(o.id, "debian");
                        CHECK(o.version_id && strneq(o.version_id, "12.", 3));
                }
        }
        CHECK(seen);
        CHECK(seen_dv);
        free(want);
        layer_result_free(res);
}
