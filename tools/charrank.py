#!/usr/bin/env python3
"""charrank.py -- makes tools/charrank.txt, the ranking of the text code
(common/store.c, ON-DISK FORMAT, "Text code").

    python3 tools/charrank.py CAP GROUP [+ GROUP ...] > tools/charrank.txt

Each GROUP is a list of UTF-8 files; a character's score is the sum over
the groups of its share of the group's characters, so every group weighs
the same whatever its size.  The CAP characters of highest score (ties by
code point) are written in rank order, one a line as a hexadecimal code
point, then (when printable) a tab and the character.  The printable ASCII
characters, tab and newline come in any case: those the text has not ranked
are put last (in place of the lowest ranked others, so that the list stays
CAP long at most).  Undecodable bytes are not counted.  Run by hand, not by
the build; the list is part of the index format (STORE_FORMAT).
"""
import sys


def main():
    cap = int(sys.argv[1])
    groups, cur = [], []
    for a in sys.argv[2:]:
        if a == '+':
            groups.append(cur)
            cur = []
        else:
            cur.append(a)
    groups.append(cur)
    score = {}
    for g in groups:
        count, total = {}, 0
        for fn in g:
            with open(fn, 'rb') as f:
                for ch in f.read().decode('utf-8', 'ignore'):
                    count[ch] = count.get(ch, 0) + 1
                    total += 1
        for ch, n in count.items():
            score[ch] = score.get(ch, 0.0) + n / total
    ranked = sorted(score, key=lambda ch: (-score[ch], ord(ch)))
    ascii_ = [chr(c) for c in (9, 10, *range(0x20, 0x7F))]
    missing = [ch for ch in ascii_ if ch not in set(ranked[:cap])]
    ranked = ranked[:cap - len(missing)] + missing
    names = ' + '.join('%d files' % len(g) for g in groups)
    print('# The text code\'s ranking (common/store.c, "Text code"): %d characters' % len(ranked))
    print('# in rank order, rank 0 first.  Made by tools/charrank.py %d over %s' % (cap, names))
    print('# (see its comment; the command is in the Makefile\'s comment on genrank).')
    for ch in ranked:
        c = ord(ch)
        print('%04X\t%s' % (c, ch) if ch.isprintable() and not ch.isspace() else '%04X' % c)


main()
