/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared by the source kinds; not for other modules. */

#include "hashmap.h"
#include "image.h"
#include "tar-index.h"

/* Where the members of an image archive or layout live. */
enum store_kind {
        STORE_DIR, /* an OCI layout or extracted `docker save` directory */
        STORE_TAR, /* an uncompressed tar file, indexed */
        STORE_MEM, /* small members kept from a stream (metadata) */
};

struct mem_member {
        const char *name;
        const char *data; /* NULL for a link */
        size_t len;
        const char *link; /* link target member */
};

struct store {
        enum store_kind kind;
        int fd;                   /* DIR: the directory; TAR: the file */
        uint64_t file_size;       /* TAR */
        struct tar_index *index;  /* TAR */
        struct hashmap *mem;      /* MEM: name -> struct mem_member */
        struct arena *mem_arena;
        const char *what;         /* for messages: the path given */
};

void store_done(struct store *st);
bool store_has(struct store *st, const char *name);
/* Reads a whole member of at most cap bytes (NUL-terminated). */
int store_read_small(struct image_source *s, struct store *st, const char *name, size_t cap, char **ret,
                     size_t *ret_len);
/* Opens a member for streaming; *ret_handle must be passed to store_close(). */
int store_open(struct image_source *s, struct store *st, const char *name, struct byte_source *ret_src,
               void **ret_handle);
void store_close(void *handle);
/* Resolves member links in a MEM store (docker save links duplicate layers); returns name if not a link. */
const char *store_resolve(struct store *st, const char *name);

/* Reads the image description from a store holding a docker-save archive (manifest.json) or an OCI
 * layout (index.json), filling s->image (config, layers with their member names). */
int store_load_image(struct image_source *s, struct store *st);

/* Walks a tar stream (optionally gzip/zstd/xz-compressed) holding a docker-save archive or an OCI layout:
 * layer-like members go to on_blob as they come, metadata is kept, and at the end s->image is filled
 * from it. on_blob is called once per member that may be a layer; it must consume the source (or
 * return an error) and decides itself what to do with members that turn out not to be layers. */
int image_stream_archive(struct image_source *s, const struct byte_source *outer,
                         int (*on_blob)(void *userdata, const char *member, const struct byte_source *src),
                         void *userdata);

#define META_CAP(s) ((s)->opts && (s)->opts->max_metadata_bytes ? (s)->opts->max_metadata_bytes : 8 * MiB)
