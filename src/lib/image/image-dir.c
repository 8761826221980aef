/* SPDX-License-Identifier: Apache-2.0 */
/* dir: a root filesystem on disk. There is no config and no layer list: the scanner reads it as one
 * layer with layer_analyze_dir(). */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"

static int dir_open(struct image_source *s, const char *ref) {
        struct stat st;
        if (stat(ref, &st) < 0)
                return diag_error(s->diag, negative_errno(), "cannot open root filesystem '%s': %s", ref,
                                  strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return diag_error(s->diag, -ENOTDIR, "root filesystem '%s' is not a directory", ref);
        s->image.rootfs_dir = arena_strdup(s->arena, ref);
        return s->image.rootfs_dir ? 0 : -ENOMEM;
}

const struct image_source_ops image_source_dir = {
        .kind = "dir",
        .open = dir_open,
};
