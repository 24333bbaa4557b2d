// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of zone_model: every transition, the open/active limits and
 * the round-robin implicit close, ZBC versus ZNS, zone capacity, faults.
 * Prints one line per failed check and a summary; exit status 1 on failure.
 */
#include "../zone_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int checks, failures;

#define CHECK(expr) check((expr), #expr, __FILE__, __LINE__)
#define EQ(a, b) check_eq((long long)(a), (long long)(b), #a, #b, __LINE__)

static void check(int ok, const char *what, const char *file, int line)
{
	checks++;
	if (!ok) {
		failures++;
		printf("FAIL %s:%d: %s\n", file, line, what);
	}
}

static void check_eq(long long a, long long b, const char *sa, const char *sb,
		     int line)
{
	checks++;
	if (a != b) {
		failures++;
		printf("FAIL line %d: %s == %lld, expected %s == %lld\n", line,
		       sa, a, sb, b);
	}
}

/* 8 zones of 64 sectors, 1 conventional, optional limits and capacity. */
static void mkdev(struct zm_dev *d, uint32_t mo, uint32_t ma, uint64_t cap,
		  enum zm_semantics sem)
{
	struct zm_config c = {
		.capacity = 512, .zone_sectors = 64, .zone_cap = cap,
		.nr_conv = 1, .max_open = mo, .max_active = ma,
		.semantics = sem,
	};

	if (zm_init(d, &c)) {
		printf("FAIL: zm_init\n");
		exit(1);
	}
}

#define COND(d, n) ((d)->zones[n].cond)
#define WP(d, n) ((d)->zones[n].wp)
#define ZS(n) ((uint64_t)(n) * 64)

static void test_geometry(void)
{
	struct zm_dev d;
	struct zm_config c = { .capacity = 1000, .zone_sectors = 64 };

	EQ(zm_init(&d, &c), 0);
	EQ(d.nr_zones, 16);		/* smaller last zone counts */
	EQ(d.zones[15].len, 1000 - 960);
	EQ(d.zones[15].cap, 1000 - 960);
	EQ(COND(&d, 0), ZM_COND_EMPTY);
	zm_free(&d);

	c.zone_sectors = 48;		/* not a power of two */
	EQ(zm_init(&d, &c), -EINVAL);
	c.zone_sectors = 2048;		/* larger than the device */
	EQ(zm_init(&d, &c), -EINVAL);
	c.zone_sectors = 64;
	c.zone_cap = 65;		/* capacity > size */
	EQ(zm_init(&d, &c), -EINVAL);
	c.zone_cap = 32;		/* smaller last zone with cap < size */
	EQ(zm_init(&d, &c), -EINVAL);

	/* Conventional zones: NOT_WP, wp = start + len, always one seq zone. */
	c = (struct zm_config){ .capacity = 256, .zone_sectors = 64,
				.nr_conv = 9 };
	EQ(zm_init(&d, &c), 0);
	EQ(d.cfg.nr_conv, 3);
	EQ(COND(&d, 0), ZM_COND_NOT_WP);
	EQ(d.zones[0].type, ZM_TYPE_CONV);
	EQ(WP(&d, 2), ZS(3));
	EQ(COND(&d, 3), ZM_COND_EMPTY);
	zm_free(&d);

	/* Limit sanity rules. */
	c = (struct zm_config){ .capacity = 512, .zone_sectors = 64,
				.nr_conv = 1, .max_open = 5, .max_active = 3 };
	EQ(zm_init(&d, &c), 0);
	EQ(d.cfg.max_open, 3);		/* clamped to max_active */
	zm_free(&d);
	c.max_active = 7;		/* = number of seq zones: disabled */
	c.max_open = 7;
	EQ(zm_init(&d, &c), 0);
	EQ(d.cfg.max_active, 0);
	EQ(d.cfg.max_open, 0);
	zm_free(&d);
	c.max_active = 0;
	c.max_open = 6;
	EQ(zm_init(&d, &c), 0);
	EQ(d.cfg.max_open, 6);
	zm_free(&d);
}

