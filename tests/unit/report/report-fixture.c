/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "report-fixture.h"

#define D64(c)                                                                                              \
        "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
                c c c c c c c c c c c c c c c c c c c

static const char *repo_tags[] = { "example.test/app:1.0", "example.test/app:latest", NULL };
static const char *repo_digests[] = { "example.test/app@" D64("c"), NULL };

static const struct image full_image = {
        .target = "docker-archive:/tmp/app \"v1\".tar",
        .source_kind = "docker-archive",
        .name = "example.test/app:1.0",
        .id = D64("a"),
        .manifest_digest = D64("b"),
        .platform = "linux/amd64",
        .repo_tags = repo_tags,
        .repo_digests = repo_digests,
};

static const char *no_strings[] = { NULL };

static const struct image empty_image = {
        .target = "dir:/srv/rootfs",
        .source_kind = "dir",
        .name = "/srv/rootfs",
        .repo_tags = no_strings,
        .repo_digests = no_strings,
};

static const char *lic_libc[] = { "LGPL-2.1-or-later", "GPL-2.0-only WITH Linux-syscall-note",
                                  "public-domain", NULL };
static const char *lic_mit[] = { "MIT", NULL };
static const char *lic_mit_lower[] = { "mit", NULL };
static const char *lic_expat[] = { "Expat", "GPL-2+", NULL };
static const char *lic_gplv3[] = { "GPLv3+", NULL };
static const char *lic_wtfpl[] = { "WTFPL", NULL };
static const char *lic_apache[] = { "Apache-2.0", NULL };
static const char *lic_bsd[] = { "BSD-3-Clause", "GPL-2.0+", NULL };
static const char *lic_hostile[] = { "mit or (apache-2.0 and bsd-3-clause)", "Custom \"License\"\n\xff",
                                     NULL };

static const struct pkg pkgs[] = {
        { .type = PKG_DEB,
          .name = "libc6",
          .version = "2.36-9+deb12u4",
          .source_name = "glibc",
          .arch = "amd64",
          .licenses = lic_libc,
          .record_path = "var/lib/dpkg/status",
          .purl = "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
          .layer = 0 },
        { .type = PKG_DEB,
          .name = "python3-yaml",
          .version = "6.0-3+b2",
          .source_name = "pyyaml",
          .source_version = "6.0-3",
          .arch = "amd64",
          .licenses = lic_expat,
          .record_path = "var/lib/dpkg/status",
          .purl = "pkg:deb/debian/python3-yaml@6.0-3%2Bb2?arch=amd64&distro=debian-12",
          .layer = 1 },
        { .type = PKG_APK,
          .name = "musl",
          .version = "1.2.4-r2",
          .source_name = "musl",
          .arch = "x86_64",
          .licenses = lic_mit,
          .record_path = "lib/apk/db/installed",
          .purl = "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64",
          .layer = 0 },
        { .type = PKG_RPM,
          .name = "bash",
          .version = "5.1.8-6.el9",
          .epoch = "1",
          .source_name = "bash",
          .source_version = "5.1.8-6.el9",
          .arch = "x86_64",
          .licenses = lic_gplv3,
          .record_path = "var/lib/rpm/rpmdb.sqlite",
          .purl = "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&epoch=1",
          .layer = 0 },
        { .type = PKG_NPM,
          .name = "@babel/core",
          .version = "7.23.0",
          .licenses = lic_mit,
          .record_path = "app/node_modules/@babel/core/package.json",
          .purl = "pkg:npm/%40babel/core@7.23.0",
          .layer = 1 },
        { .type = PKG_NPM,
          .name = "left-pad",
          .version = "1.3.0",
          .licenses = lic_wtfpl,
          .record_path = "app/package-lock.json",
          .purl = "pkg:npm/left-pad@1.3.0",
          .flags = PKG_F_NPM_DEV | PKG_F_LOCKFILE,
          .layer = 1 },
        { .type = PKG_PYTHON,
          .name = "PyYAML",
          .version = "6.0.1",
          .licenses = lic_mit_lower,
          .record_path = "usr/lib/python3/dist-packages/PyYAML-6.0.1.dist-info/METADATA",
          .purl = "pkg:pypi/pyyaml@6.0.1",
          .owner = "deb:python3-yaml",
          .layer = 1 },
        /* hostile: quotes, a newline, a tab, an escape sequence and invalid UTF-8 everywhere */
        { .type = PKG_PYTHON,
          .name = "evil\"pkg\n\033[31mred\xff\xfe",
          .version = "1.0\t\xc3\x28",
          .licenses = lic_hostile,
          .record_path = "usr/lib/python3/site-packages/evil pkg#1/METADATA",
          .purl = "pkg:pypi/evil-pkg@1.0",
          .layer = 1 },
        { .type = PKG_GO,
          .name = "github.com/example/app",
          .version = "(devel)",
          .record_path = "usr/local/bin/app",
          .purl = "pkg:golang/github.com/example/app@%28devel%29",
          .go_toolchain = "go1.21.5",
          .flags = PKG_F_GO_MAIN,
          .layer = 1 },
        { .type = PKG_GO,
          .name = "golang.org/x/net",
          .version = "v0.17.0",
          .licenses = lic_bsd,
          .record_path = "usr/local/bin/app",
          .purl = "pkg:golang/golang.org/x/net@v0.17.0",
          .go_toolchain = "go1.21.5",
          .layer = 1 },
        { .type = PKG_GO,
          .name = "stdlib",
          .version = "go1.21.5",
          .record_path = "usr/local/bin/app",
          .purl = "pkg:golang/stdlib@go1.21.5",
          .go_toolchain = "go1.21.5",
          .flags = PKG_F_GO_STDLIB,
          .layer = 1 },
        { .type = PKG_MAVEN,
          .name = "log4j-core",
          .namespace_ = "org.apache.logging.log4j",
          .version = "2.14.1",
          .licenses = lic_apache,
          .record_path = "opt/app/app.war",
          .inner_path = "WEB-INF/lib/log4j-core-2.14.1.jar",
          .purl = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
          .flags = PKG_F_NESTED,
          .layer = 1 },
};

