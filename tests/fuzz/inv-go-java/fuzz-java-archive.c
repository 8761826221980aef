/* SPDX-License-Identifier: Apache-2.0 */
/* Zip archives through the Java cataloger (nested archives, manifests and pom.properties inside). */

#include "fuzz-reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_run_stream_analyzer(&analyzer_java, "srv/app/fuzz-1.0.war", data, size);
        return 0;
}
