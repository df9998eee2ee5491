#!/usr/bin/env python3
"""Checks JSON documents against a JSON Schema (draft 2020-12), for kho's
tests, with no package beyond Python's standard library.

It knows the keywords docs/metadata.schema.json uses and refuses a schema
that uses any other, so that nothing the schema states goes unchecked:
type, const, enum, pattern, minLength, maxLength, minimum, maximum,
exclusiveMinimum, properties, required, additionalProperties, items,
minItems, maxItems, oneOf, $ref (to #/$defs/...), and the annotations
$schema, $id, title, description.

usage: json_schema_check.py SCHEMA.json DOC.json...   (exit 1 on a problem)
"""
import json
import re
import sys

ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs"}
KNOWN = ANNOTATIONS | {
    "type", "const", "enum", "pattern", "minLength", "maxLength", "minimum",
    "maximum", "exclusiveMinimum", "properties", "required",
    "additionalProperties", "items", "minItems", "maxItems", "oneOf", "$ref"}

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def schema_keywords(schema, where="#"):
    """Every keyword of the schema is one this checker knows."""
    problems = []
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k not in KNOWN:
                problems.append(f"{where}: unsupported keyword {k}")
            if k in ("properties", "$defs"):
                for name, sub in v.items():
                    problems += schema_keywords(sub, f"{where}/{k}/{name}")
            elif k in ("items", "additionalProperties") and isinstance(v, dict):
                problems += schema_keywords(v, f"{where}/{k}")
            elif k == "oneOf":
                for i, sub in enumerate(v):
                    problems += schema_keywords(sub, f"{where}/oneOf/{i}")
    return problems


def same(a, b):
    """JSON equality: 1 is not true."""
    return type(a) is type(b) and a == b or (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def check(value, schema, root, path, out):
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            out.append(f"{path}: unsupported $ref {ref}")
            return
        check(value, root["$defs"][ref[len("#/$defs/"):]], root, path, out)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            out.append(f"{path}: {value!r:.60} is not {'/'.join(types)}")
            return
    if "const" in schema and not same(value, schema["const"]):
        out.append(f"{path}: {value!r:.60} is not {schema['const']!r}")
    if "enum" in schema and not any(same(value, e) for e in schema["enum"]):
        out.append(f"{path}: {value!r:.60} is not one of {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{path}: {value!r:.60} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            out.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append(f"{path}: longer than {schema['maxLength']}")
    if TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{path}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{path}: {value} > {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            out.append(f"{path}: {value} <= {schema['exclusiveMinimum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                out.append(f"{path}: no member {name}")
        for name, v in value.items():
            if name in props:
                check(v, props[name], root, f"{path}/{name}", out)
            elif schema.get("additionalProperties") is False:
                out.append(f"{path}: member {name} is not in the schema")
            elif isinstance(schema.get("additionalProperties"), dict):
                check(v, schema["additionalProperties"], root, f"{path}/{name}", out)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            out.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{path}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, v in enumerate(value):
                check(v, schema["items"], root, f"{path}/{i}", out)
    if "oneOf" in schema:
        passing = 0
        for sub in schema["oneOf"]:
            o = []
            check(value, sub, root, path, o)
            passing += not o
        if passing != 1:
            out.append(f"{path}: matches {passing} of oneOf, not 1")


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    schema = json.load(open(argv[1], encoding="utf-8"))
    problems = schema_keywords(schema)
    for p in problems:
        print(f"{argv[1]}: {p}")
    if problems:
        return 1
    bad = 0
    for doc in argv[2:]:
        out = []
        check(json.load(open(doc, encoding="utf-8")), schema, schema, "#", out)
        print(f"{doc}: {'valid' if not out else 'INVALID'}")
        for p in out:
            print(f"  {p}")
        bad += bool(out)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
