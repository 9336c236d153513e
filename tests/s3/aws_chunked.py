#!/usr/bin/python3
"""Signed aws-chunked uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), built by hand the way the
AWS SDKs stream: every chunk carries a signature chained from the previous one. Checks that a
correct upload is stored byte-exact and that a tampered chunk or chunk signature is refused with
nothing stored. Usage: aws_chunked.py ENDPOINT ACCESS_KEY SECRET BUCKET"""
import datetime, email.utils, hashlib, hmac, http.client, os, sys, urllib.parse

endpoint, access, secret, bucket = sys.argv[1:5]
host = urllib.parse.urlparse(endpoint).netloc
region, service = "us-east-1", "s3"
failures = 0


def report(name, ok, detail=None):
    global failures
    print(("PASS " if ok else "FAIL ") + name + ("" if ok or detail is None else f": {detail}"))
    failures += 0 if ok else 1


def hmac_sha256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(day):
    k = hmac_sha256(("AWS4" + secret).encode(), day)
    k = hmac_sha256(k, region)
    k = hmac_sha256(k, service)
    return hmac_sha256(k, "aws4_request")


def request(method, key, body_chunks, tamper=None):
    """tamper: None, 'data' (flip a byte after signing) or 'sig' (wrong chunk signature)."""
    now = datetime.datetime.utcnow()
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/{region}/{service}/aws4_request"
    decoded_len = sum(len(c) for c in body_chunks)
    path = f"/{bucket}/{urllib.parse.quote(key)}"
    headers = {
        "host": host,
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-date": amz_date,
        "x-amz-decoded-content-length": str(decoded_len),
        "content-encoding": "aws-chunked",
    }
    # Content-Length is of the encoded body; compute it after building the body.
    signed = sorted(list(headers.keys()) + ["content-length"])
    kdate = signing_key(day)

    def seed_signature(content_length):
        h = dict(headers, **{"content-length": str(content_length)})
        canonical = "\n".join([method, path, "",
                               "".join(f"{k}:{h[k]}\n" for k in signed), ";".join(signed),
                               "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"])
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
        return hmac.new(kdate, sts.encode(), hashlib.sha256).hexdigest()

    def encode(seed):
        prev, out = seed, b""
        empty = hashlib.sha256(b"").hexdigest()
        for chunk in list(body_chunks) + [b""]:
            sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, empty,
                             hashlib.sha256(chunk).hexdigest()])
            sig = hmac.new(kdate, sts.encode(), hashlib.sha256).hexdigest()
            if tamper == "sig" and chunk:
                sig = "0" * 64
            data = chunk
            if tamper == "data" and chunk:
                data = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
            out += f"{len(chunk):x};chunk-signature={sig}\r\n".encode() + data + b"\r\n"
            prev = sig
        return out

    length = len(encode("0" * 64))  # the encoding's length does not depend on signature values
    seed = seed_signature(length)
    body = encode(seed)
    h = dict(headers)
    h["content-length"] = str(len(body))
    h["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
                          f"SignedHeaders={';'.join(signed)}, Signature={seed}")
    conn = http.client.HTTPConnection(host, timeout=30)
    conn.request(method, path, body=body, headers=h)
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    return resp.status, payload


def signed(method, key, body=b"", extra=None, date_header=False):
    """A SigV4-signed request of the object with a plain body (its SHA-256 signed; a GET's:
    UNSIGNED-PAYLOAD), timed by X-Amz-Date or, with date_header, by the Date header alone."""
    now = datetime.datetime.utcnow().replace(microsecond=0)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/{region}/{service}/aws4_request"
    path = f"/{bucket}/{urllib.parse.quote(key)}"
    payload = "UNSIGNED-PAYLOAD" if method == "GET" else hashlib.sha256(body).hexdigest()
    h = {"host": host, "x-amz-content-sha256": payload, **(extra or {})}
    if date_header:
        h["date"] = email.utils.formatdate(now.replace(tzinfo=datetime.timezone.utc).timestamp())
    else:
        h["x-amz-date"] = amz_date
    names = sorted(h)
    canonical = "\n".join([method, path, "", "".join(f"{k}:{h[k]}\n" for k in names),
                           ";".join(names), payload])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    sig = hmac.new(signing_key(day), sts.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
                          f"SignedHeaders={';'.join(names)}, Signature={sig}")
    conn = http.client.HTTPConnection(host, timeout=30)
    conn.request(method, path, body=body or None, headers=h)
    resp = conn.getresponse()
    return resp.status, resp.read()


def get(key):
    return signed("GET", key)


chunks = [os.urandom(64 * 1024), os.urandom(64 * 1024), os.urandom(12345)]
status, body = request("PUT", "chunked/ok", chunks)
report("signed aws-chunked PUT accepted", status == 200)
st, data = get("chunked/ok")
report("aws-chunked object stored byte-exact", st == 200 and data == b"".join(chunks))

status, body = request("PUT", "chunked/bad-data", chunks, tamper="data")
report("tampered chunk data refused", status == 403 and b"SignatureDoesNotMatch" in body)
report("nothing stored for tampered data", get("chunked/bad-data")[0] == 404)

status, body = request("PUT", "chunked/bad-sig", chunks, tamper="sig")
report("wrong chunk signature refused", status == 403 and b"SignatureDoesNotMatch" in body)
report("nothing stored for a wrong chunk signature", get("chunked/bad-sig")[0] == 404)

# SigV4 timed by the Date header (no X-Amz-Date: botocore's signer sends that when the caller
# sets Date; the string to sign has the time in basic ISO 8601), and an empty Content-MD5 (400).
st, body = signed("PUT", "dated", b"by date", date_header=True)
report("SigV4 timed by the Date header (no X-Amz-Date) accepted", st == 200, (st, body[:200]))
report("... and stored", get("dated") == (200, b"by date"))
st, body = signed("PUT", "md5-empty", b"abc", {"content-md5": ""})
report("an empty Content-MD5: 400 InvalidDigest", st == 400 and b"InvalidDigest" in body,
       (st, body[:200]))

# "aws-chunked" in Content-Encoding beside a plain body and its own SHA-256 (what boto3 sends for
# put_object(ContentEncoding="gzip, aws-chunked")): not framing; stored without the aws-chunked.
import boto3
from botocore.config import Config
sdk = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access,
                   aws_secret_access_key=secret, region_name="us-east-1",
                   config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
for enc, kept in (("gzip, aws-chunked", "gzip"), ("aws-chunked", None),
                  ("aws-chunked, aws-chunked", None)):
    try:
        sdk.put_object(Bucket=bucket, Key="enc", Body=b"abc", ContentEncoding=enc)
        head = sdk.head_object(Bucket=bucket, Key="enc")
        body = sdk.get_object(Bucket=bucket, Key="enc")["Body"].read()
        report(f"PUT with Content-Encoding '{enc}': stored as {kept!r}",
               head.get("ContentEncoding") == kept and body == b"abc",
               (head.get("ContentEncoding"), body))
    except Exception as e:  # (the gateway's error, as the SDK raised it)
        report(f"PUT with Content-Encoding '{enc}': stored as {kept!r}", False, e)
sys.exit(1 if failures else 0)
