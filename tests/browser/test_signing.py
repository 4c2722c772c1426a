"""The page's guest access: SigV4 signing checked against botocore, and Cognito's guest flows.

Given the page with an identity pool's id in its ``cognito-identity-pool-id`` meta tag, when it
calls the API, then it has guest credentials from Amazon Cognito Identity (``GetId``, then
``GetCredentialsForIdentity``, the enhanced flow; or, with the guest role's ARN in
``cognito-guest-role-arn``, ``GetOpenIdToken`` and AWS STS ``AssumeRoleWithWebIdentity``, the
basic flow) and signs every API request (classify, uploads, the file's status) with Signature
Version 4 for ``execute-api``, exactly as botocore's ``SigV4Auth`` signs the same request; the
presigned S3 POST goes unsigned. Without a pool id it signs nothing (local mode).

The signature's reference is botocore, never a hand-written signer: the page's
``window.reviewScorer.signRequest`` is compared with ``SigV4Auth.add_auth`` for fixed requests,
credentials and time, and every request the page sends to the stub API is verified with
botocore too. Cognito and STS are a stub answering their documented calls
(https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetId.html,
https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetCredentialsForIdentity.html,
https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetOpenIdToken.html,
https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html) at
their real addresses: Chromium resolves ``cognito-identity.<region>.amazonaws.com`` and
``sts.<region>.amazonaws.com`` to it (``--host-resolver-rules``) and, in this browser only,
accepts any certificate (``--ignore-certificate-errors``; the stub's is self-signed).
"""

from __future__ import annotations

import datetime
import json
import re
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import chromium
from tests.conftest import REPO

pytestmark = pytest.mark.browser

PAGE = REPO / "site" / "index.html"
REGION = "eu-west-1"
POOL_ID = f"{REGION}:0f3c6a52-8d4e-4b7a-9c1d-2e5f7a9b3c4d"
IDENTITY_ID = f"{REGION}:5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
COGNITO_HOST = f"cognito-identity.{REGION}.amazonaws.com"
STS_HOST = f"sts.{REGION}.amazonaws.com"
COGNITO_TARGET = "AWSCognitoIdentityService."
COGNITO_JSON = "application/x-amz-json-1.1"
GUEST_ROLE_ARN = "arn:aws:iam::123456789012:role/review-scorer-dev-page-guest"
OPENID_TOKEN = "eyJraWQiOiJFWEFNUExFIn0.eyJhdWQiOiJleGFtcGxlIn0.c2lnbmF0dXJl"
GUEST = {  # what the stub hands out: GetCredentialsForIdentity's Credentials (enhanced flow)
    "AccessKeyId": "ASIAGUESTEXAMPLE0001",
    "SecretKey": "gUeSt/SeCrEt+KeY/EXAMPLEKEYwJalrXUtnFEMI",
    "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLE/session+token==",
}
ROLE_GUEST = {  # and STS's, for the guest role (basic flow), in the page's names
    "AccessKeyId": "ASIASTSGUESTEXAMPLE2",
    "SecretKey": "sTs/GuEsT+sEcReT/EXAMPLEKEYbPxRfiCYEXAM",
    "SessionToken": "FwoGZXIvYXdzEXAMPLE//sts+session/token=",
}
AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"execute-api/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=[0-9a-f]{64}"
)
UPLOAD_NAME = "my reviews.csv"
STATUS_URL = "/api/files/web/5f0c3a9e1b2d4c6f/my%20reviews.csv"


# --- botocore, the reference ----------------------------------------------------------------------


