// SPDX-License-Identifier: GPL-2.0-or-later
/* dlog: daemon log lines on stderr with syslog priority prefixes
 * ("<3>" error, "<4>" warning, "<6>" info, "<7>" debug), which journald
 * turns into priorities. Each line is written with one write(2), so lines
 * from different threads never interleave. */
#ifndef COMMON_DLOG_H
#define COMMON_DLOG_H

enum dlog_prio { DLOG_ERR = 3, DLOG_WARNING = 4, DLOG_NOTICE = 5, DLOG_INFO = 6, DLOG_DEBUG = 7 };

void dlog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
