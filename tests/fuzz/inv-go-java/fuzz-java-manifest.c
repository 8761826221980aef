/* SPDX-License-Identifier: Apache-2.0 */
/* META-INF/MANIFEST.MF and pom.properties parsers. */

#include "inventory/java-archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct java_manifest m = {0};
        struct java_pom_properties p = {0};
        (void) java_manifest_parse((const char *) data, size, &m);
        java_manifest_done(&m);
        (void) java_pom_properties_parse((const char *) data, size, &p);
        java_pom_properties_done(&p);
        return 0;
}
