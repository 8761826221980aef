/* SPDX-License-Identifier: Apache-2.0 */
/* The response primitives' parts that need neither root nor BPF: connect rule parsing, the pidfd kill
 * and its start-time guard (on a child of the test). The rest is tests/integration/t7005-respond.sh. */

#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/respond.h"
#include "tests.h"

TEST(rule_parse_good) {
        struct diag d;
        struct respond_rule r[2];
        uint8_t want[16] = {};

        diag_init(&d);
        CHECK_INT(respond_rule_parse("10.1.2.3:443", RESPOND_DENY, r, &d), 1);
        CHECK_INT(r[0].family, AF_INET);
        CHECK_INT(r[0].prefix_len, 32);
        CHECK_INT(r[0].port, 443);
        CHECK_INT(r[0].verdict, RESPOND_DENY);
        inet_pton(AF_INET, "10.1.2.3", want);
        CHECK(memcmp(r[0].addr, want, 16) == 0);

        /* host bits are cleared */
        CHECK_INT(respond_rule_parse("10.1.2.3/20", RESPOND_ALLOW, r, &d), 1);
        CHECK_INT(r[0].prefix_len, 20);
        CHECK_INT(r[0].port, 0);
        memset(want, 0, sizeof(want));
        inet_pton(AF_INET, "10.1.0.0", want);
        CHECK(memcmp(r[0].addr, want, 16) == 0);

        CHECK_INT(respond_rule_parse("169.254.169.254", RESPOND_DENY, r, &d), 1);
        CHECK_INT(r[0].prefix_len, 32);

        CHECK_INT(respond_rule_parse("[fd00::1]/64:8080", RESPOND_DENY, r, &d), 1);
        CHECK_INT(r[0].family, AF_INET6);
        CHECK_INT(r[0].prefix_len, 64);
        CHECK_INT(r[0].port, 8080);
        memset(want, 0, sizeof(want));
        inet_pton(AF_INET6, "fd00::", want);
        CHECK(memcmp(r[0].addr, want, 16) == 0);

        CHECK_INT(respond_rule_parse("[::1]:22", RESPOND_DENY, r, &d), 1);
        CHECK_INT(r[0].prefix_len, 128);

        /* any peer on a port: one rule per family */
        CHECK_INT(respond_rule_parse(":3333", RESPOND_DENY, r, &d), 2);
        CHECK_INT(r[0].family, AF_INET);
        CHECK_INT(r[1].family, AF_INET6);
        CHECK_INT(r[0].prefix_len, 0);
        CHECK_INT(r[1].port, 3333);
        diag_done(&d);
}

TEST(rule_parse_bad) {
        static const char *bad[] = {"",           ":",         ":0",          ":65536",
                                    "1.2.3.4:",   "1.2.3.4:x", "1.2.3.4/33",  "1.2.3/8",
                                    "fd00::1:80", "[fd00::1",  "[::1]/129",   "[::1]x",
                                    "host:80",    "/8",        "1.2.3.4/8/9", "999.1.1.1"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                struct diag d;
                struct respond_rule r[2];
                diag_init(&d);
                int n = respond_rule_parse(bad[i], RESPOND_DENY, r, &d);
                if (n >= 0)
                        fprintf(stderr, "accepted: '%s'\n", bad[i]);
                CHECK(n < 0);
                CHECK(strstr(d.error, "bad connect rule") != NULL);
                diag_done(&d);
        }
}

TEST(kill_pidfd) {
        uint64_t self;
        CHECK_INT(respond_proc_start_time(getpid(), &self), 0);
        CHECK(self > 0);
        CHECK_INT(respond_kill(1, 0, SIGKILL, 0), -EINVAL);
        CHECK_INT(respond_kill(0, 0, SIGKILL, 0), -EINVAL);

        pid_t p = fork();
        REQUIRE(p >= 0);
        if (p == 0) {
                pause();
                _exit(0);
        }
        uint64_t st;
        CHECK_INT(respond_proc_start_time(p, &st), 0);
        /* another start time: a recycled pid; nothing is sent */
        CHECK_INT(respond_kill(p, st + 1, SIGKILL, 100), -ESRCH);
        CHECK_INT(kill(p, 0), 0);
        /* the right one: killed, and waited for */
        CHECK_INT(respond_kill(p, st, SIGKILL, 5000), 0);
        int status;
        CHECK_INT(waitpid(p, &status, 0), p);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        /* reaped: gone */
        CHECK_INT(respond_kill(p, 0, SIGKILL, 0), -ESRCH);
        CHECK_INT(respond_proc_start_time(p, &st), -ESRCH);
}
