/* SPDX-License-Identifier: Apache-2.0 */
/* ImageProfile YAML (stockade-policy(5)), untrusted: what `stockade policy apply` sends to the agent.
 * A document that parses must write back as YAML that parses again to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/model-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct diag d;
        struct model *m = NULL;
        diag_init(&d);
        if (policy_yaml_parse((const char *) data, size, "fuzz.yaml", &d, &m) == 0) {
                struct buf a = BUF_INIT(0), b = BUF_INIT(0), j = BUF_INIT(0);
                struct model *m2 = NULL;
                if (policy_yaml_emit(m, &a) < 0 || policy_json_emit(m, &j) < 0)
                        abort();
                if (policy_yaml_parse(a.data, a.len, "again.yaml", &d, &m2) < 0) {
                        fprintf(stderr, "%s\n%s\n", d.error, a.data);
                        abort();
                }
                /* status times differ (applied now): compare the spec only */
                if (policy_yaml_emit(m2, &b) < 0)
                        abort();
                char *sa = strstr(a.data, "\nstatus:"), *sb = strstr(b.data, "\nstatus:");
                if (!sa || !sb || sa - a.data != sb - b.data ||
                    memcmp(a.data, b.data, (size_t) (sa - a.data)) != 0)
                        abort();
                model_free_(m2);
                buf_free(&a);
                buf_free(&b);
                buf_free(&j);
                model_free_(m);
        } else if (!d.error[0] && size <= 4 * 1024 * 1024)
                abort(); /* every refusal says why */
        diag_done(&d);
        return 0;
}
