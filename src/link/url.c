/* SPDX-License-Identifier: MIT */
/*
 * link/url.c: URL splitting for the link layer (see url.h). Pure string
 * work: no allocation, no system call.
 */
#include "link/url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <ipcx/error.h>

int ipcx__url_parse(const char *url, struct ipcx__url *out)
{
    if (!url || !out)
        return IPCX_EBADURL;
    size_t len = strnlen(url, IPCX__URL_MAX);
    if (len >= IPCX__URL_MAX)
        return IPCX_EBADURL;
    for (size_t i = 0; i < len; i++)
        if (iscntrl((unsigned char)url[i]))
            return IPCX_EBADURL;
    const char *colon = memchr(url, ':', len);
    if (!colon || colon == url)
        return IPCX_EBADURL;
    size_t slen = (size_t)(colon - url);
    if (slen >= sizeof out->scheme || !isalpha((unsigned char)url[0]))
        return IPCX_EBADURL;
    for (size_t i = 0; i < slen; i++) {
        unsigned char c = (unsigned char)url[i];
        if (!isalnum(c) && c != '+' && c != '-' && c != '.')
            return IPCX_EBADURL;
        out->scheme[i] = (char)tolower(c);
    }
    out->scheme[slen] = '\0';
    const char *rest = colon + 1;
    out->had_slashes = rest[0] == '/' && rest[1] == '/';
    if (out->had_slashes)
        rest += 2;
    memcpy(out->rest, rest, strlen(rest) + 1);
    return 0;
}

int ipcx__url_hostport(const char *rest, char *host, size_t host_size, unsigned *port)
{
    const char *hend, *p;
    if (rest[0] == '[') {
        hend = strchr(rest, ']');
        if (!hend || hend[1] != ':')
            return IPCX_EBADURL;
        rest++;
        p = hend + 2;
    } else {
        hend = strrchr(rest, ':');
        if (!hend || memchr(rest, ':', (size_t)(hend - rest)))
            return IPCX_EBADURL;
        p = hend + 1;
    }
    size_t hlen = (size_t)(hend - rest);
    if (hlen == 0 || hlen >= host_size)
        return IPCX_EBADURL;
    if (!isdigit((unsigned char)p[0]) || strlen(p) > 5)
        return IPCX_EBADURL;
    char *end;
    unsigned long v = strtoul(p, &end, 10);
    if (*end != '\0' || v > 65535)
        return IPCX_EBADURL;
    memcpy(host, rest, hlen);
    host[hlen] = '\0';
    *port = (unsigned)v;
    return 0;
}
