/* SPDX-License-Identifier: Apache-2.0 */
/* Temporary stand-in until the hyperscan engine lands: no rules, no matches. */
#include <stdlib.h>

#include "secrets.h"

struct secrets_engine {
        int unused;
};
struct secrets_scratch {
        int unused;
};

int secrets_engine_load(const char *path, struct diag *d, struct secrets_engine **ret) {
        *ret = calloc(1, sizeof **ret);
        return *ret ? 0 : -ENOMEM;
}
void secrets_engine_free(struct secrets_engine *e) {
        free(e);
}
const char *secrets_engine_digest(const struct secrets_engine *e) {
        return "stub";
}
size_t secrets_engine_rule_count(const struct secrets_engine *e) {
        return 0;
}
bool secrets_engine_wants(const struct secrets_engine *e, const char *path, uint64_t size) {
        return false;
}
int secrets_scratch_new(const struct secrets_engine *e, struct secrets_scratch **ret) {
        *ret = calloc(1, sizeof **ret);
        return *ret ? 0 : -ENOMEM;
}
void secrets_scratch_free(struct secrets_scratch *s) {
        free(s);
}
int secrets_scan(const struct secrets_engine *e, struct secrets_scratch *s, const void *data, size_t n,
                 secret_match_fn fn, void *userdata) {
        return 0;
}
