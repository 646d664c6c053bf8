"""Reads Brownian's PROV documents with the W3C `prov` package (python3-prov), an implementation
independent of ours, and prints what it understood as JSON for the vitest tests to check.

  prov_check.py json <document.json>            elements and relations as prov parsed them
  prov_check.py provn <document.json> <doc.provn>  our PROV-N against prov's own PROV-N of the JSON
"""
import datetime
import json
import re
import sys

import prov.model as pm
from prov.constants import PROV_N_MAP


def text(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(value, pm.Literal):
        return "%s^^%s" % (value.value, value.datatype)
    return str(value)


def describe(document):
    elements, relations = {}, []
    for record in document.get_records():
        formal = {str(k): text(v) for k, v in record.formal_attributes if v is not None}
        extra = {}
        for k, v in record.extra_attributes:
            extra.setdefault(str(k), []).append(text(v))
        if record.is_element():
            elements[str(record.identifier)] = {"kind": type(record).__name__, "formal": formal, "attributes": extra}
        else:
            relations.append({"kind": PROV_N_MAP[record.get_type()], "formal": formal, "attributes": extra})
    return {"elements": elements, "relations": relations}


TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def split_top(body):
    """Splits `a, "b, c", [d, e]` at commas outside quotes and brackets."""
    parts, depth, quoted, escaped, current = [], 0, False, False, ""
    for ch in body:
        if quoted:
            current += ch
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
            continue
        if ch == '"':
            quoted = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def normalise(line):
    line = TIME.sub(lambda m: datetime.datetime.fromisoformat(m.group(0).replace("Z", "+00:00"))
                    .astimezone(datetime.timezone.utc).isoformat(), line.strip())
    name, body = line.split("(", 1)
    items = split_top(body[:-1])
    if items and items[-1].startswith("["):
        attributes = tuple(sorted(split_top(items[-1][1:-1])))
        items = items[:-1]
    else:
        attributes = ()
    return (name, tuple(items), attributes)


def statements(provn):
    out = []
    for line in provn.splitlines():
        line = line.strip()
        if not line or line in ("document", "endDocument") or line.startswith("prefix "):
            continue
        out.append(normalise(line))
    return out


def main():
    mode = sys.argv[1]
    with open(sys.argv[2]) as f:
        document = pm.ProvDocument.deserialize(content=f.read(), format="json")
    if mode == "json":
        print(json.dumps(describe(document)))
        return
    with open(sys.argv[3]) as f:
        ours = statements(f.read())
    theirs = statements(document.get_provn())
    only_ours = sorted(set(ours) - set(theirs))
    only_theirs = sorted(set(theirs) - set(ours))
    print(json.dumps({"ours": len(ours), "theirs": len(theirs), "distinct": len(set(ours)),
                      "onlyOurs": [repr(s) for s in only_ours[:20]],
                      "onlyTheirs": [repr(s) for s in only_theirs[:20]]}))


main()
