// SPDX-License-Identifier: GPL-2.0
/* pin_xdp_link OBJ IFNAME PIN: attach OBJ's first program to IFNAME with a
 * bpf_link and pin the link at PIN, as routerd pins its own; prints the
 * link id. Test helper for the upgrade suite. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

int main(int argc, char **argv)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	struct bpf_program *prog;
	struct bpf_object *obj;
	unsigned int ifindex;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s OBJ IFNAME PIN\n", argv[0]);
		return 2;
	}
	ifindex = if_nametoindex(argv[2]);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!ifindex || !obj || bpf_object__load(obj)) {
		fprintf(stderr, "cannot load %s for %s: %s\n", argv[1], argv[2], strerror(errno));
		return 1;
	}
	prog = bpf_object__next_program(obj, NULL);
	fd = bpf_link_create(bpf_program__fd(prog), ifindex, BPF_XDP, NULL);
	if (fd < 0 || bpf_obj_pin(fd, argv[3]) || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "cannot attach and pin at %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	printf("%u\n", info.id);
	return 0;
}
