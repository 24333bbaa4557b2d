// SPDX-License-Identifier: GPL-2.0
/*
 * dmemu: create, inspect, message, cut and remove emulated devices.
 *
 *   dmemu create NAME TARGET DEV [ARGS...]   table "0 <size of DEV> TARGET DEV ARGS..."
 *   dmemu remove NAME...
 *   dmemu list                               devices using the smr or powercut target
 *   dmemu status NAME                        target status, one key=value a line
 *   dmemu table NAME
 *   dmemu message NAME WORD...
 *   dmemu cut NAME...                        one power cut across all the devices
 *   dmemu restore NAME...
 */
#include "cut.h"
#include "dmops.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define LINE 4096

static int usage(void)
{
	fprintf(stderr,
		"usage: dmemu create NAME TARGET DEV [ARGS...]\n"
		"       dmemu remove NAME...\n"
		"       dmemu list\n"
		"       dmemu status NAME | table NAME\n"
		"       dmemu message NAME WORD...\n"
		"       dmemu cut NAME... | restore NAME...\n");
	return 2;
}

/* Join argv[0..n) with spaces into buf; -1 if it does not fit. */
static int join(char *buf, size_t len, char **argv, int n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? " " : "", argv[i]);

		if (w < 0 || (size_t)w >= len - used)
			return -1;
		used += (size_t)w;
	}
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	char params[LINE];
	uint64_t bytes = 0;
	int fd;

	if (argc < 3)
		return usage();
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &bytes)) {
		fprintf(stderr, "dmemu: cannot size %s: %s\n", argv[2], strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	if (join(params, sizeof(params), argv + 2, argc - 2))
		return usage();
	if (dmops_create(argv[0], bytes >> 9, argv[1], params)) {
		fprintf(stderr, "dmemu: cannot create %s (see dmesg for the target's reason)\n",
			argv[0]);
		return 1;
	}
	return 0;
}

static void list_one(const char *name, void *arg)
{
	char type[64], params[LINE];

	(void)arg;
	if (dmops_status(name, 1, type, sizeof(type), params, sizeof(params)))
		return;
	if (!strcmp(type, "smr") || !strcmp(type, "powercut"))
		printf("%s %s %s\n", name, type, params);
}

static int cmd_status(const char *name, int table)
{
	char type[64], params[LINE], *tok, *save = NULL;

	if (dmops_status(name, table, type, sizeof(type), params, sizeof(params))) {
		fprintf(stderr, "dmemu: no device %s\n", name);
		return 1;
	}
	if (table) {
		printf("%s %s\n", type, params);
		return 0;
	}
	printf("target=%s\n", type);
	for (tok = strtok_r(params, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		printf("%s\n", tok);
	return 0;
}

static int cmd_message(int argc, char **argv)
{
	char msg[LINE], resp[LINE] = "";

	if (argc < 2 || join(msg, sizeof(msg), argv + 1, argc - 1))
		return usage();
	if (dmops_message(argv[0], msg, resp, sizeof(resp))) {
		fprintf(stderr, "dmemu: message '%s' to %s failed\n", msg, argv[0]);
		return 1;
	}
	if (resp[0])
		printf("%s\n", resp);
	return 0;
}

static int each(int argc, char **argv, const char *msg)
{
	int r = 0;

	if (!argc)
		return usage();
	for (int i = 0; i < argc; i++) {
		if (!strcmp(msg, "remove") ? dmops_remove(argv[i]) :
		    dmops_message(argv[i], msg, NULL, 0)) {
			fprintf(stderr, "dmemu: %s of %s failed\n", msg, argv[i]);
			r = 1;
		}
	}
	return r;
}

static int dispatch(int argc, char **argv)
{
	const char *cmd = argv[0];

	argc--;
	argv++;
	if (!strcmp(cmd, "create"))
		return cmd_create(argc, argv);
	if (!strcmp(cmd, "remove"))
		return each(argc, argv, "remove");
	if (!strcmp(cmd, "list") && !argc)
		return dmops_list(list_one, NULL) ? 1 : 0;
	if ((!strcmp(cmd, "status") || !strcmp(cmd, "table")) && argc == 1)
		return cmd_status(argv[0], cmd[0] == 't');
	if (!strcmp(cmd, "message"))
		return cmd_message(argc, argv);
	if (!strcmp(cmd, "cut"))
		return argc ? (cut_devices(argv, argc) ? 1 : 0) : usage();
	if (!strcmp(cmd, "restore"))
		return each(argc, argv, "restore");
	return usage();
}

int main(int argc, char **argv)
{
	int r;

	if (argc < 2)
		return usage();
	dmops_init();
	r = dispatch(argc - 1, argv + 1);
	dmops_exit();
	return r;
}
