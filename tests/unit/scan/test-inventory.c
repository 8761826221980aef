/* SPDX-License-Identifier: Apache-2.0 */
/* Inventory finishing (presence, introducing layer, distribution, licenses, ownership, lockfiles),
 * package URLs and misconfiguration checks, on hand-built layer results. */

#include "inventory/inventory.h"
#include "misconfig/misconfig.h"
#include "tests.h"
#include "view/view.h"

static struct layer_result *L(void) {
        return layer_result_new();
}

static void file(struct layer_result *r, const char *path, uint8_t kind, uint32_t mode, const char *link) {
        struct layer_file f = { .path = arena_strdup(r->arena, path), .kind = kind, .mode = mode, .size = 10,
                                .link = link ? arena_strdup(r->arena, link) : NULL };
        VEC_PUSH(&r->files, f);
}

static struct pkg *pkg(struct layer_result *r, enum pkg_type t, const char *name, const char *version,
                       const char *record) {
        struct pkg *p = VEC_NEW(&r->pkgs);
        p->type = t;
        p->name = arena_strdup(r->arena, name);
        p->version = arena_strdup(r->arena, version);
        p->record_path = arena_strdup(r->arena, record);
        p->layer = p->record_layer = -1;
        return p;
}

static void fact(struct layer_result *r, enum layer_fact_kind k, const char *path, const char *key, const char *data) {
        struct layer_fact f = { .kind = (uint8_t) k,
                                .path = arena_strdup(r->arena, path),
                                .key = key ? arena_strdup(r->arena, key) : NULL,
                                .data = arena_strdup(r->arena, data),
                                .len = strlen(data) };
        VEC_PUSH(&r->facts, f);
}

static const struct pkg *find_pkg(const struct pkg_vec *v, const char *name) {
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->items[i].name, name))
                        return &v->items[i];
        return NULL;
}

