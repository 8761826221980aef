/* SPDX-License-Identifier: Apache-2.0 */
/* analyzer_rpm: the rpm package database -> PKG_RPM.
 *
 * rpm keeps its database in var/lib/rpm/ or, on newer Fedora and openSUSE, usr/lib/sysimage/rpm/ (with
 * var/lib/rpm a symlink to it; rpm-ostree systems use usr/share/rpm/). Three formats, told apart by their
 * first bytes (the file name is only a hint): Berkeley DB hash "Packages" (rpm < 4.16), rpm's own ndb
 * "Packages.db" (SUSE), and SQLite "rpmdb.sqlite" (rpm >= 4.16). Each stores one header blob per installed
 * package; rpmdb-header.c turns a blob into a struct pkg.
 *
 * Record conventions (struct pkg):
 *   name            NAME
 *   version         "VERSION-RELEASE" (VERSION alone when there is no release)
 *   epoch           EPOCH in decimal, NULL when the package has none
 *   arch            ARCH ("x86_64", "noarch"); NULL for headers without one
 *   licenses        { LICENSE, NULL } as declared (an expression, not split); NULL when absent
 *   source_name     the name part of SOURCERPM ("bash-5.1.8-6.el9.src.rpm" -> "bash")
 *   source_version  the rest of SOURCERPM without the suffix ("5.1.8-6.el9")
 *   record_path     the database's image path
 *   owned_files     every path the package owns (files and directories), as image paths
 * gpg-pubkey entries (keys imported for signature checks) are not packages and are skipped.
 *
 * The database is read to the end through the entry reader and kept in memory when small, else spooled
 * to an unlinked temporary file in the private temporary directory and mapped; the readers then see one
 * read-only buffer. */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "inventory/catalogers.h"
#include "path-util.h"
#include "rpmdb.h"

/* Databases up to this size are read into memory; larger ones go through a temporary file. */
#define RPMDB_MEM_MAX (8 * MiB)

static const char *const rpmdb_dirs[] = {"var/lib/rpm/", "usr/lib/sysimage/rpm/", "usr/share/rpm/"};
static const char *const rpmdb_names[] = {"Packages", "Packages.db", "rpmdb.sqlite"};

static enum analyzer_mode rpm_match(const struct layer_file *f) {
        for (size_t i = 0; i < ELEMENTSOF(rpmdb_dirs); i++) {
                if (!str_has_prefix(f->path, rpmdb_dirs[i]))
                        continue;
                const char *rest = f->path + strlen(rpmdb_dirs[i]);
                for (size_t j = 0; j < ELEMENTSOF(rpmdb_names); j++)
                        if (streq(rest, rpmdb_names[j]))
                                return ANALYZE_STREAM;
        }
        return ANALYZE_NONE;
}

enum rpmdb_format rpmdb_sniff(const uint8_t *data, size_t n) {
        if (n >= 16 && memcmp(data, "SQLite format 3", 16) == 0)
                return RPMDB_SQLITE;
        if (n >= 4 && memcmp(data, "RpmP", 4) == 0)
                return RPMDB_NDB;
        if (n >= 16) {
                uint32_t m = (uint32_t) data[12] | (uint32_t) data[13] << 8 | (uint32_t) data[14] << 16 |
                             (uint32_t) data[15] << 24;
                if (m == 0x061561u || m == 0x61150600u)
                        return RPMDB_BDB;
        }
        return RPMDB_UNKNOWN;
}

const char *rpmdb_format_name(enum rpmdb_format f) {
        switch (f) {
        case RPMDB_BDB: return "Berkeley DB";
        case RPMDB_NDB: return "ndb";
        case RPMDB_SQLITE: return "sqlite";
        default: return "unknown";
        }
}

int rpmdb_read(struct layer_ctx *c, const char *path, const uint8_t *data, size_t n) {
        struct rpmdb_walk w = {.ctx = c, .path = path};
        int r;

        switch (rpmdb_sniff(data, n)) {
        case RPMDB_BDB: r = rpmdb_bdb_read(&w, data, n); break;
        case RPMDB_NDB: r = rpmdb_ndb_read(&w, data, n); break;
        case RPMDB_SQLITE: r = rpmdb_sqlite_read(&w, data, n); break;
        default:
                if (n == 0)
                        layer_ctx_warn(c, "rpm database '%s' is empty", path);
                else
                        layer_ctx_warn(c, "'%s' is not an rpm database in a known format", path);
                return 0;
        }
        if (r < 0)
                return r;
        if (w.n_bad > 5)
                layer_ctx_warn(c, "rpm database '%s': %llu package headers in all could not be read", path,
                               (unsigned long long) w.n_bad);
        return 0;
}

