/* SPDX-License-Identifier: Apache-2.0 */
/* Control socket requests (control.h), untrusted bytes from a client: every line through
 * control_dispatch() with the policy.* commands registered on a scratch models database. Each answer
 * must be one JSON line with "ok". */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/control.h"
#include "runtime/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct control *ctl;
static struct model_registry *reg;
static char dir[] = "/tmp/stockade-fuzz-control-XXXXXX";

static void cleanup(void) {
        char cmd[128];
        control_free(ctl);
        model_registry_free(reg);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", dir);
}

static void setup(void) {
        struct diag d;
        diag_init(&d);
        if (!mkdtemp(dir) || model_registry_open(dir, NULL, &d, &reg) < 0 || control_new(&ctl) < 0 ||
            model_control_register(reg, ctl) < 0)
                abort();
        diag_done(&d);
        atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (!ctl)
                setup();
        const char *p = (const char *) data, *end = p + size;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) + 1 : (size_t) (end - p);
                struct buf out = BUF_INIT(0);
                if (control_dispatch(ctl, p, n, &out) < 0)
                        abort();
                json_t *j = json_loadb(out.data, out.len, 0, NULL);
                if (!j || !json_is_boolean(json_object_get(j, "ok")) || out.data[out.len - 1] != '\n' ||
                    memchr(out.data, '\n', out.len) != out.data + out.len - 1)
                        abort();
                json_decref(j);
                buf_free(&out);
                p += n;
        }
        return 0;
}
