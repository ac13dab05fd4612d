// SPDX-License-Identifier: GPL-2.0
/* Config parsing: every accepted form, and an error naming the problem
 * (and for files, FILE:LINE) for every bad one. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <routerd/maps.h>

#include "common/config.h"

static struct rd_config cfg;
static char err[512];

static void setup(void)
{
	rd_config_init(&cfg);
	err[0] = '\0';
}

TestSuite(config, .init = setup);

Test(config, defaults)
{
	cr_assert_str_eq(cfg.socket_path, "/run/routerd/routerd.sock");
	cr_assert_str_eq(cfg.pin_dir, "/sys/fs/bpf/routerd");
	cr_assert_eq(cfg.n_ifaces, 0);
	cr_assert_eq(cfg.log_level, RD_LOG_INFO);
}

Test(config, interface_defaults_to_auto_without_fixups)
{
	cr_assert_eq(rd_config_parse_line(&cfg, "interface eth0", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.n_ifaces, 1);
	cr_assert_str_eq(cfg.ifaces[0].name, "eth0");
	cr_assert_eq(cfg.ifaces[0].mode, RD_MODE_AUTO);
	cr_assert_eq(cfg.ifaces[0].fixups.bits, 0);
}

Test(config, interface_with_mode_and_fixups_any_order)
{
	cr_assert_eq(rd_config_parse_line(&cfg, "  interface eth1 fixups on mode generic # c",
					  err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.ifaces[0].mode, RD_MODE_GENERIC);
	cr_assert_eq(cfg.ifaces[0].fixups.bits, RD_FIXUP_IPV4_IN_IPV6 | RD_FIXUP_IPV6_IN_IPV4);
	cr_assert_eq(rd_config_parse_line(&cfg, "interface eth2 mode native fixups ipv4-in-ipv6",
					  err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.ifaces[1].mode, RD_MODE_NATIVE);
	cr_assert_eq(cfg.ifaces[1].fixups.bits, RD_FIXUP_IPV4_IN_IPV6);
}

Test(config, interface_tc_hold_or_bypass)
{
	cr_assert_eq(rd_config_parse_line(&cfg, "interface eth0", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rd_config_parse_line(&cfg, "interface eth1 tc bypass mode native", err,
					  sizeof(err)), 0, "%s", err);
	cr_assert_eq(rd_config_parse_line(&cfg, "interface eth2 fixups on tc hold", err,
					  sizeof(err)), 0, "%s", err);
	cr_assert_not(cfg.ifaces[0].tc_bypass, "tc hold is the default");
	cr_assert(cfg.ifaces[1].tc_bypass);
	cr_assert_eq(cfg.ifaces[1].mode, RD_MODE_NATIVE);
	cr_assert_not(cfg.ifaces[2].tc_bypass);
}

Test(config, comments_and_blank_lines_are_ignored)
{
	cr_assert_eq(rd_config_parse_line(&cfg, "", err, sizeof(err)), 0);
	cr_assert_eq(rd_config_parse_line(&cfg, "   # only a comment", err, sizeof(err)), 0);
	cr_assert_eq(rd_config_parse_line(&cfg, "interface eth0#comment", err, sizeof(err)), 0);
	cr_assert_eq(cfg.n_ifaces, 1);
	cr_assert_str_eq(cfg.ifaces[0].name, "eth0");
}

Test(config, global_settings)
{
	cr_assert_eq(rd_config_parse_line(&cfg, "socket /tmp/x.sock", err, sizeof(err)), 0);
	cr_assert_eq(rd_config_parse_line(&cfg, "pin-dir /sys/fs/bpf/x", err, sizeof(err)), 0);
	cr_assert_eq(rd_config_parse_line(&cfg, "log-level debug", err, sizeof(err)), 0);
	cr_assert_str_eq(cfg.socket_path, "/tmp/x.sock");
	cr_assert_str_eq(cfg.pin_dir, "/sys/fs/bpf/x");
	cr_assert_eq(cfg.log_level, RD_LOG_DEBUG);
}

struct bad_line {
	const char *line;
	const char *message_part;
};

static const struct bad_line bad_lines[] = {
	{ "interfaces eth0", "unknown keyword 'interfaces'" },
	{ "interface", "needs a name" },
	{ "interface eth0 mode", "'mode' needs a value" },
	{ "interface eth0 mode turbo", "unknown mode 'turbo'" },
	{ "interface eth0 fixups ipv4-in-ipv7", "unknown fix-up 'ipv4-in-ipv7'" },
	{ "interface eth0 fixups ,", "empty fix-up list" },
	{ "interface eth0 speed 10", "unknown interface option 'speed'" },
	{ "interface eth0 mode native mode generic", "'mode' given twice" },
	{ "interface eth0 tc off", "tc: expected hold or bypass, not 'off'" },
	{ "interface eth0 tc bypass tc hold", "'tc' given twice" },
	{ "interface eth0 tc", "'tc' needs a value" },
	{ "interface abcdefghijklmnopq", "invalid interface name" },
	{ "socket", "takes exactly one value" },
	{ "socket a b", "takes exactly one value" },
	{ "log-level loud", "unknown log level 'loud'" },
	{ "a b c d e f g h i j k l m n o p q", "too many words" },
	{ "bridge", "'bridge' needs a name" },
	{ "bridge br*", "a bridge is named, not matched" },
	{ "bridge abcdefghijklmnopq", "invalid bridge name" },
	{ "bridge br0 mode", "'mode' needs a value" },
	{ "bridge br0 fixups bogus", "unknown fix-up 'bogus'" },
	{ "bridge br0 learning off", "unknown interface option 'learning'" },
	{ "interface vnet*/x", "invalid interface name" },
};

