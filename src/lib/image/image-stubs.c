/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholders for the engine and registry sources until they land (replaced by image-docker.c and
 * image-registry.c). */

#include "image.h"

static int docker_open(struct image_source *s, const char *ref) {
        return diag_error(s->diag, -EPROTONOSUPPORT, "docker: targets are not implemented yet");
}

static int registry_open(struct image_source *s, const char *ref) {
        return diag_error(s->diag, -EPROTONOSUPPORT, "registry: targets are not implemented yet");
}

const struct image_source_ops image_source_docker = { .kind = "docker", .open = docker_open };
const struct image_source_ops image_source_registry = { .kind = "registry", .open = registry_open };
