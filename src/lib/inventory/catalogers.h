/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The catalogers: analyzers that find package records (and facts the merge needs) in a layer's files.
 * Each is a struct analyzer (layer/layer.h), defined in its own file of this module and listed in
 * layer/layer-analyzers.c. They are declared weak so the table links even while one is absent.
 *
 * Record conventions (what each cataloger puts in struct pkg) are documented beside each analyzer. */

#include "layer/layer.h"

#define CATALOGER_DECL(name) extern const struct analyzer name __attribute__((weak))

/* catalog-os.c: /etc/os-release and friends -> FACT_OS_FILE */
CATALOGER_DECL(analyzer_os_release);
/* catalog-dpkg.c: var/lib/dpkg/status, status.d/ (distroless) -> PKG_DEB; info/NAME.list -> FACT_DPKG_LIST;
 * usr/share/doc/NAME/copyright -> FACT_DEB_COPYRIGHT */
CATALOGER_DECL(analyzer_dpkg_status);
CATALOGER_DECL(analyzer_dpkg_list);
CATALOGER_DECL(analyzer_deb_copyright);
/* catalog-apk.c: lib/apk/db/installed -> PKG_APK (with owned files) */
CATALOGER_DECL(analyzer_apk);
/* catalog-rpm.c: rpmdb.sqlite, Packages (Berkeley DB), Packages.db (NDB) -> PKG_RPM */
CATALOGER_DECL(analyzer_rpm);
/* catalog-python.c: *.dist-info/METADATA, *.egg-info/PKG-INFO, *.egg-info files -> PKG_PYTHON */
CATALOGER_DECL(analyzer_python);
/* catalog-npm.c: node_modules/.../package.json -> PKG_NPM; package-lock.json v1-v3 -> PKG_NPM */
CATALOGER_DECL(analyzer_npm_package);
CATALOGER_DECL(analyzer_npm_lock);
/* catalog-go.c: ELF binaries with Go build info -> PKG_GO (stdlib, main module, dependencies) */
CATALOGER_DECL(analyzer_go);
/* catalog-java.c: jar/war/ear (nested too) -> PKG_MAVEN */
CATALOGER_DECL(analyzer_java);
