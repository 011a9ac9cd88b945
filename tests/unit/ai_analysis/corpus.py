"""A plagiarism corpus built by the tests: independent solutions of the same problems, and disguised copies.

Each original is written independently (different algorithms or styles, as different contestants would).
Each copy applies the disguises the issue lists: renamed identifiers, reordered functions, changed
comments and whitespace, inserted dead code, ``for`` rewritten as ``while``. A pair is a true positive
when both programs come from the same original; every other pair of the same problem is a negative
(they solve the same task, so they share its shape: that is what makes the corpus honest).
"""

from __future__ import annotations

import dataclasses
import re

# -- originals: (problem, author, language, source) -------------------------------------------------

PY_SUM_A = """
import sys

def read_ints():
    return list(map(int, sys.stdin.readline().split()))

def prefix_sums(values):
    out = [0]
    for v in values:
        out.append(out[-1] + v)
    return out

def main():
    n, q = read_ints()
    arr = read_ints()
    pre = prefix_sums(arr)
    answers = []
    for _ in range(q):
        l, r = read_ints()
        answers.append(pre[r] - pre[l - 1])
    print("\\n".join(map(str, answers)))

main()
"""

PY_SUM_B = """
import sys
data = sys.stdin.buffer.read().split()
n = int(data[0]); q = int(data[1])
a = [int(x) for x in data[2:2 + n]]
s = [0] * (n + 1)
i = 0
while i < n:
    s[i + 1] = s[i] + a[i]
    i += 1
res = []
pos = 2 + n
for k in range(q):
    lo = int(data[pos]); hi = int(data[pos + 1]); pos += 2
    res.append(str(s[hi] - s[lo - 1]))
sys.stdout.write("\\n".join(res) + "\\n")
"""

PY_SUM_C = """
from itertools import accumulate

def solve(tokens):
    it = iter(tokens)
    count, queries = next(it), next(it)
    acc = [0] + list(accumulate(next(it) for _ in range(count)))
    return [acc[b] - acc[a - 1] for a, b in ((next(it), next(it)) for _ in range(queries))]

if __name__ == "__main__":
    import sys
    values = list(map(int, sys.stdin.read().split()))
    for line in solve(values):
        print(line)
"""

PY_GRAPH_A = """
import sys
from collections import deque

def bfs(adj, start, n):
    dist = [-1] * (n + 1)
    dist[start] = 0
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for v in adj[u]:
            if dist[v] == -1:
                dist[v] = dist[u] + 1
                queue.append(v)
    return dist

def main():
    n, m = map(int, input().split())
    adj = [[] for _ in range(n + 1)]
    for _ in range(m):
        a, b = map(int, input().split())
        adj[a].append(b)
        adj[b].append(a)
    dist = bfs(adj, 1, n)
    print(dist[n])

main()
"""

PY_GRAPH_B = """
import sys
sys.setrecursionlimit(10000)

parent = []

def find(x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x

def union(a, b):
    ra, rb = find(a), find(b)
    if ra != rb:
        parent[ra] = rb

def main():
    global parent
    n, m = map(int, sys.stdin.readline().split())
    parent = list(range(n + 1))
    for _ in range(m):
        u, v = map(int, sys.stdin.readline().split())
        union(u, v)
    print("YES" if find(1) == find(n) else "NO")

main()
"""

PY_GRAPH_C = """
import heapq

def dijkstra(graph, source):
    best = {source: 0}
    heap = [(0, source)]
    while heap:
        d, node = heapq.heappop(heap)
        if d > best.get(node, 1 << 60):
            continue
        for nxt in graph.get(node, ()):
            nd = d + 1
            if nd < best.get(nxt, 1 << 60):
                best[nxt] = nd
                heapq.heappush(heap, (nd, nxt))
    return best

n, m = map(int, input().split())
graph = {}
for _ in range(m):
    x, y = map(int, input().split())
    graph.setdefault(x, []).append(y)
    graph.setdefault(y, []).append(x)
print(dijkstra(graph, 1).get(n, -1))
"""

PY_DP_A = """
def lis(seq):
    n = len(seq)
    best = [1] * n
    for i in range(n):
        for j in range(i):
            if seq[j] < seq[i] and best[j] + 1 > best[i]:
                best[i] = best[j] + 1
    return max(best) if best else 0

def main():
    n = int(input())
    seq = list(map(int, input().split()))
    print(lis(seq))

main()
"""

PY_DP_B = """
from bisect import bisect_left
n = int(input())
tails = []
for x in map(int, input().split()):
    p = bisect_left(tails, x)
    if p == len(tails):
        tails.append(x)
    else:
        tails[p] = x
print(len(tails))
"""

