/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON documents of an image: index (or manifest list), manifest, config. All are hostile input:
 * sizes are capped, digests are checked, fields are type-checked, and counts are bounded. */

#include <string.h>

#include "core/json-util.h"
#include "image.h"

#define MAX_LAYERS 1000    /* more than any real image (the Docker limit is 127) */
#define MAX_HISTORY 4096
#define MAX_LIST 4096      /* env entries, ports, labels … */
#define MAX_INDEX_ENTRIES 1024

static size_t meta_cap(struct image_source *s) {
        return s->opts && s->opts->max_metadata_bytes ? s->opts->max_metadata_bytes : 8 * MiB;
}

static const char **keys_of(struct arena *a, json_t *obj) {
        if (!json_is_object(obj))
                return NULL;
        size_t n = MIN(json_object_size(obj), (size_t) MAX_LIST), k = 0;
        const char **v = arena_alloc(a, (n + 1) * sizeof *v);
        const char *key;
        json_t *val;
        if (!v)
                return NULL;
        json_object_foreach(obj, key, val) {
                if (k >= n)
                        break;
                v[k++] = arena_strdup(a, key);
        }
        v[k] = NULL;
        return v;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void sort_strv(const char **v) {
        size_t n = 0;
        if (!v)
                return;
        while (v[n])
                n++;
        qsort_safe(v, n, sizeof *v, cmp_str);
}

static int cmp_kv(const void *a, const void *b) {
        return strcmp(((const struct image_kv *) a)->key, ((const struct image_kv *) b)->key);
}

int image_parse_config(struct image_source *s, const char *data, size_t len, const char *expected_digest) {
        struct image *img = &s->image;
        struct arena *a = s->arena;
        struct image_config *c = &img->config;
        _cleanup_(json_decrefp) json_t *j = NULL;
        char digest[DIGEST_STR_MAX];
        char what[128];
        int r;

        r = sha256_str(data, len, digest);
        if (r < 0)
                return r;
        if (expected_digest && expected_digest[0] && !streq(expected_digest, digest))
                return diag_error(s->diag, -EBADMSG, "image config is corrupt: digest is %s, expected %s", digest,
                                  expected_digest);
        snprintf(what, sizeof what, "image config '%.19s'", digest);
        r = json_parse_capped(data, len, meta_cap(s), what, s->diag, &j);
        if (r < 0)
                return r;
        if (!json_is_object(j))
                return diag_error(s->diag, -EBADMSG, "%s is not a JSON object", what);

        img->id = arena_strdup(a, digest);
        img->config_raw = arena_memdup(a, data, len);
        img->config_len = len;
        if (!img->id || !img->config_raw)
                return -ENOMEM;

        c->os = arena_strdup(a, json_get_str(j, "os"));
        c->architecture = arena_strdup(a, json_get_str(j, "architecture"));
        c->variant = arena_strdup(a, json_get_str(j, "variant"));
        c->created = arena_strdup(a, json_get_str(j, "created"));

        json_t *cfg = json_get_obj(j, "config");
        if (cfg) {
                c->user = arena_strdup(a, json_get_str(cfg, "User"));
                c->working_dir = arena_strdup(a, json_get_str(cfg, "WorkingDir"));
                c->stop_signal = arena_strdup(a, json_get_str(cfg, "StopSignal"));
                c->env = json_strv_dup(a, json_get_arr(cfg, "Env"), MAX_LIST);
                c->cmd = json_strv_dup(a, json_get_arr(cfg, "Cmd"), MAX_LIST);
                c->entrypoint = json_strv_dup(a, json_get_arr(cfg, "Entrypoint"), MAX_LIST);
                c->exposed_ports = keys_of(a, json_get_obj(cfg, "ExposedPorts"));
                sort_strv(c->exposed_ports);
                c->volumes = keys_of(a, json_get_obj(cfg, "Volumes"));
                sort_strv(c->volumes);
                json_t *hc = json_get_obj(cfg, "Healthcheck");
                if (hc)
                        c->healthcheck = json_strv_dup(a, json_get_arr(hc, "Test"), MAX_LIST);
                json_t *labels = json_get_obj(cfg, "Labels");
                if (labels) {
                        size_t n = MIN(json_object_size(labels), (size_t) MAX_LIST);
                        c->labels = arena_alloc(a, (n + 1) * sizeof *c->labels);
                        if (!c->labels)
                                return -ENOMEM;
                        const char *key;
                        json_t *val;
                        json_object_foreach(labels, key, val) {
                                if (c->n_labels >= n)
                                        break;
                                if (!json_is_string(val))
                                        continue;
                                c->labels[c->n_labels++] = (struct image_kv){
                                        arena_strdup(a, key), arena_strdup(a, json_string_value(val)) };
                        }
                        qsort_safe(c->labels, c->n_labels, sizeof *c->labels, cmp_kv);
                }
        }

        json_t *hist = json_get_arr(j, "history");
        if (hist) {
                if (json_array_size(hist) > MAX_HISTORY)
                        return diag_error(s->diag, -E2BIG, "%s has %zu history entries (limit %d)", what,
                                          json_array_size(hist), MAX_HISTORY);
                c->history = arena_alloc(a, (json_array_size(hist) + 1) * sizeof *c->history);
                if (!c->history)
                        return -ENOMEM;
                size_t i;
                json_t *h;
                json_array_foreach(hist, i, h) {
                        if (!json_is_object(h))
                                continue;
                        c->history[c->n_history++] = (struct image_history){
                                .created = arena_strdup(a, json_get_str(h, "created")),
                                .created_by = arena_strdup(a, json_get_str(h, "created_by")),
                                .comment = arena_strdup(a, json_get_str(h, "comment")),
                                .empty_layer = json_get_bool(h, "empty_layer", false),
                        };
                }
        }

        json_t *rootfs = json_get_obj(j, "rootfs");
        json_t *ids = rootfs ? json_get_arr(rootfs, "diff_ids") : NULL;
        if (!ids)
                return diag_error(s->diag, -EBADMSG, "%s has no rootfs.diff_ids", what);
        if (json_array_size(ids) > MAX_LAYERS)
                return diag_error(s->diag, -E2BIG, "%s lists %zu layers (limit %d)", what, json_array_size(ids),
                                  MAX_LAYERS);
        c->diff_ids = arena_alloc(a, (json_array_size(ids) + 1) * sizeof *c->diff_ids);
        if (!c->diff_ids)
                return -ENOMEM;
        size_t i;
        json_t *v;
        json_array_foreach(ids, i, v) {
                const char *id = json_string_value(v);
                if (!json_is_string(v) || !digest_is_valid_sha256(id))
                        return diag_error(s->diag, -EBADMSG, "%s: rootfs.diff_ids[%zu] is not a sha256 digest",
                                          what, i);
                c->diff_ids[c->n_diff_ids++] = arena_strdup(a, id);
        }
        return 0;
}

static int parse_descriptor(struct image_source *s, json_t *d, const char *what, const char *field,
                            struct image_descriptor *ret) {
        struct arena *a = s->arena;
        const char *mt = json_get_str(d, "mediaType");
        const char *dg = json_get_str(d, "digest");
        json_t *size = json_is_object(d) ? json_object_get(d, "size") : NULL;

        if (!dg)
                return diag_error(s->diag, -EBADMSG, "%s: %s has no digest", what, field);
        if (!digest_is_valid_sha256(dg)) {
                if (digest_looks_like_digest(dg))
                        return diag_error(s->diag, -EPROTONOSUPPORT, "%s: %s uses unsupported digest '%.80s'",
                                          what, field, dg);
                return diag_error(s->diag, -EBADMSG, "%s: %s has a malformed digest '%.80s'", what, field, dg);
        }
        if (size && (!json_is_integer(size) || json_integer_value(size) < 0))
                return diag_error(s->diag, -EBADMSG, "%s: %s has an invalid size", what, field);
        *ret = (struct image_descriptor){
                .media_type = arena_strdup(a, mt),
                .digest = arena_strdup(a, dg),
                .size = size ? (uint64_t) json_integer_value(size) : 0,
        };
        json_t *p = json_get_obj(d, "platform");
        if (p) {
                ret->platform_os = arena_strdup(a, json_get_str(p, "os"));
                ret->platform_arch = arena_strdup(a, json_get_str(p, "architecture"));
                ret->platform_variant = arena_strdup(a, json_get_str(p, "variant"));
        }
        return 0;
}

int image_parse_manifest(struct image_source *s, const char *data, size_t len, const char *what,
                         struct image_descriptor *ret_config, struct image_descriptor **ret_layers,
                         size_t *ret_n) {
        _cleanup_(json_decrefp) json_t *j = NULL;
        int r;

        r = json_parse_capped(data, len, meta_cap(s), what, s->diag, &j);
        if (r < 0)
                return r;
        if (!json_is_object(j))
                return diag_error(s->diag, -EBADMSG, "%s is not a JSON object", what);
        long long sv = json_get_int(j, "schemaVersion", -1);
        if (sv != 2)
                return diag_error(s->diag, -EPROTONOSUPPORT, "%s has schemaVersion %lld; only 2 is supported", what,
                                  sv);
        const char *mt = json_get_str(j, "mediaType");
        if (mt && (streq(mt, MT_OCI_INDEX) || streq(mt, MT_DOCKER_LIST)))
                return diag_error(s->diag, -EMEDIUMTYPE, "%s is an index, not a manifest", what);
        if (mt && !streq(mt, MT_OCI_MANIFEST) && !streq(mt, MT_DOCKER_MANIFEST))
                return diag_error(s->diag, -EPROTONOSUPPORT, "%s has unsupported media type '%.100s'", what, mt);

        json_t *cfg = json_get_obj(j, "config");
        if (!cfg)
                return diag_error(s->diag, -EBADMSG, "%s has no config descriptor", what);
        r = parse_descriptor(s, cfg, what, "config", ret_config);
        if (r < 0)
                return r;

        json_t *layers = json_get_arr(j, "layers");
        if (!layers)
                return diag_error(s->diag, -EBADMSG, "%s has no layers", what);
        size_t n = json_array_size(layers);
        if (n > MAX_LAYERS)
                return diag_error(s->diag, -E2BIG, "%s lists %zu layers (limit %d)", what, n, MAX_LAYERS);
        struct image_descriptor *v = arena_alloc(s->arena, (n + 1) * sizeof *v);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char field[32];
                snprintf(field, sizeof field, "layers[%zu]", i);
                r = parse_descriptor(s, json_array_get(layers, i), what, field, &v[i]);
                if (r < 0)
                        return r;
        }
        *ret_layers = v;
        *ret_n = n;
        return 0;
}

