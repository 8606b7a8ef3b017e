#!/usr/bin/env python3
"""End-to-end golden tests: tests/golden/*.test, run against bin/fzindex and bin/fzsearch.

A .test file holds cases separated by blank lines (a block of only # lines is a
comment).  Each case is 'key: value' lines:
  # comment               a line starting with # names the case
  index: PATH [PATH...]   files to index (relative to the repo); default corpus/
  catalog: PATH           index with fzindex --catalog PATH (relative to the repo)
  args: --fold=ts ...     extra fzsearch arguments (shell words)
  query: 井长制            the query (one argument)
  exit: 0                 expected exit status (default 0 when hits are expected, else as given)
  hits: N                 exact number of hits printed (with --format jsonl, i.e. all hits)
  top: TITLE              title of the first hit
  titles: A | B | C       titles of the first hits, in order
  contains: A | B         titles that must be among the hits
  absent: A | B           titles that must not be among the hits
  authors: A | B          authors of the first hit
  section: A › B          section path of the first hit
  kind: sidebar           kind of the first hit
  line: N                 line of the first hit
  lines: N | N            lines of the hits, in order (all of them)
  lineset: N | N          lines of the hits, in any order (all of them)
  highlight: TEXT         every highlight of the first hit's snippet is TEXT (| separates choices)
  stderr: TEXT            text expected in stderr
  stderr-lines: N         exact number of lines in stderr
  count: E O              with --count --json: entries and occurrences
  volume: TITLE           volume of the first hit
  volumes: A | B          the distinct volumes of all hits, in any order
  place: TEXT             place of the first hit ("null" when none)
  year: N                 year of the first hit ("null" when none)
  by: form                with --by KEY --json: the groups instead of the hits
  groups: A | B           with by: the groups' names, in order (all of them)
The runner prints 'e2e: N passed, M failed'.
"""
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("FZBIN", os.path.join(ROOT, "bin"))


