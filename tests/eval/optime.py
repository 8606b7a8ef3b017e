#!/usr/bin/env python3
"""Query time per operator on a large index (the poetry corpus: bench/).

Draws about 50 queries per operator from entries picked at random (fixed
seed) out of the index itself, so that every query is built from real text:

  term      a two-character word              明月
  common    one of the 50 most frequent two-character words of the sample
  phrase    a four-character run              悠悠明月
  and       two words of one entry            明月 載盈
  or        words of two entries              明月 OR 春風
  not       a word, minus a word of another   明月 -春風
  quoted    a quoted phrase across a comma    "明月，載盈"
  near      two words of one entry, NEAR/10   明月 NEAR/10 載盈
  wildcard  three characters, the middle ?    明?載
  except    a word EXCEPT it plus the next    明月 EXCEPT 明月載
  title     title: a word of the title        title:明月
  author    author: the author and a word     author:陳杰 明月
  section   section: the section and a word   section:第28组陳杰 明月
  file      file: the file and a word         file:song-228000 明月
  kind      kind:entry and a word             kind:entry 明月

then runs `fzsearch --db DB --batch FILE --json --timing --limit 10` on each
batch (twice: the first run warms the page cache, the second is reported)
and prints p50, p90, p99 and max of the per-query times in milliseconds.
--kwic and --by form are timed on the term and common batches as well
(covering all hits).  Each batch starts with one extra query whose time is
left out: it pays for starting the text analyser.
The batch files are kept in --out (default /tmp/fz-optime).
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("FZBIN", os.path.join(ROOT, "bin"))
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def fz(*args):
    return subprocess.run([os.path.join(BIN, "fzsearch"), "--no-pager"] + list(args),
                          capture_output=True, text=True)


def entries(db, n, seed):
    """n random entries that have a body with CJK runs."""
    rnd = random.Random(seed)
    total = int(re.search(r"(\d+) entr", fz("--db", db, "--count", "kind:entry").stdout).group(1))
    out = []
    while len(out) < n:
        r = fz("--db", db, "--show", str(rnd.randrange(total)), "--json")
        if r.returncode:
            continue
        e = json.loads(r.stdout)
        runs = [m.group(0) for m in CJK.finditer(e["text"]) if len(m.group(0)) >= 4]
        if runs:
            e["runs"] = runs
            out.append(e)
    return out


def word(rnd, e, n=2):
    run = rnd.choice([r for r in e["runs"] if len(r) >= n] or e["runs"])
    i = rnd.randrange(len(run) - n + 1)
    return run[i:i + n]


def make_batches(db, per, seed):
    rnd = random.Random(seed)
    es = entries(db, per * 4, seed)
    pick = lambda: rnd.choice(es)
    freq = {}
    for e in es:
        for run in e["runs"]:
            for i in range(len(run) - 1):
                freq[run[i:i + 2]] = freq.get(run[i:i + 2], 0) + 1
    common = sorted(freq, key=lambda w: (-freq[w], w))[:per]
    b = {k: [] for k in ("term", "common", "phrase", "and", "or", "not", "quoted", "near", "wildcard", "except",
                         "title", "author", "section", "file", "kind")}
    for _ in range(per):
        e, f = pick(), pick()
        b["term"].append(word(rnd, e))
        b["common"].append(common[len(b["common"]) % len(common)])
        b["phrase"].append(word(rnd, e, 4))
        b["and"].append("%s %s" % (word(rnd, e), word(rnd, e)))
        b["or"].append("%s OR %s" % (word(rnd, e), word(rnd, f)))
        b["not"].append("%s -%s" % (word(rnd, e), word(rnd, f)))
        # a phrase across punctuation: the end of one run and the start of the next
        m = re.search(r"([\u4e00-\u9fff]{2})[，。、；：]([\u4e00-\u9fff]{2})", e["text"])
        b["quoted"].append('"%s，%s"' % (m.group(1), m.group(2)) if m else '"%s"' % word(rnd, e, 4))
        run = rnd.choice(e["runs"])
        i = rnd.randrange(len(run) - 3)
        j = min(len(run) - 2, i + 2 + rnd.randrange(6))
        pair = [run[i:i + 2], run[j:j + 2]]
        rnd.shuffle(pair)
        b["near"].append("%s NEAR/10 %s" % tuple(pair))
        w3 = word(rnd, e, 3)
        b["wildcard"].append(w3[0] + "?" + w3[2])
        b["except"].append("%s EXCEPT %s" % (w3[:2], w3))
        t = CJK.findall(e["title"])
        b["title"].append("title:%s" % (t[0][:2] if t and len(t[0]) >= 2 else word(rnd, e)))
        b["author"].append("author:%s %s" % (e["authors"][0], word(rnd, e)) if e["authors"]
                           else "author:李白 %s" % word(rnd, e))
        b["section"].append("section:%s %s" % (e["section"][-1].replace(" ", ""), word(rnd, e)) if e["section"]
                            else word(rnd, e))
        b["file"].append("file:%s %s" % (os.path.splitext(os.path.basename(e["file"]))[0], word(rnd, e)))
        b["kind"].append("kind:entry %s" % word(rnd, e))
    return b


def pct(v, p):
    v = sorted(v)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def timed(db, path, extra):
    times = []
    for attempt in range(2):
        limit = [] if extra else ["--limit", "10"]  # --kwic and --by cover every hit
        r = fz("--db", db, "--batch", path, "--json", "--timing", *(limit + extra))
        if r.returncode == 2:
            sys.stderr.write(r.stderr)
        times = [o["ms"] for o in map(json.loads, r.stdout.splitlines()) if "ms" in o and o["query"] > 1]
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default="/tmp/pdb")
    ap.add_argument("--per", type=int, default=50)
    ap.add_argument("--seed", type=int, default=2017)
    ap.add_argument("--out", default="/tmp/fz-optime")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    batches = make_batches(a.db, a.per, a.seed)
    print("%-12s %5s %8s %8s %8s %8s" % ("operator", "n", "p50 ms", "p90 ms", "p99 ms", "max ms"))
    runs = [(k, k, []) for k in batches] + [("kwic", "term", ["--kwic"]), ("by form", "term", ["--by", "form"]),
                                            ("kwic common", "common", ["--kwic"]),
                                            ("by common", "common", ["--by", "form"])]
    for name, key, extra in runs:
        path = os.path.join(a.out, key + ".txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(batches[key][:1] + batches[key]) + "\n")
        t = timed(a.db, path, extra)
        if not t:
            print("%-10s no timings" % name)
            continue
        print("%-12s %5d %8.2f %8.2f %8.2f %8.2f" % (name, len(t), pct(t, 50), pct(t, 90), pct(t, 99), max(t)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
