"""Validate every STIX bundle in a folder with the OASIS stix2-validator (which parses
patterns with stix2-patterns); also parse each stix pattern directly. Exit 1 on errors."""
import glob, json, os, sys
from stix2validator import ValidationOptions, validate_file
from stix2patterns.validator import run_validator

folder = sys.argv[1]
paths = sorted(glob.glob(os.path.join(folder, "*.json")))
errors = warnings = 0
opts = ValidationOptions(version="2.1", strict=False)
for path in paths:
    res = validate_file(path, opts)
    for obj in res.object_results:
        for e in obj.errors:
            errors += 1
            if errors <= 50:
                print(f"{path}: {obj.object_id}: ERROR {e}")
        warnings += len(obj.warnings or [])
    for e in getattr(res, "fatal", None) and [res.fatal] or []:
        errors += 1
        print(f"{path}: FATAL {e}")
    with open(path) as f:
        for o in json.load(f)["objects"]:
            if o.get("pattern_type") == "stix":
                errs = run_validator(o["pattern"], stix_version="2.1")
                for e in errs:
                    errors += 1
                    print(f"{path}: {o['id']}: pattern {o['pattern']!r}: {e}")
if not paths:
    print("check-stix: no bundles found"); sys.exit(1)
state = "invalid" if errors else "valid"
print(f"check-stix: {len(paths)} bundles {state}, {errors} errors, {warnings} warnings")
sys.exit(1 if errors else 0)
