/* SPDX-License-Identifier: Apache-2.0 */
/* Network micro-perimeters: protocol identifiers, CIDRs, the graph, the policy format (errors with
 * FILE:LINE:COLUMN, round trip, Kubernetes export, generation, matching) and the nftables builder. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "netpol/netpol.h"
#include "tests.h"

#define B(s) ((const uint8_t *) (s)), (sizeof(s) - 1)

TEST(identify_http) {
        struct np_app_info i;
        CHECK(np_identify_http(B("GET /api/v1?x=1 HTTP/1.1\r\nUser-Agent: x\r\nhost: shop.example\r\n\r\n"),
                               &i));
        CHECK_STR(i.method, "GET");
        CHECK_STR(i.path, "/api/v1?x=1");
        CHECK_STR(i.host, "shop.example");
        CHECK(np_identify_http(B("POST /x"), &i)); /* cut before the version */
        CHECK(!np_identify_http(B("GETX / HTTP/1.1\r\n"), &i));
        CHECK(!np_identify_http(B("GET / FTP/1.0\r\n"), &i));
        CHECK(!np_identify_http(B("\x16\x03\x01"), &i));
        CHECK_INT(np_identify(B("DELETE /a HTTP/1.0\r\n\r\n"), false, 80, &i), NP_APP_HTTP);
}

/* A TLS 1.2 ClientHello with SNI "api.example.com", built by hand. */
static size_t client_hello(uint8_t *p, const char *sni) {
        size_t n = strlen(sni), o = 0;
        uint8_t ext[300];
        size_t e = 0;
        ext[e++] = 0, ext[e++] = 0; /* server_name */
        ext[e++] = 0, ext[e++] = (uint8_t) (n + 5);
        ext[e++] = 0, ext[e++] = (uint8_t) (n + 3);
        ext[e++] = 0;
        ext[e++] = 0, ext[e++] = (uint8_t) n;
        memcpy(ext + e, sni, n);
        e += n;
        uint8_t body[512];
        size_t b = 0;
        body[b++] = 3, body[b++] = 3;
        memset(body + b, 0x11, 32), b += 32;
        body[b++] = 0;                                                    /* session id */
        body[b++] = 0, body[b++] = 2, body[b++] = 0x13, body[b++] = 0x01; /* one suite */
        body[b++] = 1, body[b++] = 0;                                     /* compression: null */
        body[b++] = 0, body[b++] = (uint8_t) e;
        memcpy(body + b, ext, e), b += e;
        p[o++] = 22, p[o++] = 3, p[o++] = 1, p[o++] = 0, p[o++] = (uint8_t) (b + 4);
        p[o++] = 1, p[o++] = 0, p[o++] = 0, p[o++] = (uint8_t) b;
        memcpy(p + o, body, b);
        return o + b;
}

TEST(identify_tls) {
        uint8_t p[600];
        size_t n = client_hello(p, "api.example.com");
        struct np_app_info i;
        CHECK(np_identify_tls(p, n, &i));
        CHECK_STR(i.host, "api.example.com");
        /* every truncation is still TLS or not, never a crash, and never a wrong name */
        for (size_t k = 0; k < n; k++) {
                if (np_identify_tls(p, k, &i))
                        CHECK(i.host[0] == 0 || streq(i.host, "api.example.com"));
        }
        CHECK_INT(np_identify(p, n, false, 443, &i), NP_APP_TLS);
}

