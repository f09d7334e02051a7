/* SPDX-License-Identifier: MIT */
/*
 * link/url.h: splitting a transport URL into its scheme and the part the
 * transport reads. Every URL is "scheme:rest"; when rest starts with "//"
 * the two slashes are dropped ("unix:///run/x" gives rest "/run/x",
 * "tcp://h:1" gives "h:1", "pipe:3,4" gives "3,4"). Nothing is allocated:
 * the parts are copied into the struct, whose sizes bound every URL.
 */
#ifndef IPCX_LINK_URL_H
#define IPCX_LINK_URL_H

#include <stddef.h>

#define IPCX__URL_MAX 1024

struct ipcx__url {
    char scheme[16];
    char rest[IPCX__URL_MAX];
    int had_slashes; /* rest was written after "//" */
};

/*
 * Splits `url`. IPCX_EBADURL for NULL, a missing or malformed scheme
 * (letters, digits, '+', '-', '.'; starting with a letter; at most 15),
 * control characters anywhere, or a URL of IPCX__URL_MAX bytes or more.
 */
int ipcx__url_parse(const char *url, struct ipcx__url *out);

/*
 * Splits "host:port", "[v6]:port" into `host` (brackets removed) and a
 * port 0..65535. IPCX_EBADURL when malformed or `host` is too short.
 */
int ipcx__url_hostport(const char *rest, char *host, size_t host_size, unsigned *port);

#endif
