/* SPDX-License-Identifier: Apache-2.0 */
/* Feeds are hostile input: NVD CVE JSON 2.0. */
#include "fuzz-vulndb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return fuzz_feed(vdb_parse_nvd, data, size);
}
