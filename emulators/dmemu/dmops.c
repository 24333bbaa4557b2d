// SPDX-License-Identifier: GPL-2.0
/* libdevmapper calls. udev sync is off: the guests and CI boxes run without udev. */
#include "dmops.h"

#include <libdevmapper.h>
#include <stdio.h>
#include <string.h>

void dmops_init(void)
{
	dm_udev_set_sync_support(0);
}

void dmops_exit(void)
{
	dm_lib_release();
}

static struct dm_task *task(int type, const char *name)
{
	struct dm_task *dmt = dm_task_create(type);

	if (!dmt)
		return NULL;
	if (name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

static int run(struct dm_task *dmt)
{
	int ok = dmt && dm_task_run(dmt);

	if (dmt)
		dm_task_destroy(dmt);
	return ok ? 0 : -1;
}

int dmops_create(const char *name, uint64_t sectors, const char *target, const char *params)
{
	struct dm_task *dmt = task(DM_DEVICE_CREATE, name);

	if (dmt && !dm_task_add_target(dmt, 0, sectors, target, params)) {
		dm_task_destroy(dmt);
		return -1;
	}
	return run(dmt);
}

int dmops_remove(const char *name)
{
	return run(task(DM_DEVICE_REMOVE, name));
}

int dmops_suspend_noflush(const char *name)
{
	struct dm_task *dmt = task(DM_DEVICE_SUSPEND, name);

	if (dmt && (!dm_task_no_flush(dmt) || !dm_task_skip_lockfs(dmt))) {
		dm_task_destroy(dmt);
		return -1;
	}
	return run(dmt);
}

int dmops_resume(const char *name)
{
	return run(task(DM_DEVICE_RESUME, name));
}

int dmops_message(const char *name, const char *msg, char *resp, size_t resp_len)
{
	struct dm_task *dmt = task(DM_DEVICE_TARGET_MSG, name);
	const char *r;
	int ok;

	if (!dmt)
		return -1;
	ok = dm_task_set_sector(dmt, 0) && dm_task_set_message(dmt, msg) && dm_task_run(dmt);
	if (ok && resp && resp_len) {
		r = dm_task_get_message_response(dmt);
		snprintf(resp, resp_len, "%s", r ? r : "");
	}
	dm_task_destroy(dmt);
	return ok ? 0 : -1;
}

int dmops_status(const char *name, int table, char *type, size_t type_len,
		 char *params, size_t params_len)
{
	struct dm_task *dmt = task(table ? DM_DEVICE_TABLE : DM_DEVICE_STATUS, name);
	uint64_t start, length;
	char *ttype = NULL, *p = NULL;

	if (!dmt || !dm_task_run(dmt)) {
		if (dmt)
			dm_task_destroy(dmt);
		return -1;
	}
	dm_get_next_target(dmt, NULL, &start, &length, &ttype, &p);
	snprintf(type, type_len, "%s", ttype ? ttype : "");
	snprintf(params, params_len, "%s", p ? p : "");
	dm_task_destroy(dmt);
	return 0;
}

int dmops_list(void (*fn)(const char *name, void *arg), void *arg)
{
	struct dm_task *dmt = task(DM_DEVICE_LIST, NULL);
	struct dm_names *names;
	unsigned int next = 0;

	if (!dmt || !dm_task_run(dmt) || !(names = dm_task_get_names(dmt))) {
		if (dmt)
			dm_task_destroy(dmt);
		return -1;
	}
	if (names->dev) {
		do {
			names = (struct dm_names *)((char *)names + next);
			fn(names->name, arg);
			next = names->next;
		} while (next);
	}
	dm_task_destroy(dmt);
	return 0;
}
