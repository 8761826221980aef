/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "match/ignore.h"
#include "match/vex.h"
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

/* ---- vulnerabilities ---- */

static const char *ids_log4j[] = { "CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q", NULL };
static const char *ids_glibc[] = { "CVE-2023-4911", NULL };
static const char *ids_net[] = { "CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m", "GO-2024-2687", NULL };
static const char *ids_stdlib[] = { "CVE-2024-24783", "GO-2024-2598", NULL };
static const char *ids_bash[] = { "CVE-2022-3715", NULL };
static const char *ids_evil[] = { "PYSEC-2099-1", NULL };
static const char *ids_yaml[] = { "CVE-2099-0002", "PYSEC-2099-2", NULL };
static const char *cwes_log4j[] = { "CWE-20", "CWE-400", "CWE-502", NULL };
static const char *src_ghsa[] = { "ghsa-osv", NULL };
static const char *src_debian[] = { "debian-tracker", "debian-osv", NULL };
static const char *src_go[] = { "go-osv", NULL };
static const char *src_redhat[] = { "redhat-osv", NULL };
static const char *src_pypa[] = { "pypa-osv", NULL };

/* .pkg holds the name of the package; fixture_full() points it at the package. */
static const struct vuln_finding vulns[] = {
        { .pkg = (const struct pkg *) "log4j-core", .id = "CVE-2021-44228", .ids = ids_log4j, .status = FINDING_FIXED,
          .installed_version = "2.14.1", .fixed_version = "2.15.0", .severity = SEV_CRITICAL,
          .severity_source = "ghsa", .cvss_score = 10.0,
          .cvss_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", .kev = true,
          .summary = "Remote code injection in Log4j", .cwes = cwes_log4j,
          .published = "2021-12-10T00:00:40Z", .modified = "2024-03-15T11:49:03.612Z", .ecosystem = "Maven",
          .package_name = "org.apache.logging.log4j:log4j-core", .sources = src_ghsa },
        { .pkg = (const struct pkg *) "libc6", .id = "CVE-2023-4911", .ids = ids_glibc, .status = FINDING_FIXED,
          .installed_version = "2.36-9+deb12u4", .fixed_version = "2.36-9+deb12u3~fake", .severity = SEV_HIGH,
          .severity_source = "debian", .cvss_score = 7.8, .cvss_vector = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
          .summary = "Buffer overflow in ld.so (GLIBC_TUNABLES)", .published = "2023-10-03",
          .ecosystem = "Debian:12", .package_name = "glibc", .sources = src_debian, .note = "DSA-5514-1",
          .excepted_by = "vex", .vex_status = "not_affected", .vex_justification = "vulnerable_code_not_in_execute_path",
          .exception_reason = "not affected (vulnerable_code_not_in_execute_path): no setuid binaries",
          .exception_source = "vex/app.openvex.json" },
        { .pkg = (const struct pkg *) "golang.org/x/net", .id = "CVE-2023-45288", .ids = ids_net,
          .status = FINDING_FIXED, .installed_version = "v0.17.0", .fixed_version = "0.23.0", .severity = SEV_HIGH,
          .severity_source = "cvss", .cvss_score = 7.5, .cvss_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
          .summary = "HTTP/2 CONTINUATION flood in net/http", .ecosystem = "Go",
          .package_name = "golang.org/x/net", .sources = src_go },
        { .pkg = (const struct pkg *) "stdlib", .id = "CVE-2024-24783", .ids = ids_stdlib, .status = FINDING_FIXED,
          .installed_version = "v1.21.5", .fixed_version = "1.21.8", .severity = SEV_MEDIUM, .severity_source = "cvss",
          .cvss_score = 5.9, .summary = "Verify panics on certificates with an unknown public key algorithm in crypto/x509",
          .ecosystem = "Go", .package_name = "stdlib", .sources = src_go },
        { .pkg = (const struct pkg *) "PyYAML", .id = "CVE-2099-0002", .ids = ids_yaml, .status = FINDING_FIXED,
          .installed_version = "6.0.1", .fixed_version = "6.0.2", .severity = SEV_MEDIUM, .severity_source = "ghsa",
          .summary = "A made-up advisory for a package an OS package owns", .ecosystem = "PyPI",
          .package_name = "pyyaml", .sources = src_pypa },
        { .pkg = (const struct pkg *) "bash", .id = "CVE-2022-3715", .ids = ids_bash, .status = FINDING_WONT_FIX,
          .installed_version = "0:5.1.8-6.el9", .severity = SEV_LOW, .severity_source = "redhat",
          .summary = "a heap-buffer-overflow in valid_parameter_transform", .ecosystem = "Red Hat:9",
          .package_name = "bash", .sources = src_redhat, .excepted_by = "ignore-unfixed",
          .exception_reason = "no fixed version (will-not-fix); --ignore-unfixed" },
        { .pkg = (const struct pkg *) "evil", .id = "PYSEC-2099-1", .ids = ids_evil, .status = FINDING_UNFIXED,
          .installed_version = "1.0\t\xc3\x28", .severity = SEV_UNKNOWN,
          .summary = "Bad \"thing\"\n\033]0;pwned\007 \xe2\x80\xae\xff", .ecosystem = "PyPI",
          .package_name = "evil-pkg", .sources = src_pypa, .excepted_by = "ignore-file",
          .exception_reason = "accepted: \"sandboxed\"\n\033[2J", .exception_source = ".stockadeignore.yaml:4",
          .exception_expires = "2099-12-31" },
};

