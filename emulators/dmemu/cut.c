// SPDX-License-Identifier: GPL-2.0
/*
 * One power cut across several devices: suspend every device (noflush, no fs
 * freeze) so no write completes on any of them after the instant, cut each,
 * then resume them all; the resumed devices fail every I/O until "restore".
 */
#include "cut.h"
#include "dmops.h"

#include <stdio.h>

int cut_devices(char **names, int n)
{
	int i, suspended = 0, r = 0;

	for (; suspended < n; suspended++) {
		if (dmops_suspend_noflush(names[suspended])) {
			fprintf(stderr, "dmemu: cannot suspend %s\n", names[suspended]);
			r = -1;
			break;
		}
	}
	for (i = 0; !r && i < n; i++) {
		if (dmops_message(names[i], "cut", NULL, 0)) {
			fprintf(stderr, "dmemu: cut of %s failed\n", names[i]);
			r = -1;
		}
	}
	for (i = 0; i < suspended; i++) {
		if (dmops_resume(names[i])) {
			fprintf(stderr, "dmemu: cannot resume %s\n", names[i]);
			r = -1;
		}
	}
	return r;
}
