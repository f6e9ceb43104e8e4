#!/usr/bin/env python3
"""Prints, as a JSON list, the canonical XML (C14N 2.0, Python's standard library) of every
element {NS}LOCAL of an XML document, in document order: each element canonicalised on its own,
with the namespaces it uses declared on it and prefixes rewritten to canonical ones, so two
documents that carry the same element (whatever its ancestors and their declarations) give the
same text.

Usage: c14n_items.py FILE NS LOCAL
"""
import json
import sys
import xml.etree.ElementTree as ET

path, ns, local = sys.argv[1:4]
out = []
for el in ET.parse(path).getroot().iter("{%s}%s" % (ns, local)):
    el.tail = None
    out.append(ET.canonicalize(ET.tostring(el, encoding="unicode"), rewrite_prefixes=True))
json.dump(out, sys.stdout)
