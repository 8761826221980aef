/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* SBOM input: the packages of a CycloneDX (1.2–1.6) or SPDX (2.2, 2.3) JSON document, for
 * `stockade scan sbom:PATH`. A package is made from each component's purl (CycloneDX components[],
 * nested components and metadata.component.components; SPDX packages[].externalRefs of type purl): the
 * purl's type decides the package type and so the ecosystem, its namespace and name the package name,
 * its version the version, and its qualifiers arch, epoch (rpm), upstream (the source package, "NAME" or
 * "NAME@VERSION") and distro (the package's own distribution, pkg.distro, normalized to "ID-VERSION":
 * "debian-12", "alpine-3.18", "almalinux-9"; a bare codename takes the namespace as ID). Components
 * without a purl, with a purl of a type stockade has no advisories for, or without a version are counted
 * and left out. The subject of the document (CycloneDX metadata.component, SPDX packages of purpose
 * CONTAINER, purls of type oci or docker) is not a package; an operating-system component (CycloneDX
 * type operating-system, SPDX purpose OPERATING-SYSTEM) gives the distribution of packages whose purl
 * names none.
 *
 * An SBOM is hostile input. The document is walked as text and each element of its top-level arrays
 * (each component, each package) is parsed alone, so memory follows the largest element, not the file:
 * a 40,000-component SBOM needs a few MB besides the file itself. Limits (struct sbomin_limits): the
 * file's size, the size of one element, the number of components, the nesting of components. Errors
 * name the file and the line and column.
 *
 * Thread-safety: no shared state; one call per document. */

#include "arena.h"
#include "core/diag.h"
#include "core/model.h"

struct sbomin_limits {
        uint64_t max_bytes;       /* the document; default 512 MiB */
        size_t max_element_bytes; /* one top-level element (a component with its nested ones, the
                                   * metadata); default 64 MiB */
        size_t max_components;    /* components or packages, nested ones included; default 1,000,000 */
        unsigned max_depth;       /* nesting of components; default 32 */
};

void sbomin_limits_default(struct sbomin_limits *l);

struct sbomin_info {
        const char *format;         /* "CycloneDX 1.5", "SPDX-2.3" */
        const char *subject_name;   /* what the SBOM describes, when it says */
        const char *subject_version;
        const char *subject_type;   /* CycloneDX component type ("container", "application", …) */
        struct scan_os os;          /* the operating system the SBOM names (id, version_id), if any */
        size_t components;          /* components / packages in the document, the subject excluded */
        size_t packages;            /* turned into packages */
        size_t no_purl;             /* without a purl */
        size_t bad_purl;            /* a purl that does not parse */
        size_t unsupported;         /* a purl type stockade has no advisories for (pkg:nuget, …) */
        size_t no_version;          /* a purl without a version */
        size_t no_distro;           /* distribution packages whose distribution is unknown */
};

/* Parses an SBOM held in memory (len bytes, not necessarily NUL-terminated); `name` is what errors call
 * it. Appends packages to pkgs (strings in a; layer -1, no record path unless the SBOM gives the
 * package's location as CycloneDX evidence.occurrences[].location). -EBADMSG (malformed, not an SBOM),
 * -E2BIG (a limit) with the reason in d. */
int sbomin_parse(const char *data, size_t len, const char *name, const struct sbomin_limits *l,
                 struct arena *a, struct diag *d, struct sbomin_info *ret_info, struct pkg_vec *pkgs);

/* Reads the regular file at path and parses it. */
int sbomin_read(const char *path, const struct sbomin_limits *l, struct arena *a, struct diag *d,
                struct sbomin_info *ret_info, struct pkg_vec *pkgs);

/* The package a purl describes (strings in a; purl kept as given): 0; -EINVAL when s is not a purl;
 * -EOPNOTSUPP for a purl type stockade cannot match; -ENODATA when it has no version. */
int sbomin_pkg_from_purl(struct arena *a, const char *s, struct pkg *ret);
