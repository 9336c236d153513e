#!/usr/bin/env bash
# S3 listing rules, v1 and v2, with boto3: prefixes, delimiters of every kind (/, a letter, %,
# space, dot, newline, empty, absent), pages of one key walked by NextMarker/continuation token
# with IsTruncated false on the last page, markers and start-after before, inside and after the
# keys, max-keys 0 and malformed, url encoding of keys and prefixes, the owner in entries, and a
# bucket that does not exist.
set -u
source "$(dirname "$0")/lib.sh"
start_cluster

/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" <<'PY' || FAILS=$((FAILS + 1))
import sys, urllib.parse
sys.path.insert(0, sys.argv[1])
from s3checks import sdk_client, check, req, error_code, sdk_code as code
import s3checks

ep = sys.argv[2]
gw = urllib.parse.urlsplit(ep)
s3 = sdk_client(ep)
made = [0]

def bucket_with(keys):
    made[0] += 1
    b = "lst-%d" % made[0]
    s3.create_bucket(Bucket=b)
    for k in keys:
        s3.put_object(Bucket=b, Key=k, Body=k.encode())
    return b

def keys_of(r):
    return [o["Key"] for o in r.get("Contents", [])]

def prefixes_of(r):
    return [p["Prefix"] for p in r.get("CommonPrefixes", [])]

def v1(b, **kw):
    return s3.list_objects(Bucket=b, **kw)

def v2(b, **kw):
    return s3.list_objects_v2(Bucket=b, **kw)

# Delimiters of every kind.
for delim, keys, want_keys, want_prefixes in (
        ("/", ["foo/bar", "foo/bar/xyzzy", "quux/thud", "asdf"], ["asdf"], ["foo/", "quux/"]),
        ("a", ["bar", "baz", "cab", "foo"], ["foo"], ["ba", "ca"]),
        ("%", ["b%ar", "b%az", "c%ab", "foo"], ["foo"], ["b%", "c%"]),
        (" ", ["b ar", "b az", "c ab", "foo"], ["foo"], ["b ", "c "]),
        (".", ["b.ar", "b.az", "c.ab", "foo"], ["foo"], ["b.", "c."]),
        ("\n", ["bar", "baz", "cab", "foo"], ["bar", "baz", "cab", "foo"], []),
        ("/", ["bar", "baz", "cab", "foo"], ["bar", "baz", "cab", "foo"], [])):
    b = bucket_with(keys)
    for name, lst in (("v1", v1), ("v2", v2)):
        r = lst(b, Delimiter=delim)
        check("%s delimiter %r: keys and common prefixes" % (name, delim),
              keys_of(r) == want_keys and prefixes_of(r) == want_prefixes and r.get("Delimiter") == delim,
              (keys_of(r), prefixes_of(r), r.get("Delimiter")))
b = bucket_with(["bar", "baz", "cab", "foo"])
for name, lst in (("v1", v1), ("v2", v2)):
    for kw in ({"Delimiter": ""}, {}):
        r = lst(b, **kw)
        check("%s %s: everything, no Delimiter in the answer" % (name, "empty delimiter" if kw else "no delimiter"),
              keys_of(r) == ["bar", "baz", "cab", "foo"] and "Delimiter" not in r, r.get("Delimiter"))

# Prefixes, with and without a delimiter.
b = bucket_with(["foo/bar", "foo/baz", "quux"])
for name, lst in (("v1", v1), ("v2", v2)):
    for prefix, want in (("foo/", ["foo/bar", "foo/baz"]), ("fo", ["foo/bar", "foo/baz"]), ("", ["foo/bar", "foo/baz", "quux"]),
                         ("d", []), ("\n", [])):
        r = lst(b, Prefix=prefix)
        check("%s prefix %r" % (name, prefix), keys_of(r) == want and r.get("Prefix", "") == prefix,
              (keys_of(r), r.get("Prefix")))
for keys, kw, want_keys, want_prefixes in (
        (["foo/bar", "foo/baz/xyzzy", "quux/thud", "asdf"], {"Delimiter": "/", "Prefix": "foo/"}, ["foo/bar"], ["foo/baz/"]),
        (["bar", "bazar", "cab", "foo"], {"Delimiter": "a", "Prefix": "ba"}, ["bar"], ["baza"]),
        (["b/a/r", "b/a/c", "b/a/g", "g"], {"Delimiter": "d", "Prefix": "/"}, [], []),
        (["b/a/c", "b/a/g", "b/a/r", "g"], {"Delimiter": "z", "Prefix": "b"}, ["b/a/c", "b/a/g", "b/a/r"], []),
        (["b/a/c", "b/a/g", "b/a/r", "g"], {"Delimiter": "z", "Prefix": "y"}, [], []),
        (["asdf/"], {"Delimiter": "/", "Prefix": "asdf/"}, ["asdf/"], [])):
    b = bucket_with(keys)
    for name, lst in (("v1", v1), ("v2", v2)):
        r = lst(b, **kw)
        check("%s %s" % (name, kw), keys_of(r) == want_keys and prefixes_of(r) == want_prefixes,
              (keys_of(r), prefixes_of(r)))