def botocore_signed(
    method: str,
    url: str,
    headers: dict[str, str],
    body: str,
    credentials: dict[str, str],
    when: datetime.datetime,
    region: str,
) -> dict[str, str]:
    """The headers botocore's SigV4Auth sends for this request (names in lower case).

    Its clock is frozen where ``add_auth`` reads it: botocore 1.3x+ takes the time from
    ``get_current_datetime`` (imported into ``botocore.auth`` from ``botocore.compat``) and
    overwrites ``X-Amz-Date`` and ``request.context["timestamp"]`` with it, so neither
    patching ``botocore.auth.datetime`` (what botocore's older SigV4 suite did, when add_auth
    called ``datetime.datetime.utcnow``) nor presetting the header would hold."""
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body.encode("utf-8"))
    frozen = Credentials(
        credentials["AccessKeyId"], credentials["SecretKey"], credentials.get("SessionToken")
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        SigV4Auth(frozen, "execute-api", region).add_auth(request)
    signed = {name.lower(): value for name, value in request.headers.items()}
    assert signed["x-amz-date"] == when.strftime("%Y%m%dT%H%M%SZ"), "botocore's clock not frozen"
    return signed


# --- the stubs ------------------------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str  # as sent: percent-encoded, with the query
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class Stubs:
    """What the stub servers answer and what they saw."""

    page_url: str = ""
    pool_id: str = ""  # the page's cognito-identity-pool-id
    role_arn: str = ""  # the page's cognito-guest-role-arn
    expires_in: float = 3600.0  # the guest credentials' lifetime, in seconds
    cognito_error: str = ""  # an error's __type for Cognito to answer with
    sts_error: str = ""  # an error's Code for STS to answer with
    cognito: list[Recorded] = field(default_factory=list)
    api: list[Recorded] = field(default_factory=list)
    uploads: list[Recorded] = field(default_factory=list)
    polls: int = 0

    def reset(self, pool_id: str, role_arn: str = "") -> None:
        self.pool_id, self.role_arn = pool_id, role_arn
        self.expires_in, self.cognito_error, self.sts_error, self.polls = 3600.0, "", "", 0
        for seen in (self.cognito, self.api, self.uploads):
            seen.clear()

    def actions(self) -> list[str]:
        """The calls for credentials, in order: Cognito's by target, STS's by Action."""
        return [
            r.headers.get("x-amz-target", "").removeprefix(COGNITO_TARGET)
            or "STS." + _form(r).get("Action", "")
            for r in self.cognito
        ]


def _form(recorded: Recorded) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(recorded.body.decode("utf-8")))


class _Handler(BaseHTTPRequestHandler):
    stubs: Stubs
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self) -> Recorded:
        length = int(self.headers.get("content-length") or 0)
        headers = {name.lower(): value for name, value in self.headers.items()}
        return Recorded(self.command, self.path, headers, self.rfile.read(length))

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, document: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(document).encode(), {"content-type": "application/json",
                                                             **(headers or {})})  # fmt: skip


class _PageAndApi(_Handler):
    """The page (its pool id set as the test asks), the API's three routes, and the bucket's
    upload POST; all at one origin, like ``review-scorer serve``."""

    def do_GET(self) -> None:
        if self.path == "/":
            html = PAGE.read_text(encoding="utf-8")
            for name, value in (("cognito-identity-pool-id", self.stubs.pool_id),
                                ("cognito-guest-role-arn", self.stubs.role_arn)):  # fmt: skip
                empty = f'<meta name="{name}" content="">'
                assert empty in html
                html = html.replace(empty, f'<meta name="{name}" content="{value}">')
            self._send(200, html.encode(), {"content-type": "text/html; charset=utf-8"})
        elif self.path.startswith("/api/files/"):
            self.stubs.api.append(self._record())
            self.stubs.polls += 1
            if self.stubs.polls == 1:
                self._json(200, {"status": "PENDING"})
                return
            self._json(200, {
                "status": "SUCCEEDED", "rows": {"scored": 2, "empty": 0, "rejected": 0},
                "labels": {"1": 2},
                "downloads": {"results": self.stubs.page_url + "/s3/results/my.labeled.csv"
                                         "?X-Amz-Signature=presigned", "rejects": None},
            })  # fmt: skip
        else:
            self._send(404, b"")

    def do_POST(self) -> None:
        recorded = self._record()
        if self.path == "/api/classify":
            self.stubs.api.append(recorded)
            prediction = {"labels": ["1", "0"], "probabilities": [0.75, 0.25],
                          "scoring_status": "scored"}  # fmt: skip
            self._json(200, {"model": "stub", "predictions": [prediction]})
        elif self.path == "/api/uploads":
            self.stubs.api.append(recorded)
            self._json(200, {
                "name": "web/5f0c3a9e1b2d4c6f/my reviews.csv",
                "url": self.stubs.page_url + "/s3/upload",
                "fields": {"key": "incoming/web/5f0c3a9e1b2d4c6f/my reviews.csv",
                           "Content-Type": "text/csv", "policy": "e30=",
                           "x-amz-signature": "presigned"},
                "expires_in": 300, "max_bytes": 1_000_000, "status_url": STATUS_URL,
            })  # fmt: skip
        elif self.path == "/s3/upload":
            self.stubs.uploads.append(recorded)
            self._send(204, b"")
        else:
            self._send(404, b"")


