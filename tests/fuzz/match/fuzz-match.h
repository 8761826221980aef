/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Findings for the exception fuzz targets to be matched against: a few packages with purls of the
 * kinds ignore entries and VEX statements name. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct pkg fuzz_pkgs[] = {
        { .type = PKG_GO, .name = "stdlib", .version = "v1.19.8", .purl = "pkg:golang/stdlib@v1.19.8" },
        { .type = PKG_DEB, .name = "libc6", .version = "2.36-9", .source_name = "glibc",
          .purl = "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12&upstream=glibc" },
        { .type = PKG_MAVEN, .namespace_ = "org.apache.logging.log4j", .name = "log4j-core", .version = "2.14.1",
          .purl = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" },
        { .type = PKG_PYTHON, .name = "PyYAML", .version = "5.3", .purl = "pkg:pypi/pyyaml@5.3" },
};

static const char *fuzz_ids0[] = { "CVE-2023-29403", "GO-2023-1840", NULL };
static const char *fuzz_ids1[] = { "CVE-2023-4911", NULL };
static const char *fuzz_ids2[] = { "CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q", NULL };
static const char *fuzz_ids3[] = { "PYSEC-2021-142", "CVE-2020-14343", NULL };

_unused_ static void fuzz_findings(struct vuln_finding f[4]) {
        const char **ids[] = { fuzz_ids0, fuzz_ids1, fuzz_ids2, fuzz_ids3 };
        for (int i = 0; i < 4; i++)
                f[i] = (struct vuln_finding){ .pkg = &fuzz_pkgs[i], .id = ids[i][0], .ids = ids[i],
                                              .status = i % 2 ? FINDING_FIXED : FINDING_UNFIXED,
                                              .package_name = fuzz_pkgs[i].source_name ? fuzz_pkgs[i].source_name
                                                                                       : fuzz_pkgs[i].name };
}
