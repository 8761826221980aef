/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until image-docker.c lands (meson picks that file when it exists). */

#include "image.h"

static int docker_open(struct image_source *s, const char *ref) {
        return diag_error(s->diag, -EPROTONOSUPPORT, "docker: targets are not implemented yet");
}

const struct image_source_ops image_source_docker = { .kind = "docker", .open = docker_open };
