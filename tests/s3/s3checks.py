"""Helpers of the tests/s3 Python scripts: PASS/FAIL lines, raw HTTP to a gateway, S3 error codes."""
import http.client
import re

fails = 0


def check(name, ok, detail=""):
    """Prints PASS/FAIL name (with the detail on failure) and counts failures in `fails`."""
    global fails
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)))
    fails += not ok


def req(gw, method, path, body=None, headers=None):
    """One request on its own connection to gw (a urllib.parse.urlsplit result): status, body,
    and the response (for its headers)."""
    c = http.client.HTTPConnection(gw.hostname, gw.port, timeout=60)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data, r


def native(gw, method, path, msg=None, body=None, headers=None):
    """A native API request to gw (a urllib.parse.urlsplit result); an AIStore action message
    goes as a JSON body (GET too, as AIStore's clients send it). Returns status, the parsed JSON
    (else the raw bytes, else None), and the response."""
    import json
    headers = dict(headers or {})
    if msg is not None:
        body = json.dumps(msg) if not isinstance(msg, str) else msg
        headers["Content-Type"] = "application/json"
    st, raw, r = req(gw, method, path, body, headers)
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        doc = raw
    return st, doc, r


def error_code(data):
    """The <Code> of an S3 error body, or ""."""
    m = re.search(rb"<Code>([^<]*)</Code>", data)
    return m.group(1).decode() if m else ""


def sdk_code(fn):
    """Runs fn (a boto3 call): "OK", or the S3 error code it raised."""
    from botocore.exceptions import ClientError
    try:
        fn()
        return "OK"
    except ClientError as e:
        return e.response["Error"]["Code"]


def sdk_client(endpoint, key="x", secret="y"):
    """A boto3 S3 client of the gateway at endpoint: SigV4, path-style, us-east-1."""
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key,
                        aws_secret_access_key=secret, region_name="us-east-1",
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def accept_queue(port):
    """Connections a gateway's listening socket on `port` has not accepted yet (-1: unknown)."""
    import subprocess
    try:
        out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], capture_output=True,
                             text=True, timeout=10).stdout.splitlines()
        return sum(int(line.split()[1]) for line in out) if out else -1
    except (OSError, IndexError, ValueError, subprocess.SubprocessError):
        return -1
