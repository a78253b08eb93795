#!/usr/bin/env python3
"""Fails when the modules of a crate import each other in a circle.

    scripts/module-cycles.py engine/connect-wire/src engine/connect-engine/src

Each source file is a node. A file has an edge to the file that defines the module a path in
it lands in: `use crate::a::b::Item` and `crate::a::b::f()` land in `a/b.rs` (or
`a/b/mod.rs`), `use super::X` in the parent module's file. A path through a parent's
re-export lands in the parent's file, so a child that imports what its parent re-exports
from a sibling is an edge to the parent, and the parent's `pub use child::…` an edge back:
that is a circle, as it should be. `mod child;` alone is not an edge, but `use child::…` and `child::f()` are. Code under
`#[cfg(test)]` is left out: tests may reach anywhere. Prints every circle (a strongly
connected set of more than one file) and exits 1 when there is one.
"""

import os
import re
import sys

USE = re.compile(r"(?<![\w:])(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);")
CHILD_PATH = re.compile(r"(?<![\w:])([a-z_][a-z0-9_]*)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def read(path):
    """A file's text, with the files it `include!`s (generated code) in place."""
    src = open(path, encoding="utf-8").read()

    def inline(m):
        name = m.group(1)
        if "concat!" in name or "env!" in name:
            return ""
        return read(os.path.join(os.path.dirname(path), name))

    return re.sub(r'include!\(\s*"([^"]+)"\s*\)', inline, src)


def strip_comments_and_strings(src):
    src = re.sub(r"//[^\n]*", "", src)
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    src = re.sub(r'r#*"(?:.|\n)*?"#*', '""', src)
    src = re.sub(r'"(?:\\.|[^"\\])*"', '""', src)
    return src


def strip_test_items(src):
    """Drops each item that follows `#[cfg(test)]` (a `mod tests { … }` or a `use`)."""
    out = []
    i = 0
    while True:
        j = src.find("#[cfg(test)]", i)
        if j < 0:
            out.append(src[i:])
            return "".join(out)
        out.append(src[i:j])
        k = j + len("#[cfg(test)]")
        # The item ends at the first `;` before any `{`, or at its matching `}`.
        depth = 0
        while k < len(src):
            c = src[k]
            if c == ";" and depth == 0:
                k += 1
                break
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    k += 1
                    break
            k += 1
        i = k


def expand_use_tree(text):
    """`a::{b::{c, d as e}, self}` -> [(`a::b::c`, `c`), (`a::b::d`, `e`), (`a`, `a`)]."""
    text = re.sub(r"\s+as\s+", "@", text)
    text = re.sub(r"\s+", "", text)

    def expand(s):
        brace = s.find("{")
        if brace < 0:
            return [s]
        prefix = s[:brace]
        depth = 0
        for end in range(brace, len(s)):
            if s[end] == "{":
                depth += 1
            elif s[end] == "}":
                depth -= 1
                if depth == 0:
                    break
        inner = s[brace + 1 : end]
        parts, depth, start = [], 0, 0
        for k, c in enumerate(inner):
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == "," and depth == 0:
                parts.append(inner[start:k])
                start = k + 1
        parts.append(inner[start:])
        return [prefix + e for p in parts if p for e in expand(p)]

    out = []
    for item in expand(text):
        path, _, alias = item.partition("@")
        segs = path.split("::")
        if segs[-1] == "self":
            segs = segs[:-1]
        path = "::".join(segs)
        out.append((path, alias or segs[-1]))
    return out


class Crate:
    def __init__(self, root):
        self.root = root
        self.files = {}  # module path tuple -> file
        for dirpath, _, names in os.walk(root):
            for name in names:
                if not name.endswith(".rs"):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)[:-3].split(os.sep)
                if rel[-1] in ("mod", "lib", "main"):
                    rel = rel[:-1]
                if any("." in part for part in rel):
                    continue  # generated files included with include!()
                self.files[tuple(rel)] = full

        self.mods = {f: m for m, f in self.files.items()}
        self.src = {f: strip_test_items(strip_comments_and_strings(read(f))) for f in self.files.values()}
        # Per file: name -> crate-absolute path, for each `use` in it (re-exports included).
        self.aliases = {f: {} for f in self.files.values()}
        self.uses = {f: [] for f in self.files.values()}  # (absolute path, name, public)
        for f, src in self.src.items():
            for m in USE.finditer(src):
                public = m.group(1) is not None
                for path, name in expand_use_tree(m.group(2)):
                    absolute = self.absolute(self.mods[f], path)
                    if absolute is None:
                        continue
                    self.aliases[f][name] = absolute
                    self.uses[f].append((absolute, name, public))

    def absolute(self, mod, path):
        """`path` as written in module `mod`, from the crate root; None outside the crate."""
        segs = [s for s in path.split("::") if s and s != "*"]
        if not segs:
            return None
        if segs[0] == "crate":
            return segs[1:]
        if segs[0] in ("super", "self") or mod + (segs[0],) in self.files:
            base = list(mod)
            while segs and segs[0] in ("super", "self"):
                if segs[0] == "super":
                    base = base[:-1]
                segs = segs[1:]
            return base + segs
        return None

    def land(self, segs, hops=0):
        """The file that defines what a crate-absolute path names, through re-exports."""
        k = 0
        while k < len(segs) and tuple(segs[: k + 1]) in self.files:
            k += 1
        f = self.files[tuple(segs[:k])]
        if k < len(segs) and hops < 32:
            target = self.aliases[f].get(segs[k])
            if target is not None:
                return self.land(target + segs[k + 1 :], hops + 1)
        return f

    def edges(self, path):
        mod = self.mods[path]
        src = self.src[path]
        targets = set()
        absolutes = []
        for absolute, name, public in self.uses[path]:
            # A re-export is an alias, not a use, unless this file's code names it too.
            if public and len(re.findall(rf"\b{re.escape(name)}\b", src)) < 2:
                continue
            absolutes.append(absolute)
        body = USE.sub("", src)
        for m in PATH.finditer(body):
            absolutes.append(self.absolute(mod, m.group(1) + m.group(2)))
        # A path may also start at a child module of this one (`conn::serve(…)`).
        for m in CHILD_PATH.finditer(body):
            if mod + (m.group(1),) in self.files:
                absolutes.append(list(mod) + [m.group(1)] + m.group(2).split("::")[1:])
        for absolute in absolutes:
            if absolute is None:
                continue
            target = self.land(absolute)
            if target != path:
                targets.add(target)
        return targets


def cycles(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                out.append(sorted(scc))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


# Files that name each other's types by nature, each with the reason. A circle is allowed only
# when it is exactly one of these; one file more or less fails the check.
ALLOWED = {
    frozenset(["json/decoder.rs", "json/registry.rs", "json/write.rs"]): (
        "Any's JSON: the options carry the type registry, whose entries are functions over "
        "the decoder and the writer, which carry the options"
    ),
}


def main(roots):
    failed = False
    for root in roots:
        crate = Crate(root)
        graph = {f: crate.edges(f) for f in crate.files.values()}
        found = cycles(graph)
        here_failed = False
        for scc in found:
            allowed = ALLOWED.get(frozenset(os.path.relpath(f, root) for f in scc))
            if allowed:
                print(f"{root}: allowed circle of {len(scc)} files ({allowed})")
                continue
            failed = here_failed = True
            print(f"import circle in {root} ({len(scc)} files):")
            for f in scc:
                inside = sorted(os.path.relpath(t, root) for t in graph[f] if t in scc)
                print(f"  {os.path.relpath(f, root)} -> {', '.join(inside)}")
        if not here_failed:
            print(f"{root}: {len(graph)} files, no other import circles")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
