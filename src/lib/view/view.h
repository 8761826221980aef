/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The image's final filesystem: layers applied in order, with whiteouts (".wh.NAME") and opaque
 * directories (".wh..wh..opq") honoured as the OCI image spec says (a whiteout hides only what lower
 * layers made), a non-directory replacing a directory removing everything below it, and every path
 * remembering the layer that last wrote it. Paths that a layer writes below a missing directory get an
 * implicit directory.
 *
 * The view borrows the layer results' file tables (it stores pointers into them): keep the layer
 * results alive as long as the view. Read-only once built: lookups may run from several threads. */

#include "layer/layer.h"

struct view;

struct view_entry {
        const struct layer_file *file; /* NULL for an implicit directory */
        int layer;                     /* index of the layer that last wrote it */
};

int view_build(struct layer_result *const *layers, size_t n_layers, struct diag *d, struct view **ret);
void view_free(struct view *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct view *, view_free);

/* The entry at exactly this path (no symlinks followed), or NULL. */
const struct view_entry *view_lookup(const struct view *v, const char *path);

/* Follows symlinks in every component, the last included, the way the kernel would inside a chroot
 * at the image root. Writes the resolved path to out (PATH_MAX_IMAGE + 1). -ENOENT when a component is
 * missing, -ELOOP after 40 links. */
int view_resolve(const struct view *v, const char *path, char *out);

/* Whether the file `path` written by layer `layer` is still what the image shows. */
enum file_state view_file_state(const struct view *v, const char *path, int layer);

/* Calls fn for every path in the final view (in no particular order). */
int view_foreach(const struct view *v, int (*fn)(void *userdata, const char *path, const struct view_entry *e),
                 void *userdata);

size_t view_size(const struct view *v);
