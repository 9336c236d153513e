#!/usr/bin/env bash
# S3 users, bucket ownership and canned ACLs, anonymous access and SigV2, with boto3, raw HTTP
# and curl: an admin key (AIS_S3_ACCESS_KEY, user "ais") and two users from AIS_S3_USERS_FILE
# (alice, bob). A bucket is its creator's: ListBuckets shows each user their own (anonymous:
# none), a second create is BucketAlreadyOwnedByYou to the owner and BucketAlreadyExists to
# anyone else, anonymous creates are refused. Bucket ACLs (private, public-read,
# authenticated-read, public-read-write) grant listing and writing objects, never reading them;
# object ACLs (set on PUT, copies, multipart uploads and PutObjectAcl) grant reading. Whatever
# is denied is 403 AccessDenied and changes nothing; an ACL change holds at once through every
# gateway; a missing key is AccessDenied to whoever may not list the bucket, a missing bucket
# NoSuchBucket to anyone. GetBucketAcl/GetObjectAcl show the owner and the canned grants;
# grants to named users are 501, unknown canned ACLs 400. SigV2 (headers and presigned URLs)
# round-trips and fails with S3's codes; SigV4 presigned expiries outside 1..604800 s are
# refused; the native API (/v1) takes the admin's signature alone, /v1/health stays open.
set -u
source "$(dirname "$0")/lib.sh"
cat >"$WORK/users.json" <<'JSON'
[{"name": "alice", "access_key": "AKALICE", "secret_key": "alicesecret"},
 {"name": "bob", "access_key": "AKBOB", "secret_key": "bobsecret"}]
JSON
export AIS_S3_ACCESS_KEY=AKADMIN AIS_S3_SECRET_KEY=adminsecret AIS_S3_USERS_FILE=$WORK/users.json
start_cluster
unset AIS_S3_ACCESS_KEY AIS_S3_SECRET_KEY AIS_S3_USERS_FILE
export AWS_EC2_METADATA_DISABLED=true

# The native API (/v1): the admin's alone; the health probe stays open.
# answers CODE PATTERN CURL-ARGS...: curl gets CODE and a body holding PATTERN ("" = any).
answers() {
  local want=$1 pattern=$2 got
  shift 2
  got=$(curl -s -o "$WORK/body" -w '%{http_code}' "$@")
  if [[ $got != "$want" ]] || { [[ -n $pattern ]] && ! grep -q -- "$pattern" "$WORK/body"; }; then
    echo "got $got: $(head -c 300 "$WORK/body")"
    return 1
  fi
}
v4=(--aws-sigv4 aws:amz:us-east-1:s3 --user)
native=$S3_ENDPOINT/v1
check native_health_unsigned answers 200 ok "$native/health"
check native_buckets_admin answers 200 '"buckets"' "${v4[@]}" AKADMIN:adminsecret "$native/buckets"
check native_buckets_alice_refused answers 403 AccessDenied "${v4[@]}" AKALICE:alicesecret "$native/buckets"
check native_buckets_unsigned_refused answers 403 AccessDenied "$native/buckets"
check native_cluster_bob_refused answers 403 AccessDenied "${v4[@]}" AKBOB:bobsecret "$native/cluster"

# The targets' own gateways, for ACL changes seen everywhere at once.
tgws=()
for i in 1 2 3; do tgws+=("http://127.0.0.1:$((AIS_DEV_PORT + 500 + i))"); done

/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" "${tgws[@]}" <<'PY' || FAILS=$((FAILS + 1))
import os, sys, urllib.error, urllib.parse, urllib.request
sys.path.insert(0, sys.argv[1])
import boto3, botocore
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from s3checks import sdk_client, check, req, error_code, sdk_code as code
import s3checks

ep = sys.argv[2]
target_eps = sys.argv[3:]
gw = urllib.parse.urlsplit(ep)
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
KEYS = {"admin": ("AKADMIN", "adminsecret"), "alice": ("AKALICE", "alicesecret"),
        "bob": ("AKBOB", "bobsecret")}


def user(name, endpoint=ep):
    return sdk_client(endpoint, *KEYS[name])


def anon_client(endpoint=ep):
    """An unsigned boto3 client (its keys are never used: no signature is made)."""
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="x", aws_secret_access_key="y",
                        region_name="us-east-1",
                        config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 0},
                                      s3={"addressing_style": "path"}))


def v2_client(key, secret, endpoint=ep):
    """A boto3 client signing with SigV2 (Authorization: AWS key:sig; presigned: AWSAccessKeyId)."""
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name="us-east-1",
                        config=Config(signature_version="s3", retries={"max_attempts": 0},
                                      s3={"addressing_style": "path"}))


def answer(fn):
    """(HTTP status, "OK" or the S3 error code) of a boto3 call."""
    try:
        return fn()["ResponseMetadata"]["HTTPStatusCode"], "OK"
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]


def expect(name, fn, status, err):
    got = answer(fn)
    check("%s: %d %s" % (name, status, err), got == (status, err), got)


