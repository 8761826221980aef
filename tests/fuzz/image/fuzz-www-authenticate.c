/* SPDX-License-Identifier: Apache-2.0 */
/* WWW-Authenticate values as a registry might send them (two headers: the input split at a newline). */
#include "fuzz-util.h"
#include "image/image-remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_strdup(data, size);
        char *second = strchr(s, '\n');
        if (second)
                *second++ = 0;
        struct auth_challenge *c = NULL;
        size_t n = 0;
        int r = www_authenticate_parse(s, &c, &n);
        if (r < 0 && n != 0)
                abort(); /* a failure appends nothing */
        if (second) {
                size_t before = n;
                r = www_authenticate_parse(second, &c, &n);
                if (r < 0 && n != before)
                        abort();
        }
        if (n > AUTH_MAX_CHALLENGES)
                abort();
        for (size_t i = 0; i < n; i++) {
                if (!c[i].scheme || !c[i].scheme[0] || c[i].n_params > AUTH_MAX_PARAMS)
                        abort();
                for (const char *p = c[i].scheme; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                abort();
                for (size_t j = 0; j < c[i].n_params; j++)
                        if (!c[i].params[j].name || !c[i].params[j].value)
                                abort();
                (void) auth_challenge_param(&c[i], "realm");
        }
        auth_challenges_free(c, n);
        free(s);
        return 0;
}
