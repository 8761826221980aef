/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Parsers for the files that identify a distribution, which analyzer_os_release records as FACT_OS_FILE
 * facts. The inventory calls these after layers are merged, on the file that is visible in the final
 * filesystem.
 *
 * Strings live in the caller's arena (or are static, like "alpine"); fields the file does not set stay NULL.
 * Input is untrusted: values are capped at OS_RELEASE_VALUE_MAX bytes and must be valid UTF-8 without
 * control characters (an assignment that breaks this is ignored, the rest of the file still counts).
 * Thread-safe (no shared state). */

#include "arena.h"
#include "macro.h"

#define OS_RELEASE_VALUE_MAX 512

struct os_release {
        const char *id;               /* "debian", "alpine", "rhel" */
        const char *id_like;          /* space-separated: "rhel centos fedora" */
        const char *name;             /* "Debian GNU/Linux" */
        const char *version;          /* "12 (bookworm)" */
        const char *version_id;       /* "12", "3.19.1", "9.3" */
        const char *version_codename; /* "bookworm" */
        const char *pretty_name;      /* "Debian GNU/Linux 12 (bookworm)" */
};

/* os-release(5) syntax: KEY=value lines, '#' comments, values unquoted or in single or double quotes with
 * shell-style backslash escapes ("\"", "\\", "\$", "\`"; a backslash-newline inside double quotes joins
 * lines). Reads ID, ID_LIKE, NAME, VERSION, VERSION_ID, VERSION_CODENAME (or UBUNTU_CODENAME when it is
 * absent) and PRETTY_NAME. Returns 0, or -ENOMEM; a file with nothing useful gives an all-NULL result. */
int os_release_parse(const char *data, size_t n, struct arena *a, struct os_release *ret);

/* Parses any of the files analyzer_os_release records, chosen by its image path:
 *   etc/os-release, usr/lib/os-release      os-release(5)
 *   etc/lsb-release                         DISTRIB_ID, DISTRIB_RELEASE, DISTRIB_CODENAME,
 *                                           DISTRIB_DESCRIPTION (id lowercased: "ubuntu")
 *   etc/alpine-release                      "3.19.1" -> id "alpine", version_id
 *   etc/debian_version                      "12.5" -> id "debian", version_id ("bookworm/sid" too)
 *   etc/redhat-release, etc/centos-release,
 *   etc/system-release                      "NAME release 9.3 (Plow)" -> name, version_id, pretty_name
 *                                           (id left NULL: the text does not say it reliably)
 * Returns 0, -ENOMEM, or -EINVAL for a path it does not know. */
int os_file_parse(const char *path, const char *data, size_t n, struct arena *a, struct os_release *ret);
