/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until image-registry.c lands (meson picks that file when it exists). */

#include "image.h"

static int registry_open(struct image_source *s, const char *ref) {
        return diag_error(s->diag, -EPROTONOSUPPORT, "registry: targets are not implemented yet");
}

const struct image_source_ops image_source_registry = { .kind = "registry", .open = registry_open };
