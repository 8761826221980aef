/* SPDX-License-Identifier: Apache-2.0 */
#include "image-internal.h"
#include "image-remote.h"
#include "path-util.h"

static int docker_open(struct image_source *s, const char *ref) {
        return diag_error(s->diag, -EPROTONOSUPPORT, "docker: targets are not implemented yet");
}

const struct image_source_ops image_source_docker = { .kind = "docker", .open = docker_open };

int docker_image_from_inspect(struct image_source *s, const char *name, const char *inspect, size_t inspect_len,
                              const char *history, size_t history_len) {
        return -ENOSYS;
}
