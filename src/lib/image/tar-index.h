/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* An index of the members of an uncompressed tar file (a `docker save` archive or a tarred OCI layout),
 * so layers can be read by offset, several at a time, and skipped entirely when cached. Only what such
 * archives use is accepted: ustar/pax/GNU headers, regular files, directories, and symlinks or hard links
 * between members (docker save links duplicate layers). Everything is bounds-checked; this parser has a
 * fuzz target (tests/fuzz/fuzz-tar-index.c).
 *
 * Not thread-safe to build; lookups on a built index may run concurrently. */

#include "arena.h"
#include "core/diag.h"
#include "hashmap.h"

struct tar_member {
        const char *name;   /* normalized member name */
        uint64_t offset;    /* of the data in the file */
        uint64_t size;
        char type;          /* '0' file, '5' dir, '1' hard link, '2' symlink */
        const char *link;   /* link target, normalized and resolved relative to the member's directory */
};

struct tar_index {
        struct arena *arena;
        struct hashmap *by_name;
        struct tar_member *members;
        size_t n_members;
};

#define TAR_INDEX_MAX_MEMBERS 100000

/* Reads headers with pread() from fd (file of file_size bytes). Errors name `what`. */
int tar_index_build(int fd, uint64_t file_size, const char *what, struct diag *d, struct tar_index **ret);
void tar_index_free(struct tar_index *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct tar_index *, tar_index_free);

/* Looks a member up by name, following member links (at most 8 hops). NULL when absent. */
const struct tar_member *tar_index_lookup(const struct tar_index *t, const char *name);

/* Parses a numeric header field (octal, or GNU base-256). 0, -EBADMSG or -EOVERFLOW. */
int tar_header_parse_size(const unsigned char *field, size_t len, uint64_t *ret);