def denied(name, fn):
    expect(name, fn, 403, "AccessDenied")


def head_status(fn):
    """The HTTP status of a HEAD (boto3 has no S3 error code for a bodiless answer)."""
    return answer(fn)[0]


def gone(s3, b, k):
    return head_status(lambda: s3.head_object(Bucket=b, Key=k)) == 404


def get(s3, b, k, **kw):
    """("OK", body) of a GET, or (the error code, None)."""
    try:
        return "OK", s3.get_object(Bucket=b, Key=k, **kw)["Body"].read()
    except ClientError as e:
        return e.response["Error"]["Code"], None


def keys(s3, b, v1=False):
    """A ListObjectsV2's (v1: ListObjects') keys, or its error code."""
    try:
        listing = s3.list_objects(Bucket=b) if v1 else s3.list_objects_v2(Bucket=b)
        return [o["Key"] for o in listing.get("Contents", [])]
    except ClientError as e:
        return e.response["Error"]["Code"]


def bucket_names(s3):
    """A ListBuckets' names, or None on an error."""
    try:
        return [b["Name"] for b in s3.list_buckets()["Buckets"]]
    except ClientError:
        return None


def lists(names, yes=(), no=()):
    return names is not None and all(n in names for n in yes) and not any(n in names for n in no)


