/* SPDX-License-Identifier: Apache-2.0 */
/* Feeds are hostile input: any feed file: format recognition, then the parser it picks. */
#include "fuzz-vulndb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return fuzz_feed(vdb_parse_file, data, size);
}
