/*
 * httpd.h -- GNU libmicrohttpd, opened when the reading room starts.
 *
 * Callers: serve.c (fzsearch --serve).
 *
 * fzsearch is mostly run once a query.  Linked in, libmicrohttpd, GnuTLS
 * and the eight libraries GnuTLS needs (p11-kit, nettle, gmp, ...) cost
 * every run of the programs about 5 ms of loading and initialisers,
 * a third of a one-shot query here (HACKING.md, h27).  So the programs are
 * not linked with it: httpd_open opens it (dlopen of the soname of the ABI
 * its header describes) when --serve starts, and serve.c calls it through
 * the table below.  Its types and constants come from <microhttpd.h> as
 * they are.  The table is a handle: no global state.
 */
#ifndef HTTPD_H
#define HTTPD_H

#include <stddef.h>
#include <microhttpd.h>

/* The library's ABI that <microhttpd.h> (0.9.x, 1.0.x) describes. */
#define HTTPD_SONAME "libmicrohttpd.so.12"

/* The functions serve.c calls, with libmicrohttpd's own types (one per
 * MHD_ function of the same name without the prefix). */
typedef struct {
    __typeof__(MHD_start_daemon) *start_daemon;
    __typeof__(MHD_stop_daemon) *stop_daemon;
    __typeof__(MHD_get_daemon_info) *get_daemon_info;
    __typeof__(MHD_get_connection_values_n) *get_connection_values_n;
    __typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
    __typeof__(MHD_add_response_header) *add_response_header;
    __typeof__(MHD_queue_response) *queue_response;
    __typeof__(MHD_destroy_response) *destroy_response;
    void *lib; /* dlopen's handle */
} httpd;

/* Opens the library (soname, NULL: HTTPD_SONAME) and finds its functions.
 * On success *out is a table to give to httpd_close.  FZ_ENOMEM, or FZ_EIO
 * with msg "--serve needs libmicrohttpd (SONAME): why" when the library
 * is not installed or lacks a function (*out NULL). */
int httpd_open(const char *soname, httpd **out, char *msg, size_t msglen);

/* Closes the library; the table and every response and daemon made
 * through it must be done with.  NULL is safe. */
void httpd_close(httpd *h);

#endif
