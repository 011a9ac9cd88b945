"""Solutions of about 200 lines in each analysed grammar, for the AnalyzeCode benchmark and its tests.

Each is a plausible contest solution: input helpers, a dozen small algorithms (prefix sums, binary
search, a sieve, BFS, a DP, a sort), comments, and a main that calls them. They are built from one list of
helpers per language so every language has the same shape and about the same size.
"""

from __future__ import annotations

_PY_HELPERS = [
    ("prefix", "values", ["out = [0]", "for v in values:", "    out.append(out[-1] + v)", "return out"]),
    (
        "lower_bound",
        "values, target",
        [
            "lo, hi = 0, len(values)",
            "while lo < hi:",
            "    mid = (lo + hi) // 2",
            "    if values[mid] < target:",
            "        lo = mid + 1",
            "    else:",
            "        hi = mid",
            "return lo",
        ],
    ),
    (
        "sieve",
        "limit",
        [
            "is_prime = [True] * (limit + 1)",
            "is_prime[0] = is_prime[1] = False",
            "for i in range(2, int(limit ** 0.5) + 1):",
            "    if is_prime[i]:",
            "        for j in range(i * i, limit + 1, i):",
            "            is_prime[j] = False",
            "return [i for i in range(limit + 1) if is_prime[i]]",
        ],
    ),
    (
        "bfs",
        "adj, start",
        [
            "dist = {start: 0}",
            "queue = [start]",
            "head = 0",
            "while head < len(queue):",
            "    u = queue[head]",
            "    head += 1",
            "    for v in adj.get(u, ()):",
            "        if v not in dist:",
            "            dist[v] = dist[u] + 1",
            "            queue.append(v)",
            "return dist",
        ],
    ),
    (
        "lis",
        "seq",
        [
            "best = [1] * len(seq)",
            "for i in range(len(seq)):",
            "    for j in range(i):",
            "        if seq[j] < seq[i] and best[j] + 1 > best[i]:",
            "            best[i] = best[j] + 1",
            "return max(best) if best else 0",
        ],
    ),
    ("gcd", "a, b", ["while b:", "    a, b = b, a % b", "return a"]),
    (
        "power",
        "base, exp, mod",
        [
            "result = 1",
            "base %= mod",
            "while exp > 0:",
            "    if exp & 1:",
            "        result = result * base % mod",
            "    base = base * base % mod",
            "    exp >>= 1",
            "return result",
        ],
    ),
    (
        "count_pairs",
        "values, k",
        [
            "seen = {}",
            "total = 0",
            "for v in values:",
            "    total += seen.get(k - v, 0)",
            "    seen[v] = seen.get(v, 0) + 1",
            "return total",
        ],
    ),
    (
        "knapsack",
        "items, capacity",
        [
            "dp = [0] * (capacity + 1)",
            "for weight, value in items:",
            "    for c in range(capacity, weight - 1, -1):",
            "        if dp[c - weight] + value > dp[c]:",
            "            dp[c] = dp[c - weight] + value",
            "return dp[capacity]",
        ],
    ),
    (
        "sorted_unique",
        "values",
        [
            "result = []",
            "for v in sorted(values):",
            "    if not result or result[-1] != v:",
            "        result.append(v)",
            "return result",
        ],
    ),
    (
        "max_subarray",
        "values",
        [
            "best = cur = values[0] if values else 0",
            "for v in values[1:]:",
            "    cur = max(v, cur + v)",
            "    best = max(best, cur)",
            "return best",
        ],
    ),
    (
        "find",
        "parent, x",
        ["while parent[x] != x:", "    parent[x] = parent[parent[x]]", "    x = parent[x]", "return x"],
    ),
]


def _python() -> str:
    lines = ['"""A contest solution with its helpers."""', "import sys", "", ""]
    for rounds in range(2):
        for name, params, body in _PY_HELPERS:
            lines.append(f"def {name}_{rounds}({params}):")
            lines.append(f"    # {name.replace('_', ' ')}: helper number {rounds}")
            lines.extend(f"    {b}" for b in body)
            lines.extend(["", ""])
    lines += [
        "def main():",
        "    data = sys.stdin.read().split()",
        "    n = int(data[0]) if data else 0",
        "    values = [int(x) for x in data[1:1 + n]]",
        "    pre = prefix_0(values)",
        "    print(pre[-1], lower_bound_0(sorted(values), 3), len(sieve_0(100)))",
        "    print(lis_0(values), gcd_0(12, 18), power_0(2, 10, 1000), count_pairs_0(values, 5))",
        "    print(knapsack_0([(1, 2), (2, 3)], 3), sorted_unique_0(values), max_subarray_0(values))",
        "",
        "",
        "main()",
    ]
    return "\n".join(lines) + "\n"


