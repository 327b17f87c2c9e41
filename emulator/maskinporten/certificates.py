"""An assertion's `x5c` chain judged as strict Maskinporten does: in its validity period, and from a trusted CA."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from emulator.errors import OAuthError

# Digdir's documented code and text for an assertion signed with a certificate it does not accept.
INVALID_CERTIFICATE = (
    "MP-120: Invalid assertion. Client authentication failed. The JWT is signed with an invalid certificate"
)


def chain_of(header_x5c: object) -> list[x509.Certificate]:
    """The certificates of an `x5c` header (standard base64 DER, RFC 7515 §4.1.6), leaf first."""
    if not isinstance(header_x5c, list) or not header_x5c or not all(isinstance(item, str) for item in header_x5c):
        raise OAuthError("invalid_grant", "Invalid assertion: x5c must be a list of base64 certificates")
    chain = []
    for index, item in enumerate(header_x5c):
        try:
            chain.append(x509.load_der_x509_certificate(base64.b64decode(item, validate=True)))
        except (ValueError, binascii.Error) as error:
            raise OAuthError(
                "invalid_grant", f"Invalid assertion: x5c[{index}] is not a base64 DER certificate ({error})"[:300]
            ) from None
    return chain


class TrustAnchors:
    """The CA certificates (EMULATOR_TRUST_ANCHORS) that a chain must lead to; none configured: any issuer.

    Strict mode holds every `x5c` chain to its validity period, and to an anchor when there are any; with none,
    the client's registered certificate is the only trust decision (it must match the chain's leaf).
    """

    def __init__(self, anchors: Sequence[x509.Certificate] = ()) -> None:
        self.anchors = tuple(anchors)
        self._store = Store(list(self.anchors)) if self.anchors else None

    @classmethod
    def load(cls, path: Path) -> TrustAnchors:
        """Every certificate of a PEM file; a file without one is an error, not an empty (trust-all) set."""
        certificates = x509.load_pem_x509_certificates(path.read_bytes())
        return cls(certificates)

    def check(self, chain: Sequence[x509.Certificate], now_s: float) -> None:
        """OAuthError (MP-120) unless every certificate is valid at `now_s` and the chain leads to an anchor."""
        now = datetime.fromtimestamp(now_s, tz=UTC)
        for certificate in chain:
            if now < certificate.not_valid_before_utc:
                raise _invalid(f"{_name(certificate)} is not valid before {certificate.not_valid_before_utc:%Y-%m-%d}")
            if now > certificate.not_valid_after_utc:
                raise _invalid(f"{_name(certificate)} expired {certificate.not_valid_after_utc:%Y-%m-%d}")
        if self._store is None:
            return
        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(now)
            # The leaf is a virksomhetssertifikat, not a web server's: no SAN or EKU is asked of it.
            .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all())
            .build_client_verifier()
        )
        try:
            verifier.verify(chain[0], list(chain[1:]))
        except VerificationError:
            raise _invalid(f"{_name(chain[0])} does not chain to a trusted CA") from None


def _invalid(reason: str) -> OAuthError:
    return OAuthError("invalid_grant", f"{INVALID_CERTIFICATE}: {reason}"[:400])


def _name(certificate: x509.Certificate) -> str:
    return f"the certificate {certificate.subject.rfc4514_string()!r}"[:160]