TEST(inventory_layers_distro_licenses_ownership) {
        struct layer_result *ls[3] = { L(), L(), L() };
        /* layer 0: base system */
        file(ls[0], "usr/lib/os-release", LF_REG, 0644, NULL);
        file(ls[0], "etc/os-release", LF_SYMLINK, 0777, "../usr/lib/os-release");
        fact(ls[0], FACT_OS_FILE, "usr/lib/os-release", NULL,
             "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n");
        file(ls[0], "var/lib/dpkg/status", LF_REG, 0644, NULL);
        struct pkg *libc = pkg(ls[0], PKG_DEB, "libc6", "2.36-9+deb12u4", "var/lib/dpkg/status");
        libc->arch = "amd64";
        libc->source_name = "glibc";
        pkg(ls[0], PKG_DEB, "gone-later", "1.0", "var/lib/dpkg/status")->arch = "amd64";
        file(ls[0], "usr/share/doc/libc6/copyright", LF_REG, 0644, NULL);
        fact(ls[0], FACT_DEB_COPYRIGHT, "usr/share/doc/libc6/copyright", "libc6", "LGPL-2.1+\nGPL-2+\n");
        /* layer 1: apt-get install python3-yaml (rewrites the status file) */
        file(ls[1], "var/lib/dpkg/status", LF_REG, 0644, NULL);
        struct pkg *libc1 = pkg(ls[1], PKG_DEB, "libc6", "2.36-9+deb12u4", "var/lib/dpkg/status");
        libc1->arch = "amd64";
        libc1->source_name = "glibc";
        pkg(ls[1], PKG_DEB, "python3-yaml", "6.0-3+b2", "var/lib/dpkg/status")->arch = "amd64";
        file(ls[1], "var/lib/dpkg/info/python3-yaml.list", LF_REG, 0644, NULL);
        fact(ls[1], FACT_DPKG_LIST, "var/lib/dpkg/info/python3-yaml.list", "python3-yaml",
             "/.\n/usr\n/usr/lib/python3/dist-packages/PyYAML-6.0.egg-info\n"
             "/usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO\n");
        file(ls[1], "usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO", LF_REG, 0644, NULL);
        pkg(ls[1], PKG_PYTHON, "PyYAML", "6.0", "usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO");
        /* an app: installed tree + lockfile beside it */
        file(ls[1], "app/node_modules/@babel/core/package.json", LF_REG, 0644, NULL);
        pkg(ls[1], PKG_NPM, "@babel/core", "7.0.0", "app/node_modules/@babel/core/package.json");
        file(ls[1], "app/package-lock.json", LF_REG, 0644, NULL);
        pkg(ls[1], PKG_NPM, "@babel/core", "7.0.0", "app/package-lock.json")->flags = PKG_F_LOCKFILE;
        pkg(ls[1], PKG_NPM, "fsevents", "2.3.2", "app/package-lock.json")->flags = PKG_F_LOCKFILE;
        /* a lockfile with no installed tree beside it stays */
        file(ls[1], "other/package-lock.json", LF_REG, 0644, NULL);
        pkg(ls[1], PKG_NPM, "left-pad", "1.3.0", "other/package-lock.json")->flags = PKG_F_LOCKFILE;
        /* layer 2: a file written over, a directory deleted */
        file(ls[2], "app/package-lock.json", LF_WHITEOUT, 0, NULL);

        struct diag d;
        diag_init(&d);
        struct view *v = NULL;
        REQUIRE(view_build(ls, 3, &d, &v) == 0);
        struct arena *a = arena_new(0);
        struct scan_os os = { 0 };
        struct pkg_vec pkgs = { 0 };
        REQUIRE(inventory_finish(ls, 3, v, a, &d, &os, &pkgs) == 0);

        CHECK_STR(os.id, "debian");
        CHECK_STR(os.version_id, "12");
        CHECK_STR(os.codename, "bookworm");
        CHECK_STR(os.source_path, "usr/lib/os-release");

        const struct pkg *p = find_pkg(&pkgs, "libc6");
        REQUIRE(p);
        CHECK_INT(p->layer, 0);        /* introduced by the base layer */
        CHECK_INT(p->record_layer, 1); /* recorded by the status file of layer 1 */
        CHECK(p->licenses && streq(p->licenses[0], "LGPL-2.1+") && streq(p->licenses[1], "GPL-2+"));
        CHECK_STR(p->purl, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc");
        CHECK(find_pkg(&pkgs, "gone-later") == NULL); /* the rewritten status no longer lists it */
        p = find_pkg(&pkgs, "python3-yaml");
        CHECK(p && p->layer == 1);
        p = find_pkg(&pkgs, "PyYAML");
        CHECK(p && p->owner && streq(p->owner, "deb:python3-yaml"));
        CHECK(p && streq(p->purl, "pkg:pypi/pyyaml@6.0"));
        /* the installed @babel/core once, not again from the (deleted) lockfile */
        size_t babel = 0;
        VEC_FOREACH(q, &pkgs)
                babel += streq(q->name, "@babel/core");
        CHECK_INT(babel, 1);
        CHECK(find_pkg(&pkgs, "fsevents") == NULL);
        p = find_pkg(&pkgs, "left-pad");
        CHECK(p && (p->flags & PKG_F_LOCKFILE));
        p = find_pkg(&pkgs, "@babel/core");
        CHECK(p && streq(p->purl, "pkg:npm/%40babel/core@7.0.0"));

        VEC_FREE(&pkgs);
        arena_free(a);
        view_free(v);
        for (int i = 0; i < 3; i++)
                layer_result_free(ls[i]);
        diag_done(&d);
}

TEST(reinstall_after_removal_is_a_new_introduction) {
        struct layer_result *ls[3] = { L(), L(), L() };
        file(ls[0], "lib/apk/db/installed", LF_REG, 0644, NULL);
        pkg(ls[0], PKG_APK, "curl", "8.0-r0", "lib/apk/db/installed");
        file(ls[1], "lib/apk/db/installed", LF_REG, 0644, NULL); /* removed */
        file(ls[2], "lib/apk/db/installed", LF_REG, 0644, NULL);
        pkg(ls[2], PKG_APK, "curl", "8.0-r0", "lib/apk/db/installed");
        struct diag d;
        diag_init(&d);
        struct view *v = NULL;
        REQUIRE(view_build(ls, 3, &d, &v) == 0);
        struct arena *a = arena_new(0);
        struct scan_os os = { 0 };
        struct pkg_vec pkgs = { 0 };
        REQUIRE(inventory_finish(ls, 3, v, a, &d, &os, &pkgs) == 0);
        REQUIRE(pkgs.n == 1);
        CHECK_INT(pkgs.items[0].layer, 2);
        VEC_FREE(&pkgs);
        arena_free(a);
        view_free(v);
        for (int i = 0; i < 3; i++)
                layer_result_free(ls[i]);
        diag_done(&d);
}

TEST(os_release_quoting) {
        struct arena *a = arena_new(0);
        struct scan_os os = { 0 };
        const char *t = "# comment\nID='alpine'\nVERSION_ID=3.18.4\r\nPRETTY_NAME=\"Alpine \\\"Linux\\\" v3.18\"\n"
                        "ID_LIKE=\nBROKEN\n";
        CHECK_INT(inventory_parse_os_release(t, strlen(t), a, &os), 0);
        CHECK_STR(os.id, "alpine");
        CHECK_STR(os.version_id, "3.18.4");
        CHECK_STR(os.pretty_name, "Alpine \"Linux\" v3.18");
        CHECK(os.id_like == NULL);
        arena_free(a);
}

TEST(purls_per_ecosystem) {
        struct arena *a = arena_new(0);
        struct scan_os deb = { .id = "debian", .version_id = "12" }, alp = { .id = "alpine", .version_id = "3.18.4" },
                       alma = { .id = "almalinux", .version_id = "9.3" };
        struct pkg p = { .type = PKG_DEB, .name = "dash", .version = "1:0.5.12-2", .arch = "amd64" };
        CHECK_STR(purl_for(a, &p, &deb), "pkg:deb/debian/dash@1%3A0.5.12-2?arch=amd64&distro=debian-12");
        p = (struct pkg){ .type = PKG_APK, .name = "busybox", .version = "1.36.1-r2", .arch = "x86_64",
                          .source_name = "busybox" };
        CHECK_STR(purl_for(a, &p, &alp), "pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64&distro=alpine-3.18");
        p = (struct pkg){ .type = PKG_RPM, .name = "bash", .version = "5.1.8-6.el9", .epoch = "1", .arch = "x86_64" };
        CHECK_STR(purl_for(a, &p, &alma), "pkg:rpm/almalinux/bash@5.1.8-6.el9?arch=x86_64&distro=almalinux-9.3&epoch=1");
        p = (struct pkg){ .type = PKG_PYTHON, .name = "zope.interface", .version = "5.5.2" };
        CHECK_STR(purl_for(a, &p, &deb), "pkg:pypi/zope-interface@5.5.2");
        p = (struct pkg){ .type = PKG_PYTHON, .name = "Ruamel__YAML", .version = "0.17" };
        CHECK_STR(purl_for(a, &p, NULL), "pkg:pypi/ruamel-yaml@0.17");
        p = (struct pkg){ .type = PKG_GO, .name = "github.com/opencontainers/runc", .version = "v1.1.5" };
        CHECK_STR(purl_for(a, &p, &deb), "pkg:golang/github.com/opencontainers/runc@v1.1.5");
        p = (struct pkg){ .type = PKG_GO, .name = "stdlib", .version = "v1.19.8", .flags = PKG_F_GO_STDLIB };
        CHECK_STR(purl_for(a, &p, &deb), "pkg:golang/stdlib@v1.19.8");
        p = (struct pkg){ .type = PKG_MAVEN, .namespace_ = "org.apache.commons", .name = "commons-lang3",
                          .version = "3.12.0" };
        CHECK_STR(purl_for(a, &p, NULL), "pkg:maven/org.apache.commons/commons-lang3@3.12.0");
        p = (struct pkg){ .type = PKG_NPM, .name = "left pad", .version = "1.0.0+x" };
        CHECK_STR(purl_for(a, &p, NULL), "pkg:npm/left%20pad@1.0.0%2Bx");
        arena_free(a);
}

static bool has_check(const struct misconfig_vec *v, const char *id, const char *needle) {
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->items[i].id, id) && (!needle || strstr(v->items[i].message, needle)))
                        return true;
        return false;
}

