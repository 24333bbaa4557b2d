/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DMEMU_CUT_H
#define DMEMU_CUT_H

/* Cut the power of several powercut devices at one instant; 0 on success. */
int cut_devices(char **names, int n);

#endif
