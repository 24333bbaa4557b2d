// SPDX-License-Identifier: GPL-2.0
/*
 * crashcheck: prove that what a device acknowledged as durable survives a
 * power cut.
 *
 *   crashcheck write DEV LEDGER [options]   write, flush, FUA; record the ledger
 *   crashcheck verify DEV LEDGER [-v]       after cut + restore: judge every block
 *
 * Exit status: 0 pass (write: ran), 1 verify found a violation, 2 usage or setup error.
 */
#include "block.h"
#include "ledger.h"
#include "verify.h"
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr,
		"usage: crashcheck write DEV LEDGER [--bs B] [--blocks N] [--ops N] [--seed S]\n"
		"                  [--sync-every N] [--fua-every N] [--dev-id ID]\n"
		"       crashcheck verify DEV LEDGER [-v]\n");
	exit(2);
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end) {
		fprintf(stderr, "crashcheck: '%s' is not a number\n", s);
		exit(2);
	}
	return v;
}

static uint64_t dev_bytes(const char *dev)
{
	uint64_t bytes = 0;
	struct stat st;
	int fd = open(dev, O_RDONLY);

	/* A regular file works too, for the checker's own tests. */
	if (fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode))
		bytes = (uint64_t)st.st_size;
	else if (fd < 0 || ioctl(fd, BLKGETSIZE64, &bytes)) {
		fprintf(stderr, "crashcheck: cannot size %s: %s\n", dev, strerror(errno));
		exit(2);
	}
	close(fd);
	return bytes;
}

static int do_write(int argc, char **argv)
{
	struct writer_opts o = { .dev = argv[0], .ops = 1000, .seed = 1 };
	uint64_t bs = 4096, blocks = 0, dev_id = 1, max;
	struct ledger l;
	long long done;
	int io_error;

	for (int i = 2; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--bs"))
			bs = num(argv[++i]);
		else if (!strcmp(argv[i], "--blocks"))
			blocks = num(argv[++i]);
		else if (!strcmp(argv[i], "--ops"))
			o.ops = num(argv[++i]);
		else if (!strcmp(argv[i], "--seed"))
			o.seed = num(argv[++i]);
		else if (!strcmp(argv[i], "--sync-every"))
			o.sync_every = num(argv[++i]);
		else if (!strcmp(argv[i], "--fua-every"))
			o.fua_every = num(argv[++i]);
		else if (!strcmp(argv[i], "--dev-id"))
			dev_id = num(argv[++i]);
		else
			usage();
	}
	if (bs < 512 || bs % 512 || bs > (1 << 20)) {
		fprintf(stderr, "crashcheck: --bs must be a multiple of 512 up to 1 MiB\n");
		return 2;
	}
	max = dev_bytes(o.dev) / bs;
	if (!blocks || blocks > max)
		blocks = max;
	if (!blocks || ledger_init(&l, dev_id, bs, blocks))
		return 2;
	done = writer_run(&o, &l, &io_error);
	if (ledger_save(&l, argv[1])) {
		fprintf(stderr, "crashcheck: cannot write ledger %s\n", argv[1]);
		done = -1;
	}
	ledger_free(&l);
	if (done < 0)
		return 2;
	if (io_error)
		printf("crashcheck: stopped by an I/O error (%s) after %lld writes\n",
		       strerror(io_error), done);
	else
		printf("crashcheck: %lld writes done\n", done);
	return 0;
}

static int do_verify(int argc, char **argv)
{
	int verbose = argc > 2 && !strcmp(argv[2], "-v");
	struct verdict v;
	struct ledger l;
	int bad;

	if (argc > 3 || (argc == 3 && !verbose))
		usage();
	if (ledger_load(&l, argv[1])) {
		fprintf(stderr, "crashcheck: cannot read ledger %s\n", argv[1]);
		return 2;
	}
	if (verify_run(argv[0], &l, &v, verbose)) {
		ledger_free(&l);
		return 2;
	}
	ledger_free(&l);
	bad = v.stale || v.corrupt || v.foreign;
	printf("crashcheck: %s blocks=%" PRIu64 " durable=%" PRIu64 " newer=%" PRIu64
	       " stale=%" PRIu64 " corrupt=%" PRIu64 " foreign=%" PRIu64 "\n",
	       bad ? "FAIL" : "PASS", v.blocks, v.durable, v.newer, v.stale,
	       v.corrupt, v.foreign);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		usage();
	if (!strcmp(argv[1], "write"))
		return do_write(argc - 2, argv + 2);
	if (!strcmp(argv[1], "verify"))
		return do_verify(argc - 2, argv + 2);
	usage();
	return 2;
}