static const struct secret_finding secrets[] = {
        { .rule_id = "aws-access-key-id",
          .title = "AWS Access Key ID",
          .category = "AWS",
          .severity = SEV_CRITICAL,
          .where = LOC_FILE,
          .path = "app/.env",
          .line = 3,
          .offset = 42,
          .excerpt = "AWS_ACCESS_KEY_ID=AKIA************",
          .layer = 1,
          .state = FILE_PRESENT },
        { .rule_id = "private-key",
          .title = "Private Key",
          .category = "PrivateKey",
          .severity = SEV_HIGH,
          .where = LOC_FILE,
          .path = "root/.ssh/id_rsa",
          .line = 1,
          .offset = 0,
          .excerpt = "-----BEGIN RSA PRIVATE KEY-----",
          .layer = 0,
          .state = FILE_DELETED },
        { .rule_id = "github-pat",
          .title = "GitHub Personal Access Token",
          .category = "GitHub",
          .severity = SEV_HIGH,
          .where = LOC_CONFIG,
          .path = "Env",
          .line = 0,
          .offset = 13,
          .excerpt = "GITHUB_TOKEN=ghp_************************************",
          .layer = -1 },
        { .rule_id = "generic-password",
          .title = "Password in \"config\"",
          .category = "Generic",
          .severity = SEV_MEDIUM,
          .where = LOC_FILE,
          .path = "etc/app/conf ig\n\xff.ini",
          .line = 7,
          .offset = 120,
          .excerpt = "password=\"********\"\033]0;pwned\007 \xc3\x28 \xe2\x80\xae",
          .layer = 0,
          .state = FILE_OVERWRITTEN },
        { .rule_id = "jwt",
          .title = "JSON Web Token",
          .category = "JWT",
          .severity = SEV_LOW,
          .where = LOC_FILE,
          .path = "app/dist/main.js",
          .line = 0,
          .offset = 9000,
          .excerpt = "eyJhbGciOi****",
          .layer = 1,
          .state = FILE_PRESENT },
};

static const struct misconfig_finding misconfigs[] = {
        { .id = "STK-IMG-001",
          .cis = "4.1",
          .title = "Image runs as root",
          .severity = SEV_HIGH,
          .message = "no USER instruction: containers from this image run as root",
          .remediation = "Add a USER instruction with an unprivileged user.",
          .layer = -1 },
        { .id = "STK-IMG-006",
          .cis = "4.6",
          .title = "No HEALTHCHECK",
          .severity = SEV_MEDIUM,
          .message = "the image defines no HEALTHCHECK",
          .remediation = "Add a HEALTHCHECK instruction that probes the service.",
          .layer = -1 },
        { .id = "STK-IMG-008",
          .cis = "4.8",
          .title = "setuid binary",
          .severity = SEV_LOW,
          .message = "usr/bin/passwd is setuid root",
          .remediation = "Remove the setuid bit (chmod u-s) if unneeded.",
          .path = "usr/bin/passwd",
          .layer = 0 },
        { .id = "STK-IMG-008",
          .cis = "4.8",
          .title = "setuid binary",
          .severity = SEV_LOW,
          .message = "usr/bin/su is setuid root",
          .remediation = "Remove the setuid bit (chmod u-s) if unneeded.",
          .path = "usr/bin/su",
          .layer = 0 },
};

static int cmp_pkg(const void *a, const void *b) {
        return pkg_compare(a, b);
}
static int cmp_secret(const void *a, const void *b) {
        return secret_compare(a, b);
}
static int cmp_misconfig(const void *a, const void *b) {
        return misconfig_compare(a, b);
}

