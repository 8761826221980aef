/* SPDX-License-Identifier: Apache-2.0 */
/* The graph file is read back by the agent and by `stockade netpol`: treat it as untrusted. A graph that
 * loads must write and load again to the same JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netpol/netpol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct diag d;
        struct np_graph g, g2;
        diag_init(&d);
        if (np_graph_from_json((const char *) data, size, "graph.json", &g, &d) == 0) {
                struct buf a = BUF_INIT(0), b = BUF_INIT(0), t = BUF_INIT(0);
                if (np_graph_to_json(&g, &a) < 0 || np_graph_to_text(&g, &t) < 0 || np_graph_to_dot(&g, &t) < 0)
                        abort();
                if (np_graph_from_json(a.data, a.len, "again", &g2, &d) != 0 || np_graph_to_json(&g2, &b) < 0 ||
                    strcmp(a.data, b.data) != 0)
                        abort();
                struct np_policy *p = NULL;
                if (np_policy_from_graph(&g, NP_MODE_PROTECT, NULL, 0, &p) == 0)
                        np_policy_free(p);
                np_graph_done(&g2);
                np_graph_done(&g);
                buf_free(&a);
                buf_free(&b);
                buf_free(&t);
        }
        diag_done(&d);
        return 0;
}