int image_platform_parse(const char *s, char **ret_os, char **ret_arch, char **ret_variant) {
        _cleanup_free_ char *copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        char *os = copy, *arch = strchr(copy, '/'), *variant = NULL;
        if (!arch || arch == os || !arch[1])
                return -EINVAL;
        *arch++ = 0;
        variant = strchr(arch, '/');
        if (variant) {
                *variant++ = 0;
                if (!*variant || strchr(variant, '/'))
                        return -EINVAL;
        }
        *ret_os = strdup(os);
        *ret_arch = strdup(arch);
        *ret_variant = variant ? strdup(variant) : NULL;
        if (!*ret_os || !*ret_arch || (variant && !*ret_variant)) {
                free(*ret_os);
                free(*ret_arch);
                free(*ret_variant);
                return -ENOMEM;
        }
        return 0;
}

int image_pick_from_index(struct image_source *s, const char *data, size_t len, const char *what,
                          struct image_descriptor *ret) {
        _cleanup_(json_decrefp) json_t *j = NULL;
        _cleanup_free_ char *os = NULL, *arch = NULL, *variant = NULL;
        const char *want = s->opts && s->opts->platform ? s->opts->platform : "linux/amd64";
        int r;

        r = image_platform_parse(want, &os, &arch, &variant);
        if (r < 0)
                return diag_error(s->diag, r, "invalid platform '%s': expected OS/ARCH[/VARIANT]", want);
        r = json_parse_capped(data, len, meta_cap(s), what, s->diag, &j);
        if (r < 0)
                return r;
        json_t *ms = json_get_arr(j, "manifests");
        if (!ms)
                return diag_error(s->diag, -EBADMSG, "%s has no manifests", what);
        if (json_array_size(ms) > MAX_INDEX_ENTRIES)
                return diag_error(s->diag, -E2BIG, "%s lists too many manifests", what);

        struct image_descriptor best = { 0 };
        size_t n_manifests = 0, i;
        json_t *m;
        json_array_foreach(ms, i, m) {
                struct image_descriptor d;
                char field[32];
                snprintf(field, sizeof field, "manifests[%zu]", i);
                r = parse_descriptor(s, m, what, field, &d);
                if (r < 0)
                        return r;
                /* Attestation manifests (buildkit) are not images. */
                json_t *ann = json_get_obj(m, "annotations");
                const char *ref_type = ann ? json_get_str(ann, "vnd.docker.reference.type") : NULL;
                if (ref_type && streq(ref_type, "attestation-manifest"))
                        continue;
                if (d.media_type && !streq(d.media_type, MT_OCI_MANIFEST) && !streq(d.media_type, MT_DOCKER_MANIFEST) &&
                    !streq(d.media_type, MT_OCI_INDEX) && !streq(d.media_type, MT_DOCKER_LIST))
                        continue;
                n_manifests++;
                if (!d.platform_os && !d.platform_arch) {
                        /* A single-image layout (docker save, umoci) often omits the platform. */
                        if (!best.digest)
                                best = d;
                        continue;
                }
                if (!streq_ptr(d.platform_os, os) || !streq_ptr(d.platform_arch, arch))
                        continue;
                if (variant && d.platform_variant && !streq(variant, d.platform_variant))
                        continue;
                /* An exact platform match beats one without platform. */
                if (!best.digest || !best.platform_arch)
                        best = d;
        }
        if (!best.digest) {
                if (n_manifests == 0)
                        return diag_error(s->diag, -ENOENT, "%s lists no image manifests", what);
                return diag_error(s->diag, -ENOENT, "%s has no image for platform %s", what, want);
        }
        *ret = best;
        return 0;
}

