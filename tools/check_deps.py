#!/usr/bin/env python3
"""Architecture check for raftmq: include edges and clock use (STYLE.md sections 3 and 4).

1. Every project include in the module directories must follow the allowed-edge table below
   (the same table as STYLE.md section 3 and the CMake target links).
2. RocketMQ-style direct clock reads (std::chrono::<x>_clock::now) are only allowed in
   common/clock.cc; everything else takes a common::Clock. Benchmark code under tools/ whose
   path contains "bench" is exempt. tests/ and jepsen/ are not checked at all.

Usage:
  check_deps.py [REPO_ROOT]                 self-test first, then check REPO_ROOT
  check_deps.py --self-test                 only the self-test (proves the checker can fail)
  check_deps.py --no-self-test [REPO_ROOT]  only the real check
REPO_ROOT defaults to the parent of this script's directory. Exit status: 0 when clean, 1 on
violations, 2 when the self-test fails or the arguments are wrong. Standard library only.
"""

import argparse
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile

# Directories whose C++ is checked. dledger/net/ is its own module, "dledger_net".
MODULE_DIRS = ("common", "remoting", "metrics", "store", "dledger", "namesrv", "broker", "client",
               "tools")
# Top-level directories an include path may start with (anything else is third-party).
PROJECT_TOP_DIRS = set(MODULE_DIRS) | {"tests", "jepsen", "deploy", "docs", "scripts", "cmake"}
SOURCE_EXTS = (".h", ".hh", ".hpp", ".cc", ".cpp", ".cxx", ".inl")

# module -> modules it may include (itself included). Keep in sync with STYLE.md section 3.
ALLOWED = {
    "common": {"common"},
    "remoting": {"common", "remoting"},
    "metrics": {"common", "metrics"},
    "store": {"common", "store"},
    "dledger": {"common", "store", "dledger"},
    "dledger_net": {"common", "store", "remoting", "dledger", "dledger_net"},
    "namesrv": {"common", "remoting", "metrics", "namesrv"},  # + store/meta/ only, see below
    "broker": {"common", "remoting", "metrics", "store", "dledger", "dledger_net", "broker"},
    "client": {"common", "remoting", "client"},
    "tools": {"common", "remoting", "client", "tools"},
}
NAMESRV_STORE_PREFIX = "store/meta/"
# Third-party libraries confined to one place: library include prefix -> allowed path prefix.
CONFINED_LIBS = {"rocksdb": "store/meta/"}

CLOCK_EXEMPT_FILES = {"common/clock.cc"}
INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^">\n]+)[">]', re.MULTILINE)
CLOCK_RE = re.compile(r"\b((?:\w+\s*::\s*)*\w*_clock)\s*::\s*now\b")


def module_of(relpath):
    """Module of a project-relative path ('dledger/net/x.h' -> 'dledger_net'), or None."""
    parts = relpath.split("/")
    top = parts[0]
    if top == "dledger" and len(parts) > 2 and parts[1] == "net":
        return "dledger_net"
    if top in PROJECT_TOP_DIRS:
        return top
    return None


