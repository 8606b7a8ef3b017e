"""fzbench -- helpers shared by the bench scripts (imported, not run).

Formats used between the scripts:
  entries.jsonl   one {"id","file","line","section","title","author","text"}
                  per line, written by mkcorpus.
  queries.tsv     '#qid<TAB>class<TAB>draw<TAB>query' header, then one query
                  per line; terms of an AND query are separated by one space.
  oracle.jsonl    one {"qid","class","query","n","ids"} per query.
  R.tsv           one engine's latency pass: qid class ms returned top10 snippet1
  R.ids.jsonl     one engine's full result sets: {"qid","ids","ms_all"}
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.realpath(__file__))
PY = '/usr/bin/python3'


def die(msg):
    sys.stderr.write('%s: %s\n' % (os.path.basename(sys.argv[0]), msg))
    sys.exit(2)


def usage(doc, code=2):
    """Print a script's docstring as its usage text and exit."""
    sys.stderr.write(doc.strip() + '\n')
    sys.exit(code)


def cache_dir():
    return os.path.abspath(os.environ.get('BENCH_CACHE') or os.path.join(HERE, '.cache'))


def jsonl_iter(path):
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def jsonl_line(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(',', ':')) + '\n'


def queries_load(path):
    """[(qid, cls, query)] from a queries.tsv (or a bare one-query-a-line file)."""
    out = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            cols = line.split('\t')
            if len(cols) >= 4:
                out.append((cols[0], cols[1], cols[-1]))
            else:
                out.append(('L%05d' % n, '-', cols[-1]))
    return out


def nearest_rank(values, p):
    """The p-th percentile by nearest rank (p99 of 100 values = 99th smallest)."""
    s = sorted(values)
    if not s:
        return float('nan')
    k = max(1, math.ceil(p * len(s) / 100.0))
    return s[k - 1]


def median(values):
    s = sorted(values)
    if not s:
        return float('nan')
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2.0


def mean(values):
    return sum(values) / len(values) if values else float('nan')


def uconv_ts(strings):
    """Folds each string traditional -> simplified with ICU's uconv.
    The strings must not contain a newline."""
    data = '\n'.join(strings) + '\n'
    try:
        r = subprocess.run(['uconv', '-f', 'utf-8', '-t', 'utf-8', '-x', 'Traditional-Simplified'],
                           input=data.encode('utf-8'), stdout=subprocess.PIPE, check=True)
    except FileNotFoundError:
        die('uconv not found (apt-get install icu-devtools)')
    out = r.stdout.decode('utf-8').split('\n')
    if out and out[-1] == '':
        out.pop()
    if len(out) != len(strings):
        die('uconv returned %d lines for %d' % (len(out), len(strings)))
    return out


def du_bytes(path):
    """Disk usage (allocated blocks, like du) of a file or a directory tree."""
    if os.path.isfile(path):
        return os.stat(path).st_blocks * 512
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            total += os.lstat(os.path.join(d, f)).st_blocks * 512
    return total


def apparent_bytes(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def warm(path):
    """Reads a file or every file under a directory once (OS page cache)."""
    paths = [path] if os.path.isfile(path) else \
        [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs]
    for p in paths:
        with open(p, 'rb') as fh:
            while fh.read(1 << 22):
                pass


def _children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _rss_anon_kib(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('RssAnon:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Failed(Exception):
    """A measured command failed or ran out of time (see timed, fz_batch_top)."""


def timed(cmd, check=True):
    """Runs cmd under /usr/bin/time -v. Returns (wall seconds, peak RSS KiB as
    time -v reports it, peak anonymous RSS KiB sampled every 20 ms, stdout).
    The first counts the pages of memory-mapped files too (an LMDB map being
    written); the second only the process's own heap and stack. A failure
    ends the script, or with check=False raises Failed."""
    fd, tf = tempfile.mkstemp(prefix='fzbench-time.')
    os.close(fd)
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(['/usr/bin/time', '-v', '-o', tf] + list(cmd), stdout=out)
        anon = 0
        while p.poll() is None:
            for pid in _children(p.pid):
                anon = max(anon, _rss_anon_kib(pid))
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        out.seek(0)
        stdout = out.read()
    rss = 0
    with open(tf) as f:
        for line in f:
            if 'Maximum resident set size' in line:
                rss = int(line.rsplit(':', 1)[1])
    os.remove(tf)
    if p.returncode != 0:
        msg = 'exit %d: %s' % (p.returncode, ' '.join(cmd))
        if check:
            die('failed (%s)' % msg)
        raise Failed(msg)
    return wall, rss, anon, stdout


def write_latency(path, rows):
    """rows: [(qid, cls, ms, returned, top_ids, snippet1)]."""
    with open(path, 'w', encoding='utf-8') as f:
        f.write('qid\tclass\tms\treturned\ttop10\tsnippet1\n')
        for qid, cls, ms, k, top, snip in rows:
            snip = (snip or '').replace('\t', ' ').replace('\n', ' ')
            f.write('%s\t%s\t%.4f\t%d\t%s\t%s\n' % (qid, cls, ms, k,
                                                  ','.join(map(str, top)), snip))


def read_latency(path):
    """{qid: (ms, returned)} from a latency TSV."""
    out = {}
    with open(path, encoding='utf-8') as f:
        head = next(f).rstrip('\n').split('\t')
        iq, ims, ik = head.index('qid'), head.index('ms'), head.index('returned')
        for line in f:
            c = line.rstrip('\n').split('\t')
            out[c[iq]] = (float(c[ims]), int(c[ik]))
    return out


def fz_batch_top(search, db, qtxt, nq, limit=10, timeout=None):
    """Runs `fzsearch --batch QTXT --json --timing --fold=ts --limit N` once.
    Returns ({n: timing object}, {n: [hit objects by rank]}) keyed by the
    1-based query line. Raises Failed when fzsearch fails, runs longer than
    timeout seconds, or leaves out the timing object of a query."""
    cmd = [search, '--db', db, '--batch', qtxt, '--json', '--timing', '--fold=ts',
           '--limit', str(limit)]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed('no answer after %d s: %s' % (timeout, ' '.join(cmd)))
    if p.returncode not in (0, 1):
        raise Failed('exit %d: %s' % (p.returncode, ' '.join(cmd)))
    hits, timing = {}, {}
    for line in p.stdout.decode('utf-8').splitlines():
        if not line.strip():
            continue
        o = json.loads(line)
        n = int(o['query'])
        if 'ms' in o and 'rank' not in o:
            timing[n] = o
        else:
            hits.setdefault(n, []).append(o)
    for n in range(1, nq + 1):
        if n not in timing:
            raise Failed('fzsearch --timing printed nothing for query line %d' % n)
        hits[n] = sorted(hits.get(n, []), key=lambda o: o.get('rank', 0))
    return timing, hits
