/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <sys/stat.h>

#include "image.h"

static const struct {
        const char *prefix;
        const struct image_source_ops *ops;
} prefixes[] = {
        { "docker-archive:", &image_source_docker_archive },
        { "oci:", &image_source_oci },
        { "oci-archive:", &image_source_docker_archive }, /* skopeo's name for a tarred layout */
        { "docker://", &image_source_registry },         /* skopeo's name; before "docker:" */
        { "docker:", &image_source_docker },
        { "docker-daemon:", &image_source_docker },      /* skopeo's name */
        { "registry:", &image_source_registry },
        { "dir:", &image_source_dir },
};

static int resolve(const char *target, struct diag *d, const struct image_source_ops **ret_ops,
                   const char **ret_ref) {
        struct stat st;

        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                size_t n = strlen(prefixes[i].prefix);
                if (strneq(target, prefixes[i].prefix, n)) {
                        if (!target[n])
                                return diag_error(d, -EINVAL, "target '%s' names no image", target);
                        *ret_ops = prefixes[i].ops;
                        *ret_ref = target + n;
                        return 0;
                }
        }

        /* A bare argument: an existing file or directory first, then the engine. */
        if (stat(target, &st) == 0) {
                if (S_ISDIR(st.st_mode)) {
                        char p[4096];
                        snprintf(p, sizeof p, "%s/oci-layout", target);
                        *ret_ops = access(p, F_OK) == 0 ? &image_source_oci : &image_source_dir;
                } else
                        *ret_ops = &image_source_docker_archive;
                *ret_ref = target;
                return 0;
        }
        if (strchr(target, '/') && (target[0] == '/' || target[0] == '.'))
                return diag_error(d, -ENOENT, "target '%s' does not exist", target);
        *ret_ops = &image_source_docker;
        *ret_ref = target;
        return 0;
}

int image_source_open(const char *target, const struct image_source_options *opts, struct diag *d,
                      struct image_source **ret) {
        const struct image_source_ops *ops;
        const char *ref;
        int r;

        r = resolve(target, d, &ops, &ref);
        if (r < 0)
                return r;

        _cleanup_(image_source_freep) struct image_source *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->ops = ops;
        s->opts = opts;
        s->diag = d;
        s->arena = arena_new(0);
        if (!s->arena)
                return -ENOMEM;
        s->image.target = arena_strdup(s->arena, target);
        s->image.source_kind = ops->kind;
        s->image.name = arena_strdup(s->arena, ref);
        if (!s->image.target || !s->image.name)
                return -ENOMEM;

        r = ops->open(s, ref);
        if (r < 0) {
                if (!diag_has_error(d))
                        diag_error(d, r, "cannot open image '%s': %s", target, strerror(-r));
                return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

void image_source_free(struct image_source *s) {
        if (!s)
                return;
        if (s->ops && s->ops->free)
                s->ops->free(s);
        arena_free(s->arena);
        free(s);
}