def parse_cases(path):
    cases, cur = [], {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                if cur:
                    cases.append(cur)
                    cur = {}
                continue
            if line.startswith("#"):
                cur.setdefault("name", line[1:].strip())
                cur.setdefault("_lineno", lineno)
                continue
            key, _, val = line.partition(":")
            cur.setdefault("_lineno", lineno)
            cur[key.strip()] = val.strip()
    if cur:
        cases.append(cur)
    # a block of nothing but comment lines is a comment, not a case
    return [c for c in cases if set(c) - {"name", "_lineno"}]


_indexes = {}


def index_for(spec, tmp, catalog=None):
    if (spec, catalog) in _indexes:
        return _indexes[(spec, catalog)]
    db = os.path.join(tmp, "db%d" % len(_indexes))
    paths = [os.path.join(ROOT, p) for p in shlex.split(spec)]
    extra = ["--catalog", os.path.join(ROOT, catalog)] if catalog else []
    r = subprocess.run([os.path.join(BIN, "fzindex"), "--db", db, "--quiet"] + extra + paths,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("fzindex failed for %s: %s" % (spec, r.stderr.strip()))
    _indexes[(spec, catalog)] = db
    return db


def split_list(v):
    return [x.strip() for x in v.split("|")]


def run_case(c, tmp):
    db = index_for(c.get("index", "corpus/"), tmp, c.get("catalog"))
    args = shlex.split(c.get("args", ""))
    want_count = "count" in c
    fmt = ["--count", "--json"] if want_count else ["--format", "jsonl"]
    if "by" in c:
        fmt = ["--by", c["by"], "--json"]
    cmd = [os.path.join(BIN, "fzsearch"), "--db", db] + fmt + args
    if "query" in c:
        cmd.append(c["query"])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    errs = []
    if "exit" in c and r.returncode != int(c["exit"]):
        errs.append("exit %d, expected %s (stderr: %s)" % (r.returncode, c["exit"], r.stderr.strip()))
    elif "exit" not in c and r.returncode != 0:
        errs.append("exit %d (stderr: %s)" % (r.returncode, r.stderr.strip()))
    if "stderr" in c and c["stderr"] not in r.stderr:
        errs.append("stderr %r lacks %r" % (r.stderr.strip(), c["stderr"]))
    if "stderr-lines" in c and len(r.stderr.splitlines()) != int(c["stderr-lines"]):
        errs.append("%d stderr lines, expected %s: %r" % (len(r.stderr.splitlines()), c["stderr-lines"], r.stderr))
    if r.returncode == 2:
        return errs
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    if want_count:
        e, o = (int(x) for x in c["count"].split())
        got = (lines[0]["entries"], lines[0]["occurrences"]) if lines else None
        if got != (e, o):
            errs.append("count %r, expected %r" % (got, (e, o)))
        return errs
    if "by" in c:
        got = [g["group"] for g in lines]
        if "groups" in c and got != split_list(c["groups"]):
            errs.append("groups %r, expected %r" % (got, split_list(c["groups"])))
        return errs
    titles = [h["title"] for h in lines]
    if "hits" in c and len(lines) != int(c["hits"]):
        errs.append("%d hits, expected %s: %s" % (len(lines), c["hits"], titles[:12]))
    first = lines[0] if lines else None
    if "top" in c and (not first or first["title"] != c["top"]):
        errs.append("top %r, expected %r" % (first and first["title"], c["top"]))
    if "titles" in c:
        want = split_list(c["titles"])
        if titles[:len(want)] != want:
            errs.append("titles %r, expected %r" % (titles[:len(want)], want))
    for t in split_list(c["contains"]) if "contains" in c else []:
        if t not in titles:
            errs.append("%r not among hits %r" % (t, titles[:12]))
    for t in split_list(c["absent"]) if "absent" in c else []:
        if t in titles:
            errs.append("%r should not be among hits" % t)
    if "authors" in c and (not first or first["authors"] != split_list(c["authors"])):
        errs.append("authors %r, expected %r" % (first and first["authors"], split_list(c["authors"])))
    if "section" in c and (not first or first["section"] != [x.strip() for x in c["section"].split("›")]):
        errs.append("section %r, expected %r" % (first and first["section"], c["section"]))
    if "kind" in c and (not first or first["kind"] != c["kind"]):
        errs.append("kind %r, expected %r" % (first and first["kind"], c["kind"]))
    if "line" in c and (not first or first["line"] != int(c["line"])):
        errs.append("line %r, expected %s" % (first and first["line"], c["line"]))
    if "lines" in c and [h["line"] for h in lines] != [int(x) for x in split_list(c["lines"])]:
        errs.append("lines %r, expected %s" % ([h["line"] for h in lines], c["lines"]))
    if "lineset" in c and sorted(h["line"] for h in lines) != sorted(int(x) for x in split_list(c["lineset"])):
        errs.append("lines %r, expected the set %s" % (sorted(h["line"] for h in lines), c["lineset"]))
    if "volume" in c and (not first or first["volume"] != c["volume"]):
        errs.append("volume %r, expected %r" % (first and first["volume"], c["volume"]))
    if "volumes" in c and sorted(set(h["volume"] for h in lines)) != sorted(split_list(c["volumes"])):
        errs.append("volumes %r, expected %s" % (sorted(set(h["volume"] for h in lines)), c["volumes"]))
    for key in ("place", "year"):
        if key in c and (not first or json.dumps(first[key], ensure_ascii=False).strip('"') != c[key]):
            errs.append("%s %r, expected %s" % (key, first and first[key], c[key]))
    if "highlight" in c:
        choices = split_list(c["highlight"])
        if not first or not first["highlights"]:
            errs.append("no highlights")
        else:
            cps = list(first["snippet"])
            for s, e in first["highlights"]:
                got = "".join(cps[s:e])
                if got not in choices:
                    errs.append("highlight %r not in %r (snippet %r)" % (got, choices, first["snippet"]))
    return errs


def main():
    files = sorted(glob.glob(os.path.join(ROOT, "tests", "golden", "*.test")))
    if len(sys.argv) > 1:
        files = sys.argv[1:]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            for c in parse_cases(path):
                where = "%s:%d" % (os.path.relpath(path, ROOT), c.get("_lineno", 0))
                try:
                    errs = run_case(c, tmp)
                except Exception as ex:  # a crash of the runner is a failure too
                    errs = ["runner error: %s" % ex]
                if errs:
                    failed += 1
                    for e in errs:
                        print("%s: %s: %s" % (where, c.get("name", c.get("query", "")), e), file=sys.stderr)
                else:
                    passed += 1
    print("e2e: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