static void test_write(void)
{
	struct zm_dev d;
	uint64_t v;

	mkdev(&d, 0, 0, 0, ZM_ZNS);
	/* Conventional zone: random writes, reads always valid. */
	EQ(zm_write(&d, 10, 5), 0);
	EQ(zm_write(&d, 0, 64), 0);
	EQ(zm_read(&d, 3, 8, &v), 0);
	EQ(v, 8);
	/* Crossing conventional -> sequential: boundary violation. */
	EQ(zm_write(&d, 60, 8), -EIO);
	EQ(COND(&d, 1), ZM_COND_EMPTY);

	/* At the wp: EMPTY -> IMP_OPEN, wp advances. */
	EQ(zm_write(&d, ZS(1), 8), 0);
	EQ(COND(&d, 1), ZM_COND_IMP_OPEN);
	EQ(WP(&d, 1), ZS(1) + 8);
	EQ(d.nr_imp_open, 1);
	/* Away from the wp (before and after): -EIO, no change. */
	EQ(zm_write(&d, ZS(1), 8), -EIO);
	EQ(zm_write(&d, ZS(1) + 16, 8), -EIO);
	EQ(WP(&d, 1), ZS(1) + 8);
	/* Crossing into the next zone. */
	EQ(zm_write(&d, ZS(1) + 8, 64), -EIO);
	/* Reads: below the wp valid, partial, above zero. */
	EQ(zm_read(&d, ZS(1), 8, &v), 0);
	EQ(v, 8);
	EQ(zm_read(&d, ZS(1) + 4, 8, &v), 0);
	EQ(v, 4);
	EQ(zm_read(&d, ZS(1) + 20, 8, &v), 0);
	EQ(v, 0);
	EQ(zm_read(&d, ZS(1) + 60, 8, &v), -EINVAL);	/* two zones */
	/* Fill: FULL, open count released, wp = start + cap. */
	EQ(zm_write(&d, ZS(1) + 8, 56), 0);
	EQ(COND(&d, 1), ZM_COND_FULL);
	EQ(WP(&d, 1), ZS(2));
	EQ(d.nr_imp_open, 0);
	EQ(zm_write(&d, ZS(2) - 8, 8), -EIO);		/* FULL */
	/* Out of range and empty writes are caller errors. */
	EQ(zm_write(&d, 512, 1), -EINVAL);
	EQ(zm_write(&d, ZS(2), 0), -EINVAL);
	zm_free(&d);
}

static void test_capacity(void)
{
	struct zm_dev d;
	uint64_t s;

	mkdev(&d, 0, 0, 48, ZM_ZNS);
	EQ(d.zones[1].cap, 48);
	EQ(zm_write(&d, ZS(1), 56), -EIO);	/* beyond capacity */
	EQ(COND(&d, 1), ZM_COND_EMPTY);
	EQ(zm_write(&d, ZS(1), 40), 0);
	EQ(zm_write(&d, ZS(1) + 40, 16), -EIO);
	EQ(zm_write(&d, ZS(1) + 40, 8), 0);
	EQ(COND(&d, 1), ZM_COND_FULL);
	EQ(WP(&d, 1), ZS(1) + 48);		/* filled: start + capacity */
	EQ(zm_finish(&d, 2), 0);
	EQ(WP(&d, 2), ZS(3));			/* finished: start + len */
	EQ(zm_append(&d, 3, 48, &s), 0);
	EQ(s, ZS(3));
	EQ(COND(&d, 3), ZM_COND_FULL);
	zm_free(&d);
}

static void test_append(void)
{
	struct zm_dev d;
	uint64_t s = 0;

	mkdev(&d, 0, 0, 0, ZM_ZNS);
	EQ(zm_append(&d, 0, 8, &s), -EIO);		/* conventional */
	EQ(zm_append(&d, 2, 8, &s), 0);
	EQ(s, ZS(2));
	EQ(zm_append(&d, 2, 8, &s), 0);
	EQ(s, ZS(2) + 8);
	EQ(COND(&d, 2), ZM_COND_IMP_OPEN);
	EQ(zm_append(&d, 2, 65, &s), -EIO);		/* > zone size */
	EQ(zm_append(&d, 2, 64, &s), -EIO);		/* beyond capacity */
	EQ(zm_append(&d, 2, 48, &s), 0);
	EQ(COND(&d, 2), ZM_COND_FULL);
	EQ(zm_append(&d, 2, 1, &s), -EIO);		/* FULL */
	EQ(zm_append(&d, 8, 1, &s), -EINVAL);
	zm_free(&d);
}

