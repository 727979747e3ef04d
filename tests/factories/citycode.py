"""Test material for citycode: signers, DCC document-signer certificates, DCC strings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from citybrain.citycode import cose

EKU_TEST = "1.3.6.1.4.1.1847.2021.1.1"
EKU_VACCINATION = "1.3.6.1.4.1.1847.2021.1.2"
EKU_RECOVERY = "1.3.6.1.4.1.1847.2021.1.3"


def make_dsc(
    algorithm: str = "es256",
    *,
    eku: list[str] | None = None,
    not_before: datetime | None = None,
    days: int = 365,
    country: str = "DE",
) -> tuple[Any, x509.Certificate]:
    """A self-issued document-signer certificate (key, cert) as a national CSCA would sign."""
    key: Any = (
        ec.generate_private_key(ec.SECP256R1())
        if algorithm == "es256"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    start = not_before or datetime.now(UTC) - timedelta(days=30)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, f"DSC test {algorithm}"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
    )
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in eku]), critical=False
        )
    return key, builder.sign(key, hashes.SHA256())


def dcc_signer(key: Any, cert: x509.Certificate) -> cose.Signer:
    from cryptography.hazmat.primitives import serialization

    alg = cose.ES256 if isinstance(key, ec.EllipticCurvePrivateKey) else cose.PS256
    der = cert.public_bytes(serialization.Encoding.DER)
    return cose.Signer(alg=alg, kid=cose.kid_of(der), key=key)


def vaccination_dcc() -> dict[str, Any]:
    return {
        "ver": "1.3.0",
        "nam": {"fn": "Musterfrau", "fnt": "MUSTERFRAU", "gn": "Erika", "gnt": "ERIKA"},
        "dob": "1964-08-12",
        "v": [
            {
                "tg": "840539006",
                "vp": "1119349007",
                "mp": "EU/1/20/1528",
                "ma": "ORG-100030215",
                "dn": 2,
                "sd": 2,
                "dt": "2021-05-29",
                "co": "DE",
                "is": "Robert Koch-Institut",
                "ci": "URN:UVCI:01DE/IZ12345A/5CWLU12RNOB9RXSEOP6FG8#W",
            }
        ],
    }


def make_hc1(
    signer: cose.Signer,
    *,
    dcc: dict[str, Any] | None = None,
    issued: datetime | None = None,
    valid: timedelta = timedelta(days=30),
) -> str:
    iat = issued or datetime.now(UTC) - timedelta(days=1)
    claims = {
        cose.CLAIM_ISS: "DE",
        cose.CLAIM_IAT: int(iat.timestamp()),
        cose.CLAIM_EXP: int((iat + valid).timestamp()),
        cose.CLAIM_HCERT: {1: dcc or vaccination_dcc()},
    }
    return cose.encode(signer, claims, prefix=cose.DCC_PREFIX)


# Database-backed helpers


def health_actor(session: Any, name: str = "郑州市卫生健康委员会") -> Any:
    """A health-authority official (an ``Actor``) in the health commission."""
    from sqlalchemy import select

    from citybrain.core.security import Role
    from citybrain.identity import service as identity_service
    from citybrain.identity.models import Department
    from tests.factories.identity import make_department, make_staff

    department = session.scalar(select(Department).where(Department.name == name))
    if department is None:
        department = make_department(session, name=name, short_name="市卫健委")
    return identity_service.actor_for(make_staff(session, Role.health_authority, department))


def resident_actor(session: Any) -> Any:
    from citybrain.identity import service as identity_service
    from tests.factories.identity import make_resident

    return identity_service.actor_for(make_resident(session))


def set_up_keys(session: Any, actor: Any, profile: str = "es256") -> None:
    from citybrain.citycode import signing

    for usage in ("person", "venue", "trust_list"):
        signing.create_key(session, actor=actor, usage=usage, profile=profile)


CENTRE = (113.66, 34.75)


def make_venue(session: Any, actor: Any, kind: str = "public_place", **overrides: Any) -> Any:
    from citybrain.citycode import rules, venues

    values: dict[str, Any] = {
        "kind": rules.VenueKind(kind),
        "name": f"测试场所-{kind}",
        "operator_name": "测试运营方",
        "address": "郑州市金水区测试路1号",
        "lon": CENTRE[0],
        "lat": CENTRE[1],
    }
    values.update(overrides)
    return venues.create_venue(session, actor=actor, **values)
