/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Runs a stream analyzer on a fuzz input the way the layer walkers would, handing the data out in
 * blocks whose size the input's last byte picks (so block edges move around). */

#include "layer/layer-internal.h"

/* Declared here without inventory/catalogers.h's weak attribute: a fuzz target cannot do without them. */
extern const struct analyzer analyzer_go;
extern const struct analyzer analyzer_java;

void fuzz_run_stream_analyzer(const struct analyzer *a, const char *path, const uint8_t *data, size_t size);