Test(config, bad_lines_are_rejected_with_the_reason)
{
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		rd_config_init(&cfg);
		err[0] = '\0';
		cr_assert_eq(rd_config_parse_line(&cfg, bad_lines[i].line, err, sizeof(err)), -1,
			     "accepted: %s", bad_lines[i].line);
		cr_assert(strstr(err, bad_lines[i].message_part), "line '%s': got '%s'",
			  bad_lines[i].line, err);
		cr_assert_eq(cfg.n_ifaces, 0, "a bad line must not add an interface");
	}
}

Test(config, duplicate_interface_is_rejected)
{
	cr_assert_eq(rd_config_parse_line(&cfg, "interface eth0", err, sizeof(err)), 0);
	cr_assert_eq(rd_config_parse_line(&cfg, "interface eth0 mode native", err, sizeof(err)), -1);
	cr_assert(strstr(err, "listed twice"), "%s", err);
}

Test(config, bridge_line_selects_every_port_with_its_settings)
{
	cr_assert_eq(rd_config_parse_line(&cfg, "bridge br0 mode native fixups mss-clamp=1400",
					  err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.n_ifaces, 1);
	cr_assert_str_eq(cfg.ifaces[0].name, "br0");
	cr_assert_eq(cfg.ifaces[0].match, RD_MATCH_BRIDGE);
	cr_assert_eq(cfg.ifaces[0].mode, RD_MODE_NATIVE);
	cr_assert_eq(cfg.ifaces[0].fixups.bits, RD_FIXUP_MSS_CLAMP);
	cr_assert_eq(cfg.ifaces[0].fixups.mss_clamp, 1400);
	/* the bridge device itself by name is another entry; the same bridge twice is not */
	cr_assert_eq(rd_config_parse_line(&cfg, "interface br0", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.ifaces[1].match, RD_MATCH_NAME);
	cr_assert_eq(rd_config_parse_line(&cfg, "bridge br0", err, sizeof(err)), -1);
	cr_assert(strstr(err, "bridge 'br0' listed twice"), "%s", err);
	cr_assert_str_eq(rd_match_name(RD_MATCH_BRIDGE), "bridge");
}

Test(config, interface_with_a_glob_is_a_pattern)
{
	static const char *const patterns[] = { "vnet*", "tap?i0", "veth[0-9]*" };

	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "interface %s fixups on", patterns[i]);
		cr_assert_eq(rd_config_parse_line(&cfg, line, err, sizeof(err)), 0, "%s", err);
		cr_assert_str_eq(cfg.ifaces[i].name, patterns[i]);
		cr_assert_eq(cfg.ifaces[i].match, RD_MATCH_PATTERN, "%s", patterns[i]);
		cr_assert_eq(cfg.ifaces[i].fixups.bits, RD_FIXUP_IPV4_IN_IPV6 | RD_FIXUP_IPV6_IN_IPV4);
	}
	cr_assert_eq(rd_config_parse_line(&cfg, "interface vnet0", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.ifaces[3].match, RD_MATCH_NAME);
	cr_assert_eq(rd_config_parse_line(&cfg, "interface vnet*", err, sizeof(err)), -1);
	cr_assert(strstr(err, "listed twice"), "%s", err);
	cr_assert_str_eq(rd_match_name(RD_MATCH_PATTERN), "pattern");
	cr_assert_str_eq(rd_match_name(RD_MATCH_NAME), "configured");
}

Test(config, add_bridge_as_the_command_line_does)
{
	struct rd_fixups none = { 0 };

	cr_assert_eq(rd_config_add_bridge(&cfg, "br1", RD_MODE_AUTO, &none, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(cfg.ifaces[0].match, RD_MATCH_BRIDGE);
	cr_assert_eq(rd_config_add_bridge(&cfg, "br?", RD_MODE_AUTO, &none, err, sizeof(err)), -1);
	cr_assert_eq(rd_config_add_iface(&cfg, "br1", RD_MODE_AUTO, &none, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(cfg.n_ifaces, 2);
}

Test(config, overlong_line_is_rejected)
{
	char line[2000];

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	cr_assert_eq(rd_config_parse_line(&cfg, line, err, sizeof(err)), -1);
	cr_assert(strstr(err, "too long"), "%s", err);
}

static char *write_temp(const char *content, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/rdcfgXXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

Test(config, file_errors_name_file_and_line)
{
	const char text[] = "# routerd\ninterface eth0\n\ninterface eth1 mode warp\n";
	char *path = write_temp(text, sizeof(text) - 1);
	char expect[128];

	cr_assert_eq(rd_config_parse_file(&cfg, path, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s:4: unknown mode 'warp'", path);
	cr_assert(strstr(err, expect), "got '%s'", err);
	unlink(path);
}

Test(config, file_with_nul_byte_is_rejected)
{
	const char text[] = "interface eth0\ninterface\0eth1\n";
	char *path = write_temp(text, sizeof(text) - 1);

	cr_assert_eq(rd_config_parse_file(&cfg, path, err, sizeof(err)), -1);
	cr_assert(strstr(err, ":2: line contains a NUL byte"), "%s", err);
	unlink(path);
}

Test(config, good_file_and_missing_file)
{
	const char text[] = "interface eth0 mode native\ninterface eth1 fixups on\nlog-level warning\n";
	char *path = write_temp(text, sizeof(text) - 1);

	cr_assert_eq(rd_config_parse_file(&cfg, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.n_ifaces, 2);
	cr_assert_eq(cfg.log_level, RD_LOG_WARN);
	unlink(path);

	rd_config_init(&cfg);
	cr_assert_eq(rd_config_parse_file(&cfg, "/nonexistent/routerd.conf", err, sizeof(err)), -1);
	cr_assert(strstr(err, "/nonexistent/routerd.conf: No such file"), "%s", err);
}

Test(config, example_config_in_repo_parses)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/docs/routerd.conf.example", RD_SOURCE_ROOT);
	cr_assert_eq(rd_config_parse_file(&cfg, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(cfg.n_ifaces, 1);
}

Test(config, fixups_format_round_trips)
{
	struct rd_fixups f = { 0 };
	char out[64];

	rd_fixups_format(&f, out, sizeof(out));
	cr_assert_str_eq(out, "off");
	cr_assert_eq(rd_config_parse_fixups("ipv6-in-ipv4,ipv4-in-ipv6", &f, err, sizeof(err)), 0);
	rd_fixups_format(&f, out, sizeof(out));
	cr_assert_str_eq(out, "ipv4-in-ipv6,ipv6-in-ipv4");
	cr_assert_eq(rd_config_parse_fixups("mss-clamp=1400,ipv4-in-ipv6", &f, err, sizeof(err)), 0);
	rd_fixups_format(&f, out, sizeof(out));
	cr_assert_str_eq(out, "ipv4-in-ipv6,mss-clamp=1400");
}

Test(config, mss_clamp_values)
{
	struct rd_fixups f;

	cr_assert_eq(rd_config_parse_fixups("mss-clamp=auto", &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(f.bits, RD_FIXUP_MSS_CLAMP);
	cr_assert_eq(f.mss_clamp, RD_MSS_CLAMP_AUTO);
	cr_assert_eq(rd_config_parse_fixups("mss-clamp=1400", &f, err, sizeof(err)), 0);
	cr_assert_eq(f.mss_clamp, 1400);
	cr_assert_eq(rd_config_parse_fixups("on", &f, err, sizeof(err)), 0);
	cr_assert_eq(f.bits & RD_FIXUP_MSS_CLAMP, 0, "'on' means the header repairs only");
	for (const char **bad = (const char *[]){ "mss-clamp=", "mss-clamp=100", "mss-clamp=65535",
						  "mss-clamp=14x", "mss-clamp=-1", NULL };
	     *bad; bad++) {
		cr_assert_eq(rd_config_parse_fixups(*bad, &f, err, sizeof(err)), -1, "accepted %s", *bad);
		cr_assert(strstr(err, "mss-clamp"), "%s", err);
	}
}

Test(config, netfilter_defaults_to_auto_and_parses_off)
{
	cr_assert_eq(cfg.netfilter, RD_NF_AUTO);
	cr_assert_eq(rd_config_parse_line(&cfg, "netfilter off", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.netfilter, RD_NF_OFF);
	cr_assert_eq(rd_config_parse_line(&cfg, "netfilter auto # default", err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(cfg.netfilter, RD_NF_AUTO);
	cr_assert_str_eq(rd_nf_mode_name(RD_NF_OFF), "off");
}

Test(config, netfilter_bad_values)
{
	cr_assert_eq(rd_config_parse_line(&cfg, "netfilter", err, sizeof(err)), -1);
	cr_assert_eq(rd_config_parse_line(&cfg, "netfilter on", err, sizeof(err)), -1);
	cr_assert(strstr(err, "expected auto, offload or off"), "%s", err);
	cr_assert_eq(rd_config_parse_line(&cfg, "netfilter auto off", err, sizeof(err)), -1);
}
