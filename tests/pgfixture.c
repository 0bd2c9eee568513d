/*  pgfixture: starts and stops the PostgreSQL cluster shared by one test run.
 *
 *  ctest runs `pgfixture start DIR` before the integration tests and
 *  `pgfixture stop DIR` after them (FIXTURES_SETUP / FIXTURES_CLEANUP). The
 *  cluster is created fresh each run; as root, it runs as the unprivileged
 *  user of common/pgcluster.c. Tests find it through KOMPASS_TEST_PGDIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pgcluster.h"

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "start") && strcmp(argv[1], "stop"))) {
        fprintf(stderr, "usage: pgfixture start|stop DIR\n");
        return 2;
    }
    kp_pgcluster pg;
    if (strcmp(argv[1], "start") == 0) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", argv[2]);
        if (system(cmd) != 0) return 1;
    }
    if (kp_pgcluster_open(&pg, argv[2], getenv("KOMPASS_PG_USER")) != 0) {
        fprintf(stderr, "pgfixture: %s\n", pg.error);
        return 1;
    }
    if (strcmp(argv[1], "stop") == 0) {
        if (!kp_pgcluster_running(&pg)) return 0;
        if (kp_pgcluster_stop(&pg) != 0) {
            fprintf(stderr, "pgfixture: %s\n", pg.error);
            return 1;
        }
        return 0;
    }
    if (kp_pgcluster_init(&pg) < 0 || kp_pgcluster_start(&pg) != 0) {
        fprintf(stderr, "pgfixture: %s\n", pg.error);
        return 1;
    }
    printf("pgfixture: test cluster running in %s as %s\n", pg.dir, pg.user);
    return 0;
}
