"""Raw HTTP helpers of the tests/s3 scripts that talk to gateways without an S3 SDK."""
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


def error_code(data):
    """The <Code> of an S3 error body, or ""."""
    m = re.search(rb"<Code>([^<]*)</Code>", data)
    return m.group(1).decode() if m else ""
