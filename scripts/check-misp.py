"""Check a MISP feed folder the way a subscribing MISP reads it: every event loads with
PyMISP (MISPEvent().load_file), every attribute has a type MISP knows in a category that
type allows, the manifest lists exactly the events with the fields PyMISP derives from
each, and hashes.csv holds exactly the MD5 of every attribute value. Exit 1 on errors."""
import csv, glob, json, os, sys
from pymisp import MISPEvent
from pymisp.abstract import describe_types

folder = sys.argv[1]
errors = []
mappings = describe_types["category_type_mappings"]
with open(os.path.join(folder, "manifest.json")) as f:
    manifest = json.load(f)
with open(os.path.join(folder, "hashes.csv")) as f:
    hashes = {tuple(row) for row in csv.reader(f)}
paths = sorted(p for p in glob.glob(os.path.join(folder, "*.json"))
               if os.path.basename(p) != "manifest.json")
expected_hashes = set()
attributes = to_ids = 0
for path in paths:
    event = MISPEvent()
    try:
        event.load_file(path)
    except Exception as e:  # PyMISP raises its own error types and plain ones
        errors.append(f"{path}: does not load: {e}")
        continue
    if os.path.basename(path) != f"{event.uuid}.json":
        errors.append(f"{path}: file is not named after event uuid {event.uuid}")
    for a in event.attributes:
        attributes += 1
        to_ids += bool(a.to_ids)
        if a.category not in mappings or a.type not in mappings[a.category]:
            errors.append(f"{path}: attribute {a.uuid}: type {a.type} not allowed in category {a.category}")
    expected_hashes |= {(h, event.uuid) for h in event.attributes_hashes("md5")}
    listed = manifest.get(event.uuid)
    if listed is None:
        errors.append(f"{path}: event {event.uuid} missing from manifest.json")
    elif listed != event.manifest[event.uuid]:
        errors.append(f"{path}: manifest entry differs: {listed} != {event.manifest[event.uuid]}")
extra = set(manifest) - {os.path.basename(p)[:-5] for p in paths}
for uuid in sorted(extra):
    errors.append(f"manifest.json lists {uuid} without an event file")
if hashes != expected_hashes:
    errors.append(f"hashes.csv: {len(hashes - expected_hashes)} unexpected rows, "
                  f"{len(expected_hashes - hashes)} missing rows")
if not paths:
    errors.append("no events found")
for e in errors[:50]:
    print(e if len(e) <= 400 else e[:400] + '...')
state = "invalid" if errors else "valid"
print(f"check-misp: {len(paths)} events {state} ({attributes} attributes, {to_ids} to_ids), "
      f"manifest lists {len(manifest)}, {len(hashes)} hashes, {len(errors)} errors")
sys.exit(1 if errors else 0)
