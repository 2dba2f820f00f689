"""Validates every Sigma rule of a dump-hunts file, or every `.yml` file of an exported
`sigma/` folder, against the Sigma JSON schemas.

A rendering may hold several YAML documents: detection rules, and correlation rules
(thresholds) that refer to a detection rule of the same rendering by name.
"""
import json
import sys
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator


def validator(path: Path) -> Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def main() -> int:
    source = Path(sys.argv[1])
    if source.is_dir():
        files = sorted(source.glob("*.yml"))
        dump = {"queries": [{"source": str(f), "backend": "sigma", "text": f.read_text(encoding="utf-8")} for f in files]}
    else:
        dump = json.loads(source.read_text(encoding="utf-8"))
    schemas = Path(sys.argv[2])
    detection = validator(schemas / "sigma-detection-rule-schema.json")
    correlation = validator(schemas / "sigma-correlation-rules-schema.json")
    passed = failed = 0
    for q in dump["queries"]:
        if q["backend"] != "sigma":
            continue
        problems = []
        try:
            docs = list(yaml.safe_load_all(q["text"]))
        except yaml.YAMLError as e:
            docs, problems = [], [f"not YAML: {e}"]
        names = {d.get("name") for d in docs if isinstance(d, dict)}
        for doc in docs:
            if not isinstance(doc, dict):
                problems.append(f"document is not a mapping: {doc!r}")
                continue
            v = correlation if "correlation" in doc else detection
            problems += [f"{'/'.join(map(str, e.path))}: {e.message}" for e in v.iter_errors(doc)]
            if "correlation" in doc:
                for r in doc["correlation"].get("rules", []):
                    if r not in names:
                        problems.append(f"correlation refers to unknown rule {r}")
            else:
                det = doc.get("detection", {})
                for sel, body in det.items():
                    if sel != "condition" and not isinstance(body, (dict, list)):
                        problems.append(f"selection {sel} is not a map or list")
        if problems or not docs:
            failed += 1
            print(f"FAIL {q['source']}")
            for p in problems or ["no rule"]:
                print(f"  {p}")
            print("\n".join("    | " + line for line in q["text"].splitlines()))
        else:
            passed += 1
    print(f"check-sigma: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
