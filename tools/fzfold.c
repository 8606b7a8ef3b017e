/*
 * fzfold -- writes stdin to stdout with every character folded from
 * traditional to simplified exactly as fangzhi's analyser folds it
 * (fold_ts, one code point at a time; --variants: fold_variant).  The
 * benchmark folds its referee's corpus and queries with it, so that the
 * referee's answers are exact for the folding a user gets.
 */
#include <stdio.h>
#include <string.h>

#include "fold.h"
#include "fz.h"

int main(int argc, char **argv)
{
    int variants = argc > 1 && strcmp(argv[1], "--variants") == 0;
    if (argc > 1 && !variants) {
        fprintf(stderr, "usage: fzfold [--variants] < in > out\n");
        return 2;
    }
    static unsigned char in[1 << 16];
    size_t have = 0, n;
    while ((n = fread(in + have, 1, sizeof in - have, stdin)) > 0 || have) {
        have += n;
        size_t i = 0;
        int eof = n == 0;
        while (i < have) {
            if (!eof && have - i < 4)
                break;
            uint32_t cp;
            int k = fz_utf8_decode(in + i, have - i, &cp);
            if (k < 0) {
                putchar(in[i]);
                i++;
                continue;
            }
            char o[4];
            uint32_t f = variants ? fold_variant(cp) : fold_ts(cp);
            fwrite(o, 1, (size_t)fz_utf8_encode(f, o), stdout);
            i += (size_t)k;
        }
        memmove(in, in + i, have - i);
        have -= i;
        if (eof)
            break;
    }
    return ferror(stdout) ? 2 : 0;
}
