#!/usr/bin/env python3
"""Writes a copy of a CloudFormation template with other parameter defaults.

    template-variant.py SRC DST NAME=VALUE...

checkov resolves Conditions with the parameters' defaults, so a resource behind a Condition that is
false by default is never checked. infra/lint-templates.sh runs checkov over variants made with
this script so that every optional resource is checked. Text-based on purpose: the templates use
YAML short-form tags (!Ref, !Sub) that a plain YAML loader rejects.
"""
import re
import sys


def main() -> None:
    src, dst, *pairs = sys.argv[1:]
    text = open(src, encoding="utf-8").read()
    for pair in pairs:
        name, value = pair.split("=", 1)
        pattern = re.compile(r"(\n  %s:\n(?:    .*\n)*?    Default: ).*\n" % re.escape(name))
        quoted = "'" + value.replace("'", "''") + "'"
        text, count = pattern.subn(lambda m: m.group(1) + quoted + "\n", text, count=1)
        if count != 1:
            sys.exit(f"template-variant.py: {src} has no Default for parameter {name}")
    open(dst, "w", encoding="utf-8").write(text)


if __name__ == "__main__":
    main()
