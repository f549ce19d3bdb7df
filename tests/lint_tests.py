#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lint the black-box test scripts for two shapes that make tests lie.

usage: lint_tests.py FILE...

1. A result helper (check, assert, ok, fail, bad, skip, die, expect) whose
   command is followed by && or || on the same logical line:
   `check DESC [ a ] && [ b ]` checks only [ a ] (the shell runs [ b ]
   outside the helper, and its status is lost), and
   `check DESC [ a ] || [ b ]` fails when a is false and b is true.
   Write `assert DESC '[ a ] && [ b ]'` or two checks instead.
2. `sleep` outside a loop: a fixed sleep waits for a condition without
   looking at it. Poll the condition with a deadline (wait_until in
   tests/lib.sh); a sleep inside a polling loop is fine.

Shell is tokenized just enough for this: quotes, backslashes, $(...),
`...`, ${...}, comments, line continuations, and here-document bodies
(skipped). Prints FILE:LINE: message for each finding; exit 1 if any.
"""
import re
import sys

HELPERS = {"check", "assert", "ok", "fail", "bad", "skip", "die", "expect"}
# words after which a new command starts
STARTERS = {"then", "do", "else", "elif", "if", "while", "until", "!", "{", "}", "time"}
OPS = ("&&", "||", ";;", "|", "&", ";", "(", ")", "\n")


class Lexer:
    def __init__(self, text):
        self.s = text
        self.i = 0
        self.line = 1
        self.heredocs = []     # (delimiter, strip_tabs) waiting for the next newline

    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def adv(self, n=1):
        for _ in range(n):
            if self.i < len(self.s):
                if self.s[self.i] == "\n":
                    self.line += 1
                self.i += 1

    def skip_heredoc_bodies(self):
        for delim, strip in self.heredocs:
            while self.i < len(self.s):
                end = self.s.find("\n", self.i)
                if end < 0:
                    end = len(self.s)
                body = self.s[self.i:end]
                self.adv(end - self.i + 1)
                if (body.lstrip("\t") if strip else body) == delim:
                    break
        self.heredocs = []

    def nested(self, close):
        """Skip a $( ... ) / ${ ... } / $(( ... )) body up to its `close`."""
        depth = 1
        while self.i < len(self.s):
            c = self.peek()
            if c == "\\":
                self.adv(2)
            elif c == "'":
                self.single()
            elif c == '"':
                self.double()
            elif c == "`":
                self.backquote()
            elif c == "$" and self.peek(1) in "({":
                self.adv(2)
                self.nested(")" if self.s[self.i - 1] == "(" else "}")
            elif c == "(" and close == ")":
                depth += 1
                self.adv()
            elif c == close:
                depth -= 1
                self.adv()
                if depth == 0:
                    return
            else:
                self.adv()

    def single(self):
        self.adv()
        while self.i < len(self.s) and self.peek() != "'":
            self.adv()
        self.adv()

    def double(self):
        self.adv()
        while self.i < len(self.s) and self.peek() != '"':
            c = self.peek()
            if c == "\\":
                self.adv(2)
            elif c == "$" and self.peek(1) in "({":
                self.adv(2)
                self.nested(")" if self.s[self.i - 1] == "(" else "}")
            elif c == "`":
                self.backquote()
            else:
                self.adv()
        self.adv()

    def backquote(self):
        self.adv()
        while self.i < len(self.s) and self.peek() != "`":
            if self.peek() == "\\":
                self.adv()
            self.adv()
        self.adv()

    def tokens(self):
        """Yield (kind, text, line): kind 'op' or 'word'."""
        while self.i < len(self.s):
            c = self.peek()
            if c == "\\" and self.peek(1) == "\n":
                self.adv(2)
                continue
            if c in " \t":
                self.adv()
                continue
            if c == "#":
                while self.i < len(self.s) and self.peek() != "\n":
                    self.adv()
                continue
            if c == "\n":
                line = self.line
                self.adv()
                yield ("op", "\n", line)
                if self.heredocs:
                    self.skip_heredoc_bodies()
                continue
            op = next((o for o in OPS if self.s.startswith(o, self.i)), None)
            if op and not self.s.startswith("<<", self.i):
                line = self.line
                self.adv(len(op))
                yield ("op", op, line)
                continue
            if self.s.startswith("<<", self.i):
                m = re.match(r"<<(-?)[ \t]*(['\"]?)([A-Za-z0-9_]+)\2", self.s[self.i:])
                if m:
                    self.heredocs.append((m.group(3), m.group(1) == "-"))
                    self.adv(m.end())
                    continue
            # a word
            line = self.line
            start = self.i
            while self.i < len(self.s):
                c = self.peek()
                if c in " \t\n" or (c in "&|;()" and not self.s.startswith("$(", self.i)):
                    break
                if c == "\\":
                    if self.peek(1) == "\n":
                        break
                    self.adv(2)
                elif c == "'":
                    self.single()
                elif c == '"':
                    self.double()
                elif c == "`":
                    self.backquote()
                elif c == "$" and self.peek(1) in "({":
                    self.adv(2)
                    self.nested(")" if self.s[self.i - 1] == "(" else "}")
                elif self.s.startswith("<<", self.i):
                    break
                else:
                    self.adv()
            yield ("word", self.s[start:self.i], line)


def lint(path, text):
    out = []
    toks = list(Lexer(text).tokens())
    at_start = True
    helper = None            # (name, line) of the command being read
    loops = 0                # while/until/for bodies we are in
    for kind, tok, line in toks:
        if kind == "op":
            if helper and tok in ("&&", "||"):
                out.append(f"{path}:{helper[1]}: '{helper[0]} ... {tok}': the {tok} runs outside "
                           f"{helper[0]}; use assert DESC 'COND {tok} COND' or two checks")
            helper = None
            at_start = True
            continue
        if at_start:
            if tok in ("while", "until", "for"):
                loops += 1
            elif tok == "done":
                loops = max(0, loops - 1)
            if tok in STARTERS or tok == "done":
                continue
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", tok):   # VAR=value cmd
                continue
            at_start = False
            if tok in HELPERS:
                helper = (tok, line)
            if tok == "sleep" and loops == 0:
                out.append(f"{path}:{line}: sleep outside a loop: wait for the condition "
                           "with a deadline (wait_until) instead")
        elif tok == "done":
            loops = max(0, loops - 1)
    return out


def main():
    found = []
    for p in sys.argv[1:]:
        with open(p) as f:
            found += lint(p, f.read())
    for m in found:
        print(m)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