static void test_mgmt(enum zm_semantics sem)
{
	int noop = sem == ZM_ZBC ? 0 : -EIO;
	struct zm_dev d;

	mkdev(&d, 0, 0, 0, sem);
	/* Conventional zones refuse every zone operation. */
	EQ(zm_open(&d, 0), -EIO);
	EQ(zm_close(&d, 0), -EIO);
	EQ(zm_finish(&d, 0), -EIO);
	EQ(zm_reset(&d, 0), -EIO);
	EQ(zm_open(&d, 9), -EINVAL);

	/* open: EMPTY -> EXP_OPEN, twice is fine. */
	EQ(zm_open(&d, 1), 0);
	EQ(COND(&d, 1), ZM_COND_EXP_OPEN);
	EQ(zm_open(&d, 1), 0);
	EQ(d.nr_exp_open, 1);
	/* Writes keep EXP_OPEN. */
	EQ(zm_write(&d, ZS(1), 8), 0);
	EQ(COND(&d, 1), ZM_COND_EXP_OPEN);
	/* close with data: CLOSED; close of CLOSED: ok. */
	EQ(zm_close(&d, 1), 0);
	EQ(COND(&d, 1), ZM_COND_CLOSED);
	EQ(d.nr_closed, 1);
	EQ(zm_close(&d, 1), 0);
	/* A write reopens a CLOSED zone implicitly. */
	EQ(zm_write(&d, ZS(1) + 8, 8), 0);
	EQ(COND(&d, 1), ZM_COND_IMP_OPEN);
	EQ(d.nr_closed, 0);
	/* open of IMP_OPEN -> EXP_OPEN. */
	EQ(zm_open(&d, 1), 0);
	EQ(COND(&d, 1), ZM_COND_EXP_OPEN);
	EQ(d.nr_imp_open, 0);
	/* open of an empty zone then close: back to EMPTY, not CLOSED. */
	EQ(zm_open(&d, 2), 0);
	EQ(zm_close(&d, 2), 0);
	EQ(COND(&d, 2), ZM_COND_EMPTY);
	EQ(d.nr_closed, 0);
	/* open of CLOSED -> EXP_OPEN. */
	EQ(zm_close(&d, 1), 0);
	EQ(zm_open(&d, 1), 0);
	EQ(COND(&d, 1), ZM_COND_EXP_OPEN);

	/* ZBC/ZNS differences: close EMPTY, close FULL, open FULL. */
	EQ(zm_close(&d, 3), noop);
	EQ(COND(&d, 3), ZM_COND_EMPTY);
	EQ(zm_finish(&d, 3), 0);
	EQ(COND(&d, 3), ZM_COND_FULL);
	EQ(WP(&d, 3), ZS(4));
	EQ(zm_close(&d, 3), noop);
	EQ(zm_open(&d, 3), noop);
	EQ(COND(&d, 3), ZM_COND_FULL);
	EQ(zm_finish(&d, 3), 0);			/* finish FULL: ok */

	/* finish of open and closed zones; counters released. */
	EQ(zm_finish(&d, 1), 0);
	EQ(COND(&d, 1), ZM_COND_FULL);
	EQ(d.nr_exp_open, 0);
	EQ(zm_write(&d, ZS(4), 8), 0);
	EQ(zm_close(&d, 4), 0);
	EQ(zm_finish(&d, 4), 0);
	EQ(d.nr_closed, 0);

	/* reset: FULL/open/closed -> EMPTY at start; EMPTY is fine. */
	EQ(zm_reset(&d, 1), 0);
	EQ(COND(&d, 1), ZM_COND_EMPTY);
	EQ(WP(&d, 1), ZS(1));
	EQ(zm_reset(&d, 1), 0);
	EQ(zm_write(&d, ZS(5), 8), 0);
	EQ(zm_reset(&d, 5), 0);
	EQ(d.nr_imp_open, 0);

	/* reset all: every non-empty sequential zone. */
	EQ(zm_write(&d, ZS(5), 8), 0);
	EQ(zm_open(&d, 6), 0);
	EQ(zm_write(&d, 10, 8), 0);
	EQ(zm_reset_all(&d), 0);
	for (int i = 1; i < 8; i++)
		EQ(COND(&d, i), ZM_COND_EMPTY);
	EQ(COND(&d, 0), ZM_COND_NOT_WP);
	EQ(d.nr_imp_open + d.nr_exp_open + d.nr_closed, 0);
	zm_free(&d);
}