_C_HELPERS = [
    (
        "prefix",
        "long long *out, const int *a, int n",
        ["out[0] = 0;", "for (int i = 0; i < n; i++) {", "    out[i + 1] = out[i] + a[i];", "}"],
    ),
    (
        "lower_bound",
        "const int *a, int n, int target",
        [
            "int lo = 0, hi = n;",
            "while (lo < hi) {",
            "    int mid = lo + (hi - lo) / 2;",
            "    if (a[mid] < target) {",
            "        lo = mid + 1;",
            "    } else {",
            "        hi = mid;",
            "    }",
            "}",
            "return lo;",
        ],
    ),
    (
        "sieve",
        "char *composite, int limit",
        [
            "int count = 0;",
            "for (int i = 2; i <= limit; i++) {",
            "    if (composite[i]) continue;",
            "    count++;",
            "    for (long long j = (long long)i * i; j <= limit; j += i) {",
            "        composite[j] = 1;",
            "    }",
            "}",
            "return count;",
        ],
    ),
    (
        "lis",
        "const int *a, int *best, int n",
        [
            "int answer = 0;",
            "for (int i = 0; i < n; i++) {",
            "    best[i] = 1;",
            "    for (int j = 0; j < i; j++) {",
            "        if (a[j] < a[i] && best[j] + 1 > best[i]) best[i] = best[j] + 1;",
            "    }",
            "    if (best[i] > answer) answer = best[i];",
            "}",
            "return answer;",
        ],
    ),
    (
        "gcd",
        "long long a, long long b",
        ["while (b) {", "    long long t = a % b;", "    a = b;", "    b = t;", "}", "return a;"],
    ),
    (
        "power",
        "long long base, long long e, long long mod",
        [
            "long long result = 1;",
            "base %= mod;",
            "while (e > 0) {",
            "    if (e & 1) result = result * base % mod;",
            "    base = base * base % mod;",
            "    e >>= 1;",
            "}",
            "return result;",
        ],
    ),
    (
        "max_subarray",
        "const int *a, int n",
        [
            "long long best = a[0], cur = a[0];",
            "for (int i = 1; i < n; i++) {",
            "    cur = cur + a[i] > a[i] ? cur + a[i] : a[i];",
            "    if (cur > best) best = cur;",
            "}",
            "return best;",
        ],
    ),
    (
        "find",
        "int *parent, int x",
        ["while (parent[x] != x) {", "    parent[x] = parent[parent[x]];", "    x = parent[x];", "}", "return x;"],
    ),
]

_C_TYPES = {
    "prefix": "void",
    "lower_bound": "int",
    "sieve": "int",
    "lis": "int",
    "gcd": "long long",
    "power": "long long",
    "max_subarray": "long long",
    "find": "int",
}


def _c_like(header: list[str], main: list[str], rounds: int) -> list[str]:
    lines = [*header, ""]
    for r in range(rounds):
        for name, params, body in _C_HELPERS:
            lines.append(f"/* {name.replace('_', ' ')}: helper number {r} */")
            lines.append(f"static {_C_TYPES[name]} {name}_{r}({params}) {{")
            lines.extend(f"    {b}" for b in body)
            lines.extend(["}", ""])
    return lines + main


def _c() -> str:
    main = [
        "int main(void) {",
        "    int n = 0;",
        '    if (scanf("%d", &n) != 1) return 0;',
        "    int *a = malloc(sizeof(int) * (n + 1));",
        "    int *best = malloc(sizeof(int) * (n + 1));",
        "    long long *pre = malloc(sizeof(long long) * (n + 2));",
        "    char composite[101] = {0};",
        '    for (int i = 0; i < n; i++) scanf("%d", &a[i]);',
        "    prefix_0(pre, a, n);",
        '    printf("%lld %d %d\\n", pre[n], lower_bound_0(a, n, 3), sieve_0(composite, 100));',
        '    printf("%d %lld %lld\\n", lis_0(a, best, n), gcd_0(12, 18), power_0(2, 10, 1000));',
        "    free(a);",
        "    free(best);",
        "    free(pre);",
        "    return 0;",
        "}",
    ]
    return "\n".join(_c_like(["#include <stdio.h>", "#include <stdlib.h>"], main, 2)) + "\n"


