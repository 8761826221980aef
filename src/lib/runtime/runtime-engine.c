/* SPDX-License-Identifier: Apache-2.0 */
/* The Docker engine API's answers, parsed defensively: bodies are capped, every field's type checked,
 * ids must be 64 hex digits, strings and label counts are bounded. And the container snapshots that
 * events carry. */

#include <string.h>

#include "core/json-util.h"
#include "runtime-internal.h"

struct rt_container *rt_container_ref(struct rt_container *c) {
        if (c)
                atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
        return c;
}

void rt_container_unref(struct rt_container *c) {
        if (!c || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
                return;
        free(c->name);
        free(c->image);
        free(c->image_id);
        free(c->image_digest);
        for (size_t i = 0; c->labels && i < 2 * c->n_labels; i++)
                free(c->labels[i]);
        free(c->labels);
        free(c);
}

const char *rt_container_label(const struct rt_container *c, const char *key) {
        for (size_t i = 0; c && i < c->n_labels; i++)
                if (streq(c->labels[2 * i], key))
                        return c->labels[2 * i + 1];
        return NULL;
}

struct rt_container *rt_container_new_bare(const char id[static 65]) {
        struct rt_container *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        memcpy(c->id, id, 64);
        c->id[64] = 0;
        c->incomplete = true;
        atomic_init(&c->refs, 1);
        return c;
}

/* A string field, copied when present and not longer than ENGINE_STRING_MAX (else NULL). */
static int dup_field(const json_t *obj, const char *key, char **ret) {
        const char *s = json_get_str(obj, key);
        *ret = NULL;
        if (!s || strlen(s) > ENGINE_STRING_MAX)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int engine_parse_list(const char *body, size_t len, size_t max, char (**ret)[65], size_t *ret_n,
                      struct diag *d) {
        _cleanup_(json_decrefp) json_t *j = NULL;
        int r = json_parse_capped(body, len, ENGINE_BODY_MAX, "the engine's container list", d, &j);
        if (r < 0)
                return r;
        if (!json_is_array(j))
                return diag_error(d, -EBADMSG, "the engine's container list is not an array");
        size_t n = MIN(json_array_size(j), max), k = 0;
        _cleanup_free_ char(*ids)[65] = calloc(n ? n : 1, sizeof(*ids));
        if (!ids)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *id = json_get_str(json_array_get(j, i), "Id");
                if (!rt_is_container_id(id))
                        continue; /* not an id we could match to a cgroup anyway */
                memcpy(ids[k++], id, 65);
        }
        *ret = TAKE_PTR(ids);
        *ret_n = k;
        return 0;
}

int engine_parse_inspect(const char *body, size_t len, struct rt_container **ret, struct diag *d) {
        _cleanup_(json_decrefp) json_t *j = NULL;
        int r = json_parse_capped(body, len, ENGINE_BODY_MAX, "the engine's container inspect answer", d,
                                  &j);
        if (r < 0)
                return r;
        const char *id = json_get_str(j, "Id");
        if (!rt_is_container_id(id))
                return diag_error(d, -EBADMSG, "the engine's container inspect answer has no valid Id");
        _cleanup_(rt_container_unrefp) struct rt_container *c = rt_container_new_bare(id);
        if (!c)
                return -ENOMEM;
        c->incomplete = false;

        const char *name = json_get_str(j, "Name");
        if (name && strlen(name) <= ENGINE_STRING_MAX) {
                c->name = strdup(name[0] == '/' ? name + 1 : name);
                if (!c->name)
                        return -ENOMEM;
        }
        if ((r = dup_field(j, "Image", &c->image_id)) < 0)
                return r;
        json_t *config = json_get_obj(j, "Config");
        if ((r = dup_field(config, "Image", &c->image)) < 0)
                return r;
        json_t *state = json_get_obj(j, "State");
        long long pid = json_get_int(state, "Pid", 0);
        c->pid = pid > 0 && pid <= INT32_MAX ? (uint32_t) pid : 0;

        json_t *labels = json_get_obj(config, "Labels");
        if (labels) {
                size_t n = MIN(json_object_size(labels), (size_t) ENGINE_LABELS_MAX), k = 0;
                c->labels = calloc(2 * n + 1, sizeof(char *));
                if (!c->labels)
                        return -ENOMEM;
                const char *key;
                json_t *v;
                json_object_foreach(labels, key, v) {
                        if (k == n)
                                break;
                        if (!json_is_string(v) || strlen(key) > ENGINE_STRING_MAX ||
                            json_string_length(v) > ENGINE_STRING_MAX ||
                            strlen(json_string_value(v)) != json_string_length(v))
                                continue;
                        c->labels[2 * k] = strdup(key);
                        c->labels[2 * k + 1] = strdup(json_string_value(v));
                        if (!c->labels[2 * k] || !c->labels[2 * k + 1]) {
                                c->n_labels = k + 1;
                                return -ENOMEM;
                        }
                        k++;
                }
                c->n_labels = k;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int engine_parse_image(const char *body, size_t len, char **ret_digest, struct diag *d) {
        _cleanup_(json_decrefp) json_t *j = NULL;
        int r = json_parse_capped(body, len, ENGINE_BODY_MAX, "the engine's image inspect answer", d, &j);
        if (r < 0)
                return r;
        if (!json_is_object(j))
                return diag_error(d, -EBADMSG, "the engine's image inspect answer is not an object");
        *ret_digest = NULL;
        json_t *digests = json_get_arr(j, "RepoDigests");
        for (size_t i = 0; digests && i < json_array_size(digests); i++) {
                json_t *e = json_array_get(digests, i);
                if (!json_is_string(e) || json_string_length(e) > ENGINE_STRING_MAX ||
                    strlen(json_string_value(e)) != json_string_length(e) ||
                    !strchr(json_string_value(e), '@'))
                        continue;
                *ret_digest = strdup(json_string_value(e));
                return *ret_digest ? 0 : -ENOMEM;
        }
        return 0;
}

int engine_parse_event(const char *line, size_t len, struct engine_event *ret, struct diag *d) {
        _cleanup_(json_decrefp) json_t *j = NULL;
        int r = json_parse_capped(line, len, ENGINE_EVENT_MAX, "an engine event", d, &j);
        if (r < 0)
                return r;
        if (!json_is_object(j))
                return diag_error(d, -EBADMSG, "an engine event is not an object");
        const char *type = json_get_str(j, "Type");
        const char *action = json_get_str(j, "Action");
        const char *id = json_get_str(json_get_obj(j, "Actor"), "ID");
        if (!id)
                id = json_get_str(j, "id"); /* the pre-1.22 form */
        if (!action)
                action = json_get_str(j, "status");
        if (!type || !action)
                return diag_error(d, -EBADMSG, "an engine event has no Type or Action");
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->type, sizeof(ret->type), "%s", type);
        snprintf(ret->action, sizeof(ret->action), "%s", action);
        if (rt_is_container_id(id))
                memcpy(ret->id, id, 65);
        return 0;
}
