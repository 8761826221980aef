/* SPDX-License-Identifier: Apache-2.0 */
/* The table of per-file analyzers run during a layer pass. Order matters for stream analyzers: the first
 * whose match and sniff accept a file owns its content. Entries are weak symbols (inventory/catalogers.h)
 * and read as NULL while a cataloger is not linked in. */

#include "inventory/catalogers.h"
#include "layer.h"

const struct analyzer *const layer_analyzers[] = {
        &analyzer_go,
        &analyzer_java,
        &analyzer_rpm,
        &analyzer_os_release,
        &analyzer_dpkg_status,
        &analyzer_dpkg_list,
        &analyzer_deb_copyright,
        &analyzer_apk,
        &analyzer_python,
        &analyzer_npm_package,
        &analyzer_npm_lock,
};

const size_t layer_analyzers_count = ELEMENTSOF(layer_analyzers);