class _Cognito(_Handler):
    """Amazon Cognito Identity's unauthenticated calls, as its API reference documents them:
    POST / with ``X-Amz-Target: AWSCognitoIdentityService.<action>`` and a JSON body of
    ``Content-Type: application/x-amz-json-1.1``; and, at STS's address, AWS STS
    AssumeRoleWithWebIdentity (a form-encoded query, an XML answer). CORS as for any browser."""

    def setup(self) -> None:
        self.request.settimeout(30)
        self.request.do_handshake()
        super().setup()

    def _cors(self) -> dict[str, str]:
        return {"access-control-allow-origin": self.headers.get("origin", "*")}

    def do_OPTIONS(self) -> None:
        self._send(200, b"", {
            **self._cors(), "access-control-allow-methods": "POST",
            "access-control-allow-headers": "content-type, x-amz-target, x-amz-user-agent",
            "access-control-max-age": "600",
        })  # fmt: skip

    def do_POST(self) -> None:
        recorded = self._record()
        self.stubs.cognito.append(recorded)
        if recorded.headers.get("host") == STS_HOST:
            self._sts(recorded)
            return
        action = recorded.headers.get("x-amz-target", "").removeprefix(COGNITO_TARGET)
        expected = {"GetId": {"IdentityPoolId": POOL_ID},
                    "GetCredentialsForIdentity": {"IdentityId": IDENTITY_ID},
                    "GetOpenIdToken": {"IdentityId": IDENTITY_ID}}  # fmt: skip
        well_formed = (
            self.path == "/"
            and recorded.headers.get("content-type") == COGNITO_JSON
            and "authorization" not in recorded.headers  # both calls are unauthenticated
            and action in expected
            and json.loads(recorded.body or b"null") == expected[action]
        )
        if self.stubs.cognito_error:
            message = "Unauthenticated access is not supported for this identity pool."
            self._cognito_answer({"__type": self.stubs.cognito_error, "message": message}, 400)
        elif not well_formed:
            self._cognito_answer({"__type": "InvalidParameterException", "message": "stub"}, 400)
        elif action == "GetId":
            self._cognito_answer({"IdentityId": IDENTITY_ID})
        elif action == "GetOpenIdToken":
            self._cognito_answer({"IdentityId": IDENTITY_ID, "Token": OPENID_TOKEN})
        else:
            expiration = time.time() + self.stubs.expires_in  # epoch seconds, a JSON number
            credentials = {**GUEST, "Expiration": round(expiration, 3)}
            self._cognito_answer({"IdentityId": IDENTITY_ID, "Credentials": credentials})

    def _cognito_answer(self, document: Any, status: int = 200) -> None:
        headers = {**self._cors(), "content-type": COGNITO_JSON}
        self._send(status, json.dumps(document).encode(), headers)

    def _sts(self, recorded: Recorded) -> None:
        expected = {
            "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
            "RoleArn": GUEST_ROLE_ARN, "RoleSessionName": "review-scorer-page",
            "WebIdentityToken": OPENID_TOKEN,
        }  # fmt: skip
        well_formed = (
            self.path == "/"
            and "authorization" not in recorded.headers  # unauthenticated too
            and recorded.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"
            )
            and _form(recorded) == expected
        )
        if self.stubs.sts_error or not well_formed:
            code = self.stubs.sts_error or "InvalidParameterValue"
            self._sts_answer(
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                "<Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message>"
                "</Error></ErrorResponse>",
                403,
            )
            return
        expiration = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
            seconds=self.stubs.expires_in
        )
        credentials = "".join(
            f"<{name}>{value}</{name}>"
            for name, value in (
                ("AccessKeyId", ROLE_GUEST["AccessKeyId"]),
                ("SecretAccessKey", ROLE_GUEST["SecretKey"]),
                ("SessionToken", ROLE_GUEST["SessionToken"]),
                ("Expiration", expiration.strftime("%Y-%m-%dT%H:%M:%SZ")),
            )
        )
        self._sts_answer(
            '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<AssumeRoleWithWebIdentityResult><Credentials>{credentials}</Credentials>"
            f"<Audience>{POOL_ID}</Audience></AssumeRoleWithWebIdentityResult>"
            "</AssumeRoleWithWebIdentityResponse>"
        )

    def _sts_answer(self, xml: str, status: int = 200) -> None:
        self._send(status, xml.encode(), {**self._cors(), "content-type": "text/xml"})