# Pages walked one by one: every key and prefix once, NextMarker/token set exactly while more
# remain, the last page not truncated.
for keys, prefix, pages in (
        (["asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"], "",
         [(["asdf"], []), ([], ["boo/"]), ([], ["cquux/"])]),
        (["asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"], "boo/",
         [(["boo/bar"], []), ([], ["boo/baz/"])]),
        (["_obj1_", "_under1/bar", "_under1/baz/xyzzy", "_under2/thud", "_under2/bla"], "",
         [(["_obj1_"], []), ([], ["_under1/"]), ([], ["_under2/"])])):
    b = bucket_with(keys)
    marker, token, ok1, ok2 = "", None, True, True
    for i, (want_k, want_p) in enumerate(pages):
        last = i == len(pages) - 1
        r = v1(b, Prefix=prefix, Delimiter="/", MaxKeys=1, Marker=marker)
        nxt = r.get("NextMarker")
        ok1 &= keys_of(r) == want_k and prefixes_of(r) == want_p and r["IsTruncated"] == (not last) \
            and nxt == (None if last else (want_k + want_p)[0])
        marker = nxt or ""
        kw = {"Prefix": prefix, "Delimiter": "/", "MaxKeys": 1}
        if token:
            kw["ContinuationToken"] = token
        r2 = v2(b, **kw)
        token = r2.get("NextContinuationToken")
        ok2 &= keys_of(r2) == want_k and prefixes_of(r2) == want_p and r2["IsTruncated"] == (not last) \
            and (token is None) == last and r2["KeyCount"] == 1
    check("v1 pages of one under %r by NextMarker (%s)" % (prefix, keys[0]), ok1)
    check("v2 pages of one under %r by continuation token (%s)" % (prefix, keys[0]), ok2)

# A page that holds exactly what is left is the last; prefixes ending in a 4-byte character.
b = bucket_with(["k1", "k2", "k3"])
for name, lst in (("v1", v1), ("v2", v2)):
    for kw in ({"MaxKeys": 3}, {"MaxKeys": 3, "Delimiter": "/"}):
        r = lst(b, **kw)
        check("%s %s over 3 keys: not truncated" % (name, kw), keys_of(r) == ["k1", "k2", "k3"] and not r["IsTruncated"])
b = bucket_with(["a/\U0001F600/1", "a/\U0001F600/2", "a/\U0001F600x", "a/\U0001F601", "a/b"])
for name, lst in (("v1", v1), ("v2", v2)):
    r = lst(b, Prefix="a/\U0001F600", Delimiter="/")
    check("%s a prefix ending in a 4-byte character" % name,
          keys_of(r) == ["a/\U0001F600x"] and prefixes_of(r) == ["a/\U0001F600/"], (keys_of(r), prefixes_of(r)))
    r = lst(b, Prefix="a/", Delimiter="/", MaxKeys=1)
    seen = keys_of(r) + prefixes_of(r)
    marker = r.get("NextMarker") if name == "v1" else r.get("NextContinuationToken")
    for _ in range(5):
        if not r["IsTruncated"]:
            break
        kw = {"Marker": marker} if name == "v1" else {"ContinuationToken": marker}
        r = lst(b, Prefix="a/", Delimiter="/", MaxKeys=1, **kw)
        seen += keys_of(r) + prefixes_of(r)
        marker = r.get("NextMarker") if name == "v1" else r.get("NextContinuationToken")
    check("%s pages of one past a 4-byte character's prefix: each once" % name,
          seen == ["a/b", "a/\U0001F600/", "a/\U0001F600x", "a/\U0001F601"], seen)

