/*
 * arena-launch: the first step of every sandboxed run, in one exec instead of four.
 *
 * It does what setpriv, nice, sh and prlimit did one after the other (each an exec of its own,
 * together about as much as bubblewrap itself costs), in the same order, then becomes bubblewrap:
 *
 *   1. join the run's cgroups, still as root: cgroup v2 lets a process move another (itself included)
 *      only with write access to the procs file of both groups' common ancestor (the service's own
 *      group), which the slot user never has; as the slot user every run failed there on v2;
 *   2. drop every group and become the slot user (real, effective and saved ids: no way back);
 *   3. lower its priority (judged programs yield the CPU to the service; their CPU time is judged);
 *   4. set the run's rlimits;
 *   5. optionally ignore SIGPIPE (interactive runs: a write to a finished peer is not a crash);
 *   6. exec the program (bwrap) with the environment it was given.
 *
 * Usage: arena-launch UID NICENESS SIGPIPE PROCS LIMITS PROGRAM [ARGS...]
 *   PROCS   cgroup.procs files to join, separated by ':' ("" for none)
 *   LIMITS  name=soft:hard,... with names cpu fsize nofile stack core as nproc
 *
 * Built by the execution service with the judge's own C compiler (see launcher.py). Any failure
 * exits with status 125 before the program runs, with the reason on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define FAILED 125

static void fail(const char *what, const char *detail) {
    fprintf(stderr, "arena-launch: %s %s: %s\n", what, detail, errno ? strerror(errno) : "invalid");
    _exit(FAILED);
}

static unsigned long long number(const char *text, const char *what) {
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || end == text || *end != '\0') fail("bad number for", what);
    return value;
}

static int resource_of(const char *name) {
    static const struct { const char *name; int resource; } known[] = {
        {"cpu", RLIMIT_CPU},     {"fsize", RLIMIT_FSIZE}, {"nofile", RLIMIT_NOFILE}, {"stack", RLIMIT_STACK},
        {"core", RLIMIT_CORE},   {"as", RLIMIT_AS},       {"nproc", RLIMIT_NPROC},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(known[i].name, name) == 0) return known[i].resource;
    errno = 0;
    fail("unknown limit", name);
    return -1;
}

static void join(char *procs) {
    char pid[32];
    int length = snprintf(pid, sizeof pid, "%d", (int)getpid());
    for (char *path = strtok(procs, ":"); path != NULL; path = strtok(NULL, ":")) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, pid, (size_t)length) != length) fail("cannot join", path);
        close(fd);
    }
}

static void limit(char *limits) {
    for (char *item = strtok(limits, ","); item != NULL; item = strtok(NULL, ",")) {
        char *equals = strchr(item, '=');
        char *colon = equals ? strchr(equals, ':') : NULL;
        if (!equals || !colon) {
            errno = 0;
            fail("bad limit", item);
        }
        *equals = *colon = '\0';
        struct rlimit value = {number(equals + 1, item), number(colon + 1, item)};
        if (setrlimit(resource_of(item), &value) != 0) fail("cannot set limit", item);
    }
}

int main(int argc, char **argv) {
    if (argc < 7) {
        errno = 0;
        fail("usage:", "arena-launch UID NICENESS SIGPIPE PROCS LIMITS PROGRAM [ARGS...]");
    }
    uid_t uid = (uid_t)number(argv[1], "uid");
    int niceness = (int)number(argv[2], "niceness");
    join(argv[4]);
    if (setgroups(0, NULL) != 0) fail("cannot drop", "groups");
    if (setresgid(uid, uid, uid) != 0) fail("cannot become", "the slot group");
    if (setresuid(uid, uid, uid) != 0) fail("cannot become", "the slot user");
    if (getuid() != uid || geteuid() != uid || getgid() != uid || getegid() != uid) {
        errno = 0;
        fail("still privileged", "after the uid change");
    }
    errno = 0;
    if (nice(niceness) == -1 && errno != 0) fail("cannot lower", "the priority");
    limit(argv[5]);
    if (strcmp(argv[3], "1") == 0 && signal(SIGPIPE, SIG_IGN) == SIG_ERR) fail("cannot ignore", "SIGPIPE");
    execv(argv[6], &argv[6]);
    fail("cannot run", argv[6]);
    return FAILED;
}