def grants(acl):
    """An ACL's grants as a set of (grantee type, ID or URI, permission)."""
    return {(g["Grantee"]["Type"], g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"])
            for g in acl["Grants"]}


def check_acl(name, fn, owner, extra=()):
    """fn (a Get*Acl call) names `owner` (ID and DisplayName), its FULL_CONTROL and `extra` alone."""
    try:
        acl = fn()
    except ClientError as e:
        return check(name, False, e.response["Error"])
    want = {("CanonicalUser", owner, "FULL_CONTROL")} | set(extra)
    o = acl.get("Owner", {})
    check(name, o.get("ID") == owner and o.get("DisplayName") == owner and grants(acl) == want,
          (o, grants(acl)))


def src(b, k):
    return {"Bucket": b, "Key": k}


def multipart(s3, b, k, parts, **create):
    up = s3.create_multipart_upload(Bucket=b, Key=k, **create)["UploadId"]
    done = [{"PartNumber": n,
             "ETag": s3.upload_part(Bucket=b, Key=k, UploadId=up, PartNumber=n, Body=p)["ETag"]}
            for n, p in enumerate(parts, 1)]
    return s3.complete_multipart_upload(Bucket=b, Key=k, UploadId=up, MultipartUpload={"Parts": done})


def urlget(url):
    """Status and body of a plain GET of url with urllib (no signature of its own)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def raw_url(method, url, body=None):
    """Status and body of a request to url by http.client, which adds no Content-Type (urllib
    would, to a PUT, and SigV2 signs it)."""
    u = urllib.parse.urlsplit(url)
    st, data, _ = req(u, method, u.path + ("?" + u.query if u.query else ""), body=body)
    return st, data


admin, alice, bob, anon = user("admin"), user("alice"), user("bob"), anon_client()
A, B, C = "alice-a", "bob-b", "alice-v2"
PRIV, PUB, AUTH = b"alice's private bytes", b"public bytes", b"for signed users only"
NOWHERE = "no-such-bucket-here"
PUBLIC_READ = [("Group", ALL_USERS, "READ")]
PUBLIC_RW = [("Group", ALL_USERS, "READ"), ("Group", ALL_USERS, "WRITE")]
AUTH_READ = [("Group", AUTH_USERS, "READ")]

# Ownership: create, list, conflicts.
c = code(lambda: alice.create_bucket(Bucket=A))
check("alice creates bucket A (private)", c == "OK", c)
for k, body, acl in (("priv", PRIV, "private"), ("pub", PUB, "public-read"),
                     ("auth", AUTH, "authenticated-read")):
    c = code(lambda: alice.put_object(Bucket=A, Key=k, Body=body, ACL=acl))
    check("alice PUTs %s with ACL %s" % (k, acl), c == "OK", c)
c = code(lambda: admin.create_bucket(Bucket="admin-b"))
check("the admin creates a bucket of its own", c == "OK", c)
names = bucket_names(alice)
check("alice's ListBuckets has A, not the admin's bucket", lists(names, [A], ["admin-b"]), names)
names = bucket_names(bob)
check("bob's ListBuckets has neither", lists(names, [], [A, "admin-b"]), names)
names = bucket_names(admin)
check("the admin's ListBuckets has its own, not A", lists(names, ["admin-b"], [A]), names)
st = answer(lambda: anon.list_buckets())
check("anonymous ListBuckets: 200 and empty", st == (200, "OK") and bucket_names(anon) == [], st)
st, data, _ = req(gw, "GET", "/")
check("(raw unsigned ListBuckets: 200, no bucket)", st == 200 and b"<Bucket>" not in data, (st, data[:200]))
expect("bob CreateBucket of alice's A", lambda: bob.create_bucket(Bucket=A), 409, "BucketAlreadyExists")
expect("the admin CreateBucket of alice's A", lambda: admin.create_bucket(Bucket=A),
       409, "BucketAlreadyExists")
expect("alice CreateBucket of A again", lambda: alice.create_bucket(Bucket=A),
       409, "BucketAlreadyOwnedByYou")
check_acl("A is still alice's and private", lambda: alice.get_bucket_acl(Bucket=A), "alice")
expect("anonymous CreateBucket", lambda: anon.create_bucket(Bucket="anon-made"), 403, "AccessDenied")
check("and it was not created (alice and admin HeadBucket: 404)",
      head_status(lambda: alice.head_bucket(Bucket="anon-made")) == 404 and
      head_status(lambda: admin.head_bucket(Bucket="anon-made")) == 404)

# Others on alice's private bucket.
c = code(lambda: alice.create_bucket(Bucket="alice-empty"))
check("alice creates an empty bucket", c == "OK", c)
for who, s3 in (("bob", bob), ("anonymous", anon)):
    denied(who + " ListObjectsV2 on private A", lambda: s3.list_objects_v2(Bucket=A))
    st = head_status(lambda: s3.head_bucket(Bucket=A))
    check(who + " HeadBucket on private A: 403", st == 403, st)
    denied(who + " GET priv", lambda: s3.get_object(Bucket=A, Key="priv"))
    st = head_status(lambda: s3.head_object(Bucket=A, Key="priv"))
    check(who + " HEAD priv: 403", st == 403, st)
    got = get(s3, A, "pub")
    check(who + " GET pub (public-read): its bytes", got == ("OK", PUB), got)
    got = get(s3, A, "auth")
    if who == "bob":
        check("bob GET auth (authenticated-read): its bytes", got == ("OK", AUTH), got)
    else:
        check("anonymous GET auth (authenticated-read): AccessDenied", got == ("AccessDenied", None), got)
    k = "intruder-" + who
    denied(who + " PUT into private A", lambda: s3.put_object(Bucket=A, Key=k, Body=b"not yours"))
    check("and alice finds no %s (404)" % k, gone(alice, A, k))
    denied(who + " DELETE priv", lambda: s3.delete_object(Bucket=A, Key="priv"))
    try:
        out = s3.delete_objects(Bucket=A, Delete={"Objects": [{"Key": "priv"}]})
        errs = [e.get("Code") for e in out.get("Errors", [])]
        ok, detail = not out.get("Deleted") and errs == ["AccessDenied"], out
    except ClientError as e:
        ok, detail = e.response["Error"]["Code"] == "AccessDenied", e.response["Error"]
    check(who + " DeleteObjects of priv: AccessDenied", ok, detail)
    check("priv is still there with its bytes", get(alice, A, "priv") == ("OK", PRIV))
    denied(who + " DeleteBucket of A", lambda: s3.delete_bucket(Bucket=A))
    denied(who + " DeleteBucket of alice's empty bucket", lambda: s3.delete_bucket(Bucket="alice-empty"))
    st = head_status(lambda: alice.head_bucket(Bucket="alice-empty"))
    check("and it is still there", st == 200, st)
    denied(who + " GetBucketAcl of A", lambda: s3.get_bucket_acl(Bucket=A))
    denied(who + " PutBucketAcl of A", lambda: s3.put_bucket_acl(Bucket=A, ACL="public-read-write"))
    check_acl("A's ACL is unchanged", lambda: alice.get_bucket_acl(Bucket=A), "alice")
    denied(who + " PutObjectAcl of pub", lambda: s3.put_object_acl(Bucket=A, Key="pub", ACL="private"))
    denied(who + " PutObjectAcl of priv",
           lambda: s3.put_object_acl(Bucket=A, Key="priv", ACL="public-read"))
    check_acl("pub's ACL is unchanged", lambda: alice.get_object_acl(Bucket=A, Key="pub"), "alice",
              PUBLIC_READ)
    check("and anonymous still reads pub, not priv",
          get(anon, A, "pub") == ("OK", PUB) and get(anon, A, "priv")[0] == "AccessDenied")
    denied(who + " GET of a missing key (may not list)", lambda: s3.get_object(Bucket=A, Key="nothing"))
    expect(who + " GET in a missing bucket", lambda: s3.get_object(Bucket=NOWHERE, Key="k"),
           404, "NoSuchBucket")
expect("alice GET of a missing key", lambda: alice.get_object(Bucket=A, Key="nothing"), 404, "NoSuchKey")
c = code(lambda: alice.delete_bucket(Bucket="alice-empty"))
check("alice deletes her empty bucket",
      c == "OK" and head_status(lambda: alice.head_bucket(Bucket="alice-empty")) == 404, c)
st, data, _ = req(gw, "GET", "/%s/pub" % A)
check("raw unsigned GET of pub: 200, its bytes", st == 200 and data == PUB, (st, data[:200]))
st, data, _ = req(gw, "GET", "/%s/priv" % A)
check("raw unsigned GET of priv: 403 AccessDenied",
      st == 403 and error_code(data) == "AccessDenied", (st, data[:200]))
st, data, _ = req(gw, "GET", "/%s/k" % NOWHERE)
check("raw unsigned GET in a missing bucket: 404 NoSuchBucket",
      st == 404 and error_code(data) == "NoSuchBucket", (st, data[:200]))

# public-read and authenticated-read buckets: listing, never the objects.
c = code(lambda: alice.put_bucket_acl(Bucket=A, ACL="public-read"))
check("alice PutBucketAcl public-read", c == "OK", c)
for who, s3 in (("bob", bob), ("anonymous", anon),
                ("anonymous via a target's gateway", anon_client(target_eps[0]))):
    ks = keys(s3, A)
    check(who + " lists public-read A: exactly its keys", ks == ["auth", "priv", "pub"], ks)
    st = head_status(lambda: s3.head_bucket(Bucket=A))
    check(who + " HeadBucket on public-read A: 200", st == 200, st)
    denied(who + " GET priv (a bucket's ACL grants no object)",
           lambda: s3.get_object(Bucket=A, Key="priv"))
    denied(who + " PUT into public-read A", lambda: s3.put_object(Bucket=A, Key="intruder", Body=b"x"))
    expect(who + " GET of a missing key (may list)", lambda: s3.get_object(Bucket=A, Key="nothing"),
           404, "NoSuchKey")
check("nothing was PUT", gone(alice, A, "intruder"))
st, data, _ = req(gw, "GET", "/%s?list-type=2" % A)
check("raw unsigned ListObjectsV2 of public-read A: 200 with the keys",
      st == 200 and b"<Key>pub</Key>" in data and b"<Key>priv</Key>" in data, (st, data[:300]))
check_acl("GetBucketAcl of public-read A: owner alice, AllUsers READ",
          lambda: alice.get_bucket_acl(Bucket=A), "alice", PUBLIC_READ)
denied("bob GetBucketAcl of public-read A", lambda: bob.get_bucket_acl(Bucket=A))

c = code(lambda: alice.create_bucket(Bucket="alice-pubread", ACL="public-read"))
check("alice CreateBucket with x-amz-acl public-read", c == "OK", c)
ks = keys(anon, "alice-pubread")
check("anonymous lists it (empty)", ks == [], ks)
check_acl("and its ACL says public-read", lambda: alice.get_bucket_acl(Bucket="alice-pubread"), "alice",
          PUBLIC_READ)

c = code(lambda: alice.put_bucket_acl(Bucket=A, ACL="authenticated-read"))
check("alice PutBucketAcl authenticated-read", c == "OK", c)
ks = keys(bob, A)
check("bob lists authenticated-read A", ks == ["auth", "priv", "pub"], ks)
denied("anonymous ListObjectsV2 on authenticated-read A", lambda: anon.list_objects_v2(Bucket=A))
denied("anonymous GET of a missing key in authenticated-read A",
       lambda: anon.get_object(Bucket=A, Key="nothing"))
denied("bob PUT into authenticated-read A", lambda: bob.put_object(Bucket=A, Key="intruder", Body=b"x"))
check_acl("GetBucketAcl of authenticated-read A: AuthenticatedUsers READ",
          lambda: alice.get_bucket_acl(Bucket=A), "alice", AUTH_READ)

# public-read-write: anyone writes and deletes objects; reading stays with the objects' ACLs.
c = code(lambda: alice.put_bucket_acl(Bucket=A, ACL="public-read-write"))
check("alice PutBucketAcl public-read-write", c == "OK", c)
check_acl("GetBucketAcl: AllUsers READ and WRITE", lambda: alice.get_bucket_acl(Bucket=A), "alice",
          PUBLIC_RW)
c = code(lambda: bob.put_object(Bucket=A, Key="bobs", Body=b"bob wrote this"))
check("bob PUTs bobs into public-read-write A", c == "OK", c)
got = get(bob, A, "bobs")
check("bob (its writer) GETs bobs", got == ("OK", b"bob wrote this"), got)
got = get(alice, A, "bobs")
check("alice (the bucket's owner) GETs bobs", got == ("OK", b"bob wrote this"), got)
owners = {o["Key"]: o.get("Owner", {}).get("ID") for o in alice.list_objects(Bucket=A).get("Contents", [])}
check("a listing names bob as bobs' owner and alice as priv's",
      owners.get("bobs") == "bob" and owners.get("priv") == "alice", owners)
denied("anonymous GET of bobs (a private object)", lambda: anon.get_object(Bucket=A, Key="bobs"))
denied("bob GET priv (still not granted)", lambda: bob.get_object(Bucket=A, Key="priv"))
c = code(lambda: alice.delete_object(Bucket=A, Key="bobs"))
check("alice DELETEs bobs", c == "OK" and gone(alice, A, "bobs"), c)
c = code(lambda: anon.put_object(Bucket=A, Key="anon", Body=b"from nobody"))
check("anonymous PUTs anon", c == "OK", c)
got = get(alice, A, "anon")
check("alice reads it", got == ("OK", b"from nobody"), got)
c = code(lambda: bob.delete_object(Bucket=A, Key="anon"))
check("bob DELETEs anon", c == "OK" and gone(alice, A, "anon"), c)
mp = [os.urandom(5 << 20), b"!"]
c = code(lambda: multipart(bob, A, "bob-mp", mp))
check("bob's multipart upload of 5 MiB + 1 byte into A", c == "OK", c)
got = get(alice, A, "bob-mp")
check("alice reads its bytes", got == ("OK", mp[0] + mp[1]), (got[0], len(got[1] or b"")))
ks = keys(bob, A)
check("bob lists it", "bob-mp" in ks, ks)
check_acl("GetObjectAcl of bob-mp: bob (its writer) owns it",
          lambda: alice.get_object_acl(Bucket=A, Key="bob-mp"), "bob")
c = code(lambda: multipart(anon, A, "anon-mp", [b"anonymous part"]))
check("anonymous multipart upload into A", c == "OK", c)
got = get(alice, A, "anon-mp")
check("alice reads it", got == ("OK", b"anonymous part"), got)
denied("bob DeleteBucket of public-read-write A", lambda: bob.delete_bucket(Bucket=A))
denied("bob PutBucketAcl of public-read-write A", lambda: bob.put_bucket_acl(Bucket=A, ACL="private"))
denied("bob GetBucketAcl of public-read-write A", lambda: bob.get_bucket_acl(Bucket=A))
check_acl("A is still public-read-write", lambda: alice.get_bucket_acl(Bucket=A), "alice", PUBLIC_RW)

# Back to private: at once, through every gateway.
c = code(lambda: alice.put_bucket_acl(Bucket=A, ACL="private"))
check("alice PutBucketAcl private", c == "OK", c)
check_acl("GetBucketAcl: the owner alone", lambda: alice.get_bucket_acl(Bucket=A), "alice")
for endpoint in [ep] + target_eps:
    where = " (gateway :%d)" % urllib.parse.urlsplit(endpoint).port
    bob_there, anon_there = user("bob", endpoint), anon_client(endpoint)
    denied("bob ListObjectsV2 on private A" + where, lambda: bob_there.list_objects_v2(Bucket=A))
    denied("anonymous ListObjectsV2 on private A" + where, lambda: anon_there.list_objects_v2(Bucket=A))
    denied("bob PUT into private A" + where,
           lambda: bob_there.put_object(Bucket=A, Key="late", Body=b"x"))
    st, data = raw_url("GET", "%s/%s?list-type=2" % (endpoint, A))
    check("raw unsigned listing of private A: 403 AccessDenied" + where,
          st == 403 and error_code(data) == "AccessDenied", (st, data[:200]))
check("no late PUT landed", gone(alice, A, "late"))
denied("anonymous GET of a missing key in private A again",
       lambda: anon.get_object(Bucket=A, Key="nothing"))

# CopyObject: the source must be readable; a copy is private to its writer unless it says more.
c = code(lambda: bob.create_bucket(Bucket=B))
check("bob creates bucket B", c == "OK", c)
names = bucket_names(bob)
check("bob's ListBuckets is B alone", names == [B], names)
names = bucket_names(alice)
check("alice's has no B", lists(names, [A], [B]), names)
denied("bob copies A/priv into B",
       lambda: bob.copy_object(Bucket=B, Key="stolen", CopySource=src(A, "priv")))
check("and nothing was copied", gone(bob, B, "stolen"))
c = code(lambda: bob.copy_object(Bucket=B, Key="copy", CopySource=src(A, "pub")))
check("bob copies A/pub (public-read) into B", c == "OK", c)
got = get(bob, B, "copy")
check("the copy has pub's bytes", got == ("OK", PUB), got)
denied("anonymous GET of the copy (it is private)", lambda: anon.get_object(Bucket=B, Key="copy"))
denied("alice GET of the copy (bob's, private)", lambda: alice.get_object(Bucket=B, Key="copy"))
check_acl("GetObjectAcl of the copy: bob alone", lambda: bob.get_object_acl(Bucket=B, Key="copy"), "bob")
c = code(lambda: bob.copy_object(Bucket=B, Key="copy-auth", CopySource=src(A, "auth")))
check("bob copies A/auth (authenticated-read) into B",
      c == "OK" and get(bob, B, "copy-auth") == ("OK", AUTH), c)
c = code(lambda: bob.copy_object(Bucket=B, Key="copy-pub", CopySource=src(A, "pub"), ACL="public-read"))
check("bob copies with x-amz-acl public-read", c == "OK", c)
got = get(anon, B, "copy-pub")
check("anonymous reads that copy", got == ("OK", PUB), got)
denied("anonymous copies A/pub into bob's private B",
       lambda: anon.copy_object(Bucket=B, Key="anon-copy", CopySource=src(A, "pub")))
check("and nothing was copied", gone(bob, B, "anon-copy"))

# Object ACLs by the owner; refusals of what is not built.
c = code(lambda: alice.put_object_acl(Bucket=A, Key="priv", ACL="public-read"))
check("alice PutObjectAcl priv public-read", c == "OK", c)
got = get(anon, A, "priv")
check("anonymous GETs priv now", got == ("OK", PRIV), got)
check_acl("GetObjectAcl of priv: alice, AllUsers READ", lambda: alice.get_object_acl(Bucket=A, Key="priv"),
          "alice", PUBLIC_READ)
c = code(lambda: alice.put_object_acl(Bucket=A, Key="priv", ACL="private"))
check("alice PutObjectAcl priv private", c == "OK", c)
denied("anonymous GET priv again", lambda: anon.get_object(Bucket=A, Key="priv"))
check_acl("GetObjectAcl of priv: alice alone", lambda: alice.get_object_acl(Bucket=A, Key="priv"), "alice")
check("priv's bytes are untouched by the ACL changes", get(alice, A, "priv") == ("OK", PRIV))
check_acl("GetObjectAcl of auth: AuthenticatedUsers READ",
          lambda: alice.get_object_acl(Bucket=A, Key="auth"), "alice", AUTH_READ)
PRW = b"readable, not writable"
c = code(lambda: alice.put_object(Bucket=A, Key="prw", Body=PRW, ACL="public-read-write"))
check("alice PUTs prw with ACL public-read-write", c == "OK", c)
check_acl("GetObjectAcl of prw: AllUsers READ and WRITE",
          lambda: alice.get_object_acl(Bucket=A, Key="prw"), "alice", PUBLIC_RW)
check("anonymous reads prw", get(anon, A, "prw") == ("OK", PRW))
denied("anonymous overwrites prw", lambda: anon.put_object(Bucket=A, Key="prw", Body=b"overwritten"))
denied("bob overwrites prw", lambda: bob.put_object(Bucket=A, Key="prw", Body=b"overwritten"))
check("prw is unchanged", get(alice, A, "prw") == ("OK", PRW))
c = code(lambda: multipart(alice, A, "mp-pub", [b"multipart, public"], ACL="public-read"))
got = get(anon, A, "mp-pub")
check("a multipart upload with x-amz-acl public-read: anonymous reads it",
      c == "OK" and got == ("OK", b"multipart, public"), (c, got))

expect("PutBucketAcl 'public-ready'", lambda: alice.put_bucket_acl(Bucket=A, ACL="public-ready"),
       400, "InvalidArgument")
expect("PutObject with ACL 'public-ready'",
       lambda: alice.put_object(Bucket=A, Key="bad-acl", Body=b"x", ACL="public-ready"),
       400, "InvalidArgument")
check("and nothing was stored", gone(alice, A, "bad-acl"))
expect("CreateBucket with ACL 'public-ready'",
       lambda: alice.create_bucket(Bucket="alice-bad-acl", ACL="public-ready"), 400, "InvalidArgument")
check("and no bucket was made", head_status(lambda: alice.head_bucket(Bucket="alice-bad-acl")) == 404)
expect("PutBucketAcl with x-amz-grant-read",
       lambda: alice.put_bucket_acl(Bucket=A, GrantRead='uri="%s"' % ALL_USERS), 501, "NotImplemented")
expect("PutObject with x-amz-grant-read for bob",
       lambda: alice.put_object(Bucket=A, Key="granted", Body=b"x", GrantRead='id="bob"'),
       501, "NotImplemented")
check("and nothing was stored", gone(alice, A, "granted"))
policy = {"Owner": {"ID": "alice"}, "Grants": [
    {"Grantee": {"ID": "alice", "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
    {"Grantee": {"ID": "bob", "Type": "CanonicalUser"}, "Permission": "READ"}]}
expect("PutBucketAcl with a policy granting bob READ",
       lambda: alice.put_bucket_acl(Bucket=A, AccessControlPolicy=policy), 501, "NotImplemented")
check_acl("A's ACL is unchanged by the refusals", lambda: alice.get_bucket_acl(Bucket=A), "alice")
denied("bob still may not list A", lambda: bob.list_objects_v2(Bucket=A))

# SigV2: a round trip, S3's errors, presigned URLs.
alice2, bob2 = v2_client(*KEYS["alice"]), v2_client(*KEYS["bob"])
c = code(lambda: alice2.create_bucket(Bucket=C))
check("SigV2: alice creates bucket C", c == "OK", c)
names = bucket_names(alice2)
check("SigV2: alice's ListBuckets has A and C", lists(names, [A, C]), names)
ODD = "with space é/ü.txt"
objs = {"plain": b"v2 plain bytes", ODD: "non-ASCII: é ü ∑".encode()}
for k, body in objs.items():
    c = code(lambda: alice2.put_object(Bucket=C, Key=k, Body=body, Metadata={"color": "blue"}))
    check("SigV2 PUT %r" % k, c == "OK", c)
    got = get(alice2, C, k)
    check("SigV2 GET %r: its bytes" % k, got == ("OK", body), got)
    try:
        h = alice2.head_object(Bucket=C, Key=k)
        ok = h["ContentLength"] == len(body) and h["Metadata"] == {"color": "blue"}
    except ClientError as e:
        ok, h = False, e.response["Error"]
    check("SigV2 HEAD %r: length and metadata (x-amz-meta-* signed)" % k, ok, h)
# (botocore's SigV2 signer puts an operation's fixed query into the signed resource twice, e.g.
# "/b?list-type=2" or "/b?acl?acl", which S3 rejects as well: SigV2 is checked here with the calls
# it signs right, ListObjects v1 among them.)
ks = keys(alice2, C, v1=True)
check("SigV2 ListObjects: exactly the keys", ks == sorted(objs), ks)
try:
    r = alice2.get_object(Bucket=C, Key=ODD, ResponseContentType="text/x-users-test")
    ok, detail = r["ContentType"] == "text/x-users-test" and r["Body"].read() == objs[ODD], r["ContentType"]
except ClientError as e:
    ok, detail = False, e.response["Error"]
check("SigV2 GET with response-content-type (a signed sub-resource)", ok, detail)
alice2.put_object(Bucket=C, Key="v2-mp", Body=b"one part")
c = code(lambda: alice2.delete_object(Bucket=C, Key=ODD))
check("SigV2 DELETE %r" % ODD, c == "OK" and gone(alice2, C, ODD), c)
ks = keys(alice2, C, v1=True)
check("SigV2 listing after the delete", ks == ["plain", "v2-mp"], ks)

denied("SigV2: bob ListObjects on C", lambda: bob2.list_objects(Bucket=C))
denied("SigV2: bob GET C/plain", lambda: bob2.get_object(Bucket=C, Key="plain"))
denied("SigV2: bob PUT into C", lambda: bob2.put_object(Bucket=C, Key="bob-v2", Body=b"x"))
check("and nothing was stored", gone(alice2, C, "bob-v2"))
expect("SigV2 with a wrong secret", lambda: v2_client("AKALICE", "wrong").list_objects(Bucket=C),
       403, "SignatureDoesNotMatch")
expect("SigV2 with an unknown access key", lambda: v2_client("AKNOBODY", "x").list_objects(Bucket=C),
       403, "InvalidAccessKeyId")
st, data, _ = req(gw, "GET", "/%s/plain" % C, headers={"Authorization": "AWS HAHAHA"})
check("GET with Authorization: AWS HAHAHA: 400 InvalidArgument",
      st == 400 and error_code(data) == "InvalidArgument", (st, data[:200]))
st, data, _ = req(gw, "PUT", "/%s/hahaha" % C, b"x", {"Authorization": "AWS HAHAHA"})
check("PUT with Authorization: AWS HAHAHA: 400 InvalidArgument, nothing stored",
      st == 400 and error_code(data) == "InvalidArgument" and gone(alice2, C, "hahaha"), (st, data[:200]))


def with_amz_date(value):
    """alice's SigV2 client whose PutObject carries (and signs) x-amz-date: value."""
    s3 = v2_client(*KEYS["alice"])
    s3.meta.events.register("before-call.s3.PutObject",
                            lambda params, **kw: params["headers"].update({"x-amz-date": value}))
    return s3


for what, value, err in (("a bad", "Bad Date", "AccessDenied"),
                         ("a skewed", "Tue, 07 Jul 2010 21:53:04 GMT", "RequestTimeTooSkewed")):
    k = "dated-" + err
    expect("SigV2 PUT with %s signed x-amz-date" % what,
           lambda: with_amz_date(value).put_object(Bucket=C, Key=k, Body=b"x"), 403, err)
    check("and nothing was stored", gone(alice2, C, k))


def presign_v2(s3, method, k, expires):
    return s3.generate_presigned_url(method, Params={"Bucket": C, "Key": k}, ExpiresIn=expires)


url = presign_v2(alice2, "get_object", "plain", 300)
q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
check("(the presigned URL is SigV2's)", {"AWSAccessKeyId", "Expires", "Signature"} <= set(q), url)
st, data = urlget(url)
check("SigV2 presigned GET: 200, its bytes", st == 200 and data == objs["plain"], (st, data[:200]))
sig = q["Signature"]
q["Signature"] = ("A" if sig[0] != "A" else "B") + sig[1:]
st, data = urlget(urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(
    query=urllib.parse.urlencode(q))))
