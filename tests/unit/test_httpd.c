/*
 * test_httpd.c -- searcher/httpd.c: libmicrohttpd opened at run time, and
 * what --serve says when it cannot be.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "fz.h"
#include "httpd.h"
#include "t.h"

static enum MHD_Result refuse(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    return MHD_NO;
}

TEST(test_open)
{
    char msg[256] = "";
    httpd *h = NULL;
    CHECK_EQ_INT(httpd_open(NULL, &h, msg, sizeof msg), FZ_OK);
    CHECK(h != NULL);
    if (!h)
        return;
    /* every slot found, and the library answers through them */
    CHECK(h->start_daemon && h->stop_daemon && h->get_daemon_info && h->get_connection_values_n &&
          h->create_response_from_buffer && h->add_response_header && h->queue_response && h->destroy_response);
    static char body[] = "ok";
    struct MHD_Response *r = h->create_response_from_buffer(2, body, MHD_RESPMEM_PERSISTENT);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(h->add_response_header(r, "X-Test", "1"), MHD_YES);
        h->destroy_response(r);
    }
    /* a daemon on a free loopback port, told its port, stopped */
    struct sockaddr_in lo = {0};
    lo.sin_family = AF_INET;
    lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = h->start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, refuse,
                                           NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&lo, MHD_OPTION_END);
    CHECK(d != NULL);
    if (d) {
        const union MHD_DaemonInfo *info = h->get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        CHECK(info && info->port > 0);
        h->stop_daemon(d);
    }
    httpd_close(h);
    httpd_close(NULL);
}

TEST(test_missing)
{
    char msg[256] = "";
    httpd *h = (httpd *)1;
    /* not installed: one line naming what --serve needs */
    CHECK_EQ_INT(httpd_open("libfangzhi-no-such-library.so.0", &h, msg, sizeof msg), FZ_EIO);
    CHECK(h == NULL);
    CHECK(strstr(msg, "--serve needs libmicrohttpd (libfangzhi-no-such-library.so.0)") == msg);
    CHECK(strchr(msg, '\n') == NULL);
    /* a library that is not it: the first function it lacks */
    h = (httpd *)1;
    CHECK_EQ_INT(httpd_open("libzstd.so.1", &h, msg, sizeof msg), FZ_EIO);
    CHECK(h == NULL);
    CHECK_EQ_STR(msg, "--serve needs libmicrohttpd (libzstd.so.1): it has no MHD_start_daemon");
}

int main(void)
{
    t_run(test_open);
    t_run(test_missing);
    return t_done("httpd");
}
