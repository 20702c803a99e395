// vmtest self-test loader: loads lsm_deny.bpf.o, attaches it, checks that
// open() of a file fails with EPERM for this process only while attached.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int try_open(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return -errno;
}

int main(int argc, char **argv)
{
    const char *obj_path = argc > 1 ? argv[1] : "lsm_deny.bpf.o";
    const char *probe = "/etc/hostname";
    struct bpf_object *obj;
    struct bpf_program *prog;
    struct bpf_link *link;
    int map_fd, err, failures = 0;
    __u32 key = 0, tgid = (__u32)getpid();

    libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
    obj = bpf_object__open_file(obj_path, NULL);
    if (!obj) {
        fprintf(stderr, "FAIL open %s: %s\n", obj_path, strerror(errno));
        return 1;
    }
    err = bpf_object__load(obj);
    if (err) {
        fprintf(stderr, "FAIL load: %s\n", strerror(-err));
        return 1;
    }
    printf("loaded BPF-LSM program lsm/file_open\n");
    prog = bpf_object__find_program_by_name(obj, "deny_file_open");
    map_fd = bpf_object__find_map_fd_by_name(obj, "target_tgid");
    if (!prog || map_fd < 0 || bpf_map_update_elem(map_fd, &key, &tgid, BPF_ANY)) {
        fprintf(stderr, "FAIL setting up target_tgid\n");
        return 1;
    }
    link = bpf_program__attach_lsm(prog);
    if (!link) {
        fprintf(stderr, "FAIL attach: %s\n", strerror(errno));
        return 1;
    }
    printf("attached\n");

    err = try_open(probe);
    printf("open(%s) while attached: %s\n", probe, err ? strerror(-err) : "ok");
    if (err != -EPERM)
        failures++;

    bpf_link__destroy(link);
    err = try_open(probe);
    printf("open(%s) after detach: %s\n", probe, err ? strerror(-err) : "ok");
    if (err != 0)
        failures++;

    bpf_object__close(obj);
    printf("%s\n", failures ? "LSM SELFTEST FAILED" : "LSM SELFTEST PASSED");
    return failures ? 1 : 0;
}