PY_DP_C = """
import sys
from functools import lru_cache

def main():
    data = sys.stdin.read().split()
    n = int(data[0])
    a = list(map(int, data[1:1 + n]))

    @lru_cache(maxsize=None)
    def longest(i):
        result = 1
        for j in range(i + 1, n):
            if a[j] > a[i]:
                result = max(result, 1 + longest(j))
        return result

    print(max((longest(i) for i in range(n)), default=0))

main()
"""

CPP_SUM_A = """
#include <bits/stdc++.h>
using namespace std;

long long total(const vector<long long>& pre, int l, int r) {
    return pre[r] - pre[l - 1];
}

int main() {
    ios::sync_with_stdio(false);
    cin.tie(nullptr);
    int n, q;
    cin >> n >> q;
    vector<long long> pre(n + 1, 0);
    for (int i = 1; i <= n; i++) {
        long long x;
        cin >> x;
        pre[i] = pre[i - 1] + x;
    }
    for (int k = 0; k < q; k++) {
        int l, r;
        cin >> l >> r;
        cout << total(pre, l, r) << '\\n';
    }
    return 0;
}
"""

CPP_SUM_B = """
#include <cstdio>
#include <vector>

static long long fenwick[200005];
static int size_n;

void add(int i, long long v) { for (; i <= size_n; i += i & -i) fenwick[i] += v; }
long long query(int i) { long long s = 0; for (; i > 0; i -= i & -i) s += fenwick[i]; return s; }

int main() {
    int q;
    if (scanf("%d %d", &size_n, &q) != 2) return 0;
    for (int i = 1; i <= size_n; ++i) { long long v; scanf("%lld", &v); add(i, v); }
    while (q--) {
        int a, b;
        scanf("%d %d", &a, &b);
        printf("%lld\\n", query(b) - query(a - 1));
    }
}
"""

CPP_SUM_C = """
#include <iostream>
#include <numeric>
#include <vector>

int main() {
    std::size_t n, q;
    std::cin >> n >> q;
    std::vector<long long> values(n);
    for (auto& v : values) std::cin >> v;
    std::vector<long long> sums(n + 1);
    std::partial_sum(values.begin(), values.end(), sums.begin() + 1);
    while (q-- > 0) {
        std::size_t left, right;
        std::cin >> left >> right;
        std::cout << sums[right] - sums[left - 1] << "\\n";
    }
}
"""

ORIGINALS: list[tuple[str, str, str, str]] = [
    ("sum", "ana", "python3", PY_SUM_A),
    ("sum", "ben", "python3", PY_SUM_B),
    ("sum", "cai", "python3", PY_SUM_C),
    ("graph", "ana", "python3", PY_GRAPH_A),
    ("graph", "ben", "python3", PY_GRAPH_B),
    ("graph", "cai", "python3", PY_GRAPH_C),
    ("dp", "ana", "python3", PY_DP_A),
    ("dp", "ben", "python3", PY_DP_B),
    ("dp", "cai", "python3", PY_DP_C),
    ("sum", "dan", "cpp", CPP_SUM_A),
    ("sum", "eve", "cpp", CPP_SUM_B),
    ("sum", "fay", "cpp", CPP_SUM_C),
]

# -- disguises -------------------------------------------------------------------------------------

_KEEP = frozenset(
    [
        "import",
        "from",
        "def",
        "return",
        "for",
        "while",
        "in",
        "if",
        "else",
        "elif",
        "print",
        "int",
        "map",
        "list",
        "range",
        "input",
        "len",
        "max",
        "min",
        "sys",
        "main",
        "global",
        "and",
        "or",
        "not",
        "is",
        "None",
        "True",
        "False",
        "lambda",
        "yield",
        "with",
        "as",
        "str",
        "join",
        "split",
        "read",
        "readline",
        "stdin",
        "stdout",
        "write",
        "append",
        "popleft",
        "deque",
        "heapq",
        "heappush",
        "heappop",
        "get",
        "setdefault",
        "bisect_left",
        "accumulate",
        "next",
        "iter",
        "lru_cache",
        "maxsize",
        "default",
        "buffer",
        "setrecursionlimit",
        "__name__",
        "__main__",
        "functools",
        "itertools",
        "collections",
        "bisect",
        "continue",
        "break",
        "include",
        "bits",
        "stdc",
        "using",
        "namespace",
        "std",
        "long",
        "const",
        "vector",
        "cin",
        "cout",
        "tie",
        "nullptr",
        "ios",
        "sync_with_stdio",
        "false",
        "true",
        "void",
        "static",
        "printf",
        "scanf",
        "size_t",
        "auto",
        "partial_sum",
        "begin",
        "end",
        "iostream",
        "numeric",
        "cstdio",
        "lld",
        "d",
        "n",
    ]
)


def rename(source: str, prefix: str = "zz") -> str:
    """Every identifier not a keyword or library name gets a new name, consistently."""
    names: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in _KEEP or word.isdigit():
            return word
        return names.setdefault(word, f"{prefix}{len(names)}_{word[::-1]}")

    parts = re.split(r"(\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')", source)
    return "".join(part if i % 2 else re.sub(r"\b[A-Za-z_]\w*\b", swap, part) for i, part in enumerate(parts))