TEST(identify_dns) {
        /* id 0x1234, RD, one question: www.example.org A IN */
        static const uint8_t q[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,   0,
                                    0,    3,    'w',  'w',  'w', 7,   'e', 'x', 'a', 'm', 'p',
                                    'l',  'e',  3,    'o',  'r', 'g', 0,   0,   1,   0,   1};
        struct np_app_info i;
        CHECK(np_identify_dns(q, sizeof(q), true, &i));
        CHECK_STR(i.host, "www.example.org");
        CHECK_STR(i.detail, "query");
        uint8_t t[sizeof(q) + 2] = {0, sizeof(q)};
        memcpy(t + 2, q, sizeof(q));
        CHECK(np_identify_dns(t, sizeof(t), false, &i));
        CHECK_STR(i.host, "www.example.org");
        uint8_t bad[sizeof(q)];
        memcpy(bad, q, sizeof(q));
        bad[12] = 0xc0; /* a compression pointer in a question */
        CHECK(!np_identify_dns(bad, sizeof(bad), true, &i));
        CHECK(!np_identify_dns(q, 20, true, &i));
        CHECK_INT(np_identify(q, sizeof(q), true, 53, &i), NP_APP_DNS);
}

TEST(identify_redis_postgres_mysql) {
        struct np_app_info i;
        CHECK(np_identify_redis(B("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"), &i));
        CHECK_STR(i.detail, "GET");
        CHECK(np_identify_redis(B("PING\r\n"), &i));
        CHECK(!np_identify_redis(B("*2\r\n$3\r\nG\x01T\r\n"), &i));
        CHECK_INT(np_identify(B("*1\r\n$4\r\nPING\r\n"), false, 6379, &i), NP_APP_REDIS);

        static const uint8_t pg[] = {0,   0,   0,   41,  0,   3,   0,   0,   'u', 's', 'e',
                                     'r', 0,   'a', 'p', 'p', 0,   'd', 'a', 't', 'a', 'b',
                                     'a', 's', 'e', 0,   's', 'h', 'o', 'p', 0,   0};
        uint8_t pgf[41] = {};
        memcpy(pgf, pg, sizeof(pg));
        CHECK(np_identify_postgres(pgf, sizeof(pgf), &i));
        CHECK_STR(i.detail, "user=app");
        static const uint8_t ssl[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
        CHECK(np_identify_postgres(ssl, sizeof(ssl), &i));
        CHECK_STR(i.detail, "sslrequest");
        CHECK(!np_identify_postgres(B("GET / HTTP/1.1\r\n"), &i));

        static const uint8_t my[] = {20, 0, 0, 0, 10, '8', '.', '0', '.', '3', '6', 0,
                                     1,  2, 3, 4, 5,  6,   7,   8,   9,   10,  11,  12};
        CHECK(np_identify_mysql_greeting(my, sizeof(my), &i));
        CHECK_STR(i.detail, "8.0.36");
        CHECK(!np_identify_mysql_greeting(B("SSH-2.0-OpenSSH\r\n"), &i));
        CHECK_INT(np_identify(B("SSH-2.0-OpenSSH_9.2\r\n"), false, 22, &i), NP_APP_UNKNOWN);
}

TEST(cidr) {
        struct np_cidr c;
        char s[64];
        CHECK_INT(np_cidr_parse("10.0.0.0/8", &c), 0);
        uint8_t a[16] = {10, 1, 2, 3}, b[16] = {11, 0, 0, 1};
        CHECK(np_cidr_contains(&c, AF_INET, a));
        CHECK(!np_cidr_contains(&c, AF_INET, b));
        CHECK(!np_cidr_contains(&c, AF_INET6, a));
        CHECK(np_cidr_parse("10.1.2.3/8", &c) < 0); /* host bits */
        CHECK(np_cidr_parse("10.0.0.0/33", &c) < 0);
        CHECK(np_cidr_parse("10.0.0.0/-1", &c) < 0);
        CHECK(np_cidr_parse("nope", &c) < 0);
        CHECK_INT(np_cidr_parse("fd00::/64", &c), 0);
        np_cidr_format(&c, s, sizeof(s));
        CHECK_STR(s, "fd00::/64");
        CHECK_INT(np_cidr_parse("192.0.2.7", &c), 0);
        np_cidr_format(&c, s, sizeof(s));
        CHECK_STR(s, "192.0.2.7");
}

static const char *const labels_api[] = {"com.docker.compose.service", "api"};

TEST(graph_roundtrip) {
        struct np_graph g;
        np_graph_init(&g);
        struct np_cidr out;
        REQUIRE(np_cidr_parse("192.0.2.9", &out) == 0);
        CHECK_INT(np_graph_add(&g, "client", NULL, "api", NULL, IPPROTO_TCP, 8080, NP_APP_HTTP, "api", 1),
                  1);
        CHECK_INT(np_graph_add(&g, "client", NULL, "api", NULL, IPPROTO_TCP, 8080, NP_APP_HTTP, NULL, 2), 0);
        CHECK_INT(np_graph_add(&g, "api", NULL, NULL, &out, IPPROTO_TCP, 443, NP_APP_TLS, "x.example", 3),
                  1);
        CHECK_INT(np_graph_add(&g, NULL, &out, "api", NULL, IPPROTO_TCP, 8080, NP_APP_UNKNOWN, NULL, 4), 1);
        CHECK_INT(g.n_edges, 3);
        CHECK_INT(g.edges[0].count, 2);
        struct buf j = BUF_INIT(0), t = BUF_INIT(0), t2 = BUF_INIT(0);
        REQUIRE(np_graph_to_json(&g, &j) >= 0);
        REQUIRE(np_graph_to_text(&g, &t) >= 0);
        CHECK(strstr(t.data, "client -> api tcp/8080 http api (2)") != NULL);
        CHECK(strstr(t.data, "api -> outside:192.0.2.9 tcp/443 tls x.example (1)") != NULL);
        struct np_graph g2;
        struct diag d;
        diag_init(&d);
        REQUIRE(np_graph_from_json(j.data, j.len, "graph.json", &g2, &d) == 0);
        REQUIRE(np_graph_to_text(&g2, &t2) >= 0);
        CHECK_STR(t.data, t2.data);
        struct buf dot = BUF_INIT(0);
        REQUIRE(np_graph_to_dot(&g2, &dot) >= 0);
        CHECK(strstr(dot.data, "\"client\" -> \"api\" [label=\"tcp/8080 http\"]") != NULL);
        CHECK(np_graph_from_json("{\"workloads\":[{\"name\":\"\"}],\"edges\":[]}", 38, "g", &g2, &d) < 0);
        diag_done(&d);
        np_graph_done(&g);
        np_graph_done(&g2);
        buf_free(&j);
        buf_free(&t);
        buf_free(&t2);
        buf_free(&dot);
}

/* The capture's annotation: the protocol of a flow, never a second count of it. */
TEST(graph_annotate) {
        struct np_graph g;
        np_graph_init(&g);
        struct np_cidr out;
        REQUIRE(np_cidr_parse("192.0.2.9", &out) == 0);
        /* the flow first, then its first payload: the edge gets the protocol, the count stays */
        CHECK_INT(np_graph_add(&g, "client", NULL, "api", NULL, IPPROTO_TCP, 8080, NP_APP_UNKNOWN, NULL, 1), 1);
        CHECK_INT(np_graph_annotate(&g, "client", NULL, "api", NULL, IPPROTO_TCP, 8080, NP_APP_HTTP, "api", 2),
                  0);
        CHECK_INT(g.n_edges, 1);
        CHECK_INT(g.edges[0].count, 1);
        CHECK_INT(g.edges[0].app, NP_APP_HTTP);
        CHECK_STR(g.edges[0].app_host, "api");
        /* a later host does not replace the first */
        CHECK_INT(np_graph_annotate(&g, "client", NULL, "api", NULL, IPPROTO_TCP, 8080, NP_APP_HTTP, "other", 3),
                  0);
        CHECK_STR(g.edges[0].app_host, "api");
        /* the payload first (an outside peer waits a tick): an edge with a count of 0, counted by the flow */
        CHECK_INT(np_graph_annotate(&g, "api", NULL, NULL, &out, IPPROTO_TCP, 443, NP_APP_TLS, "x.example", 4), 1);
        CHECK_INT(g.edges[1].count, 0);
        CHECK_INT(np_graph_add(&g, "api", NULL, NULL, &out, IPPROTO_TCP, 443, NP_APP_UNKNOWN, NULL, 5), 0);
        CHECK_INT(g.n_edges, 2);
        CHECK_INT(g.edges[1].count, 1);
        CHECK_INT(g.edges[1].app, NP_APP_TLS);
        /* a count of 0 survives the JSON round trip */
        CHECK_INT(np_graph_annotate(&g, NULL, &out, "api", NULL, IPPROTO_TCP, 8080, NP_APP_HTTP, NULL, 6), 1);
        struct buf j = BUF_INIT(0);
        REQUIRE(np_graph_to_json(&g, &j) >= 0);
        struct np_graph g2;
        struct diag d;
        diag_init(&d);
        REQUIRE(np_graph_from_json(j.data, j.len, "graph.json", &g2, &d) == 0);
        CHECK_INT(g2.n_edges, 3);
        for (size_t i = 0; i < g2.n_edges; i++)
                if (!g2.edges[i].src)
                        CHECK_INT(g2.edges[i].count, 0);
        diag_done(&d);
        np_graph_done(&g);
        np_graph_done(&g2);
        buf_free(&j);
}

static const char good[] =
        "apiVersion: stockade/v1\n"
        "kind: NetworkPolicy\n"
        "mode: protect\n"
        "workloads:\n"
        "  - name: api\n"
        "    selector:\n"
        "      labels: {com.docker.compose.service: api}\n"
        "    ingress:\n"
        "      - from: [{workload: client}]\n"
        "        ports: [8080]\n"
        "        protocols: [http]\n"
        "    egress:\n"
        "      - to: [{workload: db}, {cidr: 10.0.0.0/8}, {domain: \"*.example.com\"}]\n"
        "        ports: [{port: 5432}, \"53/udp\", {port: \"9000-9100\", protocol: any}]\n"
        "  - name: client\n"
        "    selector: {image: \"shop/client:*\"}\n"
        "    mode: monitor\n"
        "    egress:\n"
        "      - to: [{workload: api}]\n"
        "  - name: db\n"
        "    selector: {name: \"db-*\"}\n";

static int parse(const char *y, struct np_policy **p, char *err, size_t errlen) {
        struct diag d;
        diag_init(&d);
        int r = np_policy_parse(y, strlen(y), "p.yaml", p, &d);
        snprintf(err, errlen, "%s", d.error);
        diag_done(&d);
        return r;
}

TEST(policy_parse_and_roundtrip) {
        struct np_policy *p = NULL, *p2 = NULL;
        char err[1024];
        REQUIRE(parse(good, &p, err, sizeof(err)) == 0);
        CHECK_INT(p->mode, NP_MODE_PROTECT);
        CHECK_INT(p->n_workloads, 3);
        const struct np_wpolicy *api = &p->workloads[0];
        CHECK_INT(api->n_egress, 1);
        CHECK_INT(api->egress[0].n_peers, 3);
        CHECK_INT(api->egress[0].peers[2].kind, NP_PEER_DOMAIN);
        CHECK_INT(api->egress[0].n_ports, 3);
        CHECK_INT(api->egress[0].ports[1].proto, IPPROTO_UDP);
        CHECK_INT(api->egress[0].ports[2].port_end, 9100);
        CHECK_INT(api->egress[0].ports[2].proto, 0);
        CHECK_INT(np_wpolicy_mode(p, &p->workloads[1]), NP_MODE_MONITOR);

        struct buf y = BUF_INIT(0), y2 = BUF_INIT(0);
        REQUIRE(np_policy_to_yaml(p, &y) >= 0);
        REQUIRE(parse(y.data, &p2, err, sizeof(err)) == 0);
        REQUIRE(np_policy_to_yaml(p2, &y2) >= 0);
        CHECK_STR(y.data, y2.data);

        /* matching */
        uint8_t ten[16] = {10, 9, 9, 9}, pub[16] = {8, 8, 8, 8};
        CHECK(np_wpolicy_allows(api, true, "db", AF_INET, pub, NULL, IPPROTO_TCP, 5432));
        CHECK(!np_wpolicy_allows(api, true, "db", AF_INET, pub, NULL, IPPROTO_TCP, 5433));
        CHECK(np_wpolicy_allows(api, true, NULL, AF_INET, ten, NULL, IPPROTO_UDP, 53));
        CHECK(!np_wpolicy_allows(api, true, NULL, AF_INET, pub, NULL, IPPROTO_UDP, 53));
        CHECK(np_wpolicy_allows(api, true, NULL, AF_INET, pub, "cdn.example.com", IPPROTO_UDP, 9050));
        CHECK(!np_wpolicy_allows(api, true, NULL, AF_INET, pub, "example.com", IPPROTO_UDP, 9050));
        CHECK(np_wpolicy_allows(api, false, "client", AF_INET, pub, NULL, IPPROTO_TCP, 8080));
        CHECK(!np_wpolicy_allows(api, false, "db", AF_INET, pub, NULL, IPPROTO_TCP, 8080));

        struct rt_container c = {.name = (char *) "db-1",
                                 .image = (char *) "shop/client:2",
                                 .labels = (char **) labels_api,
                                 .n_labels = 1};
        CHECK_STR(np_policy_select(p, &c)->name, "api"); /* labels beat image and name */
        c.labels = NULL, c.n_labels = 0;
        CHECK_STR(np_policy_select(p, &c)->name, "db"); /* name beats image */
        c.name = (char *) "other";
        CHECK_STR(np_policy_select(p, &c)->name, "client");
        c.image = (char *) "nginx";
        CHECK(np_policy_select(p, &c) == NULL);

        np_policy_free(p);
        np_policy_free(p2);
        buf_free(&y);
        buf_free(&y2);
}

TEST(policy_errors) {
        static const struct {
                const char *yaml, *error;
        } cases[] = {
                {"apiVersion: v2\n", "p.yaml:1:13: apiVersion must be stockade/v1"},
                {"workloads:\n  - name: a\n    selector: {labels: {x: y}}\n    ingress:\n      - ports: "
                 "[0]\n",
                 "p.yaml:5:17: '0' is not a port (1-65535)"},
                {"workloads:\n  - name: a\n", "p.yaml:2:5: workload 'a' needs a selector"},
                {"workloads:\n  - name: a\n    selector: {labels: {x: y}}\n  - name: a\n    selector: "
                 "{image: i}\n",
                 "p.yaml:4:5: workload 'a' is defined twice (first on line 2)"},
                {"workloads:\n  - name: a\n    selector: {labels: {x: y}}\n    egress:\n      - to: [{cidr: "
                 "10.1.0.0/8}]\n",
                 "p.yaml:5:21: '10.1.0.0/8' is not a CIDR"},
                {"workloads:\n  - name: a\n    selector: {labels: {x: y}}\n    egress:\n      - to: "
                 "[{workload: b}]\n",
                 "p.yaml:5: workload 'a' names peer workload 'b', which the policy does not define"},
                {"mode: sometimes\n", "p.yaml:1:7: mode must be learn, monitor or protect"},
                {"workloads: [\n", "p.yaml:2:1: invalid YAML"},
                {"a: &x [1]\nb: *x\n", "p.yaml:2:4: aliases are not allowed"},
                {"workloads:\n  - name: a\n    selector: {labels: {x: y}}\n    colour: red\n",
                 "p.yaml:4:5: unknown workload key 'colour'"},
                {"mode: learn\nmode: protect\n", "p.yaml:2:1: duplicate key 'mode'"},
                {"workloads:\n  - name: a\n    selector: {labels: {x: y}}\n    ingress:\n      - protocols: "
                 "[gopher]\n",
                 "p.yaml:5:21: unknown protocol 'gopher'"},
                {"workloads:\n  - name: a\n    selector: {labels: {x: y}}\n    egress:\n      - to: "
                 "[{domain: \"a b\"}]\n",
                 "p.yaml:5:23: 'a b' is not a domain name"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct np_policy *p = NULL;
                char err[1024];
                int r = parse(cases[i].yaml, &p, err, sizeof(err));
                CHECK(r < 0);
                CHECK(p == NULL);
                const char *want = cases[i].error ? cases[i].error : "";
                if (!strstr(err, want))
                        fprintf(stderr, "case %zu: got '%s', want '%s'\n", i, err, want);
                CHECK(cases[i].error && strstr(err, want) != NULL);
        }
}

TEST(generate_and_k8s) {
        struct np_graph g;
        np_graph_init(&g);
        struct rt_container c = {.name = (char *) "shop-api-1",
                                 .image = (char *) "shop/api:1",
                                 .labels = (char **) labels_api,
                                 .n_labels = 1};
        REQUIRE(np_graph_workload(&g, &c) != NULL);
        struct np_cidr out;
        REQUIRE(np_cidr_parse("192.0.2.9", &out) == 0);
        np_graph_add(&g, "client", NULL, "api", NULL, IPPROTO_TCP, 8080, NP_APP_HTTP, NULL, 1);
        np_graph_add(&g, "api", NULL, "db", NULL, IPPROTO_TCP, 5432, NP_APP_POSTGRES, NULL, 1);
        np_graph_add(&g, "api", NULL, NULL, &out, IPPROTO_UDP, 53, NP_APP_DNS, NULL, 1);
        struct np_policy *p = NULL;
        REQUIRE(np_policy_from_graph(&g, NP_MODE_PROTECT, NULL, 0, &p) == 0);
        CHECK_INT(p->n_workloads, 3);
        const struct np_wpolicy *api = &p->workloads[0];
        CHECK_STR(api->name, "api");
        CHECK_STR(api->sel.labels[0], "com.docker.compose.service");
        CHECK_INT(api->n_ingress, 1);
        CHECK_INT(api->n_egress, 2);
        uint8_t addr[16] = {192, 0, 2, 9};
        CHECK(np_wpolicy_allows(api, true, NULL, AF_INET, addr, NULL, IPPROTO_UDP, 53));
        CHECK(!np_wpolicy_allows(api, true, NULL, AF_INET, addr, NULL, IPPROTO_TCP, 53));
        CHECK(np_wpolicy_allows(api, true, "db", AF_INET, NULL, NULL, IPPROTO_TCP, 5432));

        struct buf y = BUF_INIT(0), k = BUF_INIT(0);
        REQUIRE(np_policy_to_yaml(p, &y) >= 0);
        CHECK(strstr(y.data, "protocols: [postgres]") != NULL);
        REQUIRE(np_policy_to_k8s(p, "shop", &k) >= 0);
        CHECK(strstr(k.data, "  name: stockade-api\n  namespace: shop\n") != NULL);
        CHECK(strstr(k.data, "\"com.docker.compose.service\": \"api\"") != NULL);
        CHECK(strstr(k.data, "        - protocol: TCP\n          port: 5432\n") != NULL);
        CHECK(strstr(k.data, "cidr: 192.0.2.9/32") != NULL);
        CHECK(strstr(k.data, "stockade.io/workload: \"client\"") != NULL);

        struct np_policy *only = NULL;
        const char *const sel[] = {"api", "db"};
        REQUIRE(np_policy_from_graph(&g, NP_MODE_MONITOR, sel, 2, &only) == 0);
        CHECK_INT(only->n_workloads, 2);
        CHECK_INT(only->workloads[0].n_ingress, 0); /* client is not selected: its flow is left out */

        np_policy_free(only);
        np_policy_free(p);
        np_graph_done(&g);
        buf_free(&y);
        buf_free(&k);
}

static void lookup(void *userdata, const char *key, struct np_addrs *ret) {
        static struct np_cidr a[2];
        np_cidr_parse("172.18.0.3", &a[0]);
        np_cidr_parse("fd00::3", &a[1]);
        ret->workload = key;
        ret->addrs = a;
        ret->n = streq(key, "w:db") ? 2 : 0;
}

TEST(nft_build) {
        struct np_policy *p = NULL;
        char err[1024];
        REQUIRE(parse(good, &p, err, sizeof(err)) == 0);
        struct buf o = BUF_INIT(0);
        REQUIRE(np_nft_build(&p->workloads[0], NP_MODE_PROTECT, lookup, NULL, &o) >= 0);
        char s4[64], s6[64];
        np_nft_set_name("w:db", AF_INET, s4, sizeof(s4));
        np_nft_set_name("w:db", AF_INET6, s6, sizeof(s6));
        CHECK(strncmp(o.data, "table inet stockade\ndelete table inet stockade\ntable inet stockade {\n",
                      67) == 0);
        char want[512];
        snprintf(want, sizeof(want),
                 "set %s {\n    type ipv4_addr; flags interval;\n    comment \"w:db\"\n    elements = { "
                 "172.18.0.3 }",
                 s4);
        CHECK(strstr(o.data, want) != NULL);
        snprintf(want, sizeof(want), "ip daddr @%s tcp dport 5432 accept", s4);
        CHECK(strstr(o.data, want) != NULL);
        snprintf(want, sizeof(want), "ip6 daddr @%s udp dport 53 accept", s6);
        CHECK(strstr(o.data, want) != NULL);
        CHECK(strstr(o.data, "ip daddr 10.0.0.0/8 meta l4proto { tcp, udp } th dport 9000-9100 accept") !=
              NULL);
        CHECK(strstr(o.data, "counter drop comment \"stockade: denied egress\"") != NULL);
        CHECK(strstr(o.data, "ct state established,related accept") != NULL);

        buf_reset(&o);
        REQUIRE(np_nft_build(&p->workloads[0], NP_MODE_MONITOR, lookup, NULL, &o) >= 0);
        CHECK(strstr(o.data, "counter accept comment \"stockade: would deny ingress\"") != NULL);
        CHECK(strstr(o.data, " drop") == NULL);

        buf_reset(&o);
        REQUIRE(np_nft_build(&p->workloads[0], NP_MODE_LEARN, lookup, NULL, &o) >= 0);
        CHECK_STR(o.data, "table inet stockade\ndelete table inet stockade\n");

        buf_reset(&o);
        struct np_addrs a;
        lookup(NULL, "w:db", &a);
        REQUIRE(np_nft_set_update("w:db", &a, &o) >= 0);
        snprintf(want, sizeof(want),
                 "flush set inet stockade %s\nadd element inet stockade %s { 172.18.0.3 }\n"
                 "flush set inet stockade %s\nadd element inet stockade %s { fd00::3 }\n",
                 s4, s4, s6, s6);
        CHECK_STR(o.data, want);

        /* a replica starting: just its address added (no flush: nothing destroyed) */
        buf_reset(&o);
        REQUIRE(np_nft_set_change("w:db", a.addrs, 1, true, &o) >= 0);
        snprintf(want, sizeof(want), "add element inet stockade %s { 172.18.0.3 }\n", s4);
        CHECK_STR(o.data, want);
        buf_reset(&o);
        REQUIRE(np_nft_set_change("w:db", a.addrs + 1, 1, false, &o) >= 0);
        snprintf(want, sizeof(want), "delete element inet stockade %s { fd00::3 }\n", s6);
        CHECK_STR(o.data, want);
        np_policy_free(p);
        buf_free(&o);
}
