/* SPDX-License-Identifier: Apache-2.0 */
/* Prints what the Go or Java analyzer finds in the given files (a debugging aid, not a test). */
#include "file-reader.h"
int main(int argc, char **argv) {
        if (argc < 2)
                return 2;
        const struct analyzer *a = streq(argv[1], "go") ? &analyzer_go : &analyzer_java;
        for (int i = 2; i < argc; i++) {
                struct layer_ctx *c = run_analyzer_file(a, argv[i], argv[i], 0);
                printf("%s:\n", argv[i]);
                if (c) {
                        dump_result(c);
                        layer_ctx_free_standalone(c);
                }
        }
}