def reorder(source: str) -> str:
    """Top-level blocks (functions, statements) in reverse order of definitions, calls kept last."""
    blocks: list[list[str]] = []
    for line in source.strip("\n").splitlines():
        if (line and not line[0].isspace() and not line.startswith(("}", "#"))) or not blocks:
            blocks.append([line])
        else:
            blocks[-1].append(line)
    functions = [b for b in blocks if b[0].startswith(("def ", "long long ", "void ", "static "))]
    others = [b for b in blocks if b not in functions]
    head = [b for b in others if b[0].startswith(("import", "from", "#include", "using"))]
    tail = [b for b in others if b not in head]
    return "\n".join("\n".join(b) for b in head + functions[::-1] + tail) + "\n"


def dead_code(source: str, language: str) -> str:
    """Unused helpers and a never-taken branch inserted."""
    if language == "python3":
        helper = (
            "\ndef unused_helper(values):\n    total = 0\n    for value in values:\n"
            "        total += value * 2\n    return total\n\n"
        )
        lines = source.splitlines()
        at = next((i for i, line in enumerate(lines) if line.startswith("def ")), None)
        if at is None:  # no functions: after the imports, at the top level
            at = next(
                i
                for i, line in enumerate(lines)
                if line and not line[0].isspace() and not line.startswith(("import", "from", "#"))
            )
        return "\n".join([*lines[:at], helper, *lines[at:]]) + "\nif False:\n    print('debug')\n"
    helper = "\nint unused_helper(int x) {\n    int y = x * 3;\n    if (y > 10) y -= 10;\n    return y;\n}\n"
    lines = source.splitlines()
    at = next((i for i, line in enumerate(lines) if line.startswith(("int main", "long long", "void"))), 0)
    return "\n".join([*lines[:at], helper, *lines[at:]]) + "\n"


def comments_and_whitespace(source: str, language: str) -> str:
    mark = "#" if language == "python3" else "//"
    out = []
    for i, line in enumerate(source.splitlines()):
        if line.strip():
            out.append(
                f"{line}   {mark} step {i}" if language != "python3" or not line.rstrip().endswith("\\") else line
            )
        else:
            out.append("")
            out.append("")
    return f"{mark} my own solution, written from scratch\n" + "\n".join(out) + "\n"


def for_to_while(source: str, language: str) -> str:
    """``for x in range(n):`` → counter and ``while``; C ``for (init; cond; step)`` → ``init; while (cond)``."""
    if language == "python3":
        out: list[str] = []
        lines = source.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            match = re.match(r"^(\s*)for (\w+) in range\(([^,()]+(?:\([^()]*\))?)\):\s*$", line)
            if not match:
                out.append(line)
                i += 1
                continue
            indent, var, bound = match.groups()
            body_indent = None
            out.append(f"{indent}{var} = 0")
            out.append(f"{indent}while {var} < {bound}:")
            i += 1
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > len(indent)):
                body_indent = body_indent or lines[i][: len(lines[i]) - len(lines[i].lstrip())]
                out.append(lines[i])
                i += 1
            out.append(f"{body_indent or indent + '    '}{var} += 1")
        return "\n".join(out) + "\n"
    return (
        re.sub(
            r"for \((int \w+ = [^;]+); ([^;]+); (\w+\+\+|\+\+\w+)\) \{",
            lambda m: f"{m.group(1)};\n    while ({m.group(2)}) {{ {m.group(3)};",
            source,
        )
        .replace("{ i++;", "{ i++; i--;")
        .replace("i++; i--;", "")
    )


DISGUISES = ("renamed", "reordered", "dead_code", "comments", "for_while", "all")


def disguise(source: str, language: str, how: str) -> str:
    if how == "renamed":
        return rename(source)
    if how == "reordered":
        return reorder(source)
    if how == "dead_code":
        return dead_code(source, language)
    if how == "comments":
        return comments_and_whitespace(source, language)
    if how == "for_while":
        return for_to_while(source, language)
    return comments_and_whitespace(dead_code(reorder(rename(for_to_while(source, language))), language), language)


@dataclasses.dataclass(frozen=True)
class Program:
    submission_id: str
    problem: str
    author: str
    language: str
    source: str
    origin: str
    """The original it comes from (its own id for an original)."""


def build() -> list[Program]:
    programs: list[Program] = []
    for index, (problem, author, language, source) in enumerate(ORIGINALS):
        origin = f"{problem}-{language}-{author}"
        programs.append(Program(origin, problem, author, language, source, origin))
        for j, how in enumerate(DISGUISES):
            programs.append(
                Program(
                    f"{origin}-{how}", problem, f"copier{index}-{j}", language, disguise(source, language, how), origin
                )
            )
    return programs