check("SigV2 presigned GET, signature tampered: 403 SignatureDoesNotMatch",
      st == 403 and error_code(data) == "SignatureDoesNotMatch", (st, data[:200]))
st, data = urlget(presign_v2(alice2, "get_object", "plain", -5))
check("SigV2 presigned GET, expired: 403 AccessDenied",
      st == 403 and error_code(data) == "AccessDenied", (st, data[:200]))
st, data = urlget(presign_v2(bob2, "get_object", "plain", 300))
check("SigV2 presigned GET by bob of alice's object: 403 AccessDenied",
      st == 403 and error_code(data) == "AccessDenied", (st, data[:200]))
KEPT = "kept é key"
c = code(lambda: alice2.put_object(Bucket=C, Key=KEPT, Body=b"kept bytes"))
st, data = urlget(presign_v2(alice2, "get_object", KEPT, 300))
check("SigV2 presigned GET of a key with a space and non-ASCII: 200, its bytes",
      c == "OK" and st == 200 and data == b"kept bytes", (c, st, data[:200]))
st, data = urlget(presign_v2(alice2, "get_object", ODD, 300))
check("SigV2 presigned GET of a deleted key: 404 NoSuchKey",
      st == 404 and error_code(data) == "NoSuchKey", (st, data[:200]))