def _cpp() -> str:
    main = [
        "int main() {",
        "    ios::sync_with_stdio(false);",
        "    cin.tie(nullptr);",
        "    int n = 0;",
        "    cin >> n;",
        "    vector<int> a(n), best(n);",
        "    vector<long long> pre(n + 1);",
        "    vector<char> composite(101);",
        "    for (auto &x : a) cin >> x;",
        "    sort(a.begin(), a.end());",
        "    prefix_0(pre.data(), a.data(), n);",
        "    cout << pre[n] << ' ' << lower_bound_0(a.data(), n, 3) << ' ' << sieve_0(composite.data(), 100);",
        "    cout << lis_0(a.data(), best.data(), n) << ' ' << gcd_0(12, 18) << '\\n';",
        "    return 0;",
        "}",
    ]
    return "\n".join(_c_like(["#include <bits/stdc++.h>", "using namespace std;"], main, 2)) + "\n"


def _java() -> str:
    lines = ["import java.io.*;", "import java.util.*;", "", "public class Main {"]
    for r in range(2):
        for name, params, body in _C_HELPERS:
            java_params = params.replace("const ", "").replace("long long *", "long[] ").replace("int *", "int[] ")
            java_params = java_params.replace("char *", "boolean[] ").replace("long long", "long")
            java_body = [
                b.replace("long long", "long")
                .replace("(long)", "(long) ")
                .replace("composite[j] = 1", "composite[(int) j] = true")
                for b in body
            ]
            java_body = [b.replace("if (composite[i]) continue;", "if (composite[i]) continue;") for b in java_body]
            java_body = [
                b.replace("while (b) {", "while (b != 0) {").replace("if (e & 1)", "if ((e & 1) == 1)")
                for b in java_body
            ]
            lines.append(f"    // {name.replace('_', ' ')}: helper number {r}")
            lines.append(f"    static {_C_TYPES[name].replace('long long', 'long')} {name}_{r}({java_params}) {{")
            lines.extend(f"        {b}" for b in java_body)
            lines.extend(["    }", ""])
    lines += [
        "    public static void main(String[] args) throws IOException {",
        "        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));",
        "        int n = Integer.parseInt(in.readLine().trim());",
        "        int[] a = new int[n];",
        "        StringTokenizer st = new StringTokenizer(in.readLine());",
        "        for (int i = 0; i < n; i++) a[i] = Integer.parseInt(st.nextToken());",
        "        long[] pre = new long[n + 1];",
        "        prefix_0(pre, a, n);",
        '        System.out.println(pre[n] + " " + lower_bound_0(a, n, 3) + " " + gcd_0(12, 18));',
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _javascript() -> str:
    lines = ["'use strict';", "const fs = require('fs');", ""]
    for r in range(2):
        for name, params, body in _C_HELPERS:
            js_params = ", ".join(p.split()[-1].lstrip("*") for p in params.split(","))
            js_body = [
                b.replace("(long long)", "")
                .replace("long long ", "let ")
                .replace("int ", "let ")
                .replace("composite[j] = 1", "composite[j] = true")
                for b in body
            ]
            js_body = [b.replace("(hi - lo) / 2", "((hi - lo) >> 1)") for b in js_body]
            lines.append(f"// {name.replace('_', ' ')}: helper number {r}")
            lines.append(f"function {name}_{r}({js_params}) {{")
            lines.extend(f"  {b}" for b in js_body)
            lines.extend(["}", ""])
    lines += [
        "function main() {",
        "  const data = fs.readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(Number);",
        "  const n = data[0] || 0;",
        "  const a = data.slice(1, 1 + n);",
        "  const pre = new Array(n + 1).fill(0);",
        "  prefix_0(pre, a, n);",
        "  console.log(pre[n], lower_bound_0(a, n, 3), gcd_0(12, 18));",
        "}",
        "",
        "main();",
    ]
    return "\n".join(lines) + "\n"


SOURCES: dict[str, str] = {
    "python": _python(),
    "c": _c(),
    "cpp": _cpp(),
    "java": _java(),
    "javascript": _javascript(),
}
"""Grammar name → a solution of about 200 lines."""

LANGUAGE_OF = {"python": "python3", "c": "c", "cpp": "cpp", "java": "java", "javascript": "javascript"}
