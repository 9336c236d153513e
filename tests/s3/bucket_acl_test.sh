#!/usr/bin/env bash
# S3 bucket creation and access control with boto3 and raw HTTP: names outside S3's rules (a dash
# next to a dot included) answer 400 InvalidBucketName and create nothing, a second create 409,
# a LocationConstraint other than the cluster's region 400, object lock 501; canned ACLs (header
# or policy body) are kept and shown by GetBucketAcl/GetObjectAcl, an unknown one is 400, grants
# to named users (x-amz-grant-*, policies with other grantees) 501 and change nothing. (What the
# ACLs allow whom: users_test.sh.)
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

def buckets():
    return [b["Name"] for b in s3.list_buckets()["Buckets"]]

for name in ("a-.b", "a.-b", "ab", "x" * 64, "Upper", "under_score", "192.168.5.123", "-abc",
             "abc-", "a..b"):
    st, data, _ = req(gw, "PUT", "/" + name)
    check("CreateBucket %r: 400 InvalidBucketName" % name[:20],
          st == 400 and error_code(data) == "InvalidBucketName", (st, data[:200]))
check("and none of them was created", not [b for b in buckets() if b in ("a-.b", "a.-b")], buckets())

s3.create_bucket(Bucket="acl-b")
c = code(lambda: s3.create_bucket(Bucket="acl-b"))
check("a second CreateBucket: BucketAlreadyOwnedByYou", c == "BucketAlreadyOwnedByYou", c)
loc = "<CreateBucketConfiguration><LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>"
st, data, _ = req(gw, "PUT", "/loc-other", (loc % "eu-west-1").encode())
check("a LocationConstraint of another region: 400 IllegalLocationConstraintException",
      st == 400 and error_code(data) == "IllegalLocationConstraintException", (st, data[:200]))
st, data, _ = req(gw, "PUT", "/loc-own", (loc % "us-east-1").encode())
check("the cluster's own region is accepted", st == 200, (st, data[:200]))
st, data, _ = req(gw, "PUT", "/loc-bad", b"<CreateBucketConfiguration><Loc")
check("a malformed configuration: MalformedXML", error_code(data) == "MalformedXML", (st, data[:200]))
c = code(lambda: s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True))
check("object lock is refused", c == "NotImplemented", c)
check("no bucket was made by the refusals",
      not {"loc-other", "loc-bad", "locked"} & set(buckets()), buckets())
loc_now = s3.get_bucket_location(Bucket="acl-b")["LocationConstraint"]
check("GetBucketLocation: us-east-1 spelled as none", loc_now in (None, ""), loc_now)

