// SPDX-License-Identifier: GPL-2.0
/*
 * mkzonefs: write a zonefs super block to zone 0 of a zoned block device, so
 * that `mount -t zonefs` works where zonefs-tools is not packaged (Debian 12).
 * The format is the kernel's (fs/zonefs/zonefs.h): a 4096-byte block at
 * sector 0, magic "SFOZ", crc32 over the block with the crc field zero, no
 * features. Zone 0 must be a conventional or empty sequential zone; it is
 * never a file. Usage: mkzonefs DEV
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZONEFS_MAGIC 0x5a4f4653u
#define ZONEFS_SUPER_SIZE 4096
#define ZONEFS_LABEL "dmemu"

/* The kernel's crc32_le() (polynomial 0xedb88320), without final inversion. */
static uint32_t crc32_le(uint32_t crc, const unsigned char *p, size_t len)
{
	while (len--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return crc;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

int main(int argc, char **argv)
{
	unsigned char *sb;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: mkzonefs DEV\n");
		return 2;
	}
	/* O_DIRECT: a sequential zone 0 takes the block as one aligned write */
	if (posix_memalign((void **)&sb, ZONEFS_SUPER_SIZE, ZONEFS_SUPER_SIZE))
		return 1;
	memset(sb, 0, ZONEFS_SUPER_SIZE);
	put_le32(sb, ZONEFS_MAGIC);
	/* s_label at offset 8 (32 bytes); uuid, features, uid, gid, perm zero */
	memcpy(sb + 8, ZONEFS_LABEL, strlen(ZONEFS_LABEL));
	put_le32(sb + 4, crc32_le(~0u, sb, ZONEFS_SUPER_SIZE));

	fd = open(argv[1], O_WRONLY | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "mkzonefs: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (pwrite(fd, sb, ZONEFS_SUPER_SIZE, 0) != ZONEFS_SUPER_SIZE ||
	    fsync(fd)) {
		fprintf(stderr, "mkzonefs: writing %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	close(fd);
	free(sb);
	return 0;
}
