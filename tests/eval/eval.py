#!/usr/bin/env python3
"""Ranking quality of fzsearch on the judged query set (tests/eval/queries.tsv).

Indexes corpus/ into a temporary directory (or uses --db), runs every query
in one `fzsearch --batch --json` call and prints

  MRR      mean over queries of 1 / the rank of the first hit with the
           query's highest judged grade (the entry a researcher wants
           first); 0 when it is not among the first --depth hits
  nDCG@10  normalised discounted cumulative gain of the first 10 hits with
           gains 2^grade - 1 and discount log2(rank + 1)

--check compares them with tests/eval/thresholds and exits 1 when either
drops below its threshold (make test runs this through tests/cli/test_eval.sh).
-v prints each query with the rank of its best entry and its nDCG@10.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("FZBIN", os.path.join(ROOT, "bin"))


def load_queries(path):
    qs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            q, tab, judged = line.partition("\t")
            if not tab or not judged.strip():
                raise SystemExit("%s:%d: expected QUERY<TAB>FILE:LINE=GRADE ..." % (path, n))
            grades = {}
            for j in judged.split():
                where, _, g = j.rpartition("=")
                grades[where] = int(g)
            qs.append((q, grades))
    return qs


def load_thresholds(path):
    t = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                k, v = line.split()
                t[k] = float(v)
    return t


def ndcg(gains, grades, k=10):
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def run(db, queries, depth, extra):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for q, _ in queries:
            f.write(q + "\n")
        batch = f.name
    try:
        r = subprocess.run([os.path.join(BIN, "fzsearch"), "--db", db, "--batch", batch, "--json",
                            "--limit", str(depth), "--no-pager"] + extra,
                           capture_output=True, text=True, timeout=600)
    finally:
        os.unlink(batch)
    if r.returncode == 2:
        raise SystemExit("fzsearch failed: " + r.stderr.strip())
    hits = {}
    for line in r.stdout.splitlines():
        h = json.loads(line)
        hits.setdefault(h["query"], []).append("%s:%d" % (os.path.basename(h["file"]), h["line"]))
    return [hits.get(i + 1, []) for i in range(len(queries))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", help="an index of corpus/ (default: build one in a temporary directory)")
    ap.add_argument("--queries", default=os.path.join(HERE, "queries.tsv"))
    ap.add_argument("--thresholds", default=os.path.join(HERE, "thresholds"))
    ap.add_argument("--depth", type=int, default=100, help="hits fetched per query (for MRR)")
    ap.add_argument("--check", action="store_true", help="fail when below the thresholds")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("extra", nargs="*", help="more fzsearch arguments (after --), e.g. --fold ts")
    a = ap.parse_args()
    queries = load_queries(a.queries)
    with tempfile.TemporaryDirectory() as tmp:
        db = a.db
        if not db:
            db = os.path.join(tmp, "db")
            r = subprocess.run([os.path.join(BIN, "fzindex"), "--db", db, "--quiet", os.path.join(ROOT, "corpus")],
                               capture_output=True, text=True)
            if r.returncode:
                raise SystemExit("fzindex failed: " + r.stderr.strip())
        results = run(db, queries, a.depth, a.extra)
    rr_sum = nd_sum = 0.0
    for (q, grades), got in zip(queries, results):
        top = max(grades.values())
        rank = next((i + 1 for i, w in enumerate(got) if grades.get(w, 0) == top), 0)
        rr = 1.0 / rank if rank else 0.0
        nd = ndcg([grades.get(w, 0) for w in got], grades)
        rr_sum += rr
        nd_sum += nd
        if a.verbose:
            print("%-12s best at %-4s nDCG@10 %.3f  top: %s" % (q, rank or "-", nd, " ".join(
                w.rpartition(":")[2] + ("*" * grades.get(w, 0)) for w in got[:5])))
    mrr = rr_sum / len(queries)
    nd10 = nd_sum / len(queries)
    print("queries %d  MRR %.4f  nDCG@10 %.4f" % (len(queries), mrr, nd10))
    if a.check:
        t = load_thresholds(a.thresholds)
        bad = []
        if mrr < t["mrr"]:
            bad.append("MRR %.4f < %.4f" % (mrr, t["mrr"]))
        if nd10 < t["ndcg10"]:
            bad.append("nDCG@10 %.4f < %.4f" % (nd10, t["ndcg10"]))
        for b in bad:
            print("eval: ranking got worse: " + b, file=sys.stderr)
        print("eval: %d passed, %d failed" % (2 - len(bad), len(bad)))
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