static struct ignore_rule ignore_rules[] = {
        { .id = "PYSEC-2099-1", .package = "evil", .reason = "accepted", .expires = "2099-12-31",
          .source = ".stockadeignore.yaml:4", .line = 4, .used = 1 },
        { .id = "CVE-2020-0001", .reason = "old news", .expires = "2020-01-01", .source = ".stockadeignore.yaml:8",
          .line = 8, .expired = true },
        { .id = "CVE-2019-0001", .package = "pkg:npm/left-pad", .reason = "never matched",
          .source = ".stockadeignore.yaml:11", .line = 11 },
};
static struct ignore_list ignore_list = { .path = ".stockadeignore.yaml", .rules = ignore_rules, .n = 3, .n_expired = 1 };
static const char *vex_files[] = { "vex/app.openvex.json", NULL };
static struct vex_statement vex_items[1] = { { .id = "CVE-2023-4911", .status = VEX_NOT_AFFECTED } };
static struct vex_set vex_set = { .items = vex_items, .n = 1, .alloc = 1, .files = vex_files, .n_files = 1 };
static const struct match_exceptions exceptions = { .vex = &vex_set, .ignore = &ignore_list, .ignore_unfixed = true };

static void add_vulns(struct scan_result *r, const struct vuln_finding *v, size_t n) {
        if (VEC_RESERVE(&r->vulns, n) < 0)
                abort();
        for (size_t i = 0; i < n; i++) {
                struct vuln_finding f = v[i];
                const char *name = (const char *) v[i].pkg;
                f.pkg = NULL;
                VEC_FOREACH(p, &r->pkgs)
                        if (strneq(p->name, name, strlen(name))) {
                                f.pkg = p;
                                break;
                        }
                if (!f.pkg)
                        abort();
                r->vulns.items[r->vulns.n++] = f;
        }
        /* the matcher's order */
        for (size_t i = 1; i < r->vulns.n; i++)
                for (size_t k = i; k > 0 && vuln_finding_compare(&r->vulns.items[k - 1], &r->vulns.items[k]) > 0; k--) {
                        struct vuln_finding t = r->vulns.items[k];
                        r->vulns.items[k] = r->vulns.items[k - 1];
                        r->vulns.items[k - 1] = t;
                }
        r->vulns_scanned = true;
        r->vulndb_path = "/var/cache/stockade/vuln.db";
        r->vulndb_built_at = "2026-11-20T00:00:00Z";
}

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
        add_vulns(r, vulns, ELEMENTSOF(vulns));
        r->exceptions = &exceptions;
        return r;
}

/* ---- an SBOM target ---- */

static const struct image sbom_image = {
        .target = "sbom:/srv/sboms/app.cdx.json",
        .source_kind = "sbom",
        .name = "example.test/app",
        .repo_tags = no_strings,
        .repo_digests = no_strings,
};

