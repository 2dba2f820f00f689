"""Drives a running `huntbrief serve` with the OASIS TAXII 2.1 reference client.

Usage: check-taxii.py BASE_URL USER   (password in $HUNTBRIEF_SERVE_PASSWORD)

Discovers the server, walks every API root and collection, pages through each
collection's objects and manifest two at a time and checks that the pages add up to the
collection exactly once, that added_after narrows, that the envelope headers match the
manifest, and that TAXII answers 401 without credentials while /api/health answers 200.
Exits non-zero with a message on the first failure.
"""

import base64
import os
import sys
import urllib.error
import urllib.request
from datetime import datetime

from taxii2client.v21 import Server, as_pages

TAXII = "application/taxii+json;version=2.1"
PER_PAGE = 2


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def stamp(s):
    # TAXII timestamps end in Z; fromisoformat in 3.11 takes that.
    return datetime.fromisoformat(s)


def raw_get(url, auth=None):
    """Status, headers and body of a GET, without the client's own checks."""
    request = urllib.request.Request(url, headers={"Accept": TAXII})
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def pages_of(func, what, **filters):
    """Every page of a paged endpoint, checking each is at most PER_PAGE long and that
    only the last says there is no more."""
    pages = list(as_pages(func, per_request=PER_PAGE, **filters))
    for i, page in enumerate(pages):
        last = i == len(pages) - 1
        n = len(page.get("objects", []))
        check(n <= PER_PAGE, f"{what}: page {i + 1} has {n} objects, asked for {PER_PAGE}")
        check(
            bool(page.get("more", False)) != last,
            f"{what}: page {i + 1} of {len(pages)} says more={page.get('more')}",
        )
        if not last:
            check(n == PER_PAGE, f"{what}: page {i + 1} is short ({n}) but more follow")
            check(page.get("next"), f"{what}: page {i + 1} has more but no next")
    return pages


def walk_collection(auth, collection):
    """Checks one collection; returns the ids of its objects and how many pages they took."""
    name = f"collection {collection.title!r}"
    check(collection.can_read, f"{name}: cannot be read")
    check(not collection.can_write, f"{name}: a read-only server offers writing")

    pages = pages_of(collection.get_objects, f"{name} objects")
    paged = [o for p in pages for o in p.get("objects", [])]
    keys = [(o["id"], o.get("modified", o.get("created"))) for o in paged]
    check(len(keys) == len(set(keys)), f"{name}: an object came back twice across pages")
    # The same collection in one request, as the reference for what paging must give.
    whole = collection.get_objects(limit=1000)
    check(not whole.get("more"), f"{name}: more than 1000 objects; the check assumes fewer")
    whole_keys = [(o["id"], o.get("modified", o.get("created"))) for o in whole.get("objects", [])]
    check(
        sorted(keys) == sorted(whole_keys),
        f"{name}: pages of {PER_PAGE} gave {len(keys)} objects, one request gave {len(whole_keys)}",
    )
    for o in paged:
        check(o.get("type") and o.get("id", "").startswith(o["type"] + "--"), f"{name}: bad object {o}")
        check(o.get("spec_version") == "2.1", f"{name}: {o['id']} is not STIX 2.1")

    manifest_pages = pages_of(collection.get_manifest, f"{name} manifest")
    records = [r for p in manifest_pages for r in p.get("objects", [])]
    for r in records:
        check(
            {"id", "date_added", "version", "media_type"} <= r.keys(),
            f"{name}: manifest record lacks a field: {r}",
        )
    check(
        sorted(r["id"] for r in records) == sorted(k[0] for k in keys),
        f"{name}: the manifest lists other objects than the objects endpoint",
    )
    versions = {o["id"]: o.get("modified", o.get("created")) for o in paged}
    for r in records:
        check(
            stamp(r["version"]) == stamp(versions[r["id"]]),
            f"{name}: manifest version {r['version']} of {r['id']} is not the object's",
        )

    if records:
        # The envelope's date-added headers bound the page, as the manifest says.
        status, headers, _ = raw_get(f"{collection.url}objects/?limit={PER_PAGE}", auth)
        check(status == 200, f"{name}: objects answered {status}")
        check(headers.get("Content-Type", "").replace(" ", "") == TAXII,
              f"{name}: Content-Type is {headers.get('Content-Type')!r}")
        first, last = records[0]["date_added"], records[min(PER_PAGE, len(records)) - 1]["date_added"]
        for header, want in (("X-TAXII-Date-Added-First", first), ("X-TAXII-Date-Added-Last", last)):
            got = headers.get(header)
            check(got and stamp(got) == stamp(want), f"{name}: {header} is {got!r}, want {want}")

        # added_after at the median date must keep exactly the later objects.
        dates = sorted({stamp(r["date_added"]) for r in records})
        cutoff = dates[(len(dates) - 1) // 2]
        cutoff_text = next(r["date_added"] for r in records if stamp(r["date_added"]) == cutoff)
        want = sorted(r["id"] for r in records if stamp(r["date_added"]) > cutoff)
        after = pages_of(collection.get_objects, f"{name} added_after", added_after=cutoff_text)
        got = sorted(o["id"] for p in after for o in p.get("objects", []))
        check(got == want, f"{name}: added_after={cutoff_text} gave {len(got)} objects, want {len(want)}")
        check(len(got) < len(records), f"{name}: added_after={cutoff_text} did not narrow")

        # One object by id, and its versions.
        one = paged[0]["id"]
        env = collection.get_object(one)
        check([o["id"] for o in env.get("objects", [])] == [one], f"{name}: get_object({one}) gave {env}")
        check(collection.object_versions(one).get("versions"), f"{name}: no versions of {one}")

    return {k[0] for k in keys}, len(pages)


def main():
    base, user = sys.argv[1].rstrip("/"), sys.argv[2]
    password = os.environ["HUNTBRIEF_SERVE_PASSWORD"]
    auth = (user, password)

    server = Server(f"{base}/taxii2/", user=user, password=password)
    check(server.title, "discovery has no title")
    check(server.api_roots, "discovery lists no API root")
    check(server.default is not None, "discovery's default is not one of its API roots")

    objects = pages = 0
    members = {}
    for root in server.api_roots:
        check(TAXII in root.versions, f"API root {root.url} does not offer TAXII 2.1: {root.versions}")
        check(root.max_content_length > 0, f"API root {root.url}: max_content_length")
        for collection in root.collections:
            ids, p = walk_collection(auth, collection)
            objects, pages = objects + len(ids), pages + p
            members[collection.title] = ids
    check(members, "no collection")
    # The widest collection ('all') must hold every other one's objects.
    widest = max(members, key=lambda title: len(members[title]))
    check(members[widest], "every collection is empty: the STIX export gave no object")
    for title, ids in members.items():
        check(ids <= members[widest], f"{title!r} has objects that {widest!r} lacks")

    for path in ("/taxii2/", "/taxii2/api1/collections/"):
        for who in (None, (user, password + "x")):
            status, headers, _ = raw_get(base + path, who)
            check(status == 401, f"{path} {'with a wrong password' if who else 'without auth'} answered {status}")
            check(headers.get("WWW-Authenticate", "").startswith("Basic"), f"{path}: 401 without a Basic challenge")
    status, _, _ = raw_get(base + "/api/health")
    check(status == 200, f"/api/health without auth answered {status}")

    print(f"check-taxii: {objects} objects in {pages} pages over {len(members)} collections; 401 without auth")


if __name__ == "__main__":
    try:
        main()
    except CheckFailed as e:
        print(f"check-taxii: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
