/* SPDX-License-Identifier: Apache-2.0 */
/* The Go and Java catalogers inside real layer passes: a gzip'd tar read by layer_analyze_blob() and a
 * directory read by layer_analyze_dir(), with crafted files and, when installed, Debian's runc. */

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "elf-craft.h"
#include "file-reader.h"
#include "tests.h"

struct file {
        const char *path;
        const void *data;
        size_t len;
        unsigned mode;
};

static void write_tar(const char *tar, const struct file *files, size_t n) {
        struct archive *a = archive_write_new();
        REQUIRE(a);
        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_gzip(a);
        REQUIRE(archive_write_open_filename(a, tar) == ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                archive_entry_set_pathname(e, files[i].path);
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_perm(e, files[i].mode);
                archive_entry_set_size(e, (la_int64_t) files[i].len);
                REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
                REQUIRE(archive_write_data(a, files[i].data, files[i].len) == (la_ssize_t) files[i].len);
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
}

static ssize_t fd_read(void *userdata, void *buf, size_t n) {
        ssize_t k = read(*(int *) userdata, buf, n);
        return k < 0 ? -errno : k;
}

static bool has(const struct layer_result *res, const char *name, const char *version, const char *record,
                const char *inner) {
        VEC_FOREACH (p, &res->pkgs)
                if (streq_ptr(p->name, name) && streq_ptr(p->version, version) &&
                    streq_ptr(p->record_path, record) && streq_ptr(p->inner_path, inner))
                        return true;
        return false;
}

static void check_result(const struct layer_result *res, bool with_runc) {
        CHECK(has(res, "stdlib", "v1.21.0", "usr/local/bin/app", NULL));
        CHECK(has(res, "example.com/liba", "v1.2.3", "usr/local/bin/app", NULL));
        CHECK(has(res, "stdlib", "v1.16.15", "usr/local/bin/old", NULL));
        CHECK(has(res, "a", "1.0", "srv/app.war", NULL));
        CHECK(has(res, "b", "2.0", "srv/app.war", "WEB-INF/lib/b-2.0.jar"));
        CHECK(has(res, "lib", "3.1", "srv/app.war", "WEB-INF/lib/b-2.0.jar!/lib/lib-3.1.jar"));
        if (with_runc)
                CHECK(has(res, "stdlib", "v1.19.8", "usr/sbin/runc", NULL));
        /* the copy without execute bits is no program, and plain.txt is nothing */
        VEC_FOREACH (p, &res->pkgs)
                CHECK(!streq_ptr(p->record_path, "usr/share/doc/not-a-program"));
        if (res->warnings.n) {
                VEC_FOREACH (w, &res->warnings)
                        fprintf(stderr, "warning: %s\n", *w);
        }
        CHECK_INT(res->warnings.n, 0);
}

TEST(layer_pass_finds_go_and_java) {
        /* The analyzer table holds them only if they are linked in. */
        REQUIRE(analyzer_go.on_stream && analyzer_java.on_stream);
        size_t cap = 64 * 1024;
        uint8_t *elf_new = malloc(cap), *elf_old = malloc(cap), *inner = malloc(cap), *mid = malloc(cap),
                *war = malloc(cap);
        REQUIRE(elf_new && elf_old && inner && mid && war);
        struct elf_craft o = {
                .is64 = true, .inline_strings = true, .version = "go1.21.0", .modinfo = elf_craft_modinfo};
        size_t n_new = elf_craft(&o, elf_new, cap);
        struct elf_craft o2 = {
                .is64 = false, .be = true, .version = "go1.16.15", .modinfo = elf_craft_modinfo};
        size_t n_old = elf_craft(&o2, elf_old, cap);

        static const char pa[] = "groupId=g\nartifactId=a\nversion=1.0\n",
                          pb[] = "groupId=g\nartifactId=b\nversion=2.0\n",
                          pl[] = "groupId=g\nartifactId=lib\nversion=3.1\n";
        struct zip_member mi[] = {{"META-INF/maven/g/lib/pom.properties", pl, sizeof pl - 1}};
        size_t n_inner = zip_craft(mi, 1, false, inner, cap);
        struct zip_member mm[] = {{"META-INF/maven/g/b/pom.properties", pb, sizeof pb - 1},
                                  {"lib/lib-3.1.jar", inner, n_inner}};
        size_t n_mid = zip_craft(mm, 2, true, mid, cap);
        struct zip_member mw[] = {{"WEB-INF/lib/b-2.0.jar", mid, n_mid},
                                  {"META-INF/maven/g/a/pom.properties", pa, sizeof pa - 1}};
        size_t n_war = zip_craft(mw, 2, false, war, cap);

        size_t n_runc = 0;
        char *runc = NULL;
        struct stat st;
        if (stat("/usr/sbin/runc", &st) == 0)
                runc = test_read_file("/usr/sbin/runc", &n_runc);
        else
                printf("  /usr/sbin/runc is not installed; the layer holds crafted files only\n");

        struct file files[] = {
                {"usr/local/bin/app", elf_new, n_new, 0755},
                {"usr/local/bin/old", elf_old, n_old, 0750},
                {"usr/share/doc/not-a-program", elf_new, n_new, 0644},
                {"srv/app.war", war, n_war, 0644},
                {"srv/plain.txt", "hello\n", 6, 0644},
                {"usr/sbin/runc", runc, n_runc, 0755},
        };
        size_t n_files = runc ? ELEMENTSOF(files) : ELEMENTSOF(files) - 1;
        const char *bdir = getenv("STOCKADE_BUILDDIR");
        char tar[1024], dir[1024], cmd[4096];
        snprintf(tar, sizeof tar, "%s/inv-go-java/layer.tar.gz", bdir ? bdir : ".");
        snprintf(dir, sizeof dir, "%s/inv-go-java/rootfs", bdir ? bdir : ".");
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/inv-go-java' && rm -rf '%s'", bdir ? bdir : ".", dir);
        REQUIRE(system(cmd) == 0);
        write_tar(tar, files, n_files);

        /* the tar walker */
        struct layer_options opts = {0};
        struct diag d;
        struct layer_result *res = NULL;
        layer_limits_default(&opts.limits);
        diag_init(&d);
        int fd = open(tar, O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        struct byte_source src = {fd_read, &fd};
        struct layer_expect expect = {.index = 0, .name = "test-layer"};
        CHECK_INT(layer_analyze_blob(&src, &expect, &opts, &d, &res), 0);
        close(fd);
        REQUIRE(res);
        check_result(res, runc != NULL);
        layer_result_free(res);
        diag_done(&d);

        /* the directory walker, over the same files */
        snprintf(cmd, sizeof cmd, "mkdir -p '%s' && tar -xzf '%s' -C '%s'", dir, tar, dir);
        REQUIRE(system(cmd) == 0);
        diag_init(&d);
        res = NULL;
        CHECK_INT(layer_analyze_dir(dir, &opts, &d, &res), 0);
        REQUIRE(res);
        check_result(res, runc != NULL);
        layer_result_free(res);
        diag_done(&d);

        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir, tar);
        CHECK_INT(system(cmd), 0);
        free(runc);
        free(elf_new);
        free(elf_old);
        free(inner);
        free(mid);
        free(war);
}