st, data = raw_url("PUT", presign_v2(alice2, "put_object", "presigned put", 300), b"put by a presigned URL")
check("SigV2 presigned PUT: 200", st == 200, (st, data[:200]))
got = get(alice2, C, "presigned put")
check("alice reads what it stored", got == ("OK", b"put by a presigned URL"), got)


# SigV4 presigned: X-Amz-Expires 1..604800 (botocore's CRT signer refuses to make 0 itself;
# its Python signer makes them all).
def presign_v4(k, expires):
    r = AWSRequest(method="GET", url="%s/%s/%s" % (ep, C, urllib.parse.quote(k)))
    S3SigV4QueryAuth(Credentials(*KEYS["alice"]), "s3", "us-east-1", expires=expires).add_auth(r)
    return r.url


st, data = urlget(presign_v4("plain", 604800))
check("SigV4 presigned GET, 604800 s: 200, its bytes",
      st == 200 and data == objs["plain"], (st, data[:200]))
for expires in (0, 604801):
    st, data = urlget(presign_v4("plain", expires))
    check("SigV4 presigned GET, %d s: 403 AccessDenied" % expires,
          st == 403 and error_code(data) == "AccessDenied", (st, data[:200]))

# Still serving.
c = code(lambda: alice.put_object(Bucket=A, Key="final", Body=b"the end"))
check("a final round trip: alice PUT, GET, DELETE",
      c == "OK" and get(alice, A, "final") == ("OK", b"the end") and
      code(lambda: alice.delete_object(Bucket=A, Key="final")) == "OK" and gone(alice, A, "final"), c)
