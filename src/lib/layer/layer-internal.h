/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared between the tar walker, the directory walker and the result helpers; not for other modules. */

#include "buf.h"
#include "layer.h"

struct secrets_scratch;

/* Where an entry_reader gets its bytes from: a libarchive member or an open file. */
struct entry_reader {
        /* Returns 1 with the next block of data at file offset *off (offsets only grow; a gap before a
         * block is a hole that reads as zeros), 0 at the end, or a negative errno. */
        int (*next_block)(void *userdata, const void **data, size_t *n, int64_t *off);
        void *userdata;
        uint64_t size;  /* declared size of the member */
        uint64_t limit; /* reads stop here (min of size and the stream cap) */
        uint64_t pos;   /* bytes delivered so far */
        const unsigned char *blk;
        size_t blk_len;   /* bytes of blk not yet delivered */
        uint64_t blk_off; /* file offset of blk[0] */
        bool have_blk, eof;
        int error;
        /* A few bytes read ahead to sniff the content type; served before anything else. */
        unsigned char peek[64];
        size_t peek_len, peek_pos;
};

/* Reads up to n bytes ahead without consuming them (at most sizeof peek); returns how many are there. */
size_t entry_reader_peek(struct entry_reader *r, const unsigned char **ret, size_t n);

struct layer_ctx {
        struct layer_result *res;
        const struct layer_options *opts;
        struct diag *diag;
        struct secrets_scratch *secrets_scratch;
        struct buf content; /* reused buffer for whole-file analyzers */
        const char *layer_name;
};

int layer_ctx_init(struct layer_ctx *c, const struct layer_options *opts, struct diag *d, const char *name);
void layer_ctx_done(struct layer_ctx *c);

/* Classifies a normalized member name (whiteouts) and appends the file to the table. Returns the stored
 * entry, or NULL after a warning when the entry must be skipped; *ret_err is set for fatal errors. */
struct layer_file *layer_ctx_add_file(struct layer_ctx *c, const struct layer_file *f, int *ret_err);

/* Runs the analyzers and the secret scanner on a regular file whose content r delivers. */
int layer_ctx_process_content(struct layer_ctx *c, const struct layer_file *f, struct entry_reader *r);
