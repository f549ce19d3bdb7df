// SPDX-License-Identifier: GPL-2.0-or-later
/* stlink_server: the emulated ST-Link behind ST's stlink-server TCP
 * protocol on loopback, so unmodified OpenOCD reaches it with
 * `hla_stlink_backend tcp PORT` (HLA) or `st-link backend tcp PORT`
 * (dapdirect) and no USB emulation at all. Framing: ../shared/STLINK.md
 * §4.2 (OpenOCD 0.12 stlink_usb.c, the only client; stlink-tools has no
 * TCP backend).
 *
 *   stlink_server [--port N] [--port-file FILE]
 *
 * Port 0 (the default) picks a free one; the port is printed on stdout
 * ("listening on 127.0.0.1:PORT") and written to FILE. The dongle and the
 * chip come from STLINK_EMU and STLINK_EMU_SIM as for tests/with-stlink,
 * STLINK_EMU_STATS gets the counters at exit (SIGTERM or SIGINT). One
 * client at a time; the dongle and chip live as long as the server, so
 * several OpenOCD runs in a row see one dongle. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../sim/sim.h"
#include "stlink_emu.h"

/* stlink-server statuses (OpenOCD 0.12 stlink_usb.c STLINK_TCP_SS_*). */
#define SS_OK 1u
#define SS_TIMEOUT 0x1001u
#define SS_BAD_PARAMETER 0x1002u
#define SS_OPEN_ERR 0x1003u
#define DEVICE_ID 0x00010001u
#define CONNECT_ID 0x00000042u

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0) {
			if (n < 0 && errno == EINTR && !stop)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One SEND_USB_CMD: the 16-byte command, its data (write) or its reply
 * (read, padded to the size asked for). Returns the reply length. */
static size_t usb_cmd(struct stlink_emu *e, const uint8_t *hdr, const uint8_t *data,
		      uint8_t *reply, uint32_t *ss)
{
	uint8_t dir = hdr[24];
	uint32_t size = le32(hdr + 28);
	size_t got = 0;
	int n;

	*ss = SS_OK;
	n = stlink_emu_bulk_out(e, stlink_emu_ep_out(e), hdr + 8, 16);
	if (n >= 0 && dir == 0 && size)
		n = stlink_emu_bulk_out(e, stlink_emu_ep_out(e), data, size);
	if (n < 0) {
		/* gone: as if the server lost the device; halted: a timeout */
		*ss = n == -ENODEV ? SS_OPEN_ERR : SS_TIMEOUT;
		return dir == 1 ? size : 0;
	}
	if (dir != 1)
		return 0;
	memset(reply, 0, size);
	while (got < size) {
		n = stlink_emu_bulk_in(e, stlink_emu_ep_in(e), reply + got, size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return size;
}

static void serve(int c, struct stlink_emu *e)
{
	static uint8_t data[8192], reply[8192 + 4];
	uint8_t op, req[64], r[64];
	int opened = 0;

	while (!stop && read_full(c, &op, 1) == 0) {
		size_t rest, rlen = 0;

		req[0] = op;
		switch (op) {
		case 0x06: rest = 3; break;
		case 0x00: rest = 1; break;
		case 0x01: rest = 0; break;
		case 0x02: case 0x03: case 0x04: rest = 7; break;
		case 0x05: rest = 31; break;
		default:
			fprintf(stderr, "stlink_server: unknown request 0x%02X: closing\n", op);
			return;
		}
		if (rest && read_full(c, req + 1, rest))
			return;
		memset(r, 0, sizeof(r));
		switch (op) {
		case 0x06: /* GET_SERVER_VERSION: api 2, version 2.1.0 (no ss) */
			put32(r, 2);
			put32(r + 4, 2);
			put32(r + 8, 1);
			put32(r + 12, 0);
			rlen = 16;
			break;
		case 0x00: /* REFRESH_DEVICE_LIST */
			put32(r, SS_OK);
			rlen = 4;
			break;
		case 0x01: /* GET_NB_DEV (no ss) */
			put32(r, stlink_emu_unplugged(e) ? 0 : 1);
			rlen = 4;
			break;
		case 0x02: { /* GET_DEV_INFO: TDeviceInfo2, 41 bytes after ss */
			const struct stlink_emu_config *cfg = stlink_emu_config(e);

			put32(r, req[1] == 0 && !stlink_emu_unplugged(e) ? SS_OK : SS_BAD_PARAMETER);
			put32(r + 4, DEVICE_ID);
			memcpy(r + 8, cfg->serial, 24);
			r[40] = 0x83;
			r[41] = 0x04;
			r[42] = (uint8_t)cfg->pid;
			r[43] = (uint8_t)(cfg->pid >> 8);
			r[44] = (uint8_t)opened;
			rlen = 45;
			break;
		}
		case 0x03: /* OPEN_DEV */
			put32(r, le32(req + 4) == DEVICE_ID && !opened ? SS_OK : SS_OPEN_ERR);
			put32(r + 4, CONNECT_ID);
			opened = le32(req + 4) == DEVICE_ID;
			rlen = 8;
			break;
		case 0x04: /* CLOSE_DEV */
			put32(r, SS_OK);
			opened = 0;
			rlen = 4;
			break;
		case 0x05: { /* SEND_USB_CMD */
			uint32_t size = le32(req + 28), ss;
			size_t n;

			if (size > sizeof(data)) {
				fprintf(stderr, "stlink_server: transfer of %u bytes: closing\n", size);
				return;
			}
			if (req[24] == 0 && size && read_full(c, data, size))
				return;
			n = usb_cmd(e, req, data, reply + 4, &ss);
			if (!opened || le32(req + 4) != CONNECT_ID)
				ss = SS_BAD_PARAMETER;
			put32(reply, ss);
			if (write_full(c, reply, 4 + n))
				return;
			continue;
		}
		}
		if (write_full(c, r, rlen))
			return;
	}
}

static void write_stats(struct stlink_emu *e)
{
	const char *path = getenv("STLINK_EMU_STATS");
	struct sim_chip *chip = stlink_emu_chip(e);
	char buf[2048];
	FILE *f;

	if (!path || !*path || !(f = fopen(path, "w")))
		return;
	stlink_emu_counters_json(e, buf, sizeof(buf));
	fprintf(f, "{\"stlink\": %s", buf);
	if (chip) {
		const struct sim_counters *sc = sim_counters(chip);

		fprintf(f, ",\n \"sim\": {\"cycles\": %llu, \"time_ns\": %llu, \"nvmc_writes\": %llu, "
			   "\"nvmc_page_erases\": %llu, \"ctrlap_erase_alls\": %llu}",
			(unsigned long long)sc->cycles, (unsigned long long)sim_time_ns(chip),
			(unsigned long long)sc->nvmc_writes, (unsigned long long)sc->nvmc_page_erases,
			(unsigned long long)sc->ctrlap_erase_alls);
	}
	fprintf(f, "}\n");
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *simspec = getenv("STLINK_EMU_SIM"), *port_file = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct sigaction act = { .sa_handler = on_signal };
	struct stlink_emu *e;
	char err[256];
	long port = 0;
	int s, one = 1;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			port = strtol(argv[++i], &end, 10);
			if (*end || port < 0 || port > 65535) {
				fprintf(stderr, "stlink_server: --port %s: want 0..65535\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--port-file") && i + 1 < argc) {
			port_file = argv[++i];
		} else {
			fprintf(stderr, "usage: stlink_server [--port N] [--port-file FILE]\n");
			return 2;
		}
	}
	e = stlink_emu_new_spec(getenv("STLINK_EMU"), simspec && *simspec ? simspec : "part=nrf52840",
				err, sizeof(err));
	if (!e) {
		fprintf(stderr, "stlink_server: %s\n", err);
		return 1;
	}
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 1) ||
	    getsockname(s, (struct sockaddr *)&sa, &sl)) {
		fprintf(stderr, "stlink_server: 127.0.0.1:%ld: %s\n", port, strerror(errno));
		stlink_emu_free(e);
		return 1;
	}
	printf("listening on 127.0.0.1:%u\n", ntohs(sa.sin_port));
	fflush(stdout);
	if (port_file) {
		FILE *f = fopen(port_file, "w");

		if (f) {
			fprintf(f, "%u\n", ntohs(sa.sin_port));
			fclose(f);
		}
	}
	while (!stop) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		serve(c, e);
		close(c);
	}
	close(s);
	write_stats(e);
	stlink_emu_free(e);
	return 0;
}