def strip_comments(text):
    """Returns (no_comments, no_comments_no_strings), both with line breaks kept in place.

    Handles // and /* */ comments, string and character literals (with escapes), raw strings
    R"d(...)d" and C++14 digit separators (1'000'000), which are not character literals.
    """
    keep, blank = [], []
    i, n = 0, len(text)

    def emit(s, in_string=False):
        keep.append(s)
        blank.append("".join(c if c == "\n" else " " for c in s) if in_string else s)

    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            emit(" " * (j - i))
            i = j
        elif c == "/" and nxt == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            emit("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c == '"':
            m = re.search(r'(?:\bu8|\b[uUL])?R$', text[max(0, i - 3):i])
            if m and (i - len(m.group(0)) == 0 or not _ident(text[i - len(m.group(0)) - 1])):
                k = text.find("(", i)
                delim = text[i + 1:k] if k >= 0 else ""
                end = text.find(")" + delim + '"', k) if k >= 0 else -1
                j = n if end < 0 else end + len(delim) + 2
            else:
                j = _literal_end(text, i, '"')
            emit('"')
            emit(text[i + 1:j - 1], in_string=True)
            emit(text[j - 1:j] if j - 1 > i else "")
            i = j
        elif c == "'":
            k = i - 1
            while k >= 0 and (_ident(text[k]) or text[k] in "'."):
                k -= 1
            if k + 1 < i and text[k + 1].isdigit():  # digit separator
                emit(c)
                i += 1
                continue
            j = _literal_end(text, i, "'")
            emit("'")
            emit(text[i + 1:j - 1], in_string=True)
            emit(text[j - 1:j] if j - 1 > i else "")
            i = j
        else:
            j = i
            while j < n and text[j] not in "/\"'":
                j += 1
            j = max(j, i + 1)
            emit(text[i:j])
            i = j
    return "".join(keep), "".join(blank)


def _ident(ch):
    return ch.isalnum() or ch == "_"


def _literal_end(text, i, quote):
    """Index just past the closing quote of the literal opening at i (stops at a line end)."""
    j, n = i + 1, len(text)
    while j < n:
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == quote:
            return j + 1
        if ch == "\n":
            return j
        j += 1
    return n


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def resolve_include(root, file_rel, include):
    """Project-relative path of a quoted include, or None for third-party/unknown headers."""
    first = include.split("/", 1)[0]
    if first in PROJECT_TOP_DIRS and "/" in include:
        return posixpath.normpath(include)
    here = posixpath.dirname(file_rel)
    candidate = posixpath.normpath(posixpath.join(here, include))
    if candidate.startswith("../"):
        return None
    if include.startswith(("./", "../")) or os.path.isfile(os.path.join(root, candidate)):
        return candidate
    return None


def source_files(root):
    for top in MODULE_DIRS:
        base = os.path.join(root, top)
        if not os.path.isdir(base):
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "build")
            for name in sorted(filenames):
                if name.endswith(SOURCE_EXTS):
                    full = os.path.join(dirpath, name)
                    yield os.path.relpath(full, root).replace(os.sep, "/")


def check_file(root, rel):
    """Violations in one file as (rel, line, kind, message) tuples."""
    src_module = module_of(rel)
    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
        text = f.read()
    code, code_no_strings = strip_comments(text)
    out = []

    for m in INCLUDE_RE.finditer(code):
        bracket, include = m.group(1), m.group(2).strip()
        line = line_of(code, m.start())
        lib = include.split("/", 1)[0]
        if lib in CONFINED_LIBS and "/" in include and not rel.startswith(CONFINED_LIBS[lib]):
            out.append((rel, line, lib,
                        f"{src_module} may not include {lib} ({include}); "
                        f"{lib} is used only under {CONFINED_LIBS[lib]}"))
            continue
        if bracket != '"':
            continue
        target = resolve_include(root, rel, include)
        if target is None:
            continue
        target_module = module_of(target)
        if target_module is None or target_module in ALLOWED[src_module]:
            continue
        if src_module == "namesrv" and target.startswith(NAMESRV_STORE_PREFIX):
            continue
        out.append((rel, line, target_module,
                    f"{src_module} may not include {target_module} ({include})"))

    clock_exempt = rel in CLOCK_EXEMPT_FILES or (src_module == "tools" and "bench" in rel)
    if not clock_exempt:
        for m in CLOCK_RE.finditer(code_no_strings):
            call = re.sub(r"\s+", "", m.group(0))
            out.append((rel, line_of(code_no_strings, m.start()), "clock",
                        f"{src_module} may not call {call} (only common/clock.cc reads the clock; "
                        f"take a common::Clock&)"))
    return out


def scan(root):
    files = list(source_files(root))
    violations = []
    for rel in files:
        violations.extend(check_file(root, rel))
    violations.sort(key=lambda v: (v[0], v[1]))
    return files, violations


def run_check(root):
    if not any(os.path.isdir(os.path.join(root, d)) for d in MODULE_DIRS):
        print(f"check_deps: {root} has none of {', '.join(MODULE_DIRS)}: not a raftmq tree",
              file=sys.stderr)
        return 2
    files, violations = scan(root)
    for rel, line, _kind, message in violations:
        print(f"{rel}:{line}: {message}")
    if violations:
        print(f"include graph check FAILED: {len(violations)} violation(s) in "
              f"{len(files)} files checked")
        return 1
    print(f"include graph OK: {len(files)} files checked")
    return 0