TEST(misconfig_checks_fire_and_stay_quiet) {
        struct layer_result *ls[1] = { L() };
        file(ls[0], "usr/bin/passwd", LF_REG, 04755, NULL);
        file(ls[0], "usr/local/bin/tool", LF_REG, 0777, NULL);
        file(ls[0], "tmp", LF_DIR, 01777, NULL);                 /* sticky, not a system path anyway */
        file(ls[0], "usr/lib/x", LF_SYMLINK, 0777, "y");         /* symlinks are always 0777 */
        file(ls[0], "var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease", LF_REG, 0644, NULL);
        file(ls[0], "var/lib/apt/lists/lock", LF_REG, 0640, NULL);
        file(ls[0], "usr/sbin/sshd", LF_REG, 0755, NULL);
        struct diag d;
        diag_init(&d);
        struct view *v = NULL;
        REQUIRE(view_build(ls, 1, &d, &v) == 0);

        const char *env[] = { "PATH=/usr/bin", "DB_PASSWORD=hunter2", "API_TOKEN_FILE=/run/secrets/t", "SECRET=${X}", NULL };
        const char *ports[] = { "22/tcp", "8080/tcp", NULL };
        struct image_history hist[] = {
                { .created_by = "/bin/sh -c #(nop) ADD https://example.com/x.tgz /opt/" },
                { .created_by = "|1 NPM_TOKEN=abcdef123456 /bin/sh -c npm ci" },
                { .created_by = "/bin/sh -c apt-get update" },
                { .created_by = "/bin/sh -c apt-get update && apt-get install -y curl" },
        };
        struct image img = { .config_raw = "{}",
                             .config = { .env = env, .exposed_ports = ports, .history = hist, .n_history = 4 } };
        struct arena *a = arena_new(0);
        struct misconfig_vec out = { 0 };
        struct misconfig_input in = { .image = &img, .view = v, .layers = ls, .n_layers = 1 };
        REQUIRE(misconfig_check(&in, a, &out) == 0);

        CHECK(has_check(&out, "STK-IMG-001", NULL));
        CHECK(has_check(&out, "STK-IMG-002", NULL));
        CHECK(has_check(&out, "STK-IMG-003", "sshd"));
        CHECK(has_check(&out, "STK-IMG-004", "22/tcp"));
        CHECK(has_check(&out, "STK-IMG-006", "DB_PASSWORD"));
        CHECK(has_check(&out, "STK-IMG-006", "NPM_TOKEN"));
        CHECK(!has_check(&out, "STK-IMG-006", "API_TOKEN_FILE"));
        CHECK(!has_check(&out, "STK-IMG-006", "SECRET"));
        CHECK(has_check(&out, "STK-IMG-007", "https://example.com"));
        CHECK(has_check(&out, "STK-IMG-009", "usr/bin/passwd"));
        CHECK(has_check(&out, "STK-IMG-010", "usr/local/bin/tool"));
        CHECK(!has_check(&out, "STK-IMG-010", "usr/lib/x"));
        CHECK(has_check(&out, "STK-IMG-011", "apt package lists: 1 files"));
        CHECK(has_check(&out, "STK-IMG-012", "history[2]"));
        CHECK(!has_check(&out, "STK-IMG-012", "history[3]"));
        /* values are never shown */
        VEC_FOREACH(f, &out) {
                CHECK(!strstr(f->message, "hunter2"));
                CHECK(!strstr(f->message, "abcdef123456"));
        }

        /* a clean image: a user, a health check */
        const char *hc[] = { "CMD", "true", NULL };
        struct image clean = { .config_raw = "{}", .config = { .user = "app", .healthcheck = hc } };
        struct misconfig_vec out2 = { 0 };
        struct misconfig_input in2 = { .image = &clean };
        REQUIRE(misconfig_check(&in2, a, &out2) == 0);
        CHECK_INT(out2.n, 0);

        VEC_FREE(&out);
        VEC_FREE(&out2);
        arena_free(a);
        view_free(v);
        layer_result_free(ls[0]);
        diag_done(&d);
}

