#!/usr/bin/env python3
"""Fails when a crate's file-level import graph has a cycle.

Each `.rs` file under a crate's `src/` is a node. File A has an edge to file B when A's non-test
code names a path into B's module: a `use crate::...`, `use super::...` or `use self::...`
declaration (brace groups such as `use super::{a, b::C}` are expanded), or a `crate::...` /
`super::...` path written inline. A path resolves to the file of its longest module prefix
(`crate::read::views::Found` -> `read/views.rs`), so naming an item of a module is an edge to the
file that defines that module.

A cycle (A uses B and B uses A, directly or through other files) means that two files cannot
be understood, moved or split apart one without the other; it is broken by moving the shared
type or function to the module it belongs in, usually a small leaf module both can depend on.

Not counted: test code (items under `#[cfg(test)]` or `#[cfg(any(test, ...))]`, files named
`tests.rs` and files under a `tests/` directory), comments, string literals, and imports of
other crates. The scan is lexical, not a Rust parser: it does not follow `#[path]` attributes or
macros that write paths.

Usage: `infra/import-cycles.py [ROOT]` (default: the repository root). Prints each cycle's
files and the edges between them, then `cycles: N`; exits 1 when N > 0. Run by `make lint`.
"""

import os
import re
import sys

SKIP_DIRS = {"target", "fuzz", "node_modules"}
CFG_TEST = re.compile(r"#\[cfg\((?:test|any\(test)[^\]]*\]")
USE_DECL = re.compile(r"\buse\s+((?:crate|super|self)\b[^;]*);")
INLINE_PATH = re.compile(r"\b(crate|super)((?:::\w+)+)")
STRING = re.compile(r'r(#*)".*?"\1|b?"(?:\\.|[^"\\])*"|\'(?:\\.|[^\\\'])\'', re.S)
LINE_COMMENT = re.compile(r"//[^\n]*")
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def crate_sources(root):
    """The `src/` directory of every crate under `root` (a directory with a Cargo.toml)."""
    for path, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        if "Cargo.toml" in files and os.path.isdir(os.path.join(path, "src")):
            yield os.path.join(path, "src")


def module_path(src, file):
    """`src/read/views.rs` -> ['read', 'views']; `src/event/mod.rs` -> ['event']; lib.rs -> []."""
    parts = os.path.relpath(file, src)[:-3].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    if parts in (["lib"], ["main"]):
        parts = []
    return parts


def module_file(src, parts):
    """The file of the longest module prefix of `parts`; the crate root when none is a file."""
    for i in range(len(parts), 0, -1):
        base = os.path.join(src, *parts[:i])
        for candidate in (base + ".rs", os.path.join(base, "mod.rs")):
            if os.path.isfile(candidate):
                return candidate
    for root in ("lib.rs", "main.rs"):
        if os.path.isfile(os.path.join(src, root)):
            return os.path.join(src, root)
    return None


def strip_test_items(text):
    """`text` without the items annotated `#[cfg(test)]` (a `mod tests { ... }`, a test fn)."""
    out = []
    pos = 0
    for match in CFG_TEST.finditer(text):
        if match.start() < pos:
            continue
        out.append(text[pos : match.start()])
        # The item ends at its first `;` outside braces, or where its first `{` closes.
        depth = 0
        i = match.end()
        while i < len(text):
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    i += 1
                    break
            elif c == ";" and depth == 0:
                i += 1
                break
            i += 1
        pos = i
    out.append(text[pos:])
    return "".join(out)


def expand_use(tree):
    """`super::{a, b::{C, D}}` -> [['super', 'a'], ['super', 'b', 'C'], ['super', 'b', 'D']]."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)  # `Foo as Bar`: the path is Foo's
    tree = re.sub(r"\s+", "", tree)
    paths = []

    def walk(prefix, rest):
        # rest: a path, possibly ending in a `{...}` group of further trees.
        brace = rest.find("{")
        if brace < 0:
            paths.append(prefix + [p for p in rest.split("::") if p])
            return
        head = [p for p in rest[:brace].split("::") if p]
        inner = rest[brace + 1 : rest.rindex("}")]
        depth, start = 0, 0
        for i, c in enumerate(inner + ","):
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == "," and depth == 0:
                item = inner[start:i]
                start = i + 1
                if item:
                    walk(prefix + head, item)

    walk([], tree)
    return paths


def resolve(me, path):
    """The module parts a `crate::` / `super::` / `self::` path names, seen from module `me`
    (`super` of `a/b.rs` and of `a/b/mod.rs` is `a` either way)."""
    if path[0] == "crate":
        return path[1:]
    base = list(me)
    rest = list(path)
    if rest[0] == "self":
        rest = rest[1:]
    while rest and rest[0] == "super":
        base = base[:-1]
        rest = rest[1:]
    return base + [p for p in rest if p != "self"]


def clean_source(text):
    """Non-test code without comments and string literals."""
    text = BLOCK_COMMENT.sub(" ", text)
    text = LINE_COMMENT.sub(" ", text)
    text = STRING.sub('""', text)
    return strip_test_items(text)


def import_graph(src):
    """file -> the files of the same crate its non-test code imports from."""
    files = sorted(
        os.path.join(path, f)
        for path, _, names in os.walk(src)
        for f in names
        if f.endswith(".rs")
    )
    graph = {}
    for file in files:
        rel = os.path.relpath(file, src)
        if rel == "tests.rs" or rel.endswith(os.sep + "tests.rs") or "tests" in rel.split(os.sep)[:-1]:
            continue
        me = module_path(src, file)
        with open(file, encoding="utf-8") as f:
            text = clean_source(f.read())
        paths = []
        for decl in USE_DECL.finditer(text):
            paths.extend(expand_use(decl.group(1)))
        for inline in INLINE_PATH.finditer(USE_DECL.sub(" ", text)):
            paths.append([inline.group(1)] + inline.group(2).strip(":").split("::"))
        deps = set()
        for path in paths:
            target = module_file(src, resolve(me, path))
            if target and target != file:
                deps.add(target)
        graph[file] = deps
    return graph


def strongly_connected(graph):
    """Tarjan's algorithm, iterative: the components of more than one file (the cycles)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    root = os.path.abspath(root)
    total = 0
    for src in crate_sources(root):
        graph = import_graph(src)
        for component in strongly_connected(graph):
            total += 1
            names = [os.path.relpath(f, src) for f in component]
            print(f"cycle in {os.path.relpath(src, root)}: {', '.join(names)}")
            for a in component:
                for b in sorted(graph[a]):
                    if b in component:
                        print(f"    {os.path.relpath(a, src)} -> {os.path.relpath(b, src)}")
    print(f"cycles: {total}")
    if total:
        print(
            "break each cycle by moving the shared type or function to the module it belongs in "
            "(a leaf module both sides can depend on)",
            file=sys.stderr,
        )
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
