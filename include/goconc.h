/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libgoconc: Go's concurrency runtime for C. This umbrella header
 * includes every public header; see README.md and docs/.
 */
#ifndef GOCONC_H
#define GOCONC_H

#include <goconc/version.h>
#include <goconc/features.h>
#include <goconc/common.h>
#include <goconc/atomic.h>
#include <goconc/ring.h>
#include <goconc/sched.h>
#include <goconc/sync.h>
#include <goconc/map.h>
#include <goconc/chan.h>
#include <goconc/select.h>
#include <goconc/context.h>

#endif /* GOCONC_H */