# Markers, start-after, max-keys.
names = ["bar", "baz", "foo", "quxx"]
b = bucket_with(names)
r = v1(b, MaxKeys=1)
check("v1 max-keys 1: one key, truncated", keys_of(r) == ["bar"] and r["IsTruncated"], r)
r = v1(b, Marker="bar")
check("v1 marker of the first key: the rest, not truncated", keys_of(r) == names[1:] and not r["IsTruncated"])
r = v1(b, MaxKeys=0)
check("v1 max-keys 0: nothing, not truncated", keys_of(r) == [] and not r["IsTruncated"], r)
r = v2(b, MaxKeys=0)
check("v2 max-keys 0: nothing, not truncated", keys_of(r) == [] and not r["IsTruncated"] and r["KeyCount"] == 0, r)
r = v1(b)
check("v1 without max-keys: 1000, everything, Marker empty",
      r["MaxKeys"] == 1000 and keys_of(r) == names and r.get("Marker", "") == "", r.get("Marker"))
for marker, want in (("", names), ("\n", names), ("blah", ["foo", "quxx"]), ("zzz", [])):
    r = v1(b, Marker=marker)
    check("v1 marker %r" % marker, keys_of(r) == want and not r["IsTruncated"] and r.get("Marker", "") == marker,
          (keys_of(r), r.get("Marker")))
    r = v2(b, StartAfter=marker)
    check("v2 start-after %r" % marker, keys_of(r) == want and r.get("StartAfter", "") == marker,
          (keys_of(r), r.get("StartAfter")))
r = v2(b, MaxKeys=1)
r2 = v2(b, ContinuationToken=r["NextContinuationToken"], StartAfter="baz")
check("v2 continuation token wins over start-after", keys_of(r2) == ["baz", "foo", "quxx"] and r2["StartAfter"] == "baz",
      keys_of(r2))
st, data, _ = req(gw, "GET", "/%s?max-keys=blah" % b)
check("max-keys not a number: 400 InvalidArgument", st == 400 and error_code(data) == "InvalidArgument", (st, data[:200]))
st, data, _ = req(gw, "GET", "/%s?list-type=2&max-keys=-1" % b)
check("max-keys negative: 400 InvalidArgument", st == 400 and error_code(data) == "InvalidArgument", (st, data[:200]))

# The owner: in v1 entries, in v2 only with fetch-owner; the one GetObjectAcl names.
owner = s3.get_object_acl(Bucket=b, Key="bar")["Owner"]
r = v1(b)
check("v1 entries name the owner", all(o.get("Owner", {}).get("ID") == owner["ID"] for o in r["Contents"]), r["Contents"][0])
r = v2(b)
check("v2 entries without fetch-owner have none", all("Owner" not in o for o in r["Contents"]))
r = v2(b, FetchOwner=True)
check("v2 fetch-owner names it", all(o.get("Owner", {}).get("ID") == owner["ID"] for o in r["Contents"]))
head = s3.head_object(Bucket=b, Key="foo")
e = [o for o in v1(b)["Contents"] if o["Key"] == "foo"][0]
check("a listed entry's ETag and size are HEAD's", e["ETag"] == head["ETag"] and e["Size"] == head["ContentLength"])

# URL encoding (keys with '+', spaces and a newline).
b = bucket_with(["foo+1/bar", "foo/bar/xyzzy", "quux ab/thud", "asdf+b", "new\nline"])
# (boto3 asks for url encoding itself and decodes; asked for explicitly, it leaves it encoded.)
r = v1(b, Delimiter="/")
check("v1 keys and prefixes round-trip through url encoding",
      sorted(keys_of(r)) == ["asdf+b", "new\nline"] and prefixes_of(r) == ["foo+1/", "foo/", "quux ab/"],
      (keys_of(r), prefixes_of(r)))
enc = (["asdf%2Bb", "new%0Aline"], ["foo%2B1/", "foo/", "quux%20ab/"])
r = v1(b, Delimiter="/", EncodingType="url")
check("v1 url encoding: keys and prefixes encoded", (sorted(keys_of(r)), prefixes_of(r)) == enc,
      (keys_of(r), prefixes_of(r)))
r = v2(b, Delimiter="/", EncodingType="url")
check("v2 url encoding the same", (sorted(keys_of(r)), prefixes_of(r)) == enc, (keys_of(r), prefixes_of(r)))
st, data, _ = req(gw, "GET", "/%s?encoding-type=url" % b)
check("raw v1 url encoding: the newline and '+' escaped", b"new%0Aline" in data and b"asdf%2Bb" in data, data[:300])
st, data, _ = req(gw, "GET", "/%s?encoding-type=bogus" % b)
check("an unknown encoding-type: 400 InvalidArgument", st == 400 and error_code(data) == "InvalidArgument", (st, data[:200]))

c = code(lambda: s3.list_objects(Bucket="no-such-bucket-here"))
check("listing no bucket: NoSuchBucket", c == "NoSuchBucket", c)
sys.exit(1 if s3checks.fails else 0)
PY
finish
