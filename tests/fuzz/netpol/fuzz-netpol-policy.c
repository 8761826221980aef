/* SPDX-License-Identifier: Apache-2.0 */
/* Network policy YAML (stockade-netpol(5)): written by people, applied by root. A policy that parses
 * must write back to YAML that parses to the same text again, and its Kubernetes export must not fail. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netpol/netpol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct diag d;
        struct np_policy *p = NULL, *p2 = NULL;
        diag_init(&d);
        if (np_policy_parse((const char *) data, size, "fuzz.yaml", &p, &d) == 0) {
                struct buf y = BUF_INIT(0), y2 = BUF_INIT(0), k = BUF_INIT(0);
                if (np_policy_to_yaml(p, &y) < 0 || np_policy_to_k8s(p, "ns", &k) < 0)
                        abort();
                if (np_policy_parse(y.data, y.len, "again.yaml", &p2, &d) != 0)
                        abort(); /* what we write, we read */
                if (np_policy_to_yaml(p2, &y2) < 0 || strcmp(y.data, y2.data) != 0)
                        abort();
                for (size_t i = 0; i < p->n_workloads; i++) {
                        struct buf n = BUF_INIT(0);
                        if (np_nft_build(&p->workloads[i], NP_MODE_PROTECT, NULL, NULL, &n) < 0)
                                abort();
                        buf_free(&n);
                }
                np_policy_free(p2);
                buf_free(&y);
                buf_free(&y2);
                buf_free(&k);
        }
        np_policy_free(p);
        diag_done(&d);
        return 0;
}