static void test_open_limit(void)
{
	struct zm_dev d;

	mkdev(&d, 2, 0, 0, ZM_ZNS);
	EQ(zm_write(&d, ZS(1), 8), 0);
	EQ(zm_write(&d, ZS(2), 8), 0);
	/* Third implicit open closes zone 1 (round-robin from the first). */
	EQ(zm_write(&d, ZS(3), 8), 0);
	EQ(COND(&d, 1), ZM_COND_CLOSED);
	EQ(COND(&d, 3), ZM_COND_IMP_OPEN);
	/* Next one closes zone 2: the cursor moved past zone 1. */
	EQ(zm_write(&d, ZS(1) + 8, 8), 0);
	EQ(COND(&d, 2), ZM_COND_CLOSED);
	EQ(COND(&d, 1), ZM_COND_IMP_OPEN);
	/* The cursor is now after zone 2: zone 3 goes next, not zone 1. */
	EQ(zm_open(&d, 4), 0);
	EQ(COND(&d, 3), ZM_COND_CLOSED);
	EQ(COND(&d, 1), ZM_COND_IMP_OPEN);
	/* Explicit opens are never closed implicitly. */
	EQ(zm_open(&d, 5), 0);
	EQ(COND(&d, 1), ZM_COND_CLOSED);
	EQ(zm_open(&d, 6), -ETOOMANYREFS);
	EQ(zm_write(&d, ZS(6), 8), -ETOOMANYREFS);
	EQ(zm_write(&d, ZS(1) + 16, 8), -ETOOMANYREFS);	/* CLOSED */
	EQ(COND(&d, 6), ZM_COND_EMPTY);
	/* finish of EMPTY and CLOSED zones needs an open resource too. */
	EQ(zm_finish(&d, 6), -ETOOMANYREFS);
	EQ(zm_finish(&d, 1), -ETOOMANYREFS);
	/* Writing into an EXP_OPEN zone needs nothing. */
	EQ(zm_write(&d, ZS(4), 8), 0);
	EQ(zm_close(&d, 4), 0);
	EQ(zm_write(&d, ZS(6), 8), 0);
	EQ(d.nr_imp_open, 1);
	EQ(d.nr_exp_open, 1);
	zm_free(&d);
}

static void test_active_limit(void)
{
	struct zm_dev d;

	mkdev(&d, 0, 2, 0, ZM_ZNS);
	EQ(zm_write(&d, ZS(1), 8), 0);
	EQ(zm_write(&d, ZS(2), 8), 0);
	EQ(zm_write(&d, ZS(3), 8), -EOVERFLOW);
	EQ(zm_open(&d, 3), -EOVERFLOW);
	EQ(zm_finish(&d, 3), -EOVERFLOW);
	/* CLOSED zones stay active. */
	EQ(zm_close(&d, 1), 0);
	EQ(zm_write(&d, ZS(3), 8), -EOVERFLOW);
	/* Reopening an active zone is fine. */
	EQ(zm_write(&d, ZS(1) + 8, 8), 0);
	/* A FULL zone is no longer active. */
	EQ(zm_finish(&d, 2), 0);
	EQ(zm_write(&d, ZS(3), 8), 0);
	/* Closing an open zone at its start gives the resource back. */
	EQ(zm_reset(&d, 3), 0);
	EQ(zm_open(&d, 3), 0);
	EQ(zm_close(&d, 3), 0);
	EQ(COND(&d, 3), ZM_COND_EMPTY);
	EQ(zm_open(&d, 4), 0);
	zm_free(&d);

	/* Both limits: at the active limit no implicit close helps. */
	mkdev(&d, 2, 3, 0, ZM_ZNS);
	EQ(zm_write(&d, ZS(1), 8), 0);
	EQ(zm_write(&d, ZS(2), 8), 0);
	EQ(zm_close(&d, 2), 0);
	EQ(zm_write(&d, ZS(3), 8), 0);
	EQ(zm_write(&d, ZS(4), 8), -EOVERFLOW);
	/* Reopening a CLOSED zone: the implicit close is refused too. */
	EQ(zm_write(&d, ZS(2) + 8, 8), -ETOOMANYREFS);
	zm_free(&d);
}