static bool layer_media_type_ok(const char *mt) {
        static const char *const ok[] = {
                "application/vnd.oci.image.layer.v1.tar",
                "application/vnd.oci.image.layer.v1.tar+gzip",
                "application/vnd.oci.image.layer.v1.tar+zstd",
                "application/vnd.oci.image.layer.nondistributable.v1.tar",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
                "application/vnd.docker.image.rootfs.diff.tar",
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                "application/vnd.docker.image.rootfs.diff.tar.zstd",
        };
        if (!mt)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(ok); i++)
                if (streq(mt, ok[i]))
                        return true;
        return false;
}

int image_set_layers(struct image_source *s, const struct image_descriptor *descs, size_t n) {
        struct image *img = &s->image;
        const struct image_config *c = &img->config;

        if (n != c->n_diff_ids)
                return diag_error(s->diag, -EBADMSG,
                                  "image %s is inconsistent: the manifest lists %zu layers, the config %zu diff_ids",
                                  img->name ? img->name : "?", n, c->n_diff_ids);
        img->layers = arena_alloc(s->arena, (n + 1) * sizeof *img->layers);
        if (!img->layers)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct image_layer *l = &img->layers[i];
                if (descs && !layer_media_type_ok(descs[i].media_type))
                        return diag_error(s->diag, -EPROTONOSUPPORT, "layer %zu has unsupported media type '%.100s'",
                                          i, descs[i].media_type);
                if (descs) {
                        snprintf(l->digest, sizeof l->digest, "%s", descs[i].digest);
                        l->media_type = descs[i].media_type;
                        l->size = descs[i].size;
                }
                snprintf(l->diff_id, sizeof l->diff_id, "%s", c->diff_ids[i]);
        }
        img->n_layers = n;
        image_attach_history(img);
        return 0;
}

void image_attach_history(struct image *img) {
        struct image_config *c = &img->config;
        size_t li = 0;
        /* History has one entry per Dockerfile step; only those without empty_layer made a layer. When
         * the counts disagree (squashed or hand-made images) we leave created_by unset rather than guess. */
        size_t non_empty = 0;
        for (size_t i = 0; i < c->n_history; i++)
                non_empty += !c->history[i].empty_layer;
        if (non_empty != img->n_layers)
                return;
        for (size_t i = 0; i < c->n_history && li < img->n_layers; i++)
                if (!c->history[i].empty_layer)
                        img->layers[li++].created_by = c->history[i].created_by;
}