names = bucket_names(alice)
check("and her ListBuckets", lists(names, [A, C, "alice-pubread"], [B, "admin-b"]), names)
sys.exit(1 if s3checks.fails else 0)
PY

# A restart of the whole cluster: owners and ACLs are data (the BMD and the objects' metadata on
# disk), so every decision holds as before.
"$REPO/tools/dev" down >/dev/null 2>&1
export AIS_S3_ACCESS_KEY=AKADMIN AIS_S3_SECRET_KEY=adminsecret AIS_S3_USERS_FILE=$WORK/users.json
"$REPO/tools/dev" up >"$WORK/up2.log" 2>&1 || { cat "$WORK/up2.log"; FAILS=$((FAILS + 1)); }
unset AIS_S3_ACCESS_KEY AIS_S3_SECRET_KEY AIS_S3_USERS_FILE
for _ in $(seq 1 50); do curl -sf "$S3_ENDPOINT/v1/health" >/dev/null && break; sleep 0.1; done
check restart_anonymous_reads_public_object answers 200 "" "$S3_ENDPOINT/alice-a/pub"
check restart_anonymous_denied_private_object answers 403 AccessDenied "$S3_ENDPOINT/alice-a/priv"
check restart_anonymous_lists_public_bucket answers 200 ListBucketResult "$S3_ENDPOINT/alice-pubread?list-type=2"
check restart_anonymous_denied_private_bucket answers 403 AccessDenied "$S3_ENDPOINT/alice-a?list-type=2"
/usr/bin/python3 - "$(dirname "$0")" "$S3_ENDPOINT" <<'PY' || FAILS=$((FAILS + 1))
import sys
sys.path.insert(0, sys.argv[1])
from s3checks import sdk_client, check, sdk_code as code
import s3checks
alice = sdk_client(sys.argv[2], "AKALICE", "alicesecret")
bob = sdk_client(sys.argv[2], "AKBOB", "bobsecret")
owner = alice.get_bucket_acl(Bucket="alice-a")["Owner"]["ID"]
check("after the restart alice still owns alice-a", owner == "alice", owner)
c = code(lambda: bob.get_object(Bucket="alice-a", Key="priv"))
check("and bob is still denied her private object", c == "AccessDenied", c)
c = code(lambda: bob.create_bucket(Bucket="alice-a"))
check("and her bucket's name is still hers", c == "BucketAlreadyExists", c)
sys.exit(1 if s3checks.fails else 0)
PY
finish