static void test_faults(void)
{
	struct zm_dev d;
	uint64_t v;

	mkdev(&d, 0, 0, 0, ZM_ZBC);
	EQ(zm_fault_set(&d, 0, ZM_COND_READONLY), -EINVAL);
	EQ(zm_fault_set(&d, 1, ZM_COND_FULL), -EINVAL);
	EQ(zm_write(&d, ZS(1), 8), 0);
	EQ(zm_fault_set(&d, 1, ZM_COND_READONLY), 0);
	EQ(COND(&d, 1), ZM_COND_READONLY);
	EQ(WP(&d, 1), ZM_WP_INVALID);
	EQ(d.nr_imp_open, 0);			/* finished first */
	EQ(zm_write(&d, ZS(1) + 8, 8), -EIO);
	EQ(zm_append(&d, 1, 8, &v), -EIO);
	EQ(zm_open(&d, 1), -EIO);
	EQ(zm_close(&d, 1), -EIO);
	EQ(zm_finish(&d, 1), -EIO);
	EQ(zm_reset(&d, 1), -EIO);
	EQ(zm_read(&d, ZS(1), 8, &v), 0);	/* readable */
	EQ(v, 8);
	EQ(zm_reset_all(&d), 0);		/* skipped */
	EQ(COND(&d, 1), ZM_COND_READONLY);

	EQ(zm_fault_set(&d, 2, ZM_COND_OFFLINE), 0);
	EQ(COND(&d, 2), ZM_COND_OFFLINE);
	EQ(zm_read(&d, ZS(2), 8, &v), -EIO);
	EQ(zm_write(&d, ZS(2), 8), -EIO);
	EQ(zm_reset(&d, 2), -EIO);
	/* READONLY -> OFFLINE directly; the same condition again clears. */
	EQ(zm_fault_set(&d, 1, ZM_COND_OFFLINE), 0);
	EQ(COND(&d, 1), ZM_COND_OFFLINE);
	EQ(zm_fault_set(&d, 1, ZM_COND_OFFLINE), 0);
	EQ(COND(&d, 1), ZM_COND_EMPTY);
	EQ(WP(&d, 1), ZS(1));
	EQ(zm_fault_clear(&d, 2), 0);
	EQ(COND(&d, 2), ZM_COND_EMPTY);
	EQ(zm_fault_clear(&d, 2), 0);		/* no fault: no-op */
	EQ(COND(&d, 2), ZM_COND_EMPTY);
	EQ(zm_write(&d, ZS(2), 8), 0);
	zm_free(&d);

	/* null_blk: a fault on an EMPTY zone at the open limit closes one. */
	mkdev(&d, 1, 0, 0, ZM_ZNS);
	EQ(zm_write(&d, ZS(1), 8), 0);
	EQ(zm_fault_set(&d, 2, ZM_COND_READONLY), 0);
	EQ(COND(&d, 1), ZM_COND_CLOSED);
	zm_free(&d);
}

static void test_report(void)
{
	struct zm_dev d;
	struct zm_zone z;

	mkdev(&d, 0, 0, 48, ZM_ZNS);
	EQ(zm_write(&d, ZS(3), 16), 0);
	EQ(zm_report(&d, 3, &z), 0);
	EQ(z.start, ZS(3));
	EQ(z.len, 64);
	EQ(z.cap, 48);
	EQ(z.wp, ZS(3) + 16);
	EQ(z.type, ZM_TYPE_SEQ_REQ);
	EQ(z.cond, ZM_COND_IMP_OPEN);
	EQ(zm_report(&d, 8, &z), -EINVAL);
	CHECK(zm_cond_name(ZM_COND_CLOSED)[0] == 'C');
	zm_free(&d);
}

int main(void)
{
	test_geometry();
	test_write();
	test_capacity();
	test_append();
	test_mgmt(ZM_ZNS);
	test_mgmt(ZM_ZBC);
	test_open_limit();
	test_active_limit();
	test_faults();
	test_report();
	printf("zone_model_test: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