#define COPY_INTO(vec, array, cmp)                                    \
        do {                                                          \
                if (VEC_RESERVE(vec, ELEMENTSOF(array)) < 0)          \
                        abort();                                      \
                memcpy((vec)->items, array, sizeof(array));           \
                (vec)->n = ELEMENTSOF(array);                         \
                qsort((vec)->items, (vec)->n, sizeof(array[0]), cmp); \
        } while (0)

struct scan_result *fixture_full(void) {
        struct scan_result *r = calloc(1, sizeof *r);
        if (!r)
                abort();
        r->image = &full_image;
        r->os = (struct scan_os){ .id = "debian",
                                  .id_like = NULL,
                                  .version_id = "12",
                                  .codename = "bookworm",
                                  .pretty_name = "Debian GNU/Linux 12 (bookworm)",
                                  .source_path = "etc/os-release" };
        r->n_layers = 2;
        r->layers = calloc(2, sizeof *r->layers);
        if (!r->layers)
                abort();
        r->layers[0] = (struct scan_layer){ .index = 0,
                                            .digest = D64("d"),
                                            .diff_id = D64("e"),
                                            .created_by = "/bin/sh -c #(nop) ADD file:0123 in / ",
                                            .bytes_stored = 29150000,
                                            .bytes_tar = 77800000,
                                            .n_files = 1200 };
        r->layers[1] = (struct scan_layer){ .index = 1,
                                            .digest = D64("f"),
                                            .diff_id = D64("9"),
                                            .created_by = "RUN npm ci && echo \"done\"\n\tls",
                                            .bytes_stored = 1024,
                                            .bytes_tar = 4096,
                                            .n_files = 34 };
        COPY_INTO(&r->pkgs, pkgs, cmp_pkg);
        COPY_INTO(&r->secrets, secrets, cmp_secret);
        COPY_INTO(&r->misconfigs, misconfigs, cmp_misconfig);
        r->n_files = 1234;
        r->secrets_scanned = r->misconfig_scanned = true;
        return r;
}

struct scan_result *fixture_empty(void) {
        struct scan_result *r = calloc(1, sizeof *r);
        if (!r)
                abort();
        r->image = &empty_image;
        r->secrets_scanned = true;
        r->misconfig_scanned = false;
        return r;
}

void fixture_free(struct scan_result *r) {
        if (!r)
                return;
        free(r->layers);
        VEC_FREE(&r->pkgs);
        VEC_FREE(&r->secrets);
        VEC_FREE(&r->misconfigs);
        free(r);
}

const struct fixture_case fixture_cases[] = {
        { "table-sbom.txt", false, REPORT_TABLE, REPORT_KIND_SBOM, false, SEV_UNKNOWN },
        { "table-scan.txt", false, REPORT_TABLE, REPORT_KIND_SCAN, false, SEV_UNKNOWN },
        { "table-scan-color-medium.txt", false, REPORT_TABLE, REPORT_KIND_SCAN, true, SEV_MEDIUM },
        { "json-sbom.json", false, REPORT_JSON, REPORT_KIND_SBOM, false, SEV_UNKNOWN },
        { "json-scan.json", false, REPORT_JSON, REPORT_KIND_SCAN, false, SEV_UNKNOWN },
        { "cyclonedx-sbom.json", false, REPORT_CYCLONEDX, REPORT_KIND_SBOM, false, SEV_UNKNOWN },
        { "cyclonedx-scan.json", false, REPORT_CYCLONEDX, REPORT_KIND_SCAN, false, SEV_UNKNOWN },
        { "spdx-sbom.json", false, REPORT_SPDX, REPORT_KIND_SBOM, false, SEV_UNKNOWN },
        { "sarif-scan.json", false, REPORT_SARIF, REPORT_KIND_SCAN, false, SEV_UNKNOWN },
        { "empty-table-sbom.txt", true, REPORT_TABLE, REPORT_KIND_SBOM, false, SEV_UNKNOWN },
        { "empty-table-scan.txt", true, REPORT_TABLE, REPORT_KIND_SCAN, false, SEV_UNKNOWN },
        { "empty-json-sbom.json", true, REPORT_JSON, REPORT_KIND_SBOM, false, SEV_UNKNOWN },
        { "empty-json-scan.json", true, REPORT_JSON, REPORT_KIND_SCAN, false, SEV_UNKNOWN },
        { "empty-cyclonedx-sbom.json", true, REPORT_CYCLONEDX, REPORT_KIND_SBOM, false, SEV_UNKNOWN },
        { "empty-spdx-sbom.json", true, REPORT_SPDX, REPORT_KIND_SBOM, false, SEV_UNKNOWN },
        { "empty-sarif-scan.json", true, REPORT_SARIF, REPORT_KIND_SCAN, false, SEV_UNKNOWN },
};
const size_t fixture_n_cases = ELEMENTSOF(fixture_cases);
