/*
 * httpd.c -- libmicrohttpd opened at run time (see httpd.h).
 */
#include "httpd.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "fz.h"

/* The table's slots and the names of the functions that fill them. */
static const struct {
    const char *name;
    size_t off;
} httpd_syms[] = {
    {"MHD_start_daemon", offsetof(httpd, start_daemon)},
    {"MHD_stop_daemon", offsetof(httpd, stop_daemon)},
    {"MHD_get_daemon_info", offsetof(httpd, get_daemon_info)},
    {"MHD_get_connection_values_n", offsetof(httpd, get_connection_values_n)},
    {"MHD_create_response_from_buffer", offsetof(httpd, create_response_from_buffer)},
    {"MHD_add_response_header", offsetof(httpd, add_response_header)},
    {"MHD_queue_response", offsetof(httpd, queue_response)},
    {"MHD_destroy_response", offsetof(httpd, destroy_response)},
};

int httpd_open(const char *soname, httpd **out, char *msg, size_t msglen)
{
    *out = NULL;
    if (!soname)
        soname = HTTPD_SONAME;
    httpd *h = calloc(1, sizeof *h);
    if (!h)
        return FZ_ENOMEM;
    if (!(h->lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL))) {
        const char *why = dlerror();
        fz_msg(msg, msglen, "--serve needs libmicrohttpd (%s): %s", soname, why ? why : "not found");
        free(h);
        return FZ_EIO;
    }
    for (size_t i = 0; i < sizeof httpd_syms / sizeof *httpd_syms; i++) {
        void *f = dlsym(h->lib, httpd_syms[i].name);
        if (!f) {
            fz_msg(msg, msglen, "--serve needs libmicrohttpd (%s): it has no %s", soname, httpd_syms[i].name);
            httpd_close(h);
            return FZ_EIO;
        }
        /* a function pointer kept in its slot (POSIX: dlsym's object
         * pointer converts to a function pointer) */
        memcpy((char *)h + httpd_syms[i].off, &f, sizeof f);
    }
    *out = h;
    return FZ_OK;
}

void httpd_close(httpd *h)
{
    if (!h)
        return;
    if (h->lib)
        dlclose(h->lib);
    free(h);
}
