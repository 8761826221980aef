/* SPDX-License-Identifier: Apache-2.0 */
/* Docker client config.json: REGISTRY "\n" JSON. */
#include "fuzz-util.h"
#include "image/image-remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > (1 << 20))
                return 0;
        char *s = fuzz_strdup(data, size);
        char *json = strchr(s, '\n');
        if (json)
                *json++ = 0;
        else
                json = s + size;
        struct registry_credentials c = {0};
        const char *why = NULL;
        char *helper = NULL;
        int r = docker_config_lookup(json, strlen(json), s, &c, &why, &helper);
        if (r == 0 && !c.username && !c.identity_token)
                abort();
        if (r == -EBADMSG && !why)
                abort();
        registry_credentials_done(&c);
        free(helper);
        free(s);
        return 0;
}
