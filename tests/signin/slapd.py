"""A throwaway OpenLDAP server for the tests: Debian's slapd with a generated slapd.conf, its
database loaded by slapadd from an LDIF written here, serving ldap://127.0.0.1:<free port>/ in the
foreground until the test ends. Skipped where slapd is not installed (apt-get install slapd
ldap-utils), unless REQUIRE_LDAP=1 (CI), which makes that a failure."""

import base64
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

SUFFIX = "dc=example,dc=com"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "admin-secret-2026"
SERVICE_DN = f"cn=jixiao,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-secret-2026"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")


def user_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


# uid: (name, mail, password, extra attributes)
USERS = {
    "zhang.hr": ("张人事", "zhang.hr@example.com", "Hr-pass-2026", {}),
    "li.scorer": ("李评分", "li.scorer@example.com", "Scorer-pass-2026", {}),
    "wang.head": ("王一把手", "wang.head@example.com", "Head-pass-2026", {"ou": "A01"}),
    "zhao.nobody": ("赵无组", "zhao@example.com", "Nobody-pass-2026", {}),
    "qian.mover": ("钱调动", "qian@example.com", "Mover-pass-2026", {}),
}
# cn: members (uids)
GROUP_MEMBERS = {
    "绩效办": ["zhang.hr"],
    "安全生产科评分": ["li.scorer"],
    "一把手": ["wang.head"],
    "验收组": ["qian.mover"],
    "审计": [],
    "其他": [],
    "全体员工": ["zhang.hr", "li.scorer", "wang.head", "zhao.nobody", "qian.mover"],
}


def _ldif_line(attribute: str, value: str) -> str:
    if value.isascii() and not value.startswith((" ", ":", "<")):
        return f"{attribute}: {value}"
    return f"{attribute}:: {base64.b64encode(value.encode()).decode()}"


def _entry(dn: str, attributes: list[tuple[str, str]]) -> str:
    return "\n".join([_ldif_line("dn", dn), *(_ldif_line(a, v) for a, v in attributes)]) + "\n"


def directory_ldif() -> str:
    entries = [
        _entry(SUFFIX, [("objectClass", "dcObject"), ("objectClass", "organization"),
                        ("o", "集团公司"), ("dc", "example")]),
        _entry(PEOPLE, [("objectClass", "organizationalUnit"), ("ou", "people")]),
        _entry(GROUPS, [("objectClass", "organizationalUnit"), ("ou", "groups")]),
        _entry(f"ou=services,{SUFFIX}", [("objectClass", "organizationalUnit"),
                                         ("ou", "services")]),
        _entry(SERVICE_DN, [("objectClass", "organizationalRole"),
                            ("objectClass", "simpleSecurityObject"), ("cn", "jixiao"),
                            ("userPassword", SERVICE_PASSWORD)]),
    ]  # fmt: skip
    for uid, (name, mail, password, extra) in USERS.items():
        attributes = [("objectClass", "inetOrgPerson"), ("uid", uid), ("cn", name),
                      ("sn", name[0]), ("mail", mail), ("userPassword", password)]  # fmt: skip
        attributes += list(extra.items())
        entries.append(_entry(user_dn(uid), attributes))
    for cn, members in GROUP_MEMBERS.items():
        # groupOfNames needs a member: the service account keeps a group that loses its
        # people valid.
        member_dns = [SERVICE_DN, *(user_dn(uid) for uid in members)]
        entries.append(
            _entry(
                group_dn(cn),
                [
                    ("objectClass", "groupOfNames"),
                    ("cn", cn),
                    *(("member", dn) for dn in member_dns),
                ],
            )
        )
    return "\n".join(entries)


def certificates(root: Path, name: str = "ca") -> tuple[Path, Path, Path]:
    """A CA of its own and a certificate it signs for 127.0.0.1: (CA, server, server's key)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def subject(common_name):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    now = datetime.datetime.now(datetime.UTC)
    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(subject(f"test {name}"))
        .issuer_name(subject(f"test {name}"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder()
        .subject_name(subject("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    root.mkdir(parents=True, exist_ok=True)
    paths = root / f"{name}.pem", root / f"{name}-server.pem", root / f"{name}-server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def _slapd_conf(root: Path, tls: tuple[Path, Path, Path] | None) -> str:
    includes = "\n".join(f"include /etc/ldap/schema/{name}.schema" for name in SCHEMAS)
    tls_lines = ""
    if tls:
        tls_lines = (
            f"TLSCACertificateFile {tls[0]}\nTLSCertificateFile {tls[1]}\n"
            f"TLSCertificateKeyFile {tls[2]}\n"
        )
    return f"""{includes}
{tls_lines}pidfile {root}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ADMIN_DN}"
rootpw {ADMIN_PASSWORD}
directory {root}/db
access to attrs=userPassword by anonymous auth by self read by * none
access to * by users read by * none
"""


def _binary(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Slapd:
    def __init__(self, root: Path, *, tls: bool = False):
        self.root = root
        self.port = _free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        # StartTLS on the same port, with a certificate from a CA of the test's own.
        self.tls = certificates(root / "tls") if tls else None

    def start(self, slapd: str, slapadd: str) -> None:
        (self.root / "db").mkdir(parents=True)
        conf = self.root / "slapd.conf"
        conf.write_text(_slapd_conf(self.root, self.tls))
        ldif = self.root / "directory.ldif"
        ldif.write_text(directory_ldif(), encoding="utf-8")
        subprocess.run([slapadd, "-f", str(conf), "-l", str(ldif)], check=True, capture_output=True)
        self.log = open(self.root / "slapd.log", "wb")  # noqa: SIM115 — closed in stop()
        self.process = subprocess.Popen(
            [slapd, "-h", f"{self.uri}/", "-f", str(conf), "-d", "0"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd stopped: {(self.root / 'slapd.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not answer within 15 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def _admin(self):
        from ldap3 import Connection, Server

        return Connection(Server(self.uri), ADMIN_DN, ADMIN_PASSWORD, auto_bind=True)

    def move(self, uid: str, *, out_of: str, into: str) -> None:
        """A directory change: `uid` leaves group `out_of` and joins group `into`."""
        from ldap3 import MODIFY_ADD, MODIFY_DELETE

        connection = self._admin()
        try:
            assert connection.modify(group_dn(into), {"member": [(MODIFY_ADD, [user_dn(uid)])]})
            assert connection.modify(
                group_dn(out_of), {"member": [(MODIFY_DELETE, [user_dn(uid)])]}
            )
        finally:
            connection.unbind()


def _slapd_binaries():
    binaries = _binary("slapd"), _binary("slapadd")
    if not all(binaries):
        if os.environ.get("REQUIRE_LDAP") == "1":
            pytest.fail("REQUIRE_LDAP=1 but slapd is not installed (apt-get install slapd)")
        pytest.skip(
            "no slapd: the LDAP tests need Debian's slapd (apt-get install slapd ldap-utils)"
        )
    return binaries


@pytest.fixture
def slapd(tmp_path):
    binaries = _slapd_binaries()
    server = Slapd(tmp_path / "slapd")
    server.start(*binaries)
    yield server
    server.stop()


@pytest.fixture
def slapd_tls(tmp_path):
    """The same directory, answering StartTLS with a certificate for 127.0.0.1."""
    binaries = _slapd_binaries()
    server = Slapd(tmp_path / "slapd", tls=True)
    server.start(*binaries)
    yield server
    server.stop()
