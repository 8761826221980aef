/* SPDX-License-Identifier: Apache-2.0 */
/* The policy.* commands of the control socket (model.h, control.h; stockade-policy(1)):
 *   policy.list                          → [{image, name, mode, counts…}]
 *   policy.show   {image}                → the model as JSON
 *   policy.export {image}                → {image, yaml}
 *   policy.apply  {yaml, name}           → {image}          (name: the file name, for errors)
 *   policy.mode   {image | all: true, mode} → {changed, images: […]} */
#include "core/json-util.h"
#include "model-internal.h"
#include "runtime/control.h"

static int resolve(struct model_registry *reg, json_t *args, struct diag *d, char *key, size_t keylen) {
        const char *q = json_get_str(args, "image");
        if (!q || !q[0])
                return diag_error(d, -EINVAL, "'image' is required");
        int r = model_find(reg, q, key, keylen);
        if (r == -ENOENT)
                return diag_error(d, r, "no model for image '%.256s'", q);
        if (r == -EEXIST)
                return diag_error(d, r, "'%.256s' names more than one model: give the image's digest or id",
                                  q);
        return r;
}

static int h_list(void *userdata, json_t *args, json_t **ret, struct diag *d) {
        struct model_registry *reg = userdata;
        _cleanup_free_ struct model_summary *v = NULL;
        int n = model_list(reg, &v);
        if (n < 0)
                return n;
        _cleanup_(json_decrefp) json_t *arr = json_array();
        if (!arr)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                struct model_summary *s = &v[i];
                json_t *o =
                        json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "image",
                                  s->key, "name", s->name, "mode", model_mode_name(s->mode), "learn_start",
                                  (json_int_t) s->learn_start_ms, "last_growth",
                                  (json_int_t) s->last_growth_ms, "last_seen", (json_int_t) s->last_seen_ms,
                                  "observations", (json_int_t) s->observations, "overflow",
                                  (json_int_t) s->overflow, "processes", (json_int_t) s->processes, "edges",
                                  (json_int_t) s->edges, "sequences", (json_int_t) s->sequences, "files",
                                  (json_int_t) s->files, "listen", (json_int_t) s->listen, "outbound",
                                  (json_int_t) s->outbound, "inbound", (json_int_t) s->inbound);
                if (!o || json_array_append_new(arr, o) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(arr);
        return 0;
}

static int h_show(void *userdata, json_t *args, json_t **ret, struct diag *d) {
        struct model_registry *reg = userdata;
        char key[256];
        _cleanup_(buf_free) struct buf b = BUF_INIT(0);
        int r = resolve(reg, args, d, key, sizeof key);
        if (r < 0)
                return r;
        r = model_export_json(reg, key, &b);
        if (r < 0)
                return r;
        json_error_t e;
        *ret = json_loadb(b.data, b.len, 0, &e);
        return *ret ? 0 : diag_error(d, -EIO, "cannot encode model '%s': %s", key, e.text);
}

static int h_export(void *userdata, json_t *args, json_t **ret, struct diag *d) {
        struct model_registry *reg = userdata;
        char key[256];
        _cleanup_(buf_free) struct buf b = BUF_INIT(0);
        int r = resolve(reg, args, d, key, sizeof key);
        if (r < 0)
                return r;
        r = model_export_yaml(reg, key, &b);
        if (r < 0)
                return r;
        *ret = json_pack("{s:s,s:s}", "image", key, "yaml", b.data ? b.data : "");
        return *ret ? 0 : -ENOMEM;
}

static int h_apply(void *userdata, json_t *args, json_t **ret, struct diag *d) {
        struct model_registry *reg = userdata;
        json_t *y = json_object_get(args, "yaml");
        const char *name = json_get_str(args, "name");
        char key[256];
        if (!json_is_string(y))
                return diag_error(d, -EINVAL, "'yaml' (the document's text) is required");
        int r = model_apply_yaml(reg, json_string_value(y), json_string_length(y), name ? name : "<policy>",
                                 d, key, sizeof key);
        if (r < 0)
                return r;
        *ret = json_pack("{s:s}", "image", key);
        return *ret ? 0 : -ENOMEM;
}

static int h_mode(void *userdata, json_t *args, json_t **ret, struct diag *d) {
        struct model_registry *reg = userdata;
        const char *ms = json_get_str(args, "mode");
        enum model_mode mode;
        char key[256];
        int r;
        if (!ms || model_mode_from_string(ms, &mode) < 0)
                return diag_error(d, -EINVAL, "'mode' must be learn, monitor or protect");
        _cleanup_(json_decrefp) json_t *images = json_array();
        if (!images)
                return -ENOMEM;
        if (json_get_bool(args, "all", false)) {
                r = model_set_mode_all(reg, mode);
                if (r < 0)
                        return diag_error(d, r, "cannot switch the models to %s: %s", ms, strerror(-r));
        } else {
                r = resolve(reg, args, d, key, sizeof key);
                if (r < 0)
                        return r;
                r = model_set_mode(reg, key, mode);
                if (r < 0)
                        return diag_error(d, r, "cannot switch model '%s' to %s: %s", key, ms, strerror(-r));
                json_array_append_new(images, json_string(key));
                r = 1;
        }
        *ret = json_pack("{s:i,s:s,s:O}", "changed", r, "mode", ms, "images", images);
        return *ret ? 0 : -ENOMEM;
}

int model_control_register(struct model_registry *reg, struct control *ctl) {
        static const struct {
                const char *name;
                control_fn fn;
        } cmds[] = {
                {"policy.list", h_list},   {"policy.show", h_show}, {"policy.export", h_export},
                {"policy.apply", h_apply}, {"policy.mode", h_mode},
        };
        for (size_t i = 0; i < ELEMENTSOF(cmds); i++) {
                int r = control_register(ctl, cmds[i].name, cmds[i].fn, reg);
                if (r < 0)
                        return r;
        }
        return 0;
}