TEST(purl_parse_roundtrip_and_rejects) {
        struct arena *a = arena_new(0);
        struct purl p;
        REQUIRE(purl_parse(a, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc", &p) == 0);
        CHECK_STR(p.type, "deb");
        CHECK_STR(p.namespace_, "debian");
        CHECK_STR(p.name, "libc6");
        CHECK_STR(p.version, "2.36-9+deb12u4");
        CHECK_STR(purl_get_qualifier(&p, "distro"), "debian-12");
        CHECK_STR(purl_get_qualifier(&p, "upstream"), "glibc");
        REQUIRE(purl_parse(a, "pkg:npm/%40babel/core@7.0.0", &p) == 0);
        CHECK_STR(p.namespace_, "@babel");
        CHECK_STR(p.name, "core");
        REQUIRE(purl_parse(a, "pkg:golang/github.com/opencontainers/runc@v1.1.5#sub/dir", &p) == 0);
        CHECK_STR(p.namespace_, "github.com/opencontainers");
        CHECK_STR(p.name, "runc");
        CHECK_STR(p.subpath, "sub/dir");
        REQUIRE(purl_parse(a, "PKG:Maven/org.apache.commons/commons-lang3@3.12.0", &p) == 0);
        CHECK_STR(p.type, "maven");
        REQUIRE(purl_parse(a, "pkg:pypi/zope-interface", &p) == 0);
        CHECK(p.version == NULL);
        CHECK(purl_parse(a, "npm/x@1", &p) < 0);
        CHECK(purl_parse(a, "pkg:npm", &p) < 0);
        CHECK(purl_parse(a, "pkg:npm/", &p) < 0);
        CHECK(purl_parse(a, "pkg:npm/x%zz@1", &p) < 0);
        CHECK(purl_parse(a, "pkg:npm/x%00@1", &p) < 0);
        CHECK(purl_parse(a, "pkg:npm/x%4", &p) < 0);
        /* what we write, we read back */
        struct scan_os deb = { .id = "debian", .version_id = "12" };
        struct pkg q = { .type = PKG_DEB, .name = "dash", .version = "1:0.5.12-2", .arch = "amd64" };
        REQUIRE(purl_parse(a, purl_for(a, &q, &deb), &p) == 0);
        CHECK_STR(p.version, "1:0.5.12-2");
        arena_free(a);
}
