/* params.c — the text fields of POST /v1/stylize, parsed with the CLI's
 * strict number parsers (the whole value, inside its range). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "server/server.h"

void srv_params_default(srv_params *p) {
    memset(p, 0, sizeof *p);
    p->mode = CCPL_MODE_PHOTO;
    p->alpha = 1.0f;
    p->content_size = p->style_size = 512;
}

/* Booleans as forms send them: an HTML checkbox sends "on". */
static int parse_bool(const char *v, int *out) {
    static const char *const yes[] = {"1", "true", "on", "yes"}, *const no[] = {"0", "false", "off", "no", ""};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!strcasecmp(v, yes[i])) return *out = 1, 0;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (!strcasecmp(v, no[i])) return *out = 0, 0;
    return -1;
}

int srv_params_set(srv_params *p, const char *key, const char *value, char *msg, size_t n) {
    if (!strcmp(key, "mode")) {
        if (!strcmp(value, "art")) p->mode = CCPL_MODE_ART;
        else if (!strcmp(value, "photo")) p->mode = CCPL_MODE_PHOTO;
        else return snprintf(msg, n, "mode must be art or photo, not '%.40s'", value), -1;
        p->mode_given = 1;
    } else if (!strcmp(key, "alpha")) {
        if (cli_parse_float(value, 0.0, 1.0, &p->alpha))
            return snprintf(msg, n, "alpha must be a number in [0,1], not '%.40s'", value), -1;
    } else if (!strcmp(key, "preserve_color") || !strcmp(key, "preserve_colour")) {
        if (parse_bool(value, &p->preserve))
            return snprintf(msg, n, "preserve_color must be true or false, not '%.40s'", value), -1;
    } else if (!strcmp(key, "content_size") || !strcmp(key, "style_size")) {
        int *dst = key[0] == 'c' ? &p->content_size : &p->style_size;
        if (cli_parse_int(value, 0, SRV_MAX_SIZE_PARAM, dst))
            return snprintf(msg, n, "%s must be an integer in 0..%d, not '%.40s'", key,
                            SRV_MAX_SIZE_PARAM, value),
                   -1;
    } else {
        return snprintf(msg, n,
                        "unknown field '%.40s' (fields: content, style, mode, alpha, "
                        "preserve_color, content_size, style_size)",
                        key),
               -1;
    }
    return 0;
}