def _self_signed(folder: Path, *hosts: str) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


def _serve(
    handler: type[_Handler], stubs: Stubs, tls: ssl.SSLContext | None = None
) -> ThreadingHTTPServer:
    bound = type(handler.__name__, (handler,), {"stubs": stubs})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    if tls is not None:  # the handshake in the request's thread (setup), not the accept loop
        server.socket = tls.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stubs, int]]:
    stubs = Stubs()
    page = _serve(_PageAndApi, stubs)
    tls = _self_signed(tmp_path_factory.mktemp("tls"), COGNITO_HOST, STS_HOST)
    cognito = _serve(_Cognito, stubs, tls)
    stubs.page_url = f"http://127.0.0.1:{page.server_address[1]}"
    try:
        yield stubs, cognito.server_address[1]
    finally:
        for server in (page, cognito):
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def guest_browser(servers: tuple[Stubs, int]) -> Iterator[WebDriver]:
    """Chromium sending Cognito's and STS's regional addresses to the stub, and accepting its
    self-signed certificate (any certificate: this browser talks to the stubs only)."""
    _, port = servers
    driver = chromium(
        f"--host-resolver-rules=MAP {COGNITO_HOST} 127.0.0.1:{port}, "
        f"MAP {STS_HOST} 127.0.0.1:{port}",
        "--ignore-certificate-errors",
    )
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def stubs(servers: tuple[Stubs, int]) -> Stubs:
    stubs, _ = servers
    stubs.reset(POOL_ID)
    return stubs


def open_page(browser: WebDriver, stubs: Stubs, pool_id: str, role_arn: str = "") -> WebDriver:
    stubs.reset(pool_id, role_arn)
    browser.get(stubs.page_url + "/")
    return browser


def classify(browser: WebDriver, text: str = "Lovely dress") -> str:
    box = browser.find_element(By.ID, "review-text")
    box.clear()
    box.send_keys(text)
    output = browser.find_element(By.ID, "predictions")
    browser.execute_script("arguments[0].textContent = ''", output)
    browser.find_element(By.ID, "classify-button").click()
    WebDriverWait(browser, 30).until(
        lambda _: output.text and not output.text.startswith("Classifying")
    )
    return str(output.text)


