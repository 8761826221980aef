/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Java archives (jar, war, ear, …) read as streams, for catalog-java.c. Private to the inventory module.
 *
 * An archive is read front to back with libarchive's streamable zip reader, fed from an entry_reader; a
 * nested archive is read the same way from its outer member's data, while the outer one waits. Nothing
 * is written to disk and nothing needs random access. What each archive holds that identifies it (its
 * manifest's main section, its META-INF/maven/.../pom.properties files) is handed to a callback once the
 * archive is done, inner archives before the outer ones.
 *
 * Limits (struct java_limits) bound the nesting depth, the members of one archive, the bytes
 * decompressed for one outermost archive and the expansion ratio of each level, so a zip bomb is
 * stopped after a few megabytes. Members that are neither read nor nested archives are skipped without
 * decompressing them when the zip says how long they are.
 *
 * Thread-safety: no global state; one walk per thread at a time per entry_reader. */

#include "layer/layer.h"

/* The main section of META-INF/MANIFEST.MF: the attributes we use (NULL when absent). */
struct java_manifest {
        char *impl_title, *impl_version, *impl_vendor, *impl_vendor_id;
        char *spec_title, *spec_version, *spec_vendor;
        char *bundle_name, *bundle_symbolic_name, *bundle_version, *bundle_license;
        char *automatic_module_name;
};

#define JAVA_ATTR_MAX 8192 /* longest attribute value kept (continuations included) */

/* Parses the manifest's main section (up to the first empty line): "Name: value" lines, continuation
 * lines starting with one space, CRLF, LF or CR line ends. Unknown attributes and malformed lines are
 * skipped. Returns 0 or -ENOMEM; *m must be zeroed or done. */
int java_manifest_parse(const char *data, size_t n, struct java_manifest *m);
void java_manifest_done(struct java_manifest *m);

struct java_pom_properties {
        char *group_id, *artifact_id, *version; /* NULL when absent */
};

/* Parses a Java properties file (comments, "key=value", "key: value", "key value", backslash
 * continuations and escapes, \uXXXX) for groupId, artifactId and version. Returns 0 or -ENOMEM. */
int java_pom_properties_parse(const char *data, size_t n, struct java_pom_properties *p);
void java_pom_properties_done(struct java_pom_properties *p);

struct java_limits {
        unsigned max_depth;   /* archives nested in one another, the outermost counting as 1 */
        uint64_t max_members; /* members of one archive */
        uint64_t max_bytes;   /* bytes decompressed for one outermost archive, all levels */
        uint64_t max_ratio;   /* bytes decompressed / bytes read, per level ... */
        uint64_t ratio_grace; /* ... once more than this was decompressed */
        size_t max_text;      /* manifest or pom.properties bytes read */
        size_t max_poms;      /* pom.properties kept per archive */
};

void java_limits_default(struct java_limits *l);

struct java_pom_entry {
        const char *path; /* the member: "META-INF/maven/GROUP/ARTIFACT/pom.properties" */
        struct java_pom_properties props;
};

/* One archive, as the callback sees it. */
struct java_archive_info {
        const char *file_name;  /* the archive's own file name ("foo-1.0.jar"), without directories */
        const char *inner_path; /* NULL for the outermost; else the member names from the outermost
                                   archive down, joined by "!/": "WEB-INF/lib/a.jar", "x.war!/lib/b.jar" */
        unsigned depth;         /* 1 for the outermost */
        const struct java_manifest *manifest; /* NULL without META-INF/MANIFEST.MF */
        const struct java_pom_entry *poms;
        size_t n_poms;
        bool complete; /* false when reading stopped early (corruption, a limit) */
};

struct java_walk_ops {
        /* Called for every archive read, inner ones first. A negative return stops the walk with it. */
        int (*on_archive)(void *userdata, const struct java_archive_info *info);
        /* Problems with the archive: corruption, limits (label names the archive, nested ones with "!/"). */
        void (*warn)(void *userdata, const char *fmt, ...) _printf_(2, 3);
};

/* Reads the archive r delivers (from its first byte; a launch script in front of the zip, as Spring Boot's
 * executable jars have, is skipped). name is the image path of the archive (for messages; its last
 * component is the file name). A file that is no zip at all is silently ignored. Returns 0 (problems with
 * the archive were reported through ops->warn), -ENOMEM, the entry_reader's error, or on_archive's
 * negative value. */
int java_archive_walk(struct entry_reader *r, const char *name, const struct java_limits *limits,
                      const struct java_walk_ops *ops, void *userdata);

/* The archive extensions we open, nested or not: jar war ear jpi hpi par sar kar nar (any case). */
bool java_archive_name(const char *name);
