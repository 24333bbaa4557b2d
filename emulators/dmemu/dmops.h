/* SPDX-License-Identifier: GPL-2.0 */
/* Thin wrappers over libdevmapper: one device-mapper ioctl each. */
#ifndef DMEMU_DMOPS_H
#define DMEMU_DMOPS_H

#include <stddef.h>
#include <stdint.h>

void dmops_init(void);
void dmops_exit(void);	/* applies pending /dev/mapper node changes */
int dmops_create(const char *name, uint64_t sectors, const char *target, const char *params);
int dmops_remove(const char *name);
/* noflush: keep the target's volatile state; no fs freeze either (a power cut syncs nothing). */
int dmops_suspend_noflush(const char *name);
int dmops_resume(const char *name);
/* Message to sector 0; the response (if any) is copied into resp. */
int dmops_message(const char *name, const char *msg, char *resp, size_t resp_len);
/* First target's type and status (info) or table line; 0 on success. */
int dmops_status(const char *name, int table, char *type, size_t type_len,
		 char *params, size_t params_len);
/* Call fn for every dm device name. */
int dmops_list(void (*fn)(const char *name, void *arg), void *arg);

#endif