def assert_signed_as_botocore_signs(
    recorded: Recorded, credentials: dict[str, str] = GUEST, region: str = REGION
) -> list[str]:
    """The request the page sent carries a SigV4 Authorization that botocore computes too, from
    the same method, path, signed headers and body, with ``credentials``; its signed headers'
    names."""
    found = AUTHORIZATION.fullmatch(recorded.headers.get("authorization", ""))
    assert found, recorded
    assert (found["key"], found["region"]) == (credentials["AccessKeyId"], region)
    signed = found["signed"].split(";")
    assert AMZ_DATE.fullmatch(recorded.headers["x-amz-date"]), recorded
    when = datetime.datetime.strptime(recorded.headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    url = f"http://{recorded.headers['host']}{recorded.path}"
    headers = {name: recorded.headers[name] for name in signed if name != "host"}
    body = recorded.body.decode("utf-8")
    expected = botocore_signed(recorded.method, url, headers, body, credentials, when, region)
    assert recorded.headers["authorization"] == expected["authorization"], recorded
    assert recorded.headers["x-amz-security-token"] == credentials["SessionToken"]
    return signed


# --- the signer against botocore ------------------------------------------------------------------

API = f"https://a1b2c3d4e5.execute-api.{REGION}.amazonaws.com"
FIXED_CREDENTIALS = {
    "AccessKeyId": "AKIDEXAMPLE",
    "SecretKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "SessionToken": "AQoDYXdzEPT//////////wEXAMPLE+token/with=padding==",
}
NO_TOKEN = {k: v for k, v in FIXED_CREDENTIALS.items() if k != "SessionToken"}
FIXED_TIME = datetime.datetime(2024, 5, 17, 10, 30, 0)
REVIEW_BODY = json.dumps({"texts": ["Très jolie robe, 👍 et   des espaces"], "k": 3},
                         ensure_ascii=False)  # fmt: skip


@pytest.mark.parametrize(
    ("method", "url", "headers", "body", "credentials", "region"),
    [
        pytest.param("POST", f"{API}/api/classify", {"Content-Type": "application/json"},
                     REVIEW_BODY, FIXED_CREDENTIALS, REGION, id="post-json-utf8-body"),
        pytest.param("POST", f"{API}/api/uploads", {"content-type": "application/json"},
                     '{"name": "reviews.csv"}', FIXED_CREDENTIALS, "us-east-1",
                     id="post-another-region"),
        pytest.param("GET", f"{API}/api/files/web/5f0c3a9e1b2d4c6f/my%20reviews.csv", {}, "",
                     FIXED_CREDENTIALS, REGION, id="get-percent-encoded-path"),
        pytest.param("GET", f"{API}/api/files/web/abc/x.csv?b=2&a=hello%20world&a=first&c=&d",
                     {}, "", FIXED_CREDENTIALS, REGION, id="get-query-string"),
        pytest.param("GET", "http://127.0.0.1:8080/api/files/a/b.csv", {"X-Trace": "  a   b "},
                     "", FIXED_CREDENTIALS, REGION, id="get-port-and-spaced-header"),
        pytest.param("POST", f"{API}/api/classify", {"Content-Type": "application/json"},
                     '{"texts": ["x"]}', NO_TOKEN, REGION, id="post-without-session-token"),
    ],
)  # fmt: skip
def test_the_pages_signature_is_the_one_botocore_computes(
    guest_browser: WebDriver,
    servers: tuple[Stubs, int],
    method: str,
    url: str,
    headers: dict[str, str],
    body: str,
    credentials: dict[str, str],
    region: str,
) -> None:
    stubs, _ = servers
    if not guest_browser.current_url.startswith(stubs.page_url):
        open_page(guest_browser, stubs, "")
    signed = guest_browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const [method, url, headers, body, credentials, date, region] = arguments;
        window.reviewScorer.signRequest(method, url, headers, body, credentials, date, region)
          .then(done, (error) => done({error: String(error)}));
        """,
        method, url, headers, body, credentials, FIXED_TIME.isoformat() + "Z", region,
    )  # fmt: skip

    expected = botocore_signed(method, url, headers, body, credentials, FIXED_TIME, region)
    # The same headers to send, value for value: the Authorization (credential scope, signed
    # headers, signature), X-Amz-Date, X-Amz-Security-Token with a token, the request's own;
    # no X-Amz-Content-SHA256 (botocore's SigV4Auth sends none for execute-api).
    assert signed == expected
    assert "x-amz-content-sha256" not in signed
    assert ("x-amz-security-token" in signed) == ("SessionToken" in credentials)


# --- the guest flow -------------------------------------------------------------------------------


FLOWS = {  # role ARN meta tag -> the calls for credentials, and the credentials they give
    "enhanced": ("", ["GetId", "GetCredentialsForIdentity"], GUEST),
    "basic": (GUEST_ROLE_ARN, ["GetId", "GetOpenIdToken", "STS.AssumeRoleWithWebIdentity"],
              ROLE_GUEST),
}  # fmt: skip


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_guest_credentials_sign_every_api_call_and_are_reused(
    guest_browser: WebDriver, stubs: Stubs, tmp_path: Path, flow: str
) -> None:
    role_arn, calls, credentials = FLOWS[flow]
    page = open_page(guest_browser, stubs, POOL_ID, role_arn)
    assert not stubs.cognito  # nothing before the first call

    assert classify(page).startswith("Top labels")
    assert classify(page, "Poor fit").startswith("Top labels")
    csv_file = tmp_path / UPLOAD_NAME
    csv_file.write_text("review_body\nLovely\nNice\n", encoding="utf-8")
    page.find_element(By.ID, "csv-file").send_keys(str(csv_file))
    status = page.find_element(By.ID, "upload-status")
    WebDriverWait(page, 30).until(lambda _: status.text.startswith(("Scored", "Refused")))

    assert status.text.startswith("Scored"), status.text
    link = page.find_element(By.ID, "download-link").get_attribute("href")
    assert link == stubs.page_url + "/s3/results/my.labeled.csv?X-Amz-Signature=presigned"
    # one guest identity, one set of credentials for the whole session
    assert stubs.actions() == calls
    # every API call signed with them, as botocore signs (POSTs sign their content-type too)
    routes = [(r.method, r.path) for r in stubs.api]
    assert routes[:3] == [("POST", "/api/classify"), ("POST", "/api/classify"),
                          ("POST", "/api/uploads")]  # fmt: skip
    assert routes[3:] == [("GET", STATUS_URL)] * (len(routes) - 3) and len(routes) >= 5
    for recorded in stubs.api:
        signed = assert_signed_as_botocore_signs(recorded, credentials)
        assert {"host", "x-amz-date", "x-amz-security-token"} <= set(signed)
        assert ("content-type" in signed) == (recorded.method == "POST")
    # the presigned upload POST is not signed again (its policy and signature are its fields)
    (upload,) = stubs.uploads
    assert not {"authorization", "x-amz-security-token", "x-amz-date"} & set(upload.headers)
    assert b'name="x-amz-signature"' in upload.body


def test_credentials_near_their_expiration_are_renewed_for_the_same_identity(
    guest_browser: WebDriver, stubs: Stubs
) -> None:
    page = open_page(guest_browser, stubs, POOL_ID)
    stubs.expires_in = 120  # within the page's five minutes of margin: renewed at each call

    assert classify(page).startswith("Top labels")
    assert classify(page).startswith("Top labels")

    assert stubs.actions() == ["GetId", "GetCredentialsForIdentity", "GetCredentialsForIdentity"]
    for recorded in stubs.api:
        assert_signed_as_botocore_signs(recorded)


@pytest.mark.parametrize(
    ("role_arn", "refusal", "calls", "shown"),
    [
        ("", "cognito", ["GetId"], "Amazon Cognito (GetId: NotAuthorizedException: "),
        (GUEST_ROLE_ARN, "sts", FLOWS["basic"][1],
         "AWS STS (AssumeRoleWithWebIdentity: AccessDenied: Not authorized"),
    ],
    ids=["cognito-refuses", "sts-refuses"],
)  # fmt: skip
def test_a_refusal_of_guest_credentials_is_shown_and_nothing_is_sent_to_the_api(
    guest_browser: WebDriver, stubs: Stubs, role_arn: str, refusal: str, calls: list[str],
    shown: str,
) -> None:  # fmt: skip
    page = open_page(guest_browser, stubs, POOL_ID, role_arn)
    stubs.cognito_error = "NotAuthorizedException" if refusal == "cognito" else ""
    stubs.sts_error = "AccessDenied" if refusal == "sts" else ""

    text = classify(page)

    assert f"no guest credentials from {shown}" in text, text
    assert "bad" in (page.find_element(By.ID, "predictions").get_attribute("class") or "")
    assert stubs.actions() == calls and not stubs.api


def test_without_a_pool_id_the_page_calls_the_api_unsigned_and_never_cognito(
    guest_browser: WebDriver, stubs: Stubs
) -> None:
    page = open_page(guest_browser, stubs, "")

    assert classify(page).startswith("Top labels")

    (recorded,) = stubs.api
    assert not {"authorization", "x-amz-date", "x-amz-security-token"} & set(recorded.headers)
    assert not stubs.cognito
