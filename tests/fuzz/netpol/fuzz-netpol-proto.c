/* SPDX-License-Identifier: Apache-2.0 */
/* Protocol identification reads the first bytes a container's peer sent: hostile. The first input byte
 * picks the transport and a port; every identifier must stay within the bytes and print only ASCII. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netpol/netpol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *s, size_t cap) {
        size_t n = strnlen(s, cap);
        if (n == cap)
                abort();
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] >= 0x7f)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        bool udp = data[0] & 1;
        uint16_t port = (data[0] & 2) ? 53 : 443;
        const uint8_t *p = data + 1;
        size_t n = size - 1;
        /* a copy of exactly n bytes, so ASan sees any read past the end */
        uint8_t *copy = malloc(n ? n : 1);
        if (!copy)
                return 0;
        memcpy(copy, p, n);
        struct np_app_info i;
        enum np_app a = np_identify(copy, n, udp, port, &i);
        if (!np_app_name(a) || i.app != a)
                abort();
        bool (*const fns[])(const uint8_t *, size_t, struct np_app_info *) = {
                np_identify_http, np_identify_tls, np_identify_redis, np_identify_postgres, np_identify_mysql_greeting,
        };
        for (size_t k = 0; k <= ELEMENTSOF(fns); k++) {
                bool ok = k < ELEMENTSOF(fns) ? fns[k](copy, n, &i) : np_identify_dns(copy, n, udp, &i);
                (void) ok;
                printable(i.method, sizeof(i.method));
                printable(i.host, sizeof(i.host));
                printable(i.path, sizeof(i.path));
                printable(i.detail, sizeof(i.detail));
        }
        free(copy);
        return 0;
}