# ---- self-test ----------------------------------------------------------------------------------
# Each file lists what it contains; EXPECTED names exactly the violations the checker must report.
SELF_TEST_TREE = {
    "common/status.h": '#pragma once\n#include <string>\n',
    "common/clock.cc": '#include "common/clock.h"\n'
                       'auto t = std::chrono::steady_clock::now();\n',          # exempt file
    "remoting/server.cc": '#include "common/status.h"\n'                       # allowed
                          '#include "remoting/frame_codec.h"\n'                 # own module
                          '#include <boost/asio.hpp>\n',
    "store/commit_log.cc": '#include "common/status.h"\n'                      # allowed
                           '#include "remoting/remoting_command.h"\n',          # line 2: forbidden
    "store/meta/rocksdb_meta_store.cc": '#include <rocksdb/db.h>\n'             # allowed here
                                        '#include "meta_store.h"\n',
    "store/meta/meta_store.h": '#pragma once\n',
    "namesrv/kv_config.cc": '#include "store/meta/meta_store.h"\n'              # allowed
                            '#include "store/commit_log.h"\n',                  # line 2: forbidden
    "dledger/net/remoting_transport.cc": '#include "remoting/client.h"\n'       # allowed
                                         '#include "dledger/raft.h"\n',
    "dledger/raft.cc": '// #include "broker/a.h"\n'                             # comment
                       '/* #include "broker/b.h"\n'
                       '   #include "broker/c.h" */\n'
                       '#include "dledger/net/remoting_transport.h"\n',         # line 4: forbidden
    "broker/clock_user.cc": 'constexpr long kNs = 1\'000\'000;  // steady_clock::now()\n'
                            'const char* s = "system_clock::now";\n'
                            'auto t = std::chrono::steady_clock::now();\n',     # line 3: forbidden
    "broker/meta.cc": '#include "dledger/net/remoting_transport.h"\n'           # allowed
                      '#include <rocksdb/db.h>\n',                              # line 2: forbidden
    "client/producer.cc": '#include "../store/commit_log.h"\n',                 # line 1: forbidden
    "metrics/http_server.cc": '#include "common/logging.h"\n'                  # allowed
                              '#include "remoting/asio.h"\n',                  # line 2: forbidden
    "namesrv/metrics_user.cc": '#include "metrics/registry.h"\n',              # allowed
    "tools/bench/latency.cc": 'auto t = std::chrono::high_resolution_clock::now();\n',  # exempt
    "tests/unit/anything_test.cc": '#include "broker/meta.h"\n'                 # tests unchecked
                                   'auto t = std::chrono::system_clock::now();\n',
}
SELF_TEST_EXPECTED = {
    ("store/commit_log.cc", 2, "remoting"),
    ("namesrv/kv_config.cc", 2, "store"),
    ("dledger/raft.cc", 4, "dledger_net"),
    ("broker/clock_user.cc", 3, "clock"),
    ("broker/meta.cc", 2, "rocksdb"),
    ("client/producer.cc", 1, "store"),
    ("metrics/http_server.cc", 2, "remoting"),
}


def self_test():
    tmp = tempfile.mkdtemp(prefix="check_deps_selftest_")
    try:
        for rel, body in SELF_TEST_TREE.items():
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(body)
        files, violations = scan(tmp)
        found = {(rel, line, kind) for rel, line, kind, _ in violations}
        problems = []
        expected_files = sum(1 for rel in SELF_TEST_TREE if not rel.startswith("tests/"))
        if len(files) != expected_files:
            problems.append(f"scanned {len(files)} files, expected {expected_files}")
        for v in sorted(SELF_TEST_EXPECTED - found):
            problems.append(f"missed violation {v}")
        for v in sorted(found - SELF_TEST_EXPECTED):
            problems.append(f"false positive {v}")
        if len(violations) != len(found):
            problems.append("duplicate violations reported")
        # The command line must fail on that tree and print file:line: messages.
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--no-self-test", tmp],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 1:
            problems.append(f"CLI exit status {proc.returncode} on a bad tree, expected 1")
        if "store/commit_log.cc:2: store may not include remoting (remoting/remoting_command.h)" \
                not in proc.stdout:
            problems.append("CLI output lacks the expected store -> remoting line")
        # ...and pass once the forbidden files are gone.
        for rel in {v[0] for v in SELF_TEST_EXPECTED}:
            os.remove(os.path.join(tmp, rel))
        _, left = scan(tmp)
        if left:
            problems.append(f"clean tree still reports {left}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        print("check_deps self-test FAILED:")
        for p in problems:
            print(f"  {p}")
        return False
    print(f"check_deps self-test OK: caught exactly the {len(SELF_TEST_EXPECTED)} planted "
          f"violations in {len(files)} files")
    return True


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--self-test", action="store_true", help="only run the self-test")
    mode.add_argument("--no-self-test", action="store_true", help="skip the self-test")
    parser.add_argument("repo_root", nargs="?",
                        default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = parser.parse_args(argv)
    if not args.no_self_test and not self_test():
        return 2
    if args.self_test:
        return 0
    return run_check(os.path.abspath(args.repo_root))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
