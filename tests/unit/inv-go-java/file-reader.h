/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Test helpers: an entry_reader over a real file (read in blocks, as the layer walkers deliver them, so
 * large binaries are never loaded whole), and running one stream analyzer on a file or a buffer. */

#include "layer/layer-internal.h"

/* Declared here without inventory/catalogers.h's weak attribute: the tests need them. */
extern const struct analyzer analyzer_go;
extern const struct analyzer analyzer_java;

struct file_reader {
        struct entry_reader r;
        int fd;
        uint64_t off;
        size_t block;
        unsigned char buf[256 * 1024];
};

/* Opens path; block is the size of the blocks handed out (odd sizes exercise boundaries). NULL on error. */
struct file_reader *file_reader_open(const char *path, size_t block);
void file_reader_close(struct file_reader *fr);

/* An entry_reader over memory that hands out blocks of `block` bytes (free with free()). */
struct entry_reader *chunk_reader_new(const void *data, size_t n, size_t block);

/* Runs analyzer a on the file (standalone layer pass); returns the context, to inspect and free with
 * layer_ctx_free_standalone(). image_path is the path recorded (record_path). */
struct layer_ctx *run_analyzer_file(const struct analyzer *a, const char *path, const char *image_path,
                                    size_t block);
struct layer_ctx *run_analyzer_mem(const struct analyzer *a, const void *data, size_t n,
                                   const char *image_path);
/* The same in blocks of `block` bytes. */
struct layer_ctx *run_analyzer_chunked(const struct analyzer *a, const void *data, size_t n, size_t block,
                                       const char *image_path);
/* Number of warnings containing needle. */
size_t count_warnings(struct layer_ctx *c, const char *needle);

struct zip_member {
        const char *name;
        const void *data;
        size_t len;
};

/* A zip of n (at most 16) stored members, with data descriptors if dd, into buf; returns its size. */
size_t zip_craft(const struct zip_member *m, size_t n, bool dd, uint8_t *buf, size_t cap);

/* Finds a package by name (and version if non-NULL) in the result. */
const struct pkg *find_pkg(struct layer_ctx *c, const char *name, const char *version);
void dump_result(struct layer_ctx *c);