/* ---- spooling ---- */

struct spool {
        uint8_t *mem; /* malloc'd copy, or */
        void *map;    /* a mapping of the unlinked temporary file */
        size_t n;
};

static void spool_done(struct spool *s) {
        free(s->mem);
        if (s->map)
                munmap(s->map, s->n);
}

/* Reads the member to its end into s. Returns 0, 1 when the database is skipped (reported), or a negative
 * errno (a read error of the layer stream, or -ENOMEM). */
static int spool(struct layer_ctx *c, const struct layer_file *f, struct entry_reader *rd, struct spool *s) {
        if (f->size <= RPMDB_MEM_MAX) {
                size_t want = (size_t) f->size;
                s->mem = malloc(want ? want : 1);
                if (!s->mem)
                        return -ENOMEM;
                while (s->n < want) {
                        ssize_t k = entry_reader_read(rd, s->mem + s->n, want - s->n);
                        if (k < 0)
                                return (int) k;
                        if (k == 0)
                                break;
                        s->n += (size_t) k;
                }
                return 0;
        }

        char path[4096];
        if (snprintf(path, sizeof path, "%s/stockade-rpmdb-XXXXXX", layer_ctx_tmpdir(c)) >=
            (int) sizeof path) {
                layer_ctx_warn(c,
                               "not reading rpm database '%s': the temporary directory's name is too long",
                               f->path);
                return 1;
        }
        _cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0) {
                layer_ctx_warn(c,
                               "not reading rpm database '%s': cannot create a temporary file in '%s': %s",
                               f->path, layer_ctx_tmpdir(c), strerror(errno));
                return 1;
        }
        /* Nobody else may see it, and it must not outlive us. */
        (void) unlink(path);

        _cleanup_free_ uint8_t *chunk = malloc(256 * KiB);
        if (!chunk)
                return -ENOMEM;
        uint64_t total = 0;
        for (;;) {
                ssize_t k = entry_reader_read(rd, chunk, 256 * KiB);
                if (k < 0)
                        return (int) k;
                if (k == 0)
                        break;
                if (total + (uint64_t) k > RPMDB_MAX_DB_BYTES)
                        break; /* cannot happen: f->size was checked, and the reader stops there */
                for (ssize_t off = 0; off < k;) {
                        ssize_t w = pwrite(fd, chunk + off, (size_t) (k - off),
                                           (off_t) (total + (uint64_t) off));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w <= 0) {
                                layer_ctx_warn(
                                        c,
                                        "not reading rpm database '%s': cannot write the temporary file: %s",
                                        f->path, w < 0 ? strerror(errno) : "short write");
                                return 1;
                        }
                        off += w;
                }
                total += (uint64_t) k;
        }
        if (total == 0)
                return 0;
        void *m = mmap(NULL, (size_t) total, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
                if (errno == ENOMEM)
                        return -ENOMEM;
                layer_ctx_warn(c, "not reading rpm database '%s': cannot map the temporary file: %s",
                               f->path, strerror(errno));
                return 1;
        }
        s->map = m;
        s->n = (size_t) total;
        return 0;
}

static int rpm_on_stream(struct layer_ctx *c, const struct layer_file *f, struct entry_reader *rd) {
        struct spool s = {0};
        int r;

        if (f->size > RPMDB_MAX_DB_BYTES) {
                layer_ctx_warn(c, "not reading rpm database '%s': %llu bytes is over the %llu MiB limit",
                               f->path, (unsigned long long) f->size,
                               (unsigned long long) (RPMDB_MAX_DB_BYTES / MiB));
                return 0;
        }
        r = spool(c, f, rd, &s);
        if (r == 0)
                r = rpmdb_read(c, f->path, s.mem ? s.mem : s.map, s.n);
        spool_done(&s);
        return r < 0 ? r : 0;
}

const struct analyzer analyzer_rpm = {
        .name = "rpm",
        .match = rpm_match,
        .sniff = SNIFF_ANY,
        .on_stream = rpm_on_stream,
};