# Access control.
c = code(lambda: s3.create_bucket(Bucket="acl-private", ACL="private"))
check("CreateBucket with ACL private", c == "OK", c)
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
def grants_of(acl):
    return sorted((g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"])
                  for g in acl["Grants"])
c = code(lambda: s3.create_bucket(Bucket="acl-public", ACL="public-read"))
check("CreateBucket with ACL public-read", c == "OK", c)
g = grants_of(s3.get_bucket_acl(Bucket="acl-public"))
check("and GetBucketAcl shows READ for AllUsers", g == [("ais", "FULL_CONTROL"), (ALL_USERS, "READ")], g)
c = code(lambda: s3.put_object(Bucket="acl-b", Key="pub", Body=b"x", ACL="public-read"))
check("PutObject with ACL public-read", c == "OK", c)
g = grants_of(s3.get_object_acl(Bucket="acl-b", Key="pub"))
check("and GetObjectAcl shows READ for AllUsers", g == [("ais", "FULL_CONTROL"), (ALL_USERS, "READ")], g)
st, data, _ = req(gw, "PUT", "/acl-b/badacl", b"x", {"x-amz-acl": "public-ready"})
check("an unknown canned ACL: 400 InvalidArgument", st == 400 and error_code(data) == "InvalidArgument", (st, data[:200]))
check("and nothing was stored", code(lambda: s3.head_object(Bucket="acl-b", Key="badacl")) in ("404", "NoSuchKey"))
st, data, _ = req(gw, "PUT", "/acl-b/grant", b"x", {"x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'})
check("PutObject with x-amz-grant-read: 501", st == 501, (st, data[:200]))
s3.put_object(Bucket="acl-b", Key="obj", Body=b"x", ACL="private")

for what, get in (("bucket", lambda: s3.get_bucket_acl(Bucket="acl-b")),
                  ("object", lambda: s3.get_object_acl(Bucket="acl-b", Key="obj"))):
    acl = get()
    grants = [(g["Grantee"].get("ID"), g["Grantee"]["Type"], g["Permission"]) for g in acl["Grants"]]
    check("Get%sAcl: the owner alone, FULL_CONTROL" % what.capitalize(),
          acl["Owner"]["ID"] == "ais" and grants == [("ais", "CanonicalUser", "FULL_CONTROL")], acl)
c = code(lambda: s3.get_object_acl(Bucket="acl-b", Key="nothing"))
check("GetObjectAcl of no object: NoSuchKey", c == "NoSuchKey", c)
c = code(lambda: s3.get_bucket_acl(Bucket="no-such-bucket"))
check("GetBucketAcl of no bucket: NoSuchBucket", c == "NoSuchBucket", c)

c = code(lambda: s3.put_bucket_acl(Bucket="acl-b", ACL="private"))
check("PutBucketAcl private", c == "OK", c)
c = code(lambda: s3.put_bucket_acl(Bucket="acl-b", ACL="public-read-write"))
check("PutBucketAcl public-read-write", c == "OK", c)
g = grants_of(s3.get_bucket_acl(Bucket="acl-b"))
check("and GetBucketAcl shows READ and WRITE for AllUsers",
      g == [("ais", "FULL_CONTROL"), (ALL_USERS, "READ"), (ALL_USERS, "WRITE")], g)
s3.put_bucket_acl(Bucket="acl-b", ACL="private")
owner = {"ID": "ais", "DisplayName": "ais"}
mine = {"Owner": owner, "Grants": [{"Grantee": {"ID": "ais", "Type": "CanonicalUser"},
                                    "Permission": "FULL_CONTROL"}]}
c = code(lambda: s3.put_object_acl(Bucket="acl-b", Key="obj", AccessControlPolicy=mine))
check("PutObjectAcl with the owner's grant alone", c == "OK", c)
public = {"Owner": owner, "Grants": mine["Grants"] + [
    {"Grantee": {"URI": "http://acs.amazonaws.com/groups/global/AllUsers", "Type": "Group"},
     "Permission": "READ"}]}
c = code(lambda: s3.put_object_acl(Bucket="acl-b", Key="obj", AccessControlPolicy=public))
check("PutObjectAcl granting AllUsers READ (a policy body)", c == "OK", c)
g = grants_of(s3.get_object_acl(Bucket="acl-b", Key="obj"))
check("and the object is public-read", g == [("ais", "FULL_CONTROL"), (ALL_USERS, "READ")], g)
other = {"Owner": owner, "Grants": mine["Grants"] + [
    {"Grantee": {"ID": "someone-else", "Type": "CanonicalUser"}, "Permission": "READ"}]}
c = code(lambda: s3.put_object_acl(Bucket="acl-b", Key="obj", AccessControlPolicy=other))
check("PutObjectAcl granting a named user: NotImplemented", c == "NotImplemented", c)
g = grants_of(s3.get_object_acl(Bucket="acl-b", Key="obj"))
check("and the ACL is unchanged", g == [("ais", "FULL_CONTROL"), (ALL_USERS, "READ")], g)
s3.put_object_acl(Bucket="acl-b", Key="obj", ACL="private")
c = code(lambda: s3.put_object_acl(Bucket="acl-b", Key="nothing", ACL="private"))
check("PutObjectAcl of no object: NoSuchKey", c == "NoSuchKey", c)
check("the object is unchanged", s3.get_object(Bucket="acl-b", Key="obj")["Body"].read() == b"x")

# Request ids: every answer has one of its own; an error body names the id of its header.
st, data, r1 = req(gw, "GET", "/acl-b/nothing-here")
st2, _, r2 = req(gw, "GET", "/acl-b/obj")
rid = r1.getheader("x-amz-request-id")
check("an error's RequestId is its x-amz-request-id",
      rid and ("<RequestId>%s</RequestId>" % rid).encode() in data, (rid, data[:300]))
check("each request has its own id", r2.getheader("x-amz-request-id") not in (None, rid))
c = code(lambda: s3.get_object(Bucket="acl-b", Key="nothing-here"))
check("(boto3 sees NoSuchKey)", c == "NoSuchKey", c)
sys.exit(1 if s3checks.fails else 0)
PY
finish