static const struct pkg sbom_pkgs[] = {
        { .type = PKG_DEB,
          .name = "libc6",
          .version = "2.36-9+deb12u1",
          .source_name = "glibc",
          .arch = "amd64",
          .distro = "debian-12",
          .purl = "pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=amd64&distro=debian-12&upstream=glibc",
          .layer = -1,
          .record_layer = -1 },
        { .type = PKG_GEM, .name = "rack", .version = "2.2.3", .purl = "pkg:gem/rack@2.2.3", .layer = -1, .record_layer = -1 },
        { .type = PKG_CARGO,
          .name = "net2",
          .version = "0.2.37",
          .purl = "pkg:cargo/net2@0.2.37",
          .record_path = "usr/local/bin/app",
          .layer = -1,
          .record_layer = -1 },
};

static const char *ids_rack[] = { "CVE-2023-27530", "GHSA-54rr-7fvw-6x8f", NULL };
static const char *ids_net2[] = { "GHSA-qgwf-r2jj-2ccv", "RUSTSEC-2020-0016", NULL };
static const char *src_rust[] = { "rustsec-osv", NULL };

static const struct vuln_finding sbom_vulns[] = {
        { .pkg = (const struct pkg *) "libc6", .id = "CVE-2023-4911", .ids = ids_glibc, .status = FINDING_FIXED,
          .installed_version = "2.36-9+deb12u1", .fixed_version = "2.36-9+deb12u3", .severity = SEV_HIGH,
          .severity_source = "debian", .ecosystem = "Debian:12", .package_name = "glibc", .sources = src_debian },
        { .pkg = (const struct pkg *) "rack", .id = "CVE-2023-27530", .ids = ids_rack, .status = FINDING_FIXED,
          .installed_version = "2.2.3", .fixed_version = "2.2.6.3", .severity = SEV_HIGH, .severity_source = "ghsa",
          .ecosystem = "RubyGems", .package_name = "rack", .sources = src_ghsa },
        { .pkg = (const struct pkg *) "net2", .id = "GHSA-qgwf-r2jj-2ccv", .ids = ids_net2, .status = FINDING_UNFIXED,
          .installed_version = "0.2.37", .severity = SEV_UNKNOWN, .summary = "net2 invalidly assumes the memory layout of std::net::SocketAddr",
          .ecosystem = "crates.io", .package_name = "net2", .sources = src_rust },
};

struct scan_result *fixture_sbom(void) {
        struct scan_result *r = calloc(1, sizeof *r);
        if (!r)
                abort();
        r->image = &sbom_image;
        r->os = (struct scan_os){ .id = "debian", .version_id = "12" };
        r->from_sbom = true;
        r->sbom = (struct sbomin_info){ .format = "CycloneDX 1.5",
                                        .subject_name = "example.test/app",
                                        .subject_type = "container",
                                        .os = r->os,
                                        .components = 5,
                                        .packages = 3,
                                        .no_purl = 1,
                                        .unsupported = 1 };
        COPY_INTO(&r->pkgs, sbom_pkgs, cmp_pkg);
        add_vulns(r, sbom_vulns, ELEMENTSOF(sbom_vulns));
        return r;
}

struct scan_result *fixture_for(const struct fixture_case *c) {
        return c->sbom ? fixture_sbom() : c->empty ? fixture_empty() : fixture_full();
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
        VEC_FREE(&r->vulns);
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
        { "sbom-table-scan.txt", false, REPORT_TABLE, REPORT_KIND_SCAN, false, SEV_UNKNOWN, true },
        { "sbom-json-scan.json", false, REPORT_JSON, REPORT_KIND_SCAN, false, SEV_UNKNOWN, true },
        { "sbom-cyclonedx-scan.json", false, REPORT_CYCLONEDX, REPORT_KIND_SCAN, false, SEV_UNKNOWN, true },
        { "sbom-sarif-scan.json", false, REPORT_SARIF, REPORT_KIND_SCAN, false, SEV_UNKNOWN, true },
};
const size_t fixture_n_cases = ELEMENTSOF(fixture_cases);
